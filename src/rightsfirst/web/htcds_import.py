"""Importing an HTCDS 2.0 file as cases: each row checked, then every case opened through the workflow.

The file is read and checked by the monitoring package's reader (every field against the standard);
here each row is also checked against what the application needs (a referral date not in the future,
a birth date before it, identity that fits the application's fields) and turned into the workflow's
arguments. Nothing is written unless every row passes: then all the cases are opened in one
transaction, each by `workflow.create_case` (identity sealed under the case's key, blind index
updated, its own audit entry) and, where the row gives facts the engine can screen, `workflow.screen`.
One more audit entry records the import itself, with counts only.

What another organisation decided about the person (vic_TraffickingStatus) is a claim, not a
decision of this referral mechanism: it sets no stage and no finding. It is counted in the report,
and the cases it concerns are listed so that a coordinator can take this agency's own decision.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from tqdm import tqdm

from rightsfirst import engine
from rightsfirst.engine.inputs import MEANS, PURPOSES
from rightsfirst.monitoring.exchange import FileProblems, Problem
from rightsfirst.monitoring.htcds import HtcdsFile, HtcdsRow
from rightsfirst.monitoring.htcds_mapping import (
    CONTROL_TO_MEANS,
    EXPLOITATION_TO_FORM,
    GENDER_TO_SEX,
    SEX_EXPLOITATION_TO_FORM,
)
from rightsfirst.web import audit, workflow

REFERRAL_DATE = "cas_IncomingReferralDate"
REQUIRED = (REFERRAL_DATE,)
# The languages the application has a rights sheet in (ISO 639-2/T -> the application's code).
LANGUAGES = {"eng": "en", "fra": "fr", "spa": "es", "ron": "ro", "vie": "vi"}
# The fields a row's values go to. Everything else in the file is checked but not stored.
IDENTITY_SOURCES = {
    "given_names": ("prs_FirstName", "prs_MiddleName"),
    "family_name": ("prs_SecondName",),
    "date_of_birth": ("prs_Birthdate",),
    "phone": ("prs_MobilePhone", "prs_HomePhone"),
    "email": ("prs_Email",),
    "address": (
        "prs_MailingStreet",
        "prs_MailingCity",
        "prs_MailingState",
        "prs_MailingPostalCode",
        "prs_MailingCountry",
    ),
    "identity_documents": ("prs_IdentityNumber",),
}
# The longest each identity field may be (the registration form's limits).
IDENTITY_LIMITS = {
    "given_names": 200,
    "family_name": 200,
    "date_of_birth": 40,
    "phone": 60,
    "email": 200,
    "address": 500,
    "identity_documents": 300,
}
CASE_SOURCES = (
    REFERRAL_DATE,
    "prs_Gender",
    "prs_Citizenship",
    "prs_PrimaryLanguage",
    "vic_TypeOfExploitation",
    "vic_TypeOfSexExploitation",
    "vic_MethodsOfControl",
    "vic_MethodOfRecruitment",
    "vic_TraffickingStatus",
    "vic_TraffickingStatusDecisionMakingOrg",
    "prs_Deceased",
)
USED = frozenset({name for sources in IDENTITY_SOURCES.values() for name in sources} | set(CASE_SOURCES))
CLAIMS = ("PossibleVictimOfTrafficking", "ActualVictimOfTrafficking")


@dataclass(frozen=True)
class PlannedCase:
    """One row, ready for the workflow."""

    line: int
    identity: dict[str, str]
    referred_on: dt.date
    sex: str
    nationality: str
    language: str
    situation: dict[str, Any] | None  # facts for the engine's screening, when the row has any
    claimed_status: str | None  # vic_TraffickingStatus as the other organisation gave it
    decided_by: str | None


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    planned: list[PlannedCase]
    ignored_columns: tuple[str, ...]
    created: list[tuple[int, str]] = field(default_factory=list)  # (line, case reference)

    @property
    def screened(self) -> int:
        return sum(1 for item in self.planned if item.situation is not None)

    def claims(self) -> Counter[str]:
        return Counter(item.claimed_status for item in self.planned if item.claimed_status)


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _joined(row: HtcdsRow, names: Sequence[str], separator: str) -> str:
    parts = []
    for name in names:
        value = row.values.get(name)
        if isinstance(value, dt.date):
            parts.append(value.isoformat())
        elif isinstance(value, tuple):
            parts.append(";".join(value))
        elif value is not None:
            parts.append(str(value))
    return separator.join(parts)


def situation_for(row: HtcdsRow, today: dt.date) -> dict[str, Any] | None:
    """The facts of the row the engine can screen, or None when the row names no exploitation.

    A form of exploitation is the least a screening needs; then the person's age (from the birth
    date), the means (only methods of control that plainly are one) and recruitment (a method of
    recruitment says the person was recruited) are added when the row has them. Unknown facts are
    left out, never written as "none".
    """
    purposes = {EXPLOITATION_TO_FORM[code] for code in row.codes("vic_TypeOfExploitation")}
    for code in row.codes("vic_TypeOfSexExploitation"):
        purposes.add(SEX_EXPLOITATION_TO_FORM.get(code, "sexual_exploitation"))
    if not purposes:
        return None
    situation: dict[str, Any] = {"source": "HTCDS import", "purposes": [p for p in PURPOSES if p in purposes]}
    born = row.date("prs_Birthdate")
    if born is not None:
        situation["person"] = {"age": _age_on(born, today)}
    means = {CONTROL_TO_MEANS[code] for code in row.codes("vic_MethodsOfControl") if code in CONTROL_TO_MEANS}
    if means:
        situation["means"] = [m for m in MEANS if m in means]
    if row.codes("vic_MethodOfRecruitment"):
        situation["actions"] = ["recruitment"]
    return situation


def plan(parsed: HtcdsFile, today: dt.date, problems_found: Sequence[Problem] = ()) -> ImportReport:
    """Check every row against what the application needs and prepare its case.

    `problems_found`: those the reader found in other rows. Raises FileProblems with every problem
    (line and field, in file order) if any row cannot be imported.
    """
    problems: list[Problem] = list(problems_found)
    planned: list[PlannedCase] = []
    for row in parsed.rows:
        before = len(problems)
        referred_on = row.date(REFERRAL_DATE)
        if referred_on is None:  # the reader was asked to require it; kept for the type checker
            problems.append(Problem(row.line, REFERRAL_DATE, "required, and empty"))
            continue
        if referred_on > today:
            problems.append(Problem(row.line, REFERRAL_DATE, f"{referred_on.isoformat()} is in the future"))
        born = row.date("prs_Birthdate")
        if born is not None and born > referred_on:
            problems.append(Problem(row.line, "prs_Birthdate", "the birth date is after the referral date"))
        if row.values.get("prs_Deceased") is True:
            problems.append(
                Problem(row.line, "prs_Deceased", "the person is recorded as deceased; no case is opened for them")
            )
        identity = {}
        for target, sources in IDENTITY_SOURCES.items():
            text = _joined(row, sources, " " if target == "given_names" else (", " if target == "address" else "; "))
            if len(text) > IDENTITY_LIMITS[target]:
                problems.append(
                    Problem(
                        row.line,
                        "/".join(sources),
                        f"too long for the application's {target.replace('_', ' ')} "
                        f"(at most {IDENTITY_LIMITS[target]} characters)",
                    )
                )
            identity[target] = text
        situation = situation_for(row, today)
        if situation is not None:
            try:
                engine.situation_from_data(situation, "situation")
            except engine.InputError as error:  # pragma: no cover - the mapping only produces valid facts
                problems.append(Problem(row.line, "vic_TypeOfExploitation", f"cannot be screened: {error}"))
        if len(problems) > before:
            continue
        gender = row.text("prs_Gender")
        citizenship = row.codes("prs_Citizenship")
        language = row.text("prs_PrimaryLanguage")
        planned.append(
            PlannedCase(
                line=row.line,
                identity=identity,
                referred_on=referred_on,
                sex=(GENDER_TO_SEX.get(gender) if gender else None) or "not_known",
                nationality=citizenship[0] if citizenship else "",
                language=LANGUAGES.get(language, "other") if language else "other",
                situation=situation,
                claimed_status=row.text("vic_TraffickingStatus"),
                decided_by=row.text("vic_TraffickingStatusDecisionMakingOrg"),
            )
        )
    if problems:
        raise FileProblems(sorted(problems, key=lambda problem: problem.line))
    ignored = tuple(name for name in parsed.columns if name not in USED)
    return ImportReport(planned, ignored)


def run(user: Any, report: ImportReport, *, progress: bool = False) -> ImportReport:
    """Open every planned case in one transaction; nothing is kept if any step fails."""
    with transaction.atomic():
        for item in tqdm(report.planned, unit=" cases", file=sys.stderr, disable=not progress, leave=False):
            case = workflow.create_case(
                user,
                item.identity,
                item.referred_on,
                sex=item.sex,
                nationality=item.nationality,
                preferred_language=item.language,
            )
            if item.situation is not None:
                workflow.screen(user, case, item.situation)
            report.created.append((item.line, case.reference))
        claims = report.claims()
        audit.record(
            user,
            "htcds.import",
            target=f"{len(report.created)} cases from an HTCDS file, {report.screened} screened from its facts",
            fields=", ".join(f"{status}={count}" for status, count in sorted(claims.items())),
        )
    return report
