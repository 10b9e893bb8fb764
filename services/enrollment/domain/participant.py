"""Registering a BPU participant: every rule at once, every broken one reported.

An officer enrolling a worker at a market stall fixes all mistakes in one pass, so
register_participant collects every FieldError into a single RuleViolation instead
of stopping at the first. The bulk import of the city's lists runs the same function
per row, so a row is accepted or refused for the same reasons as a form.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, TypeGuard

from services.enrollment.domain.contributions import PROGRAMS, income_errors, programs_errors
from services.enrollment.domain.heirs import Heir, validate_heirs
from services.enrollment.domain.nik import validate_nik
from services.enrollment.domain.phone import normalize_phone
from services.enrollment.domain.places import KECAMATAN, SEGMENTS, canonical_kecamatan
from services.reported_rules import reported
from shared.errors import FieldError, RuleViolation
from shared.privacy import mask_nik

SEXES: tuple[str, ...] = ("F", "M")

# Age on the membership start date. 15 is the lowest age Jaring enrols (the age from
# which UU 13/2003 art. 68-69 stops treating work as child labour only allowed as
# light work). The upper bound is only reported, so it lives in the reported-rules table.
MIN_AGE_AT_MEMBERSHIP = 15
MAX_AGE_AT_MEMBERSHIP = reported("bpu_max_age_at_membership")


@dataclass(frozen=True)
class Registration:
    """A participant as enrolled. The NIK is left out of repr so that logging a
    Registration never writes a full NIK (shared/privacy.py); use `nik_masked`."""

    nik: str = field(repr=False)
    full_name: str
    birth_date: date
    sex: Literal["F", "M"]
    phone: str  # E.164
    kecamatan: str  # official spelling, one of places.KECAMATAN
    segment: str
    monthly_income: int  # declared, whole rupiah
    programs: tuple[str, ...]  # in the order of contributions.PROGRAMS
    heirs: tuple[Heir, ...]
    member_since: date

    @property
    def nik_masked(self) -> str:
        return mask_nik(self.nik)


def register_participant(data: Mapping[str, Any], today: date) -> Registration:
    """A Registration from request or import-row fields, or one RuleViolation with
    every broken rule. `member_since` defaults to `today` (the registration date);
    workers imported from the city's lists carry their own."""
    errors: list[FieldError] = []

    full_name = data.get("full_name")
    if not isinstance(full_name, str) or not full_name.strip():
        errors.append(
            FieldError(("full_name",), "full_name_required", "full_name_required: give the full name as on the KTP")
        )

    sex = data.get("sex")
    if sex not in SEXES:
        errors.append(FieldError(("sex",), "sex_unknown", "sex_unknown: sex is 'F' or 'M', as on the KTP"))
        sex = None

    member_since = _date_field(data, "member_since", errors, default=today)
    if member_since is not None and member_since > today:
        errors.append(
            FieldError(
                ("member_since",),
                "member_since_in_future",
                "member_since_in_future: membership cannot start after today",
            )
        )
        member_since = None

    birth_date = _date_field(data, "birth_date", errors)
    if birth_date is not None:
        errors.extend(_birth_date_errors(birth_date, member_since or today, today))

    nik = data.get("nik")
    # The NIK is compared with the birth date only when the birth date is itself a
    # real date; a wrong birth date is then reported once, on birth_date.
    errors.extend(validate_nik(nik, birth_date, sex))

    phone = None
    raw_phone = data.get("phone")
    if raw_phone is None or (isinstance(raw_phone, str) and not raw_phone.strip()):
        errors.append(
            FieldError(
                ("phone",),
                "phone_required",
                "phone_required: give the participant's Indonesian mobile number",
            )
        )
    else:
        try:
            phone = normalize_phone(raw_phone, ("phone",))
        except RuleViolation as violation:
            errors.extend(violation.errors)

    kecamatan = canonical_kecamatan(data.get("kecamatan"))
    if kecamatan is None:
        errors.append(
            FieldError(
                ("kecamatan",),
                "kecamatan_unknown",
                f"kecamatan_unknown: kecamatan must be one of Makassar's {len(KECAMATAN)} "
                f"kecamatan: {', '.join(KECAMATAN)}",
            )
        )

    segment = data.get("segment")
    if segment not in SEGMENTS:
        errors.append(
            FieldError(
                ("segment",),
                "segment_unknown",
                f"segment_unknown: segment must be one of {', '.join(SEGMENTS)}",
            )
        )

    monthly_income = data.get("monthly_income")
    errors.extend(income_errors(monthly_income))

    programs = _normalized_programs(data.get("programs"))
    errors.extend(programs_errors(programs))

    heirs: list[Heir] = []
    try:
        heirs = validate_heirs(data.get("heirs") or [], today)
    except RuleViolation as violation:
        errors.extend(violation.errors)

    if errors:
        raise RuleViolation(errors)
    # No rule broke, so every field has the type its rule checked; the asserts say so to the type checker.
    assert isinstance(nik, str) and isinstance(full_name, str) and _is_sex(sex)
    assert birth_date is not None and member_since is not None and phone is not None and kecamatan is not None
    assert isinstance(segment, str) and isinstance(monthly_income, int) and isinstance(programs, Collection)
    return Registration(
        nik=nik,
        full_name=" ".join(full_name.split()),
        birth_date=birth_date,
        sex=sex,
        phone=phone,
        kecamatan=kecamatan,
        segment=segment,
        monthly_income=monthly_income,
        programs=tuple(p for p in PROGRAMS if p in programs),
        heirs=tuple(heirs),
        member_since=member_since,
    )


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day` (a birthday counts from the day itself)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _birth_date_errors(birth_date: date, membership_start: date, today: date) -> list[FieldError]:
    if birth_date > today:
        return [
            FieldError(
                ("birth_date",), "birth_date_in_future", "birth_date_in_future: the birth date cannot be after today"
            )
        ]
    # Age is taken when membership started: a worker imported with an old
    # member_since was enrolled at the age they had then.
    age = age_on(birth_date, membership_start)
    if age < MIN_AGE_AT_MEMBERSHIP:
        return [
            FieldError(
                ("birth_date",),
                "age_below_minimum",
                f"age_below_minimum: a participant is at least {MIN_AGE_AT_MEMBERSHIP} years old "
                f"when membership starts",
            )
        ]
    if age > MAX_AGE_AT_MEMBERSHIP:
        return [
            FieldError(
                ("birth_date",),
                "age_above_maximum",
                f"age_above_maximum: a participant is at most {MAX_AGE_AT_MEMBERSHIP} years old when membership starts",
            )
        ]
    return []


def _date_field(
    data: Mapping[str, Any],
    name: str,
    errors: list[FieldError],
    default: date | None = None,
) -> date | None:
    """A date given as a date or as ISO text (YYYY-MM-DD); None after recording an error."""
    value = data.get(name)
    if value is None and default is not None:
        return default
    # A datetime is an instant, not a date: taking its date part would silently pick
    # a timezone.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.append(FieldError((name,), f"{name}_format", f"{name}_format: {name} is a date written YYYY-MM-DD"))
    return None


def _is_sex(value: object) -> TypeGuard[Literal["F", "M"]]:
    return value in SEXES


def _normalized_programs(programs: object) -> object:
    # "jkk" and " JKM " mean JKK and JKM; anything else is left for programs_errors.
    if isinstance(programs, (list, tuple, set, frozenset)):
        return [p.strip().upper() if isinstance(p, str) else p for p in programs]
    return programs
