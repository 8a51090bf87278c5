"""Field specifications: one declaration gives both input validation and the JSON Schema.

Input reaches the engine as plain JSON/YAML data. Each object type is declared once as an
`ObjectSpec`; `parse_object` validates data against it (reporting the field path and the
allowed values on error) and `json_schema` renders the same declaration as JSON Schema, so
the documented contract and the checks cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class InputError(ValueError):
    """Bad input: names the field path, what was wrong and what is allowed."""

    def __init__(self, path: str, problem: str, allowed: tuple[str, ...] = ()) -> None:
        self.path = path or "(top level)"
        self.problem = problem
        self.allowed = allowed
        message = f"{self.path}: {problem}"
        if allowed:
            message += f" (allowed: {', '.join(allowed)})"
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of an input object."""

    name: str
    kind: str  # bool, number, date, text, choice, choices, texts, number_range, object, objects
    description: str
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    obj: ObjectSpec | None = None
    required: bool = False


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """An input object: its fields, and keys that are accepted but carry no facts."""

    name: str
    description: str
    fields: tuple[FieldSpec, ...]
    ignored_keys: frozenset[str] = frozenset()
    descriptive: bool = False  # top-level objects of a file accept descriptive keys

    def field_names(self) -> tuple[str, ...]:
        """The names of the declared fields, in declaration order."""
        return tuple(spec.name for spec in self.fields)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _number(value: Any, spec: FieldSpec, path: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(path, f"expected a number, got {_type_name(value)} {value!r}")
    if spec.minimum is not None and value < spec.minimum:
        raise InputError(path, f"{value} is below the minimum {spec.minimum:g}")
    if spec.maximum is not None and value > spec.maximum:
        raise InputError(path, f"{value} is above the maximum {spec.maximum:g}")
    return value


def parse_date(value: Any, path: str) -> dt.date:
    """A date from YAML (already a date) or JSON (ISO text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(path, f"expected a date as YYYY-MM-DD, got {value!r}")


def _choice(value: Any, spec: FieldSpec, path: str) -> str:
    if not isinstance(value, str):
        raise InputError(path, f"expected one of the listed values, got {_type_name(value)}", spec.choices)
    chosen: str = spec.aliases.get(value, value)
    if chosen not in spec.choices:
        raise InputError(path, f"{chosen!r} is not a known value", spec.choices)
    return chosen


def _parse_value(value: Any, spec: FieldSpec, path: str) -> Any:
    kind = spec.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise InputError(path, f"expected true or false, got {_type_name(value)} {value!r}")
        return value
    if kind == "number":
        return _number(value, spec, path)
    if kind == "date":
        return parse_date(value, path)
    if kind == "text":
        if not isinstance(value, str):
            raise InputError(path, f"expected text, got {_type_name(value)}")
        return value
    if kind == "choice":
        return _choice(value, spec, path)
    if kind in {"choices", "texts"}:
        if not isinstance(value, list):
            raise InputError(
                path,
                f"expected a list, got {_type_name(value)} (use [] for 'looked for, none found' "
                "and leave the key out for 'not known')",
                spec.choices,
            )
        items: set[str] = set()
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if kind == "choices":
                items.add(_choice(item, spec, item_path))
            elif not isinstance(item, str) or not item.strip():
                raise InputError(item_path, f"expected non-empty text, got {_type_name(item)}")
            else:
                items.add(item.strip())
        # Sorted so that results never depend on the order facts were listed in.
        return tuple(sorted(items))
    if kind == "number_range":
        if not isinstance(value, list) or len(value) != 2:
            raise InputError(path, "expected a list of two numbers [min, max]")
        low = _number(value[0], spec, f"{path}[0]")
        high = _number(value[1], spec, f"{path}[1]")
        if low > high:
            raise InputError(path, f"the minimum {low} is above the maximum {high}")
        return (low, high)
    if kind == "object":
        assert spec.obj is not None
        return parse_object(spec.obj, value, path)
    if kind == "objects":
        assert spec.obj is not None
        if not isinstance(value, list):
            raise InputError(path, f"expected a list, got {_type_name(value)}")
        return tuple(parse_object(spec.obj, item, f"{path}[{index}]") for index, item in enumerate(value))
    raise AssertionError(f"unknown field kind {kind}")


# Descriptive keys anyone may add to an input file; they carry no facts and are ignored, as is any
# key starting with "expected" (test files record the results they expect that way).
DESCRIPTIVE_KEYS = frozenset({"id", "name", "title", "description", "notes", "comment", "source", "scenario", "label"})


def is_descriptive(key: str) -> bool:
    """A key that describes the input instead of stating facts."""
    return key in DESCRIPTIVE_KEYS or key.startswith("expected")


def parse_object(spec: ObjectSpec, data: Any, path: str = "") -> dict[str, Any]:
    """Validate `data` against `spec`; missing or null fields come back as None."""
    if not isinstance(data, dict):
        raise InputError(path, f"expected a mapping of fields ({spec.name}), got {_type_name(data)}")
    known = {item.name: item for item in spec.fields}
    for key in data:
        if key not in known and key not in spec.ignored_keys and not (spec.descriptive and is_descriptive(str(key))):
            raise InputError(
                _join(path, str(key)),
                f"unknown field in {spec.name}",
                tuple(sorted(known)),
            )
    result: dict[str, Any] = {}
    for name, item in known.items():
        value = data.get(name)
        if value is None:
            if item.required:
                raise InputError(_join(path, name), "this field is required")
            result[name] = None
        else:
            result[name] = _parse_value(value, item, _join(path, name))
    return result


def _schema_for(spec: FieldSpec) -> dict[str, Any]:
    kind = spec.kind
    schema: dict[str, Any]
    if kind == "bool":
        schema = {"type": "boolean"}
    elif kind == "number":
        schema = {"type": "number"}
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
        if spec.maximum is not None:
            schema["maximum"] = spec.maximum
    elif kind == "date":
        schema = {"type": "string", "format": "date"}
    elif kind == "text":
        schema = {"type": "string"}
    elif kind == "choice":
        schema = {"type": "string", "enum": [*spec.choices, *spec.aliases]}
    elif kind == "choices":
        schema = {"type": "array", "items": {"type": "string", "enum": [*spec.choices, *spec.aliases]}}
    elif kind == "texts":
        schema = {"type": "array", "items": {"type": "string", "minLength": 1}}
    elif kind == "number_range":
        item: dict[str, Any] = {"type": "number"}
        if spec.minimum is not None:
            item["minimum"] = spec.minimum
        if spec.maximum is not None:
            item["maximum"] = spec.maximum
        schema = {"type": "array", "items": item, "minItems": 2, "maxItems": 2}
    elif kind == "object":
        assert spec.obj is not None
        schema = json_schema(spec.obj)
    elif kind == "objects":
        assert spec.obj is not None
        schema = {"type": "array", "items": json_schema(spec.obj)}
    else:  # pragma: no cover - guarded by parse
        raise AssertionError(kind)
    if not spec.required:
        schema = {"anyOf": [schema, {"type": "null"}]}
    schema["description"] = spec.description
    return schema


def json_schema(spec: ObjectSpec) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12 vocabulary) for an object spec."""
    properties: dict[str, Any] = {item.name: _schema_for(item) for item in spec.fields}
    ignored = set(spec.ignored_keys) | (set(DESCRIPTIVE_KEYS) if spec.descriptive else set())
    for key in sorted(ignored):
        properties.setdefault(key, {"description": "Accepted and ignored by the engine."})
    schema: dict[str, Any] = {
        "type": "object",
        "title": spec.name,
        "description": spec.description,
        "properties": properties,
        "additionalProperties": False,
    }
    if spec.descriptive:
        schema["patternProperties"] = {"^expected": {"description": "Expected results; ignored by the engine."}}
    required = [item.name for item in spec.fields if item.required]
    if required:
        schema["required"] = required
    return schema
