"""A pengaduan (grievance) and its rules: categories and their deadlines, who owns it,
resolution, reopening, escalation when late. Pure: handed `today`, no I/O.

    open --supervisor resolves--> resolved --family or officer reopens (≤ 14 days)--> open
    open, past its deadline --sweep--> open and escalated (once per opening)

Grievance redress as social-protection systems run it (openIMIS, OpenSPP, HOPE): a ticket
with a category, a deadline, an owner, the family told at each step, reopening allowed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from services.grievances.domain.calendar import add_working_days
from shared.contracts.grievances import GRIEVANCE_CATEGORIES, Contact
from shared.errors import FieldError, RuleViolation

# Resolution deadline in working days by category: Jaring's defaults, set in settings
# (GRIEVANCES_RESOLUTION_WORKING_DAYS) and documented in docs/grievances.md. Short where the
# family waits for money it is owed (delay) or for a wrong record to be put right; longer
# where a decision has to be looked at again (a rejected claim, a disputed heir).
DEFAULT_RESOLUTION_WORKING_DAYS: dict[str, int] = {
    "wrong_heir": 10,
    "amount": 10,
    "delay": 5,
    "rejected_claim": 14,
    "data_correction": 5,
    "other": 10,
}
REOPEN_WINDOW_DAYS = 14  # calendar days after the resolution (the "reopen within 14 days")
TEXT_MIN, TEXT_MAX = 5, 2000


@dataclass(frozen=True)
class Grievance:
    grievance_id: str
    category: str
    channel: str  # web, sms, whatsapp, officer
    status: str  # open, resolved
    text: str
    filed_by: str
    assigned_to: str
    filed_on: date
    due_on: date
    claim_id: str | None = None
    participant_id: str | None = None
    contact: Contact | None = None
    escalated_to: str | None = None
    resolution: str | None = None
    resolved_by: str | None = None
    resolved_on: date | None = None
    reopen_count: int = 0


def check_filing(category: str, text: str, claim_id: str | None, participant_id: str | None) -> None:
    errors: list[FieldError] = []
    if category not in GRIEVANCE_CATEGORIES:
        errors.append(
            FieldError(
                ("category",),
                "category_unknown",
                f"category_unknown: category is one of {', '.join(GRIEVANCE_CATEGORIES)}",
            )
        )
    length = len((text or "").strip())
    if not TEXT_MIN <= length <= TEXT_MAX:
        errors.append(
            FieldError(
                ("text",), "text_length", f"text_length: say what went wrong in {TEXT_MIN} to {TEXT_MAX} characters"
            )
        )
    if not claim_id and not participant_id:
        errors.append(
            FieldError(
                ("claim_id",), "subject_required", "subject_required: link the grievance to a claim or a participant"
            )
        )
    if errors:
        raise RuleViolation(errors)


def resolution_due(
    category: str, filed_on: date, working_days: Mapping[str, int], holidays: Collection[date] = frozenset()
) -> date:
    return add_working_days(filed_on, working_days.get(category, DEFAULT_RESOLUTION_WORKING_DAYS[category]), holidays)


def choose_supervisor(supervisors: Sequence[str], open_counts: Mapping[str, int]) -> str:
    """The supervisor with the fewest open grievances; ties go to the first listed, so
    the choice is the same wherever it is made."""
    if not supervisors:
        raise ValueError("at least one supervisor must be configured")
    return min(supervisors, key=lambda s: (open_counts.get(s, 0), supervisors.index(s)))


def resolve(grievance: Grievance, resolution: str, resolved_by: str, today: date) -> Grievance:
    errors: list[FieldError] = []
    if grievance.status != "open":
        errors.append(
            FieldError(
                ("status",),
                "grievance_not_open",
                f"grievance_not_open: only an open grievance is resolved; this one is {grievance.status}",
            )
        )
    if not resolution or not resolution.strip():
        errors.append(
            FieldError(
                ("resolution",),
                "resolution_required",
                "resolution_required: say what was done, in words the family understands",
            )
        )
    if errors:
        raise RuleViolation(errors)
    return replace(
        grievance, status="resolved", resolution=resolution.strip(), resolved_by=resolved_by, resolved_on=today
    )


def reopen_until(resolved_on: date) -> date:
    return resolved_on + timedelta(days=REOPEN_WINDOW_DAYS)


def reopen(
    grievance: Grievance, today: date, working_days: Mapping[str, int], holidays: Collection[date] = frozenset()
) -> Grievance:
    """Back to open with a fresh deadline counted from today, and a fresh chance to escalate."""
    if grievance.status != "resolved" or grievance.resolved_on is None:
        raise RuleViolation(
            [
                FieldError(
                    ("status",),
                    "grievance_not_resolved",
                    "grievance_not_resolved: only a resolved grievance can be reopened",
                )
            ]
        )
    if today > reopen_until(grievance.resolved_on):
        raise RuleViolation(
            [
                FieldError(
                    ("status",),
                    "reopen_window_passed",
                    f"reopen_window_passed: a grievance can be reopened within {REOPEN_WINDOW_DAYS} days of its "
                    f"resolution (until {reopen_until(grievance.resolved_on).isoformat()}); file a new one",
                )
            ]
        )
    return replace(
        grievance,
        status="open",
        due_on=resolution_due(grievance.category, today, working_days, holidays),
        escalated_to=None,
        resolution=None,
        resolved_by=None,
        resolved_on=None,
        reopen_count=grievance.reopen_count + 1,
    )


def is_overdue(grievance: Grievance, today: date) -> bool:
    """Open past its deadline day and not escalated yet: the sweep escalates it once."""
    return grievance.status == "open" and today > grievance.due_on and grievance.escalated_to is None
