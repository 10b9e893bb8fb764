"""Telling a family what is missing: who is told, when a notice is new, when the reminder is due.

When verification refers a claim for missing documents, the reporter and the first-rank heirs
with a contact are told (the first rank is who is paid, PP 44/2015 art. 37(5), 40(2)); one
reminder follows 3 working days later while anything is still missing; none once the
documents arrived. Pure: handed the heirs and `today`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from services.grievances.domain.calendar import add_working_days
from shared.contracts.grievances import FamilyContact

REMINDER_AFTER_WORKING_DAYS = 3


@dataclass(frozen=True)
class HeirContact:
    heir_id: str
    precedence: int
    phone: str | None
    email: str | None
    language: str = "id"


def _language(code: str) -> Literal["id", "en"]:
    """English only when the heir chose it; anything else gets Bahasa Indonesia."""
    return "en" if code == "en" else "id"


def recipients(heirs: Sequence[HeirContact], reporter_phone: str | None) -> list[FamilyContact]:
    """The first rank of heirs present that have a phone or an email, then the reporter unless
    the reporter's phone is already one of theirs (one person, one message)."""
    ranked = [h for h in heirs if h.precedence >= 1]
    first = min((h.precedence for h in ranked), default=None)
    told = [
        FamilyContact(heir_id=h.heir_id, phone=h.phone, email=h.email, language=_language(h.language))
        for h in sorted(ranked, key=lambda h: h.heir_id)
        if h.precedence == first and (h.phone or h.email)
    ]
    if reporter_phone and reporter_phone not in {c.phone for c in told}:
        told.append(FamilyContact(heir_id="reporter", phone=reporter_phone))
    return told


def is_new_request(previously_missing: Collection[str] | None, missing: Collection[str]) -> bool:
    """A notice goes out when something is missing and the list is not the one already told."""
    return bool(missing) and set(missing) != set(previously_missing or ())


def reminder_on(requested_on: date, holidays: Collection[date] = frozenset()) -> date:
    return add_working_days(requested_on, REMINDER_AFTER_WORKING_DAYS, holidays)
