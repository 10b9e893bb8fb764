""" "Lacak Klaim": a family looks a claim up with its number and a phone recorded on it.

Pure rules: the one-time code (6 digits, 5 minutes, stored only as an HMAC), the lock after
5 wrong codes (15 minutes, per claim number), the rate limits (per phone, per client
address), and which phones a claim knows. Answers never tell a claim that exists from one
that does not: a lock, a limit and a wrong code look the same for both.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from phonenumbers import PhoneNumberFormat

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
MAX_WRONG_CODES = 5
LOCK_FOR = timedelta(minutes=15)
# A verified lookup lets the family file a grievance from the page for this long.
VERIFIED_FOR = timedelta(minutes=30)
# Claims numbers its claims "CL-" and 12 hex digits; families type them in any case.
_CLAIM_NUMBER = re.compile(r"([A-Za-z]{1,5})-([0-9A-Za-z]{4,32})")


def normalize_phone(raw: str) -> str | None:
    """E.164 of a number as a family types it (0812…, +62 812…, 62812…), or None."""
    try:
        number = phonenumbers.parse((raw or "").strip(), "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def mask_phone(phone: str) -> str:
    """For logs and pages: the last 3 digits only."""
    return "•" * max(len(phone) - 3, 0) + phone[-3:]


def clean_claim_number(raw: str) -> str | None:
    """The claim number as claims writes it (prefix upper case, the rest lower case), or None."""
    found = _CLAIM_NUMBER.fullmatch((raw or "").strip())
    return f"{found.group(1).upper()}-{found.group(2).lower()}" if found else None


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(secret: str, lookup_id: str, code: str) -> str:
    """Keyed with the service's secret and bound to the lookup: a stolen table gives neither
    the codes nor a way to try them offline without the key."""
    return hmac.new(secret.encode(), f"{lookup_id}:{code}".encode(), hashlib.sha256).hexdigest()


class CodeCheck(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"


@dataclass(frozen=True)
class PendingLookup:
    lookup_id: str
    claim_number: str
    stored_hash: str | None  # None: the phone is not on that claim (or no such claim); no code was sent
    expires_at: datetime
    used: bool


def check_code(
    lookup: PendingLookup | None, code: str, secret: str, locked_until: datetime | None, now: datetime
) -> CodeCheck:
    if locked_until is not None and now < locked_until:
        return CodeCheck.LOCKED
    if lookup is None:
        return CodeCheck.WRONG
    if lookup.used or now >= lookup.expires_at:
        return CodeCheck.EXPIRED
    # Always compute and compare, also for a lookup that sent no code: the same work either way.
    given = code_hash(secret, lookup.lookup_id, (code or "").strip())
    expected = lookup.stored_hash or code_hash(secret, lookup.lookup_id, "no-code-was-sent")
    if hmac.compare_digest(given, expected) and lookup.stored_hash is not None:
        return CodeCheck.OK
    return CodeCheck.WRONG


def after_wrong_code(wrong_so_far: int, now: datetime) -> tuple[int, datetime | None]:
    """(wrong codes counted, locked until): the fifth wrong code locks the claim's lookup
    for 15 minutes and starts the count again."""
    wrong = wrong_so_far + 1
    if wrong >= MAX_WRONG_CODES:
        return 0, now + LOCK_FOR
    return wrong, None


@dataclass(frozen=True)
class RateLimit:
    limit: int
    window: timedelta

    def allows(self, recent: int) -> bool:
        """`recent`: requests already made in the window."""
        return recent < self.limit


@dataclass(frozen=True)
class PhoneOnClaim:
    """Who a recorded phone belongs to on a claim: an heir (heir_id) or the reporter."""

    heir_id: str
    phone: str
    language: str = "id"


def person_with_phone(phone: str, people: Iterable[PhoneOnClaim]) -> PhoneOnClaim | None:
    """The heir with this phone, else the reporter with it; heirs first, since an heir
    sees their own share and the reporter sees none."""
    matches = [p for p in people if p.phone == phone]
    heirs = [p for p in matches if p.heir_id != "reporter"]
    found = heirs or matches
    return found[0] if found else None
