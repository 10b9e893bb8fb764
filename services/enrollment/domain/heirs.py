"""Heirs (ahli waris): who receives JKM and JKK death benefits, and in what order.

PP 44/2015 art. 37(5) (JKK) and art. 40(2) (JKM) rank heirs:
  (1) widow, widower or child;
  (2) failing them, blood relatives in the direct line up or down to the second
      degree: parents, then grandchildren, then grandparents;
  (3) siblings; (4) parents-in-law;
  (5) whoever the participant named in a will (a notarial deed).
Group (2) is itself ordered, which makes seven ranks here. The first rank present
is paid; the rank is always derived from the relationship, never taken from the
caller, so a request cannot move an heir up the order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TypeGuard

from services.enrollment.domain.phone import normalize_phone
from shared.contracts.vocabulary import HEIR_PRECEDENCE
from shared.errors import FieldError, RuleViolation

# Ranks of PP 44/2015 art. 37(5) and 40(2): the one table claims reads too (shared vocabulary).
PRECEDENCE: dict[str, int] = HEIR_PRECEDENCE
RELATIONSHIPS: tuple[str, ...] = tuple(PRECEDENCE)
LANGUAGES: tuple[str, ...] = ("id", "en")
DEFAULT_LANGUAGE = "id"

# Basic shape only (something@domain.tld, no spaces): whether a mailbox exists is
# learnt by sending to it, not by a stricter pattern.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")

Language = Literal["id", "en"]


@dataclass(frozen=True)
class Heir:
    full_name: str
    relationship: str
    phone: str | None  # E.164
    email: str | None
    language: Language
    precedence: int
    # Optional: a minor's share is paid through a wali, and the scholarship ends at 23.
    birth_date: date | None = None


def validate_heirs(raw_heirs: Sequence[Mapping[str, Any]], today: date) -> list[Heir]:
    """The heirs as Jaring stores them; raises one RuleViolation naming every broken
    field as ("heirs", index, field).

    An empty list is allowed: the regulation foresees a participant with no heir (the
    funeral cost then goes to whoever handled the burial), and a worker should not be
    kept out of protection for lack of one. Several spouses are allowed too: a
    polygamous marriage can be lawful (UU 1/1974 art. 3-5), and every widow is a
    rank-1 heir. A "precedence" key in the input is ignored (see module doc).
    """
    if isinstance(raw_heirs, (str, bytes, Mapping)) or not isinstance(raw_heirs, Sequence):
        raise RuleViolation([FieldError(("heirs",), "heirs_format", "heirs_format: heirs is a list")])
    heirs: list[Heir] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(raw_heirs):
        heir, heir_errors = _validate_heir(index, raw, today)
        errors.extend(heir_errors)
        if heir is not None:
            heirs.append(heir)
    if errors:
        raise RuleViolation(errors)
    return heirs


def _validate_heir(index: int, raw: object, today: date) -> tuple[Heir | None, list[FieldError]]:
    def loc(name: str) -> tuple[str | int, ...]:
        return ("heirs", index, name)

    if not isinstance(raw, Mapping):
        return None, [FieldError(("heirs", index), "heir_format", "heir_format: each heir is an object")]
    errors: list[FieldError] = []

    full_name = raw.get("full_name")
    if not isinstance(full_name, str) or not full_name.strip():
        errors.append(
            FieldError(
                loc("full_name"),
                "full_name_required",
                "full_name_required: give the heir's full name as on the KTP or KK",
            )
        )

    relationship = raw.get("relationship")
    if relationship not in PRECEDENCE:
        errors.append(
            FieldError(
                loc("relationship"),
                "heir_relationship_unknown",
                f"heir_relationship_unknown: relationship must be one of {', '.join(RELATIONSHIPS)}",
            )
        )

    # A contact is optional: elderly parents and small children often have neither, and
    # the heir statement and the family card (KK) prove the tie, not a phone. Messages go
    # to the heirs (and the claim's reporter) who can be reached.
    phone = _blank_to_none(raw.get("phone"))
    email = _blank_to_none(raw.get("email"))
    if phone is not None:
        try:
            phone = normalize_phone(phone, loc("phone"))
        except RuleViolation as violation:
            errors.extend(violation.errors)
    if email is not None:
        email = email.strip() if isinstance(email, str) else email
        if not isinstance(email, str) or not _EMAIL.match(email):
            errors.append(
                FieldError(loc("email"), "email_invalid", "email_invalid: give an email address such as nama@contoh.id")
            )

    birth_date, birth_errors = _heir_birth_date(raw.get("birth_date"), loc("birth_date"), today)
    errors.extend(birth_errors)

    language = raw.get("language") or DEFAULT_LANGUAGE
    if language not in LANGUAGES:
        errors.append(
            FieldError(
                loc("language"),
                "heir_language_unknown",
                "heir_language_unknown: messages are sent in 'id' (Bahasa Indonesia) or 'en' (English)",
            )
        )

    if errors:
        return None, errors
    # No rule broke, so every field has the type its rule checked; the asserts say so to the type checker.
    assert isinstance(full_name, str) and isinstance(relationship, str) and _is_language(language)
    assert (phone is None or isinstance(phone, str)) and (email is None or isinstance(email, str))
    return Heir(
        full_name=" ".join(full_name.split()),
        relationship=relationship,
        phone=phone,
        email=email,
        language=language,
        precedence=PRECEDENCE[relationship],
        birth_date=birth_date,
    ), []


# Nobody alive and named on a KK today was born before 1900; an earlier year is a typing mistake.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def _heir_birth_date(value: object, loc: tuple[str | int, ...], today: date) -> tuple[date | None, list[FieldError]]:
    """An heir's birth date (optional): a date or ISO text, not after today, not before 1900."""
    value = _blank_to_none(value)
    if value is None:
        return None, []
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            pass
    # A datetime is an instant, not a date.
    if not isinstance(value, date) or isinstance(value, datetime):
        return None, [
            FieldError(loc, "birth_date_format", "birth_date_format: birth_date is a date written YYYY-MM-DD")
        ]
    if value > today:
        return None, [
            FieldError(loc, "birth_date_in_future", "birth_date_in_future: the heir's birth date cannot be after today")
        ]
    if value < EARLIEST_BIRTH_DATE:
        return None, [
            FieldError(
                loc,
                "birth_date_before_1900",
                "birth_date_before_1900: the heir's birth date cannot be before 1900-01-01",
            )
        ]
    return value, []


def _is_language(value: object) -> TypeGuard[Language]:
    return value in LANGUAGES


def _blank_to_none(value: object) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value
