"""Review rules for disclosure of identifying information: privacy first."""

from __future__ import annotations

from rightsfirst.engine.measures import Measure
from rightsfirst.engine.review_rules.registry import (
    JUSTIFY,
    VIOLATION,
    Context,
    Verdict,
    not_shown,
    rule,
)

# --- Disclosure ----------------------------------------------------------------------------

PUBLIC_AUDIENCES = frozenset({"public", "media"})


@rule("disclosure", "public_disclosure", "RPG.G6.6", "HRS.7", "FS36.III.C.right-to-privacy")
def _public_disclosure(measure: Measure, context: Context) -> Verdict | None:
    if measure.choice("audience") not in PUBLIC_AUDIENCES or measure.flag("identity_revealed") is False:
        return None
    if context.child:
        return None  # the child rule below decides
    if measure.flag("consent"):
        missing = not_shown(measure, ("risks_explained",))
        return Verdict(
            JUSTIFY,
            "Identity would be made public with the person's consent: confirm the consent is informed "
            "and that the person was warned of the risks and the limits of protection.",
            missing or ("justification",),
        )
    return Verdict(VIOLATION, "The person's identity is disclosed to the public or the media; this is prohibited.")


@rule("disclosure", "child_public_disclosure", "RPG.G8.9", "FS36.III.C.child-protection-support", "RPG.G6.6")
def _child_public_disclosure(measure: Measure, context: Context) -> Verdict | None:
    if (
        not context.child
        or measure.choice("audience") not in PUBLIC_AUDIENCES
        or measure.flag("identity_revealed") is False
    ):
        return None
    if measure.flag("exceptional_circumstances") and measure.flag("best_interests"):
        return Verdict(
            JUSTIFY,
            "Making a child's identity public is allowed only in exceptional circumstances in the "
            "child's best interests: record them.",
            ("justification",),
        )
    return Verdict(VIOLATION, "Information that could identify a child victim is made public.")


@rule("disclosure", "family_without_consent", "HRS.7", "RPG.G6.6")
def _family_disclosure(measure: Measure, context: Context) -> Verdict | None:
    if measure.choice("audience") == "family" and measure.flag("consent") is False and not context.child:
        return Verdict(VIOLATION, "The person's situation is disclosed to their family without their consent.")
    return None


@rule("disclosure", "origin_authorities", "RPG.G6.6", "FS36.III.D.non-refoulement", "HRS.4")
def _origin_authorities(measure: Measure, context: Context) -> Verdict | None:
    if (
        measure.choice("audience") != "authorities_origin"
        or measure.flag("consent")
        or measure.flag("identity_revealed") is False
    ):
        return None
    if context.person.asylum_seeker:
        return Verdict(
            VIOLATION,
            "Identifying details of an asylum seeker are shared with the authorities of the country "
            "they fear, without consent.",
        )
    return Verdict(
        JUSTIFY,
        "Identifying details are shared with the authorities of the person's country without consent: "
        "reprisals can come from people in authority too; record the risk assessment and why consent "
        "could not be sought.",
        ("justification",),
    )


@rule("disclosure", "employer", "HRS.7", "RPG.G6.6")
def _employer(measure: Measure, context: Context) -> Verdict | None:
    if (
        measure.choice("audience") == "employer"
        and not measure.flag("consent")
        and measure.flag("identity_revealed") is not False
    ):
        return Verdict(
            VIOLATION,
            "The person's history of being trafficked is disclosed to an employer without consent; it may "
            "not be used in a way that harms their search for work.",
        )
    return None


@rule("disclosure", "necessary_disclosure", "RPG.G6.6", "FS36.III.C.right-to-privacy")
def _necessary_disclosure(measure: Measure, context: Context) -> Verdict | None:
    audience = measure.choice("audience")
    if audience in PUBLIC_AUDIENCES or measure.flag("identity_revealed") is False or measure.flag("consent"):
        return None
    if audience in {"employer", "authorities_origin"}:
        return None  # decided by their own rules
    if audience == "court" and measure.flag("fair_trial_necessity"):
        return None
    if audience != "court" and measure.flag("legal_basis"):
        return None
    return Verdict(
        JUSTIFY,
        "Sharing identifying information without consent needs a legal basis and must be necessary "
        "(for example for a fair trial); share only what is needed.",
        not_shown(measure, ("consent", "legal_basis")) if audience != "court" else ("fair_trial_necessity",),
    )
