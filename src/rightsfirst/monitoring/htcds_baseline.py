"""The HTCDS k-anonymous export written plainly in pandas: the reference the DuckDB one is held to.

Same mapping, same steps, same order as htcds.export_htcds, but written the plain way: pandas
string operations for the mapping, and a group-by over every record at each step (export_htcds
maps in DuckDB and suppresses on Arrow dictionary codes, over the distinct combinations only).
Tests require both to give the same table; the benchmark times both in the same run
(`compare_with_pandas`).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from rightsfirst.monitoring.ages import AGE_BANDS, CHILD_AGE_BANDS
from rightsfirst.monitoring.htcds import FORMULA_PATTERN, export_htcds
from rightsfirst.monitoring.htcds_codes import CODE_LISTS
from rightsfirst.monitoring.htcds_mapping import (
    ACTUAL,
    ADULT,
    ADULT_AGE_BANDS,
    FORM_TO_EXPLOITATION,
    GENDER_NOT_KNOWN,
    MINOR,
    NOT_A_VICTIM,
    POSSIBLE,
    PRESUMING_FINDINGS,
    SEX_TO_GENDER,
    STAGE_TO_CASE_STATUS,
    ExportResult,
    KAnonymityPolicy,
)
from rightsfirst.monitoring.records import MonitoringRecords

# np.select's default for "no value": an object array holding None (its stubs take no bare None).
NO_VALUE = np.array(None, dtype=object)


def _objects(series: pd.Series) -> pd.Series:
    """The column with None for every missing value, as plain Python objects."""
    values = series.astype(object)
    return values.where(values.notna(), None)


def map_with_pandas(cases: pa.Table) -> pd.DataFrame:
    """The export's columns for every case, before k-anonymisation (one row per case, same order)."""
    frame = cases.to_pandas()
    index = frame.index
    referred = pd.to_datetime(frame["referred_on"])
    year = referred.dt.year
    mapped = pd.DataFrame(index=index)
    mapped["ext_ReferralYear"] = _objects(year.astype("Int64").astype(str).where(year.notna()))
    region = _objects(frame["region"])
    formula = region.str.match(FORMULA_PATTERN, na=False).astype(bool)
    region = region.where(~formula, "'" + region.astype(str))
    mapped["ext_Region"] = _objects(region.where(region != "", None))
    band = _objects(frame["age_band"])
    mapped["ext_AgeBand"] = _objects(band.where(band.isin(AGE_BANDS), None))
    child = frame["child"].astype(object).eq(True)
    mapped["ext_MajorityStatus"] = _objects(
        pd.Series(
            np.select(
                [child | band.isin(sorted(CHILD_AGE_BANDS)), band.isin(ADULT_AGE_BANDS)],
                [MINOR, ADULT],
                default=NO_VALUE,
            ),
            index=index,
        )
    )
    mapped["prs_Gender"] = _objects(_objects(frame["sex"]).map(SEX_TO_GENDER).fillna(GENDER_NOT_KNOWN))
    nationality = _objects(frame["nationality"]).str.upper()
    mapped["prs_Citizenship"] = _objects(nationality.where(nationality.str.fullmatch("[A-Z]{2}", na=False), None))
    mapped["vic_TypeOfExploitation"] = _exploitation(frame["forms"], index)
    identified = pd.to_datetime(frame["identified_on"])
    not_identified = pd.to_datetime(frame["not_identified_on"])
    presumed = pd.to_datetime(frame["presumed_on"])
    finding = _objects(frame["finding"])
    mapped["vic_TraffickingStatus"] = _objects(
        pd.Series(
            np.select(
                [
                    identified.notna() & (not_identified.isna() | (identified >= not_identified)),
                    not_identified.notna(),
                    presumed.notna() | finding.isin(PRESUMING_FINDINGS),
                ],
                [ACTUAL, NOT_A_VICTIM, POSSIBLE],
                default=NO_VALUE,
            ),
            index=index,
        )
    )
    mapped["cas_Status"] = _objects(_objects(frame["stage"]).map(STAGE_TO_CASE_STATUS))
    return mapped


