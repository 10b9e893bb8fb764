"""Heirs a reviewer names on a death claim, from the heir statement (surat keterangan
ahli waris) and the family card, and the guardians (wali) of minor heirs.

The relationship words and their rank of PP 44/2015 art. 37(5), 40(2) are data in
shared.contracts.vocabulary (HEIR_PRECEDENCE), the same table enrollment ranks by; the
rank is always derived from the relationship, never taken from the caller. A contact is
optional: elderly parents and small children often have neither phone nor email, and
the statement and the KK prove the tie, not a phone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.claims.domain.claim import Guardian
from services.claims.domain.participant import AGE_OF_MAJORITY, HeirView, age_on
from shared.contracts.vocabulary import HEIR_PRECEDENCE, RELATIONSHIPS
from shared.errors import FieldError

_E164_ID = re.compile(r"^\+62\d{8,12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class NamedHeir:
    full_name: str
    relationship: str
    birth_date: date | None
    phone: str | None = None
    email: str | None = None
    language: str = "id"

    @property
    def precedence(self) -> int:
        return HEIR_PRECEDENCE[self.relationship]


def named_heir_errors(index: int, heir: NamedHeir, today: date) -> list[FieldError]:
    def loc(name: str) -> tuple[str | int, ...]:
        return ("heirs", index, name)

    errors: list[FieldError] = []
    if not heir.full_name.strip():
        errors.append(
            FieldError(
                loc("full_name"),
                "full_name_required",
                "full_name_required: give the heir's full name as on the KTP or KK",
            )
        )
    if heir.relationship not in HEIR_PRECEDENCE:
        errors.append(
            FieldError(
                loc("relationship"),
                "heir_relationship_unknown",
                f"heir_relationship_unknown: relationship is one of {', '.join(RELATIONSHIPS)}",
            )
        )
    if heir.birth_date is not None and heir.birth_date > today:
        errors.append(
            FieldError(
                loc("birth_date"), "birth_date_in_future", "birth_date_in_future: a birth date is on or before today"
            )
        )
    if heir.phone is not None and not _E164_ID.match(heir.phone):
        errors.append(
            FieldError(
                loc("phone"),
                "phone_invalid",
                "phone_invalid: give the heir's phone in E.164, e.g. +6281234567890, or none",
            )
        )
    if heir.email is not None and not _EMAIL.match(heir.email):
        errors.append(
            FieldError(
                loc("email"), "email_invalid", "email_invalid: give an email address such as nama@contoh.id, or none"
            )
        )
    return errors


def guardian_errors(guardians: Mapping[str, Guardian], heirs: Sequence[HeirView], today: date) -> list[FieldError]:
    """A wali is named for a minor heir of this participant (under 18 today) and has a name."""
    known = {heir.heir_id: heir for heir in heirs}
    errors: list[FieldError] = []
    for heir_id, guardian in guardians.items():
        heir = known.get(heir_id)
        if heir is None:
            errors.append(
                FieldError(
                    ("guardians", heir_id),
                    "heir_unknown",
                    "heir_unknown: no heir with this id; add the heir to the claim first",
                )
            )
        elif heir.birth_date is None:
            errors.append(
                FieldError(
                    ("guardians", heir_id),
                    "heir_birth_date_unknown",
                    "heir_birth_date_unknown: a wali is for a minor, and this heir's birth date is not recorded",
                )
            )
        elif age_on(heir.birth_date, today) >= AGE_OF_MAJORITY:
            errors.append(
                FieldError(
                    ("guardians", heir_id),
                    "guardian_for_adult",
                    f"guardian_for_adult: the heir is {age_on(heir.birth_date, today)}; a wali is "
                    f"named for an heir under {AGE_OF_MAJORITY}, an adult is paid directly",
                )
            )
        if not guardian.name.strip():
            errors.append(
                FieldError(
                    ("guardians", heir_id, "name"),
                    "guardian_name_required",
                    "guardian_name_required: give the wali's full name",
                )
            )
        if not guardian.relationship.strip():
            errors.append(
                FieldError(
                    ("guardians", heir_id, "relationship"),
                    "guardian_relationship_required",
                    "guardian_relationship_required: say who the wali is to the child (ibu, paman, kakek)",
                )
            )
    return errors
