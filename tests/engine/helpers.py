"""Small builders shared by the engine tests."""

from __future__ import annotations

from typing import Any

from rightsfirst.engine import ScreeningResult, screen, situation_from_data
from rightsfirst.framework.model import Framework
from tests.conftest import AT


def screened(framework: Framework, **facts: Any) -> ScreeningResult:
    """Screen a situation given as keyword facts (person=..., actions=..., ...)."""
    return screen(situation_from_data(facts), AT, framework)


ADULT = {"age": 30}
CHILD = {"age": 15}
