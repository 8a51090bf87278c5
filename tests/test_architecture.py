"""Structural rules: the engine is pure Python with no web framework and no clock."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "rightsfirst"
PURE = [*sorted((PACKAGE / "engine").glob("*.py")), *sorted((PACKAGE / "framework").glob("*.py"))]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_engine_and_framework_never_import_django() -> None:
    for path in PURE:
        assert "django" not in _imports(path), path


def test_the_engine_never_reads_the_clock() -> None:
    for path in PURE:
        text = path.read_text(encoding="utf-8")
        for call in ("date.today(", "datetime.now(", "time.time("):
            assert call not in text, f"{path.name} calls {call}: the date must be an argument"


def test_the_engine_does_not_reach_into_the_command_line() -> None:
    for path in PURE:
        assert not {"argparse", "rightsfirst.cli"} & _imports(path), path
