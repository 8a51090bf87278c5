"""JSON Schemas of the engine's inputs (from their specs) and results (declared here).

`rightsfirst schema --write docs/schema` regenerates docs/schema/; a test fails when the
committed files differ from what the code declares, so the documented contract is the real one.
"""

from __future__ import annotations

from typing import Any

from rightsfirst.engine.document import DOCUMENT_SPEC
from rightsfirst.engine.inputs import (
    ACTIONS,
    CASE_SPEC,
    MEANS,
    PERSON_SPEC,
    PURPOSES,
    SITUATION_SCHEMA_VERSION,
    SITUATION_SPEC,
)
from rightsfirst.engine.measures import ALIASES, MEASURE_SCHEMA_VERSION, MEASURE_SPECS, MEASURE_TYPES
from rightsfirst.engine.results import RESULT_SCHEMA_VERSION
from rightsfirst.engine.spec import json_schema

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://rightsfirst.example/schema/"


def _doc(name: str, version: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DRAFT, "$id": f"{BASE}{name}.v{version}.json", **schema}


def _measure_schema() -> dict[str, Any]:
    variants = []
    for measure_type in MEASURE_TYPES:
        schema = json_schema(MEASURE_SPECS[measure_type])
        aliases = [alias for alias, target in ALIASES.items() if target == measure_type]
        schema["properties"]["type"] = {"enum": [measure_type, *aliases], "description": "The measure type."}
        schema["required"] = ["type"]
        variants.append(schema)
    return {
        "title": f"measure (version {MEASURE_SCHEMA_VERSION})",
        "description": "A decision or act concerning the person. Leave a fact out when it is not known.",
        "oneOf": variants,
    }


_STRINGS = {"type": "array", "items": {"type": "string"}}
_DATE = {"type": ["string", "null"], "format": "date"}
_CITATIONS = {
    "type": "array",
    "items": {"type": "string", "pattern": r"^(TIP|RPG|HRS|FS36)\."},
    "description": "Provision ids.",
}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


_STAMP = {
    "at": {"type": "string", "format": "date"},
    "framework_version": {"type": "string"},
    "profile": {"type": "string"},
}

ELEMENT = _object(
    {
        "status": {"enum": ["met", "not_met", "unknown", "not_required"]},
        "facts": {"type": "array", "items": {"enum": sorted({*ACTIONS, *MEANS, *PURPOSES})}},
        "probable": {"type": "boolean"},
        "indicated_by": _STRINGS,
        "reason": {"type": "string"},
        "citations": _CITATIONS,
    },
    "One element of the definition.",
)

SCREENING_RESULT = _object(
    {
        "schema": {"const": f"rightsfirst.screening-result/{RESULT_SCHEMA_VERSION}"},
        "finding": {
            "enum": ["established", "presumed", "insufficient_information", "not_established", "smuggling_only"]
        },
        "treated_as_child": {"type": "boolean"},
        "age_basis": {
            "enum": [
                "established_age",
                "age_at_action",
                "presumption_of_age",
                "age_not_known",
                "no_reason_to_believe_child",
            ]
        },
        "elements": _object({"action": ELEMENT, "means": ELEMENT, "purpose": ELEMENT}),
        "missing_facts": {
            "type": "array",
            "items": _object(
                {
                    "field": {"type": "string"},
                    "element": {"enum": ["action", "means", "purpose", "age"]},
                    "question": {"type": "string"},
                    "why": {"type": "string"},
                }
            ),
        },
        "related_practices": {
            "type": "array",
            "items": _object({"practice": {"type": "string"}, "reason": {"type": "string"}, "citations": _CITATIONS}),
        },
        "indicators": {
            "anyOf": [
                {"type": "null"},
                _object(
                    {
                        "sets": _STRINGS,
                        "positive_dimensions": _STRINGS,
                        "suggests": _object(
                            {
                                "action": {"type": "boolean"},
                                "means": {"type": "boolean"},
                                "purpose": {"type": "boolean"},
                            }
                        ),
                        "grades_verified": {"type": "boolean"},
                        "dimensions": {
                            "type": "array",
                            "items": _object(
                                {
                                    "dimension": {"type": "string"},
                                    "title": {"type": "string"},
                                    "positive": {"type": "boolean"},
                                    "counts": _object(
                                        {
                                            "strong": {"type": "integer"},
                                            "medium": {"type": "integer"},
                                            "weak": {"type": "integer"},
                                        }
                                    ),
                                    "indicator_set": {"type": "string"},
                                    "bears_on": {"enum": ["means", "purpose"]},
                                    "indicators": _STRINGS,
                                }
                            ),
                        },
                    }
                ),
            ]
        },
        "notes": _STRINGS,
        "citations": _CITATIONS,
        "explanation": {"type": "string"},
        **_STAMP,
    },
    "The result of screen(situation, at).",
)

