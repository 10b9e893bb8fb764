"""Indonesia's days off work: national holidays (hari libur nasional) and joint leave
days (cuti bersama), as Makassar's calendar days (WITA).

Source: the joint decree of three ministers (SKB Menteri Agama, Menteri Ketenagakerjaan
and Menteri PANRB) on national holidays and cuti bersama, issued each year for the next:
  2025  SKB No. 1017 Tahun 2024, No. 2 Tahun 2024, No. 2 Tahun 2024 (signed 14 Oct 2024):
        17 national holidays, 10 cuti bersama.
  2026  SKB No. 1497 Tahun 2025, No. 2 Tahun 2025, No. 5 Tahun 2025 (announced 19 Sep 2025):
        17 national holidays, 8 cuti bersama.
  2027  no decree read yet. Only the days that need no decree are listed: the fixed dates of
        Keppres 8/2024 on holidays (1 January, 1 May, 1 June, 17 August, 25 December) and
        the Christian feasts that follow from the date of Easter (28 March 2027). The Islamic,
        Chinese, Hindu and Buddhist holidays and every cuti bersama of 2027 are NOT here
        (UNCONFIRMED_2027 lists what is missing): add them from the 2027 SKB when it is read.
The dates were read in press copies of the decrees (Kemenko PMK's announcement as reported
by Sekretariat Kabinet, Kompas TV, Koran Jakarta, Brilio, Disdik Kota Semarang), not in the
decrees' own PDF. 18 August 2025, reported as an extra day off for the 80th independence
day, is left out: no decree for it was read.
"""

from __future__ import annotations

from datetime import date

NATIONAL_HOLIDAYS: dict[date, str] = {
    # 2025
    date(2025, 1, 1): "Tahun Baru Masehi",
    date(2025, 1, 27): "Isra Mikraj",
    date(2025, 1, 29): "Tahun Baru Imlek 2576",
    date(2025, 3, 29): "Nyepi (Saka 1947)",
    date(2025, 3, 31): "Idulfitri 1446 H",
    date(2025, 4, 1): "Idulfitri 1446 H",
    date(2025, 4, 18): "Wafat Yesus Kristus",
    date(2025, 4, 20): "Paskah",
    date(2025, 5, 1): "Hari Buruh",
    date(2025, 5, 12): "Waisak 2569 BE",
    date(2025, 5, 29): "Kenaikan Yesus Kristus",
    date(2025, 6, 1): "Hari Lahir Pancasila",
    date(2025, 6, 6): "Iduladha 1446 H",
    date(2025, 6, 27): "Tahun Baru Islam 1447 H",
    date(2025, 8, 17): "Proklamasi Kemerdekaan",
    date(2025, 9, 5): "Maulid Nabi",
    date(2025, 12, 25): "Natal",
    # 2026
    date(2026, 1, 1): "Tahun Baru Masehi",
    date(2026, 1, 16): "Isra Mikraj",
    date(2026, 2, 17): "Tahun Baru Imlek 2577",
    date(2026, 3, 19): "Nyepi (Saka 1948)",
    date(2026, 3, 21): "Idulfitri 1447 H",
    date(2026, 3, 22): "Idulfitri 1447 H",
    date(2026, 4, 3): "Wafat Yesus Kristus",
    date(2026, 4, 5): "Paskah",
    date(2026, 5, 1): "Hari Buruh",
    date(2026, 5, 14): "Kenaikan Yesus Kristus",
    date(2026, 5, 27): "Iduladha 1447 H",
    date(2026, 5, 31): "Waisak 2570 BE",
    date(2026, 6, 1): "Hari Lahir Pancasila",
    date(2026, 6, 16): "Tahun Baru Islam 1448 H",
    date(2026, 8, 17): "Proklamasi Kemerdekaan",
    date(2026, 8, 25): "Maulid Nabi",
    date(2026, 12, 25): "Natal",
    # 2027: only what needs no decree (see the module doc)
    date(2027, 1, 1): "Tahun Baru Masehi",
    date(2027, 3, 26): "Wafat Yesus Kristus",
    date(2027, 3, 28): "Paskah",
    date(2027, 5, 1): "Hari Buruh",
    date(2027, 5, 6): "Kenaikan Yesus Kristus",
    date(2027, 6, 1): "Hari Lahir Pancasila",
    date(2027, 8, 17): "Proklamasi Kemerdekaan",
    date(2027, 12, 25): "Natal",
}

CUTI_BERSAMA: dict[date, str] = {
    # 2025
    date(2025, 1, 28): "Tahun Baru Imlek",
    date(2025, 3, 28): "Nyepi",
    date(2025, 4, 2): "Idulfitri",
    date(2025, 4, 3): "Idulfitri",
    date(2025, 4, 4): "Idulfitri",
    date(2025, 4, 7): "Idulfitri",
    date(2025, 5, 13): "Waisak",
    date(2025, 5, 30): "Kenaikan Yesus Kristus",
    date(2025, 6, 9): "Iduladha",
    date(2025, 12, 26): "Natal",
    # 2026
    date(2026, 2, 16): "Tahun Baru Imlek",
    date(2026, 3, 18): "Nyepi",
    date(2026, 3, 20): "Idulfitri",
    date(2026, 3, 23): "Idulfitri",
    date(2026, 3, 24): "Idulfitri",
    date(2026, 5, 15): "Kenaikan Yesus Kristus",
    date(2026, 5, 28): "Iduladha",
    date(2026, 12, 24): "Natal",
}

# What the 2027 decree will add; until it is read these days count as working days.
UNCONFIRMED_2027: tuple[str, ...] = (
    "Isra Mikraj 1448 H (early January)",
    "Tahun Baru Imlek 2578",
    "Nyepi (Saka 1949)",
    "Idulfitri 1448 H",
    "Waisak 2571 BE",
    "Iduladha 1448 H",
    "Tahun Baru Islam 1449 H",
    "Maulid Nabi",
    "every cuti bersama",
)

DAYS_OFF: frozenset[date] = frozenset(NATIONAL_HOLIDAYS) | frozenset(CUTI_BERSAMA)
