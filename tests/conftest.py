"""Shared fixtures: the framework is loaded once for the whole run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rightsfirst.framework.loader import default_framework
from rightsfirst.framework.model import Framework

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEEDS = ROOT.parent / "shared" / "seeds"
AT = dt.date(2026, 3, 2)


@pytest.fixture(scope="session")
def framework() -> Framework:
    return default_framework()
