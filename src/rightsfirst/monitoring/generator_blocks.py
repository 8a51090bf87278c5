"""Building blocks of the synthetic records: sampling, string and list columns from integer
codes, and the per-type blocks of measures assembled into the measures table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rightsfirst.engine.measures import TYPE_FIELDS
from rightsfirst.monitoring.records import OUTCOMES

Codes = np.ndarray  # integer codes into a vocabulary; -1 is null


def _fact_vocabularies() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for _description, fields in TYPE_FIELDS.values():
        for spec in fields:
            if spec.kind == "choice":
                known = found.setdefault(spec.name, [])
                known += [choice for choice in spec.choices or () if choice not in known]
    return {name: tuple(values) for name, values in found.items()}


FACT_CHOICES = _fact_vocabularies()


def string_array(codes: np.ndarray, names: Sequence[str]) -> pa.Array:
    """Strings from integer codes into `names`; a negative code is null."""
    codes = np.asarray(codes)
    valid = codes >= 0
    dictionary = pa.array(list(names) or [""], pa.string())
    # take() on the recorded values only, then the full column around the same bytes: most
    # fact columns are null for most measures, and this costs in proportion to the values.
    compact = pc.take(dictionary, pa.array(codes[valid].astype(np.int32)))
    if len(compact) == len(codes):
        return compact
    lengths = np.zeros(len(codes), dtype=np.int32)
    lengths[valid] = np.diff(np.frombuffer(compact.buffers()[1], dtype=np.int32)[: len(compact) + 1])
    offsets = np.zeros(len(codes) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(len(codes), pa.py_buffer(offsets), compact.buffers()[2], validity)


def list_array(offsets: np.ndarray, values: pa.Array) -> pa.Array:
    """A list<string> array from offsets (n + 1 of them) and the flat values."""
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values)


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


K = TypeVar("K")


@dataclass
class Draw:
    """The random generator with the one sampling helper every block uses."""

    rng: np.random.Generator

    def choice(self, names: Sequence[K], weights: Mapping[K, float], size: int) -> Codes:
        """Codes (indices into `names`) drawn with the given weights."""
        p = np.array([weights[name] for name in names], dtype=float)
        return self.rng.choice(len(names), size=size, p=p / p.sum())

    def flag(self, size: int, true: float, false: float) -> tuple[np.ndarray, np.ndarray]:
        """A yes/no fact: (values, recorded); recorded as true, false, or not recorded."""
        u = self.rng.random(size)
        return u < true, u < true + false


@dataclass
class Block:
    """The measures of one type: which case, when, the review, and the recorded facts."""

    measure_type: str
    case_index: np.ndarray
    decided_on: np.ndarray
    facts: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (values, recorded)
    violation: np.ndarray  # bool per measure
    rule: np.ndarray  # the violated rule's label index per measure (into RULE_LABELS), -1 none


@dataclass
class Blocks:
    """All blocks, turned into the measures table at the end."""

    blocks: list[Block] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    agencies: tuple[str, ...] = ()
    agency_of_case: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    draw: Draw | None = None

    def add(self, block: Block) -> None:
        """Keep a block (measures dated after the end were dropped by the caller)."""
        self.blocks.append(block)

    def rule_code(self, measure_type: str, label: str) -> int:
        """The code of a rule id in this table's rule vocabulary."""
        rule_id = f"{measure_type}.{label}"
        if rule_id not in self.rules:
            self.rules.append(rule_id)
        return self.rules.index(rule_id)

    def table(self, schema: pa.Schema) -> pa.Table:
        """The measures table with exactly `schema`."""
        if self.draw is None:
            raise RuntimeError("the measures table is built after the measures were drawn")
        rng = self.draw.rng
        size = sum(len(block.case_index) for block in self.blocks)
        case_index = _joined([b.case_index for b in self.blocks], np.int64)
        types = tuple(TYPE_FIELDS)
        type_code = _joined([np.full(len(b.case_index), types.index(b.measure_type)) for b in self.blocks], np.int64)
        violation = _joined([b.violation for b in self.blocks], np.bool_)
        rule = _joined([b.rule for b in self.blocks], np.int64)
        outcome = np.where(violation, OUTCOMES.index("violation"), np.where(rng.random(size) < 0.2, 1, 0))
        own_agency = rng.random(size) < 0.85
        agency = np.where(own_agency, self.agency_of_case[case_index], rng.integers(0, len(self.agencies), size))
        has_rule = rule >= 0
        offsets = np.zeros(size + 1, dtype=np.int32)
        np.cumsum(has_rule, out=offsets[1:])
        currency = np.full(size, -1)
        columns: dict[str, pa.Array] = {
            "case_key": pa.array(case_index.astype(np.int64) + 1),
            "measure_type": string_array(type_code, types),
            "decided_on": pa.array(_joined([b.decided_on for b in self.blocks], np.int32), pa.date32()),
            "agency": string_array(agency, self.agencies),
            "outcome": string_array(outcome, OUTCOMES),
            "overridden": pa.array(violation & (rng.random(size) < 0.9)),
            "violated_rules": list_array(offsets, string_array(rule[has_rule], self.rules)),
        }
        position = 0
        for block in self.blocks:
            count = len(block.case_index)
            if block.measure_type == "compensation":
                currency[position : position + count] = self.draw.choice(("EUR", "USD", "GBP"), CURRENCIES, count)
            position += count
        columns["currency"] = string_array(currency, tuple(CURRENCIES))
        for schema_field in schema:
            if schema_field.name.startswith("fact_"):
                columns[schema_field.name] = self._fact(
                    schema_field.name.removeprefix("fact_"), schema_field.type, size
                )
        return pa.table(columns, schema=schema)

    def _fact(self, name: str, arrow_type: pa.DataType, size: int) -> pa.Array:
        if not any(name in block.facts for block in self.blocks):
            return pa.nulls(size, arrow_type)
        recorded = np.zeros(size, dtype=bool)
        if pa.types.is_string(arrow_type):
            values: np.ndarray = np.full(size, -1, dtype=np.int32)
        elif pa.types.is_boolean(arrow_type):
            values = np.zeros(size, dtype=bool)
        else:
            values = np.zeros(size, dtype=np.float64)
        position = 0
        for block in self.blocks:
            count = len(block.case_index)
            if name in block.facts:
                block_values, block_recorded = block.facts[name]
                values[position : position + count] = block_values
                recorded[position : position + count] = block_recorded
            position += count
        if pa.types.is_string(arrow_type):
            return string_array(np.where(recorded, values, -1), FACT_CHOICES[name])
        return pa.array(values, arrow_type, mask=~recorded)

    def reflection_days(self, n_cases: int) -> pa.Array:
        """Per case, the longest recovery and reflection period granted (null if none)."""
        longest = np.full(n_cases, -1.0)
        for block in self.blocks:
            if block.measure_type == "reflection_period":
                granted, granted_recorded = block.facts["granted"]
                days, days_recorded = block.facts["days"]
                ok = granted & granted_recorded & days_recorded
                np.maximum.at(longest, block.case_index[ok], days[ok])
        return pa.array(longest.astype(np.int32), pa.int32(), mask=longest < 0)


CURRENCIES = {"EUR": 88, "USD": 9, "GBP": 3}
