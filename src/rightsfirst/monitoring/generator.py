"""Synthetic monitoring records: N fictional cases with their measures and service steps.

For tests and benchmarks only; every batch is marked `source="synthetic"`. Vectorised with
numpy (a million cases in a few seconds) and reproducible from its seed.

The person-level distributions are shaped on the Counter-Trafficking Data Collaborative's
Global Victim-Perpetrator Synthetic Dataset (CTDC, 1 December 2022, 21,195 rows); only the
figures below are taken from it. Everything else (how often people are presumed, detained,
paid compensation ...) is an assumption chosen to look like a referral mechanism's records and
to exercise every indicator, including its rare and awkward cases.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from rightsfirst.monitoring.generator_blocks import Blocks, Draw, list_array, string_array
from rightsfirst.monitoring.generator_measures import add_measures
from rightsfirst.monitoring.records import (
    FORMS,
    SERVICE_STATUSES,
    MonitoringRecords,
    case_schema,
    measure_schema,
    service_schema,
)

# CTDC gender x majorityStatus cross-tabulation (rows with an empty value kept as unknown).
SEX_MAJORITY_COUNTS = {
    ("female", "adult"): 8289,
    ("female", "minor"): 511,
    ("female", None): 789,
    ("male", "adult"): 6449,
    ("male", "minor"): 467,
    ("male", None): 1079,
    (None, "adult"): 1641,
    (None, "minor"): 234,
    (None, None): 1736,
}
# CTDC isForcedLabour x isSexualExploit: forced labour only 11,901; sexual exploitation only
# 2,428; both 347; neither flag 6,519 (other forms or not recorded: split evenly, assumed).
FORM_MIX_COUNTS = {"forced_labour": 11901, "sexual_exploitation": 2428, "both": 347, "other": 3260, "none": 3259}
# CTDC UN_COO_Region (region of citizenship); countries within a region are illustrative.
ORIGIN_REGION_COUNTS = {"Asia": 6139, "Europe": 5887, "Africa": 5282, "Americas/Oceania": 277, None: 3610}
ORIGIN_COUNTRIES = {
    "Asia": ("PH", "VN", "CN", "IN", "TH", "ID", "NP", "BD", "KH", "MM"),
    "Europe": ("UA", "RO", "BG", "MD", "AL", "RS", "PL", "HU"),
    "Africa": ("NG", "GH", "ER", "KE", "UG", "ET", "SN", "MA"),
    "Americas/Oceania": ("BR", "CO", "MX", "HN", "VE"),
}
# Assumed: the age bands within adults and minors (CTDC bands); a tenth of persons of unknown
# age are presumed to be children while it is uncertain.
ADULT_BANDS = {"18--20": 12, "21--23": 14, "24--26": 14, "27--29": 12, "30--38": 25, "39--47": 15, "48+": 8}
MINOR_BANDS = {"0--8": 15, "9--17": 85}
OTHER_FORMS = tuple(form for form in FORMS if form not in {"forced_labour", "sexual_exploitation"})
# Fictional agencies of a fictional country, with their region and share of cases.
AGENCIES = (
    ("Fictional Shelter North", "North", 14),
    ("Fictional Police Unit North", "North", 8),
    ("Fictional Shelter South", "South", 12),
    ("Fictional Labour Inspectorate", "Capital", 9),
    ("Fictional National Referral Office", "Capital", 16),
    ("Fictional Child Services", "Capital", 7),
    ("Fictional Outreach East", "East", 10),
    ("Fictional Legal Clinic East", "East", 6),
    ("Fictional Migrant Centre West", "West", 11),
    ("Fictional Health Service West", "West", 7),
)
SERVICE_WEIGHTS = {"offered": 35, "accepted": 25, "delivered": 25, "refused": 8, "pending": 5, "not_applicable": 2}


def _epoch_days(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def _entitlement_ids() -> tuple[str, ...]:
    from rightsfirst.engine.entitlement_rules import ALL_RULES

    return tuple(rule.definition.id for rule in ALL_RULES)


def _forms(draw: Draw, n: int) -> pa.Array:
    mix = draw.choice(tuple(FORM_MIX_COUNTS), FORM_MIX_COUNTS, n)
    other = draw.rng.integers(0, len(OTHER_FORMS), n)
    lengths = np.select([mix == 2, mix == 4], [2, 0], 1)
    first = np.select(
        [mix == 0, mix == 1, mix == 2],
        [FORMS.index("forced_labour"), FORMS.index("sexual_exploitation"), FORMS.index("forced_labour")],
        np.array([FORMS.index(form) for form in OTHER_FORMS])[other],
    )
    values = np.empty(int(lengths.sum()), dtype=np.int8)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    starts = offsets[:-1]
    has = lengths > 0
    values[starts[has]] = first[has]
    both = mix == 2
    values[starts[both] + 1] = FORMS.index("sexual_exploitation")
    return list_array(offsets, string_array(values, FORMS))


def _cases(draw: Draw, n: int, start: int, end: int) -> tuple[pa.Table, dict[str, np.ndarray]]:
    rng = draw.rng
    referred = rng.integers(start, end + 1, n)
    agency = draw.choice(tuple(a[0] for a in AGENCIES), {a[0]: a[2] for a in AGENCIES}, n)
    region_names = tuple(sorted({a[1] for a in AGENCIES}))
    region = np.array([region_names.index(a[1]) for a in AGENCIES], dtype=np.int8)[agency]
    pairs = tuple(SEX_MAJORITY_COUNTS)
    pair = draw.choice(pairs, SEX_MAJORITY_COUNTS, n)
    sexes = ("female", "male", "other")
    sex_code = np.array([sexes.index(s) if s else -1 for s, _ in pairs], dtype=np.int8)[pair]
    sex_code[(sex_code == -1) & (rng.random(n) < 0.02)] = 2  # a few persons of another gender (assumed)
    majority = np.array([{"adult": 0, "minor": 1, None: 2}[m] for _, m in pairs], dtype=np.int8)[pair]
    bands = (*MINOR_BANDS, *ADULT_BANDS)
    band = np.where(
        majority == 0,
        len(MINOR_BANDS) + draw.choice(tuple(ADULT_BANDS), ADULT_BANDS, n),
        draw.choice(tuple(MINOR_BANDS), MINOR_BANDS, n),
    ).astype(np.int8)
    band[majority == 2] = -1
    presumed_child = (majority == 2) & (rng.random(n) < 0.1)
    child = (majority == 1) | presumed_child
    child_known = (majority != 2) | presumed_child | (rng.random(n) < 0.4)
    origin = draw.choice(tuple(ORIGIN_REGION_COUNTS), ORIGIN_REGION_COUNTS, n)
    countries = tuple(code for region_name in ORIGIN_COUNTRIES for code in ORIGIN_COUNTRIES[region_name])
    nationality = np.full(n, -1, dtype=np.int16)
    offset = 0
    for index, region_name in enumerate(ORIGIN_REGION_COUNTS):
        if region_name is None:
            continue
        codes = ORIGIN_COUNTRIES[region_name]
        chosen = origin == index
        nationality[chosen] = offset + rng.zipf(1.6, int(chosen.sum())).clip(1, len(codes)) - 1
        offset += len(codes)

    # The identification path (assumed rates); steps after `end` have not happened yet.
    presumed = rng.random(n) < 0.7
    presumed_on = referred + rng.geometric(1 / 8, n) - 1
    identified = presumed & (rng.random(n) < 0.6)
    identified_on = presumed_on + rng.gamma(2.0, 30.0, n).astype(np.int64)
    negative = np.where(presumed, ~identified & (rng.random(n) < 0.45), rng.random(n) < 0.5)
    negative_on = np.where(presumed, presumed_on, referred) + rng.gamma(2.0, 25.0, n).astype(np.int64)
    presumed &= presumed_on <= end
    identified &= presumed & (identified_on <= end)
    negative &= negative_on <= end
    stage_names = (
        "referred",
        "screening",
        "presumed_victim",
        "identified",
        "recovery_and_reflection",
        "support",
        "legal_proceedings",
        "durable_solution",
        "closed",
    )
    stage = np.where(negative, 8, np.where(presumed, 2, rng.integers(0, 2, n)))
    stage = np.where(identified, rng.integers(3, 9, n), stage)
    stage = np.where(presumed & ~identified & ~negative & (rng.random(n) < 0.4), 4, stage)
    finding_names = ("established", "presumed", "insufficient_information", "smuggling_only", "not_established")
    finding = np.where(identified, 0, np.where(presumed, 1, rng.integers(2, 5, n)))
    unscreened = ~presumed & ~negative & (stage == 0)
    reflection_days = np.zeros(n, dtype=np.int32)

    columns = {
        "case_key": pa.array(np.arange(1, n + 1, dtype=np.int64)),
        "referred_on": pa.array(referred.astype(np.int32), pa.date32()),
        "agency": string_array(agency, tuple(a[0] for a in AGENCIES)),
        "region": string_array(region, region_names),
        "stage": string_array(stage, stage_names),
        "finding": string_array(np.where(unscreened, -1, finding), finding_names),
        "presumed_on": pa.array(presumed_on.astype(np.int32), pa.date32(), mask=~presumed),
        "identified_on": pa.array(identified_on.astype(np.int32), pa.date32(), mask=~identified),
        "not_identified_on": pa.array(negative_on.astype(np.int32), pa.date32(), mask=~negative),
        "age_band": string_array(band, bands),
        "child": pa.array(child, mask=~child_known),
        "sex": string_array(sex_code, sexes),
        "nationality": string_array(nationality, countries),
        "forms": _forms(draw, n),
        "reflection_days": pa.array(reflection_days, mask=np.ones(n, dtype=bool)),
    }
    state = {
        "referred": referred,
        "presumed": presumed,
        "presumed_on": presumed_on,
        "identified": identified,
        "identified_on": identified_on,
        "negative": negative,
        "negative_on": negative_on,
        "child": child & child_known,
        "agency": agency,
    }
    return pa.table(columns, schema=case_schema()), state


def _services(draw: Draw, state: dict[str, np.ndarray], end: int) -> pa.Table:
    rng = draw.rng
    counts = np.where(state["presumed"], rng.poisson(1.6, len(state["presumed"])), 0)
    case_index = np.repeat(np.arange(len(counts)), counts)
    on = state["presumed_on"][case_index] + rng.integers(0, 150, len(case_index))
    keep = on <= end
    case_index, on = case_index[keep], on[keep]
    size = len(case_index)
    entitlements = _entitlement_ids()
    statuses = draw.choice(tuple(SERVICE_WEIGHTS), SERVICE_WEIGHTS, size)
    columns = {
        "case_key": pa.array(case_index.astype(np.int64) + 1),
        "entitlement": string_array(rng.integers(0, len(entitlements), size), entitlements),
        "status": string_array(
            np.array([SERVICE_STATUSES.index(s) for s in SERVICE_WEIGHTS])[statuses], SERVICE_STATUSES
        ),
        "on": pa.array(on.astype(np.int32), pa.date32()),
        "agency": string_array(state["agency"][case_index], tuple(a[0] for a in AGENCIES)),
    }
    return pa.table(columns, schema=service_schema())


def generate(n_cases: int, *, seed: int = 0, start: dt.date, end: dt.date) -> MonitoringRecords:
    """`n_cases` synthetic cases referred between `start` and `end` (inclusive), with measures and
    service steps up to `end`; the same seed gives the same records."""
    if n_cases < 0:
        raise ValueError(f"n_cases must be 0 or more, not {n_cases}")
    if end < start:
        raise ValueError(f"end ({end.isoformat()}) is before start ({start.isoformat()})")
    draw = Draw(np.random.default_rng(seed))
    first, last = _epoch_days(start), _epoch_days(end)
    cases, state = _cases(draw, n_cases, first, last)
    blocks = Blocks()
    add_measures(blocks, draw, state, last, tuple(a[0] for a in AGENCIES))
    measures = blocks.table(measure_schema())
    reflection = blocks.reflection_days(n_cases)
    cases = cases.set_column(
        cases.schema.get_field_index("reflection_days"), "reflection_days", pa.array(reflection, pa.int32())
    )
    records = MonitoringRecords(cases, measures, _services(draw, state, last), source="synthetic")
    records.check()
    return records
