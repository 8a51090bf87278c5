"""The rights engine: pure functions from facts (and a date) to cited results.

No Django, no database, no clock: the date is always an argument.
"""

from rightsfirst.engine.assessment import assess, entitlements, review, screen
from rightsfirst.engine.document import Document, document_from_data
from rightsfirst.engine.inputs import (
    Case,
    Person,
    Proceeding,
    ServiceRecord,
    Situation,
    Smuggling,
    case_from_data,
    person_from_data,
    situation_from_data,
)
from rightsfirst.engine.measures import MEASURE_TYPES, Measure, measure_from_data
from rightsfirst.engine.results import (
    Assessment,
    EntitlementsResult,
    ReviewResult,
    ScreeningResult,
)
from rightsfirst.engine.spec import InputError

__all__ = [
    "MEASURE_TYPES",
    "Assessment",
    "Case",
    "Document",
    "EntitlementsResult",
    "InputError",
    "Measure",
    "Person",
    "Proceeding",
    "ReviewResult",
    "ScreeningResult",
    "ServiceRecord",
    "Situation",
    "Smuggling",
    "assess",
    "case_from_data",
    "document_from_data",
    "entitlements",
    "measure_from_data",
    "person_from_data",
    "review",
    "screen",
    "situation_from_data",
]
