"""The synthetic records: reproducible, well-formed, marked synthetic, shaped on CTDC's figures."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from rightsfirst.monitoring.generator import FORM_MIX_COUNTS, SEX_MAJORITY_COUNTS, generate
from rightsfirst.monitoring.records import MonitoringRecords

START, END = dt.date(2024, 1, 1), dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def records() -> MonitoringRecords:
    return generate(60_000, seed=5, start=START, end=END)


def _share(mask_count: int, total: int) -> float:
    return mask_count / total


def test_same_seed_same_records_and_marked_synthetic() -> None:
    first = generate(2_000, seed=9, start=START, end=END)
    again = generate(2_000, seed=9, start=START, end=END)
    other = generate(2_000, seed=10, start=START, end=END)
    assert first.source == "synthetic"
    for name in ("cases", "measures", "services"):
        assert getattr(first, name).equals(getattr(again, name)), name
    assert not first.measures.equals(other.measures)


def test_schema_and_dates(records: MonitoringRecords) -> None:
    records.check()
    assert records.cases.num_rows == 60_000
    assert pc.min(records.cases["referred_on"]).as_py() >= START
    for table, column in ((records.cases, "referred_on"), (records.measures, "decided_on"), (records.services, "on")):
        assert pc.max(table[column]).as_py() <= END, column
    keys = records.cases["case_key"]
    assert pc.count_distinct(keys).as_py() == 60_000
    assert pc.all(pc.is_in(records.measures["case_key"], keys)).as_py()


def test_sex_and_minority_follow_ctdc(records: MonitoringRecords) -> None:
    total = sum(SEX_MAJORITY_COUNTS.values())
    ctdc_female = sum(v for (sex, _), v in SEX_MAJORITY_COUNTS.items() if sex == "female") / total
    ctdc_minor = sum(v for (_, majority), v in SEX_MAJORITY_COUNTS.items() if majority == "minor") / total
    sex = records.cases["sex"]
    assert abs(_share(pc.sum(pc.equal(sex, "female")).as_py(), 60_000) - ctdc_female) < 0.01  # 45.2 %
    minors = pc.sum(pc.is_in(records.cases["age_band"], value_set=pa.array(["0--8", "9--17"])))
    assert abs(_share(minors.as_py(), 60_000) - ctdc_minor) < 0.01  # 5.7 %
    assert 0.15 < _share(sex.null_count, 60_000) < 0.19  # CTDC leaves 17 % unrecorded


def test_forms_follow_ctdc(records: MonitoringRecords) -> None:
    total = sum(FORM_MIX_COUNTS.values())
    flat = pc.list_flatten(records.cases["forms"])
    labour = pc.sum(pc.equal(flat, "forced_labour")).as_py() / 60_000
    assert abs(labour - (FORM_MIX_COUNTS["forced_labour"] + FORM_MIX_COUNTS["both"]) / total) < 0.01  # 57.8 %
    sexual = pc.sum(pc.equal(flat, "sexual_exploitation")).as_py() / 60_000
    assert abs(sexual - (FORM_MIX_COUNTS["sexual_exploitation"] + FORM_MIX_COUNTS["both"]) / total) < 0.01  # 13.1 %
    assert pc.sum(pc.equal(pc.list_value_length(records.cases["forms"]), 2)).as_py() > 0  # some have two forms


def test_measures_look_like_a_referral_mechanism(records: MonitoringRecords) -> None:
    measures = records.measures
    kind = measures["measure_type"]

    def persons_with(condition: object) -> int:
        return pc.count_distinct(pc.filter(measures["case_key"], condition)).as_py()

    detained = persons_with(pc.equal(kind, "detention"))
    assert 0.02 < detained / 60_000 < 0.1  # a minority
    offers = measures.filter(pc.equal(kind, "support_offer"))
    conditional = pc.sum(pc.fill_null(offers["fact_conditional_on_cooperation"], False)).as_py()
    assert 0 < conditional < 0.06 * offers.num_rows  # mostly unconditional
    compensation = measures.filter(pc.equal(kind, "compensation"))
    claimed = pc.sum(pc.greater(pc.fill_null(compensation["fact_amount_claimed"], 0), 0)).as_py()
    paid = pc.sum(pc.greater(pc.fill_null(compensation["fact_amount_paid"], 0), 0)).as_py()
    assert 0 < paid < claimed < 0.1 * 60_000
    violations = pc.sum(pc.equal(measures["outcome"], "violation")).as_py()
    overridden = pc.sum(measures["overridden"]).as_py()
    assert 0 < overridden < violations < 0.2 * measures.num_rows
    assert set(pc.unique(compensation["currency"]).to_pylist()) == {"EUR", "USD", "GBP"}


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="n_cases"):
        generate(-1, start=START, end=END)
    with pytest.raises(ValueError, match="before start"):
        generate(10, start=END, end=START)
    assert generate(0, start=START, end=END).cases.num_rows == 0
