"""Stored records. Identity lives only in Person, sealed field by field under the case's data key;
everything else uses the case reference."""

from rightsfirst.web.models.audit import AuditEvent
from rightsfirst.web.models.cases import Case, CaseRestriction, Referral, StageChange
from rightsfirst.web.models.erasure import ErasureRequest
from rightsfirst.web.models.monitoring import DatabaseLedger, PrivacyBudget, PrivacySpend
from rightsfirst.web.models.organisation import Agency, ApiToken, Membership
from rightsfirst.web.models.people import IDENTITY_FIELDS, IDENTITY_PARTS, Person
from rightsfirst.web.models.records import Consent, Deadline, Measure, Screening, ServiceEvent
from rightsfirst.web.models.search import SearchToken
from rightsfirst.web.models.security import (
    Approval,
    EmergencyAccess,
    OversightAlert,
    RecoveryCode,
    RecoveryCodeDevice,
    SecurityKey,
    SecurityKeyAttestation,
)

__all__ = [
    "IDENTITY_FIELDS",
    "IDENTITY_PARTS",
    "Agency",
    "ApiToken",
    "Approval",
    "AuditEvent",
    "Case",
    "CaseRestriction",
    "Consent",
    "DatabaseLedger",
    "Deadline",
    "EmergencyAccess",
    "ErasureRequest",
    "Measure",
    "Membership",
    "OversightAlert",
    "Person",
    "PrivacyBudget",
    "PrivacySpend",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "Referral",
    "Screening",
    "SearchToken",
    "SecurityKey",
    "SecurityKeyAttestation",
    "ServiceEvent",
    "StageChange",
]
