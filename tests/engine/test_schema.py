"""The JSON Schemas in docs/schema/ are the ones the code declares, and real data fits them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from referencing import Registry, Resource

from rightsfirst.engine import assess, case_from_data, measure_from_data, situation_from_data
from rightsfirst.engine.schema import all_schemas
from rightsfirst.framework.model import Framework
from tests.conftest import AT, EXAMPLES, ROOT
from tests.engine.strategies import cases, measures, situations

SCHEMA_DIR = ROOT / "docs" / "schema"
SCHEMAS = all_schemas()
REGISTRY: Registry = Registry().with_resources(
    (name, Resource.from_contents(schema)) for name, schema in SCHEMAS.items()
)


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SCHEMAS[name], registry=REGISTRY, format_checker=jsonschema.FormatChecker())


def _json_ready(data: Any) -> Any:
    # YAML gives dates as date objects; JSON documents carry them as text.
    return json.loads(json.dumps(data, default=str))


def test_the_committed_schemas_match_the_code() -> None:
    committed = {path.name for path in SCHEMA_DIR.glob("*.json")}
    assert committed == set(SCHEMAS), "run `make docs` to regenerate docs/schema/"
    for name, schema in SCHEMAS.items():
        assert json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8")) == schema, name


def test_the_schemas_are_valid_json_schema() -> None:
    for schema in SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_example_fits_the_case_document_schema(path: Path) -> None:
    data = _json_ready(yaml.safe_load(path.read_text(encoding="utf-8")))
    validator("case-document.v1.json").validate(data)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_example_result_fits_the_result_schema(path: Path, framework: Framework) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = assess(
        AT,
        situation_from_data(data["situation"], "situation") if "situation" in data else None,
        None,
        case_from_data(data["case"]) if "case" in data else None,
        [measure_from_data(item) for item in data.get("measures", [])],
        framework,
    )
    validator("assessment-result.v1.json").validate(result.to_json())


@settings(max_examples=150, deadline=None)
@given(situations(), cases(), measures())
def test_generated_inputs_and_their_results_fit_the_schemas(
    situation: dict[str, Any], case: dict[str, Any], measure: dict[str, Any]
) -> None:
    validator("situation.v1.json").validate(situation)
    validator("case.v1.json").validate(case)
    validator("measure.v1.json").validate(measure)
    result = assess(AT, situation_from_data(situation), None, case_from_data(case), [measure_from_data(measure)])
    validator("assessment-result.v1.json").validate(result.to_json())


def test_the_schema_rejects_what_the_engine_rejects() -> None:
    bad = {"actions": ["kidnapping"]}
    with pytest.raises(jsonschema.ValidationError):
        validator("situation.v1.json").validate(bad)


def test_the_rule_catalogue_in_docs_matches_the_code(framework: Framework) -> None:
    from rightsfirst.engine.catalogue import rules_markdown

    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(framework), "run `make docs` to regenerate docs/rules.md"
