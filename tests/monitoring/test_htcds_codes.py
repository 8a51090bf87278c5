"""Our encoding of HTCDS 2.0 against the machine-readable copy of the standard in ../shared/data/htcds."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from rightsfirst.monitoring.htcds_codes import (
    CODE_LISTS,
    EXTENSION_VALUES,
    FIELD_ALIASES,
    FIELDS,
    VALUE_ALIASES,
    header_lookup,
    normalised,
    value_lookup,
)
from tests.conftest import ROOT

STANDARD = ROOT.parent / "shared" / "data" / "htcds"
FIELDS_CSV = STANDARD / "htcds-2.0-fields.csv"
CODES_CSV = STANDARD / "htcds-2.0-codelists.csv"

needs_standard = pytest.mark.skipif(
    not (FIELDS_CSV.exists() and CODES_CSV.exists()),
    reason=f"the HTCDS 2.0 reference lists are not at {STANDARD} (the shared data folder beside the repository)",
)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@needs_standard
def test_the_fields_are_the_standards_with_their_types_status_and_core_flag() -> None:
    standard = _rows(FIELDS_CSV)
    assert len(standard) == 83 == len(FIELDS)
    assert [row["field"] for row in standard] == list(FIELDS)
    for row in standard:
        ours = FIELDS[row["field"]]
        assert (ours.standard_type, ours.status, ours.core) == (row["type"], row["status"], row["core"] == "yes"), row
        assert row["field"] == row["prefix"] + row["name"]
        assert ours.table + "_" == row["prefix"]


@needs_standard
def test_the_code_lists_are_the_standards_value_for_value_in_order() -> None:
    standard: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in _rows(CODES_CSV):
        standard[row["field"]].append((int(row["order"]), row["value_name"]))
    assert sum(len(values) for values in standard.values()) == 182
    assert set(standard) == set(CODE_LISTS)
    for name, values in standard.items():
        assert tuple(value for _order, value in sorted(values)) == CODE_LISTS[name], name
    # Every code list belongs to a field whose type is a picklist.
    for name in CODE_LISTS:
        assert "Picklist" in FIELDS[name].standard_type


@needs_standard
def test_every_label_of_the_standard_is_read_as_its_value_name() -> None:
    checked = 0
    for row in _rows(CODES_CSV):
        label = row["value_label"]
        field = FIELDS[row["field"]]
        if ";" in label and field.kind == "multiselect":
            continue  # a ';' inside a label would split a multiselect cell (ISIC titles E, G, O, T)
        assert value_lookup(field)[normalised(label)] == row["value_name"], (row["field"], label)
        checked += 1
    assert checked >= 178


def test_the_aliases_point_at_values_and_fields_that_exist() -> None:
    for name, aliases in VALUE_ALIASES.items():
        allowed = set(CODE_LISTS[name]) | set(EXTENSION_VALUES.get(name, ()))
        assert set(aliases.values()) <= allowed, name
    for alias, name in FIELD_ALIASES.items():
        assert name in FIELDS and alias not in FIELDS
    # The definitions document's names for methods of control, and its extra value.
    controls = value_lookup(FIELDS["vic_MethodsOfControl"])
    assert controls[normalised("Threats")] == "PhysicalThreats"
    assert controls[normalised("ThreatOfLawEnforcement")] == "ThreatsLawEnforcement"
    assert controls[normalised("PsychoactiveSubstances")] == "PsychoactiveSubstance"
    assert controls[normalised("UsesChildren")] == "ThreatensChildrenFamily"
    assert controls[normalised("RestrictsMovement")] == "RestrictsMovement"
    assert controls[normalised("DebtBondage ")] == "DebtBondage"


def test_headers_from_the_standards_templates_are_recognised() -> None:
    lookup = header_lookup()
    assert lookup[normalised("vic_TraffickinStatusDecisionMakingOrg")] == "vic_TraffickingStatusDecisionMakingOrg"
    assert lookup[normalised("prs_First_Name")] == "prs_FirstName"
    assert lookup[normalised("prs_Second_Name")] == "prs_SecondName"
    assert lookup[normalised("vic_Methods_of_Control")] == "vic_MethodsOfControl"
    # No two fields collapse into the same normalised header.
    assert len({normalised(name) for name in FIELDS}) == len(FIELDS)