def _exploitation(forms: pd.Series, index: pd.Index) -> pd.Series:
    exploded = forms.explode()
    codes = exploded.map(FORM_TO_EXPLOITATION)
    joined = pd.Series("", index=index, dtype=object)
    for code in CODE_LISTS["vic_TypeOfExploitation"]:
        present = codes.eq(code).groupby(level=0).any().reindex(index, fill_value=False)
        joined = joined.where(~present, joined + ";" + code)
    joined = joined.str.lstrip(";")
    return _objects(joined.where(joined != "", None))


def _class_sizes(work: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """For each record, how many records share all its quasi-identifier values (empty counts as a value)."""
    if not columns:
        return np.full(len(work), len(work))
    ids = work.groupby(columns, dropna=False, sort=False).ngroup().to_numpy()
    sizes: np.ndarray = np.bincount(ids)[ids]
    return sizes


def export_htcds_with_pandas(records: MonitoringRecords, policy: KAnonymityPolicy | None = None) -> ExportResult:
    """The same table as htcds.export_htcds, computed record by record in pandas."""
    policy = policy or KAnonymityPolicy()
    k = policy.k
    mapped = map_with_pandas(records.cases)
    columns = list(policy.quasi_identifier_columns())
    work = mapped[columns].copy()
    for name in columns:
        counts = work[name].map(work[name].value_counts(dropna=True))
        work.loc[counts.lt(k).fillna(False).astype(bool), name] = None
    for name in policy.suppression_order():
        small = _class_sizes(work, columns) < k
        work.loc[small, name] = None
    kept = _class_sizes(work, columns) >= k
    result = mapped.loc[kept, list(policy.columns())].copy()
    for name in columns:
        result[name] = work.loc[kept, name]
    table = pa.table({name: pa.array(_objects(result[name]).tolist(), type=pa.string()) for name in policy.columns()})
    withheld = {
        name: int(mapped.loc[kept, name].notna().sum() - work.loc[kept, name].notna().sum()) for name in columns
    }
    return ExportResult(
        table=table,
        policy=policy,
        rows_in=records.cases.num_rows,
        rows_dropped=records.cases.num_rows - table.num_rows,
        generalised_age=withheld.pop("ext_AgeBand", 0),
        suppressed=withheld,
    )


@dataclass(frozen=True)
class Comparison:
    """Median seconds of each implementation over the same records, in the same run."""

    records: int
    duckdb_seconds: float
    pandas_seconds: float
    identical: bool

    @property
    def ratio(self) -> float:
        """How many times faster the DuckDB export is than the pandas one."""
        return self.pandas_seconds / self.duckdb_seconds if self.duckdb_seconds else float("inf")


def compare_with_pandas(
    records: MonitoringRecords, policy: KAnonymityPolicy | None = None, *, repeats: int = 3
) -> Comparison:
    """Time both exports `repeats` times each (alternating) and check they give the same table."""
    durations: dict[str, list[float]] = {"duckdb": [], "pandas": []}
    results: dict[str, ExportResult] = {}
    for _ in range(max(1, repeats)):
        for name, function in (("duckdb", export_htcds), ("pandas", export_htcds_with_pandas)):
            started = time.perf_counter()
            results[name] = function(records, policy)
            durations[name].append(time.perf_counter() - started)
    return Comparison(
        records=records.cases.num_rows,
        duckdb_seconds=statistics.median(durations["duckdb"]),
        pandas_seconds=statistics.median(durations["pandas"]),
        identical=same_export(results["duckdb"], results["pandas"]),
    )


def same_export(first: ExportResult, second: ExportResult) -> bool:
    """Whether two exports hold the same table and withheld the same."""
    return (
        first.table.equals(second.table)
        and first.rows_dropped == second.rows_dropped
        and first.generalised_age == second.generalised_age
        and dict(first.suppressed) == dict(second.suppressed)
    )
