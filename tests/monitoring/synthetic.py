"""Fictional monitoring records for the exchange tests, made column by column (fast at 100,000).

Skewed like real caseloads (a few nationalities and forms dominate, many are rare), so that
k-anonymisation has rare values to suppress. No row is about a real person.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from rightsfirst.monitoring.records import (
    AGE_BANDS,
    CHILD_AGE_BANDS,
    FINDINGS,
    FORMS,
    STAGES,
    MonitoringRecords,
    case_schema,
    measure_schema,
    service_schema,
)

NATIONALITIES = (
    "NG", "RO", "VN", "UA", "NP", "ER", "BR", "PH", "AL", "MD", "BG", "TH", "MA", "GH", "PK",
    "IN", "CN", "SY", "AF", "IQ", "SO", "SD", "ET", "KE", "UG", "CM", "SN", "GN", "CI", "ML",
    "HT", "DO", "CO", "VE", "PE", "BO", "PY", "HN", "GT", "SV", "MX", "CU", "JM", "TT", "GY",
)  # fmt: skip
AGENCIES = ("Shelter A (fictional)", "Police B (fictional)", "NRM C (fictional)", "NGO D (fictional)")
REGIONS = ("North (fictional)", "South (fictional)", "Capital (fictional)")


def _zipf_weights(count: int, exponent: float = 1.3) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


def synthetic_records(
    n: int, seed: int = 0, start: dt.date = dt.date(2022, 1, 1), days: int = 1460
) -> MonitoringRecords:
    """n fictional cases (measures and services empty: the export reads the cases only)."""
    rng = np.random.default_rng(seed)
    referred = np.datetime64(start) + rng.integers(0, days, n).astype("timedelta64[D]")
    agency_index = rng.choice(len(AGENCIES), n, p=[0.55, 0.2, 0.15, 0.1])
    region_of_agency = np.array([0, 0, 2, 1])
    stage = rng.choice(len(STAGES), n, p=[0.05, 0.15, 0.15, 0.1, 0.1, 0.2, 0.1, 0.05, 0.1])
    finding = rng.choice(len(FINDINGS) + 1, n, p=[0.35, 0.3, 0.15, 0.03, 0.07, 0.1])
    band = rng.choice(len(AGE_BANDS) + 1, n, p=[0.02, 0.12, 0.12, 0.12, 0.12, 0.1, 0.2, 0.1, 0.05, 0.05])
    sex = rng.choice(4, n, p=[0.55, 0.4, 0.01, 0.04])
    nationality = rng.choice(len(NATIONALITIES) + 1, n, p=np.append(_zipf_weights(len(NATIONALITIES)) * 0.95, 0.05))
    presumed = rng.random(n) < 0.6
    identified = presumed & (rng.random(n) < 0.5)
    negative = ~identified & (rng.random(n) < 0.08)
    age_bands = np.array([*AGE_BANDS, None], dtype=object)[band]
    child = np.isin(age_bands, list(CHILD_AGE_BANDS)) | (rng.random(n) < 0.02)
    forms_weights = _zipf_weights(len(FORMS), 1.1)
    first = rng.choice(len(FORMS), n, p=forms_weights)
    second = rng.choice(len(FORMS), n, p=forms_weights)
    two = rng.random(n) < 0.25
    none = rng.random(n) < 0.05
    forms = [
        [] if no else ([FORMS[a]] if not both or a == b else [FORMS[a], FORMS[b]])
        for a, b, both, no in zip(first.tolist(), second.tolist(), two.tolist(), none.tolist(), strict=True)
    ]
    referred_days = referred.astype("datetime64[D]")
    cases = pa.table(
        {
            "case_key": pa.array(np.arange(n, dtype=np.int64)),
            "referred_on": pa.array(referred_days),
            "agency": pa.array(np.array(AGENCIES, dtype=object)[agency_index], type=pa.string()),
            "region": pa.array(np.array(REGIONS, dtype=object)[region_of_agency[agency_index]], type=pa.string()),
            "stage": pa.array(np.array(STAGES, dtype=object)[stage], type=pa.string()),
            "finding": pa.array(np.array([*FINDINGS, None], dtype=object)[finding], type=pa.string()),
            "presumed_on": pa.array(np.where(presumed, referred_days + 3, np.datetime64("NaT"))),
            "identified_on": pa.array(np.where(identified, referred_days + 40, np.datetime64("NaT"))),
            "not_identified_on": pa.array(np.where(negative, referred_days + 30, np.datetime64("NaT"))),
            "age_band": pa.array(age_bands, type=pa.string()),
            "child": pa.array(child),
            "sex": pa.array(np.array(["female", "male", "other", None], dtype=object)[sex], type=pa.string()),
            "nationality": pa.array(np.array([*NATIONALITIES, None], dtype=object)[nationality], type=pa.string()),
            "forms": pa.array(forms, type=pa.list_(pa.string())),
            "reflection_days": pa.array(np.where(presumed, 90, 0), type=pa.int32()),
        }
    ).cast(case_schema())
    records = MonitoringRecords(
        cases, measure_schema().empty_table(), service_schema().empty_table(), "synthetic (fictional)"
    )
    records.check()
    return records
