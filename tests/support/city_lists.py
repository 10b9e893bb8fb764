"""The city's worker lists as CSV, generated: what the bulk import reads.

Shared by the import tests and bench/enrollment_import.py, so the benchmark measures
the same kind of file the tests check. Every generated worker passes the enrolment
rules; tests break rows on purpose where they need to.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from services.enrollment.domain.places import KECAMATAN
from services.enrollment.imports import COLUMNS

# Roughly how Makassar's informal workers split (market traders and daily workers
# first); only the spread matters here, not the exact shares.
SEGMENT_WEIGHTS: dict[str, int] = {
    "market_trader": 35,
    "daily_worker": 25,
    "micro_business": 15,
    "driver": 15,
    "fisher": 5,
    "other": 5,
}
FIRST_NAMES_F = (
    "Sitti",
    "Nurhayati",
    "Rahmawati",
    "Fatimah",
    "Jumriah",
    "Haslinda",
    "Kasmawati",
    "Sukmawati",
    "Herlina",
    "Hasnah",
    "Nurul",
    "Andi Tenri",
)
FIRST_NAMES_M = (
    "Muhammad",
    "Syamsul",
    "Hasanuddin",
    "Basri",
    "Ridwan",
    "Irfan",
    "Syahrul",
    "Muliadi",
    "Arifin",
    "Andi Baso",
    "Daeng Ngai",
    "Abdul",
)
FAMILY_NAMES = (
    "Rahman",
    "Syamsuddin",
    "Amir",
    "Hamzah",
    "Latif",
    "Saleh",
    "Tahir",
    "Yusuf",
    "Halim",
    "Nurdin",
    "Mappiare",
    "Sulaiman",
    "Djalil",
    "Paewa",
    "Mattulada",
)
STREETS = (
    "Jl. Sultan Alauddin",
    "Jl. Veteran Selatan",
    "Jl. Perintis Kemerdekaan",
    "Jl. Urip Sumoharjo",
    "Jl. AP Pettarani",
    "Jl. Cendrawasih",
    "Jl. Sungai Saddang",
    "Pasar Terong",
    "Pasar Pabaeng-baeng",
)
# Indonesian mobile prefixes (Telkomsel, Indosat, XL, Tri, Smartfren).
MOBILE_PREFIXES = (
    "0811",
    "0812",
    "0813",
    "0821",
    "0822",
    "0852",
    "0853",
    "0856",
    "0857",
    "0817",
    "0818",
    "0819",
    "0877",
    "0878",
    "0896",
    "0897",
    "0898",
    "0881",
    "0882",
)
# Declared monthly incomes (rupiah) as the city's lists carry them: mostly near the
# bottom of the BPU range, a few higher.
INCOMES = (
    1_000_000,
    1_000_000,
    1_500_000,
    1_500_000,
    2_000_000,
    2_000_000,
    2_500_000,
    3_000_000,
    3_500_000,
    4_000_000,
    5_000_000,
    7_500_000,
)


def nik_for(birth_date: date, sex: str, district: str, serial: int) -> str:
    day = birth_date.day + (40 if sex == "F" else 0)
    return f"{district}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


def mobile(rng: random.Random) -> str:
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99_999_999):08d}"


def city_workers(count: int, rng: random.Random, *, today: date, taken: set[str] | None = None) -> list[dict[str, str]]:
    """`count` valid rows in the city's column layout, NIKs unique (and not in `taken`)."""
    taken = taken if taken is not None else set()
    segments, weights = zip(*SEGMENT_WEIGHTS.items())
    rows = []
    while len(rows) < count:
        sex = rng.choice("FM")
        # Aged 20 to 60 today, so age limits at any membership start below hold.
        birth_date = date(today.year - rng.randint(20, 60), rng.randint(1, 12), rng.randint(1, 28))
        # Makassar (73.71); a worker keeps the district of the NIK's registration.
        nik = nik_for(birth_date, sex, f"7371{rng.randint(1, 15):02d}", rng.randint(1, 9999))
        if nik in taken:
            continue
        taken.add(nik)
        first = rng.choice(FIRST_NAMES_F if sex == "F" else FIRST_NAMES_M)
        family = rng.choice(FAMILY_NAMES)
        # A third of the list are members already (carried over from the city's earlier lists).
        member_since = (today - timedelta(days=rng.randint(30, 700))).isoformat() if rng.random() < 0.33 else ""
        row = {
            "nik": nik,
            "full_name": f"{first} {family}",
            "birth_date": birth_date.isoformat(),
            "sex": sex,
            "phone": mobile(rng),
            "address": f"{rng.choice(STREETS)} No. {rng.randint(1, 250)}",
            "kecamatan": rng.choice(KECAMATAN),
            "segment": rng.choices(segments, weights)[0],
            "monthly_income": str(rng.choice(INCOMES)),
            "programs": "JKK;JKM;JHT" if rng.random() < 0.2 else "JKK;JKM",
            "member_since": member_since,
        }
        spouse_name = f"{rng.choice(FIRST_NAMES_M if sex == 'F' else FIRST_NAMES_F)} {family}"
        row.update(heir1_name=spouse_name, heir1_relationship="spouse", heir1_phone=mobile(rng), heir1_language="id")
        if rng.random() < 0.6:
            child = f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} {family}"
            by_email = rng.random() < 0.3
            row.update(
                heir2_name=child,
                heir2_relationship="child",
                heir2_phone="" if by_email else mobile(rng),
                heir2_email=f"{child.split()[0].lower()}.{rng.randint(1, 999)}@example.id" if by_email else "",
                heir2_language="en" if by_email and rng.random() < 0.2 else "id",
            )
        rows.append(row)
    return rows


def csv_bytes(rows: Iterable[Mapping[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return out.getvalue().encode()
