"""NIK (Nomor Induk Kependudukan), the 16-digit population number on the KTP.

Layout (UU 24/2013 on population administration and its Permendagri rules):
    PP KK DD  DDMMYY  SSSS
    province, regency/city, district codes; birth date with 40 added to the day for
    women; a 4-digit serial within that district and birth date.
Makassar is 73.71, but workers born or registered elsewhere keep their NIK when they
move, so the region code is checked for shape only, not for being Makassar's.
"""

from __future__ import annotations

from datetime import date

from shared.errors import FieldError

NIK_LENGTH = 16
# Women's day field is day + 40 (01..31 for men, 41..71 for women).
_WOMAN_DAY_OFFSET = 40

LOC = ("nik",)


def validate_nik(nik: object, birth_date: date | None, sex: str | None) -> list[FieldError]:
    """Every way `nik` breaks the NIK layout or disagrees with the stated birth date
    and sex; an empty list means it is consistent.

    `birth_date` or `sex` may be None (or an unknown sex) when that field failed its
    own check: the agreement checks for it are then skipped so one mistake is not
    reported twice.
    """
    if not isinstance(nik, str) or len(nik) != NIK_LENGTH or not nik.isascii() or not nik.isdigit():
        return [FieldError(LOC, "nik_format", "nik_format: a NIK is exactly 16 digits (0-9), as printed on the KTP")]

    errors: list[FieldError] = []
    province, regency, district = nik[0:2], nik[2:4], nik[4:6]
    if "00" in (province, regency, district):
        errors.append(
            FieldError(
                LOC,
                "nik_region_code",
                "nik_region_code: the first 6 digits are province, regency/city and district "
                "codes, none of which is 00",
            )
        )

    day_field, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    is_woman = day_field > _WOMAN_DAY_OFFSET
    day = day_field - _WOMAN_DAY_OFFSET if is_woman else day_field
    if not _is_calendar_date(day, month, yy):
        errors.append(
            FieldError(
                LOC,
                "nik_birth_date_invalid",
                "nik_birth_date_invalid: digits 7-12 are the birth date DDMMYY (day plus 40 "
                "for women) and must be a real date",
            )
        )
    else:
        if birth_date is not None and (day, month, yy) != (
            birth_date.day,
            birth_date.month,
            birth_date.year % 100,
        ):
            errors.append(
                FieldError(
                    LOC,
                    "nik_birth_date_mismatch",
                    "nik_birth_date_mismatch: digits 7-12 of the NIK (DDMMYY, day plus 40 for "
                    "women) must match the birth date given",
                )
            )
        if sex in ("F", "M") and is_woman != (sex == "F"):
            errors.append(
                FieldError(
                    LOC,
                    "nik_sex_mismatch",
                    "nik_sex_mismatch: a woman's NIK carries her birth day plus 40 (41-71), a "
                    "man's the plain day (01-31); this NIK does not match the sex given",
                )
            )

    if nik[12:16] == "0000":
        errors.append(
            FieldError(
                LOC,
                "nik_serial_zero",
                "nik_serial_zero: the last 4 digits are a serial number starting at 0001",
            )
        )
    return errors


def _is_calendar_date(day: int, month: int, yy: int) -> bool:
    # YY does not say the century; 29 February is real if either century makes it so.
    for century in (1900, 2000):
        try:
            date(century + yy, month, day)
            return True
        except ValueError:
            continue
    return False
