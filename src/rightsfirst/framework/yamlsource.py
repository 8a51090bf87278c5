"""Strict YAML reading that remembers where every value came from.

The framework files are law as data: a silently ignored duplicate key or a mistyped date
would change what the engine says. So the reader refuses duplicate keys and reports every
problem with the file and line it found it on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml makes loading several times faster; the pure-Python parser is the fallback.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class FrameworkError(Exception):
    """A framework file is broken. The message names the file, the line and the problem."""

    def __init__(self, file: str, line: int | None, problem: str) -> None:
        self.file = file
        self.line = line
        self.problem = problem
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class Located:
    """A value read from YAML together with the line it started on (1-based)."""

    value: Any
    line: int


def _convert(node: yaml.Node, file: str, constructor: yaml.SafeLoader) -> Located:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Located] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, file, constructor).value
            if not isinstance(key, str):
                raise FrameworkError(file, key_node.start_mark.line + 1, f"key {key!r} is not text")
            if key in result:
                raise FrameworkError(file, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            # A mapping entry is reported at its key's line: that is where a reader looks.
            result[key] = Located(_convert(value_node, file, constructor).value, key_node.start_mark.line + 1)
        return Located(result, line)
    if isinstance(node, yaml.SequenceNode):
        return Located([_convert(item, file, constructor) for item in node.value], line)
    assert isinstance(node, yaml.ScalarNode)
    try:
        value = constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError) as error:
        # ValueError: a date-shaped value that is no real day, such as 2020-02-30.
        raise FrameworkError(file, line, f"cannot read value {node.value!r}: {error}") from None
    return Located(value, line)


def read_yaml(path: Path, display_name: str | None = None) -> Located:
    """Read one YAML file strictly; every mapping and list value is wrapped in `Located`."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise FrameworkError(name, None, f"cannot read file: {error.strerror}") from None
    return read_yaml_text(text, name)


def read_yaml_text(text: str, name: str) -> Located:
    """Parse YAML text strictly (see `read_yaml`)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise FrameworkError(name, line, f"not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise FrameworkError(name, None, f"not valid YAML: {error}") from None
    if node is None:
        raise FrameworkError(name, None, "the file is empty")
    return _convert(node, name, yaml.SafeLoader(""))


def plain(located: Located) -> Any:
    """Strip the line information, giving ordinary dicts, lists and scalars."""
    value = located.value
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def as_date(located: Located, file: str, field: str) -> dt.date:
    """Return the value as a date, or fail naming the file and line."""
    value = located.value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise FrameworkError(file, located.line, f"{field}: {value!r} is not a date (YYYY-MM-DD)")
