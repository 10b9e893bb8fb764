"""Enrollment domain: the rules for registering BPU participants, their heirs and
their contributions, and what those contributions protect. Pure: no I/O, no clock."""

from services.enrollment.domain.contributions import (
    ContributionDue,
    check_payment,
    contribution_due,
)
from services.enrollment.domain.coverage import (
    Coverage,
    DateRange,
    Payment,
    coverage_on,
    is_protected_on,
    protected_periods,
)
from services.enrollment.domain.heirs import Heir, validate_heirs
from services.enrollment.domain.nik import validate_nik
from services.enrollment.domain.participant import Registration, register_participant
from services.enrollment.domain.period import Period
from services.enrollment.domain.phone import normalize_phone

__all__ = [
    "ContributionDue",
    "Coverage",
    "DateRange",
    "Heir",
    "Payment",
    "Period",
    "Registration",
    "check_payment",
    "contribution_due",
    "coverage_on",
    "is_protected_on",
    "normalize_phone",
    "protected_periods",
    "register_participant",
    "validate_heirs",
    "validate_nik",
]