ENTITLEMENT = _object(
    {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "basis": _CITATIONS,
        "condition": {"type": "string"},
        "duty_bearer": {"type": "string"},
        "applies": {"type": "boolean"},
        "reason": {"type": "string"},
        "status": {"enum": ["pending", "offered", "accepted", "refused", "delivered", "not_applicable"]},
        "due": _DATE,
        "starts": _DATE,
        "ends": _DATE,
        "ends_when": {"type": ["string", "null"]},
        "overdue": {"type": "boolean"},
        "conditional_on_cooperation": {"const": False},
        "may_be_refused": {"type": "boolean"},
    }
)

ENTITLEMENTS_RESULT = _object(
    {
        "schema": {"const": f"rightsfirst.entitlements-result/{RESULT_SCHEMA_VERSION}"},
        "victim_status": {"enum": ["identified", "presumed", "possible", "not_established"]},
        "treated_as_child": {"type": "boolean"},
        "entitlements": {"type": "array", "items": ENTITLEMENT},
        "notes": _STRINGS,
        "citations": _CITATIONS,
        **_STAMP,
    },
    "The result of entitlements(person, case, at).",
)

REVIEW_RESULT = _object(
    {
        "schema": {"const": f"rightsfirst.review-result/{RESULT_SCHEMA_VERSION}"},
        "measure_type": {"enum": list(MEASURE_TYPES)},
        "measure_date": _DATE,
        "outcome": {"enum": ["violation", "requires_justification", "ok"]},
        "findings": {
            "type": "array",
            "minItems": 1,
            "items": _object(
                {
                    "rule": {"type": "string"},
                    "outcome": {"enum": ["violation", "requires_justification", "ok"]},
                    "reason": {"type": "string"},
                    "citations": {**_CITATIONS, "minItems": 1},
                    "missing": _STRINGS,
                }
            ),
        },
        "missing": _STRINGS,
        "citations": _CITATIONS,
        "explanation": {"type": "string"},
        "assumptions": _STRINGS,
        **_STAMP,
    },
    "The result of review(measure, context).",
)

ASSESSMENT_RESULT = _object(
    {
        "schema": {"const": f"rightsfirst.assessment-result/{RESULT_SCHEMA_VERSION}"},
        "screening": {"anyOf": [{"type": "null"}, SCREENING_RESULT]},
        "entitlements": ENTITLEMENTS_RESULT,
        "reviews": {"type": "array", "items": REVIEW_RESULT},
        "outcome": {"enum": ["violation", "requires_justification", "ok"]},
        "citations": _CITATIONS,
        **_STAMP,
    },
    "The result of assess(...): the three together for one case.",
)


def all_schemas() -> dict[str, dict[str, Any]]:
    """Every schema, keyed by its file name in docs/schema/."""
    document = json_schema(DOCUMENT_SPEC)
    document["properties"]["situation"] = {"$ref": f"situation.v{SITUATION_SCHEMA_VERSION}.json"}
    document["properties"]["person"] = {"$ref": "person.v1.json"}
    document["properties"]["case"] = {"$ref": "case.v1.json"}
    document["properties"]["measures"] = {"type": "array", "items": {"$ref": f"measure.v{MEASURE_SCHEMA_VERSION}.json"}}
    document["properties"]["expected"] = {
        "description": "Expected results, checked by the test suite; ignored by the engine."
    }
    return {
        f"situation.v{SITUATION_SCHEMA_VERSION}.json": _doc(
            "situation", SITUATION_SCHEMA_VERSION, json_schema(SITUATION_SPEC)
        ),
        "person.v1.json": _doc("person", "1", json_schema(PERSON_SPEC)),
        "case.v1.json": _doc("case", "1", json_schema(CASE_SPEC)),
        f"measure.v{MEASURE_SCHEMA_VERSION}.json": _doc("measure", MEASURE_SCHEMA_VERSION, _measure_schema()),
        "case-document.v1.json": _doc("case-document", "1", document),
        f"screening-result.v{RESULT_SCHEMA_VERSION}.json": _doc(
            "screening-result", RESULT_SCHEMA_VERSION, SCREENING_RESULT
        ),
        f"entitlements-result.v{RESULT_SCHEMA_VERSION}.json": _doc(
            "entitlements-result", RESULT_SCHEMA_VERSION, ENTITLEMENTS_RESULT
        ),
        f"review-result.v{RESULT_SCHEMA_VERSION}.json": _doc("review-result", RESULT_SCHEMA_VERSION, REVIEW_RESULT),
        f"assessment-result.v{RESULT_SCHEMA_VERSION}.json": _doc(
            "assessment-result", RESULT_SCHEMA_VERSION, ASSESSMENT_RESULT
        ),
    }
