"""Stored records. Identity lives only in Person, sealed field by field under the case's data key;
everything else uses the case reference."""

from rightsfirst.web.models.audit import AuditEvent
from rightsfirst.web.models.cases import Case, Referral, StageChange
from rightsfirst.web.models.organisation import Agency, ApiToken, Membership
from rightsfirst.web.models.people import IDENTITY_FIELDS, Person
from rightsfirst.web.models.records import Consent, Deadline, Measure, Screening, ServiceEvent
from rightsfirst.web.models.search import SearchToken

__all__ = [
    "IDENTITY_FIELDS",
    "Agency",
    "ApiToken",
    "AuditEvent",
    "Case",
    "Consent",
    "Deadline",
    "Measure",
    "Membership",
    "Person",
    "Referral",
    "Screening",
    "SearchToken",
    "ServiceEvent",
    "StageChange",
]
