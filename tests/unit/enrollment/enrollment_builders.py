"""Builders shared by the enrollment unit tests (not a test module)."""

from __future__ import annotations

from datetime import date
from typing import Any

MAKASSAR_TAMALATE = "737103"  # province 73, city 71 (Makassar), district 03


def nik_for(birth_date: date, sex: str, region: str = MAKASSAR_TAMALATE, serial: str = "0001") -> str:
    day = birth_date.day + (40 if sex == "F" else 0)
    return f"{region}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial}"


def registration_form(**overrides: Any) -> dict[str, Any]:
    """A market trader's enrolment as an officer would submit it; every rule passes."""
    birth_date = overrides.get("birth_date", date(1985, 3, 7))
    sex = overrides.get("sex", "F")
    form: dict[str, Any] = {
        "nik": nik_for(birth_date, sex) if isinstance(birth_date, date) and sex in ("F", "M") else "7371034703850001",
        "full_name": "Sitti Rahmawati",
        "birth_date": birth_date,
        "sex": sex,
        "phone": "0812-4200-1234",
        "kecamatan": "Tamalate",
        "segment": "market_trader",
        "monthly_income": 1_500_000,
        "programs": ["JKK", "JKM"],
        "heirs": [
            {"full_name": "Andi Baso", "relationship": "spouse", "phone": "+6281342001111"},
            {"full_name": "Nurul Aisyah", "relationship": "child", "email": "nurul@example.id", "language": "en"},
        ],
    }
    form.update(overrides)
    return form
