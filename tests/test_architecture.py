"""Structural rules: the engine is pure Python with no web framework and no clock."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "rightsfirst"
PURE = [*sorted((PACKAGE / "engine").glob("*.py")), *sorted((PACKAGE / "framework").glob("*.py"))]
MONITORING = sorted((PACKAGE / "monitoring").rglob("*.py"))


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


def test_monitoring_never_imports_django() -> None:
    # Indicators, disclosure control and exchange take records in and give tables out; the web
    # application extracts the records and shows the tables.
    assert MONITORING
    for path in MONITORING:
        assert "django" not in _imports(path), path


def test_the_engine_never_reads_the_clock() -> None:
    for path in PURE:
        text = path.read_text(encoding="utf-8")
        for call in ("date.today(", "datetime.now(", "time.time("):
            assert call not in text, f"{path.name} calls {call}: the date must be an argument"


def test_the_engine_does_not_reach_into_the_command_line() -> None:
    for path in PURE:
        assert not {"argparse", "rightsfirst.cli"} & _imports(path), path


WEB = sorted((PACKAGE / "web").rglob("*.py"))
# The web application sees the engine through its public operations, its input specs and its
# results; the rules themselves (screening, entitlement and review internals) stay private.
ENGINE_PUBLIC = {
    "rightsfirst.engine",
    "rightsfirst.engine.catalogue",
    "rightsfirst.engine.inputs",
    "rightsfirst.engine.measures",
    "rightsfirst.engine.results",
    # The published JSON Schemas of the inputs (docs/schema): the API's schema declares the facts
    # each measure takes from them.
    "rightsfirst.engine.schema",
    "rightsfirst.engine.spec",
}


def _modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_web_uses_only_the_engines_public_surface() -> None:
    assert WEB
    for path in WEB:
        engine_modules = {name for name in _modules(path) if name.startswith("rightsfirst.engine")}
        assert engine_modules <= ENGINE_PUBLIC, f"{path}: {sorted(engine_modules - ENGINE_PUBLIC)}"


def test_pages_assess_stored_cases_only_through_the_adapter() -> None:
    # Views may screen a draft or read specs, but stored cases reach the engine through adapter.py.
    views = sorted((PACKAGE / "web" / "views").glob("*.py"))
    assert views
    for path in views:
        assert "engine.assess(" not in path.read_text(encoding="utf-8"), path


def test_serving_case_pages_loads_no_columnar_or_privacy_library() -> None:
    # Each application worker imports the URL configuration; DuckDB, Arrow, HiGHS and OpenDP are
    # loaded only where statistics are made, or every worker would carry them (memory target).
    import subprocess
    import sys

    code = (
        "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'rightsfirst.web.settings');"
        "django.setup(); import rightsfirst.web.urls;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'duckdb', 'pyarrow', 'highspy', 'opendp', 'pandas'}))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert found.stdout.strip() == "[]", found.stdout + found.stderr
