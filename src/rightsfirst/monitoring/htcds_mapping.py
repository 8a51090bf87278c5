"""How Rightsfirst's vocabulary maps to HTCDS 2.0 and back, and what the de-identified export holds.

These are our choices, not the standard's (its fields and code lists are in htcds_codes.py);
docs/monitoring.md ("Data exchange") explains each one. Both the DuckDB export (htcds.py) and the
pandas reference (htcds_baseline.py) read the same tables from here, so that they cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa

from rightsfirst.monitoring.ages import AGE_BANDS, CHILD_AGE_BANDS
from rightsfirst.monitoring.htcds_codes import CODE_LISTS

# ---- Our monitoring vocabulary -> HTCDS (export) ---------------------------------------------------

# Sex as the application records it -> prs_Gender. "other" cannot say whether a person is
# transgender or non-conforming, so it goes to the broader of the two.
SEX_TO_GENDER: Mapping[str, str] = {"female": "Feminine", "male": "Masculine", "other": "NonConforming"}
GENDER_NOT_KNOWN = "NonSpecifiedUnknown"

# The engine's forms of exploitation -> vic_TypeOfExploitation. HTCDS has no slavery, debt
# bondage or forced criminality: slavery and the practices similar to it (of which debt bondage
# is one) go to Servitude, forced services to forced labour, forced criminality to Other.
FORM_TO_EXPLOITATION: Mapping[str, str] = {
    "sexual_exploitation": "SexualExploitation",
    "exploitation_of_prostitution": "SexualExploitation",
    "forced_labour": "ForcedLabour",
    "forced_services": "ForcedLabour",
    "slavery": "Servitude",
    "practices_similar_to_slavery": "Servitude",
    "servitude": "Servitude",
    "debt_bondage": "Servitude",
    "removal_of_organs": "OrganRemoval",
    "forced_marriage": "ForcedMarriage",
    "forced_begging": "ForcedBegging",
    "forced_criminality": "Other",
    "other_exploitation": "Other",
}

# The case's stage -> cas_Status. A durable solution is found and followed up; a closed case is
# closed. Whether a case was closed by referral elsewhere (ClosedReferred) is not recorded.
STAGE_TO_CASE_STATUS: Mapping[str, str] = {
    "referred": "Active",
    "screening": "Active",
    "presumed_victim": "Active",
    "identified": "Active",
    "recovery_and_reflection": "Active",
    "support": "Active",
    "legal_proceedings": "Active",
    "durable_solution": "FollowUp",
    "closed": "Closed",
}

# vic_TraffickingStatus follows from the decisions, never from the screening alone: the later of
# an identification decision and a negative one decides Actual / NotA; a presumption (a decision,
# or a screening finding "established" or "presumed") gives Possible. A screening that did not
# establish the elements says nothing ("graded findings, never 'not a victim'"): left empty.
ACTUAL, NOT_A_VICTIM, POSSIBLE = "ActualVictimOfTrafficking", "NotAVictimOfTrafficking", "PossibleVictimOfTrafficking"
PRESUMING_FINDINGS = ("established", "presumed")

MINOR, ADULT = "Minor", "Adult"
ADULT_AGE_BANDS = tuple(band for band in AGE_BANDS if band not in CHILD_AGE_BANDS)

# ---- HTCDS -> our vocabulary (import) --------------------------------------------------------------

GENDER_TO_SEX: Mapping[str, str | None] = {
    "Feminine": "female",
    "Masculine": "male",
    "TransgenderFeminine": "other",
    "TransgenderMasculine": "other",
    "NonConforming": "other",
    "NonSpecifiedUnknown": None,
}
# vic_TypeOfExploitation -> the engine's purposes. Forms the engine does not name (child labour,
# forced military service, forced adoption, surrogacy) are "other_exploitation": the Protocol's
# list is a minimum, so they still count as exploitation.
EXPLOITATION_TO_FORM: Mapping[str, str] = {
    "ForcedLabour": "forced_labour",
    "SexualExploitation": "sexual_exploitation",
    "ChildLabour": "other_exploitation",
    "ForcedMarriage": "forced_marriage",
    "Servitude": "servitude",
    "ForcedMilitaryByNonStateActors": "other_exploitation",
    "OrganRemoval": "removal_of_organs",
    "ForcedBegging": "forced_begging",
    "ForcedAdoption": "other_exploitation",
    "Surrogacy": "other_exploitation",
    "Other": "other_exploitation",
}
# vic_TypeOfSexExploitation adds the engine's narrower purpose where there is one.
SEX_EXPLOITATION_TO_FORM: Mapping[str, str] = {"Prostitution": "exploitation_of_prostitution"}
# vic_MethodsOfControl -> the engine's means (TIP.3a), only where the control method is plainly one
# of the means. Others (takes earnings, excessive hours ...) are signs of exploitation, not means.
CONTROL_TO_MEANS: Mapping[str, str] = {
    "PhysicalThreats": "threat",
    "ThreatsLawEnforcement": "threat",
    "ThreatensChildrenFamily": "threat",
    "PhysicalAbuse": "use_of_force",
    "SexualAbuse": "use_of_force",
    "FalsePromises": "deception",
    "DebtBondage": "debt_bondage",
    "WithholdsDocuments": "coercion",
    "PsychologicalAbuse": "coercion",
    "RestrictsMovement": "coercion",
}

# ---- The de-identified export ----------------------------------------------------------------------

# The quasi-identifiers: what someone who knows a person could know about them and look up in the
# file. Each group is one or more columns; age is a band and, always beside it, minor/adult, so
# that a band can be generalised to the coarser value.
QUASI_IDENTIFIER_GROUPS: Mapping[str, tuple[str, ...]] = {
    "referral_year": ("ext_ReferralYear",),
    "region": ("ext_Region",),
    "age": ("ext_AgeBand", "ext_MajorityStatus"),
    "gender": ("prs_Gender",),
    "citizenship": ("prs_Citizenship",),
    "exploitation": ("vic_TypeOfExploitation",),
}
# What the file says about each person beyond the quasi-identifiers.
STATUS_COLUMNS = ("vic_TraffickingStatus", "cas_Status")
EXPORT_COLUMNS = (
    "ext_ReferralYear",
    "ext_Region",
    "ext_AgeBand",
    "ext_MajorityStatus",
    "prs_Gender",
    "prs_Citizenship",
    "vic_TypeOfExploitation",
    *STATUS_COLUMNS,
)
# Records still in a class smaller than k lose one quasi-identifier at a time, in this order:
# first the exact age band (minor/adult stays), then the values with many categories, last the
# ones every table is broken down by.
SUPPRESSION_ORDER = (
    "ext_AgeBand",
    "prs_Citizenship",
    "vic_TypeOfExploitation",
    "ext_Region",
    "ext_ReferralYear",
    "ext_MajorityStatus",
    "prs_Gender",
)
# A cell a spreadsheet would run as a formula starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def exploitation_codes(forms: Iterable[str] | None) -> str | None:
    """The vic_TypeOfExploitation cell for a list of engine forms: codes in the standard's order,
    joined with ";"; None when there are none. (The export computes the same in SQL; this is the
    row-at-a-time definition the tests check it against.)"""
    if not forms:
        return None
    found = {FORM_TO_EXPLOITATION[form] for form in forms if form in FORM_TO_EXPLOITATION}
    ordered = [code for code in CODE_LISTS["vic_TypeOfExploitation"] if code in found]
    return ";".join(ordered) or None


@dataclass(frozen=True)
class KAnonymityPolicy:
    """k and the quasi-identifier groups of a de-identified export.

    Only the chosen groups' columns are exported (besides the status columns): a column left out of
    the quasi-identifiers is left out of the file, so that every column someone could look a person
    up by is protected.
    """

    k: int = 10
    quasi_identifiers: tuple[str, ...] = field(default_factory=lambda: tuple(QUASI_IDENTIFIER_GROUPS))

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ValueError(f"k must be a whole number of at least 1, not {self.k!r}")
        unknown = [name for name in self.quasi_identifiers if name not in QUASI_IDENTIFIER_GROUPS]
        if unknown:
            raise ValueError(
                f"unknown quasi-identifier group(s) {', '.join(unknown)}; allowed: {', '.join(QUASI_IDENTIFIER_GROUPS)}"
            )
        if len(set(self.quasi_identifiers)) != len(self.quasi_identifiers):
            raise ValueError("a quasi-identifier group is named twice")

    def quasi_identifier_columns(self) -> tuple[str, ...]:
        """The chosen quasi-identifier columns, in the file's column order."""
        chosen = {column for name in self.quasi_identifiers for column in QUASI_IDENTIFIER_GROUPS[name]}
        return tuple(column for column in EXPORT_COLUMNS if column in chosen)

    def columns(self) -> tuple[str, ...]:
        """Every column of the exported file, in order."""
        return (*self.quasi_identifier_columns(), *STATUS_COLUMNS)

    def suppression_order(self) -> tuple[str, ...]:
        """The chosen quasi-identifier columns in the order they are blanked."""
        chosen = set(self.quasi_identifier_columns())
        return tuple(column for column in SUPPRESSION_ORDER if column in chosen)


@dataclass(frozen=True)
class ExportResult:
    """A k-anonymous HTCDS table and what it took to make it.

    `generalised_age`: age bands replaced by minor/adult alone; `suppressed`: cells blanked per
    quasi-identifier column (rare values and records in small classes) among the rows kept;
    `rows_dropped`: records left out because even with every quasi-identifier blank their class
    stayed below k.
    """

    table: pa.Table
    policy: KAnonymityPolicy
    rows_in: int
    rows_dropped: int
    generalised_age: int
    suppressed: Mapping[str, int]

    def summary(self) -> str:
        """One paragraph for a person: what was withheld."""
        withheld = ", ".join(f"{name} {count}" for name, count in self.suppressed.items() if count) or "none"
        return (
            f"{self.rows_in - self.rows_dropped} of {self.rows_in} records exported, k = {self.policy.k} "
            f"over {', '.join(self.policy.quasi_identifiers)}; age band generalised to minor/adult for "
            f"{self.generalised_age}; cells withheld: {withheld}; records left out: {self.rows_dropped}."
        )
