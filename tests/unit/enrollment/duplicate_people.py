"""A generated city list with planted duplicate people, to measure duplicates.py on.

Fixed seed: 5,000 people of Makassar, then 5 % more rows that are one of them again,
written the ways the city's lists write one person twice (abbreviations, titles added or
dropped, old spelling, a typo, capitals; the same or a reformatted address, sometimes a
new kecamatan). Each planted row has its own NIK (else the NIK alone would catch it).
Among the 5,000, 1 % are twins of another: different people that share the birth date,
the address and the family name, which a matcher must not take for one person.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import date, timedelta

from services.enrollment.domain.duplicates import Match, Person, likely_duplicates
from services.enrollment.domain.places import KECAMATAN

PEOPLE = 5_000
PLANTED_SHARE_PERCENT = 5
# Hard negatives: twins (two people, one birth date, one address, one family name), 1 % of the list.
TWINS_SHARE_PERCENT = 1
SEED = 20261129  # the set NAME_THRESHOLD was chosen on
HELD_OUT_SEED = 1  # a set it was not chosen on

GIVEN_M = (
    "Ilham",
    "Rahmat",
    "Hasan",
    "Husain",
    "Syamsul",
    "Amir",
    "Basri",
    "Yusuf",
    "Arifin",
    "Hamzah",
    "Saleh",
    "Ridwan",
    "Fadli",
    "Irfan",
    "Akbar",
    "Syahrir",
    "Jamaluddin",
    "Nasrullah",
    "Zainal",
    "Kamaruddin",
    "Baharuddin",
    "Rustam",
    "Haris",
    "Anwar",
    "Asri",
    "Darwis",
    "Mansyur",
    "Nurdin",
    "Sudirman",
    "Taufik",
)
GIVEN_F = (
    "Fatimah",
    "Aisyah",
    "Rosmini",
    "Hasnah",
    "Nurhayati",
    "Rahmawati",
    "Sumarni",
    "Hadijah",
    "Salmah",
    "Rukiah",
    "Nurjannah",
    "Harlina",
    "Marlina",
    "Syamsiah",
    "Jumriah",
    "Kasmawati",
    "Hasmiah",
    "Nuraeni",
    "Aminah",
    "Halijah",
    "Suriani",
    "Mardiana",
    "Nurmiati",
    "Rosdiana",
    "Husniah",
    "Sakinah",
    "Wahidah",
    "Juliana",
    "Yuliani",
    "Hamsinah",
)
PREFIX_M = ("", "", "Muhammad", "Andi", "Abdul")
PREFIX_F = ("", "", "Sitti", "Andi", "Nur")
DAENG = ("Ngai", "Tutu", "Sikki", "Bunga", "Kebo", "Nai", "Lalo", "Sore", "Tompo", "Rani", "Caya", "Baji")
SURNAMES = (
    "Baso",
    "Rahman",
    "Hamid",
    "Latif",
    "Rauf",
    "Makmur",
    "Sulaiman",
    "Ahmad",
    "Amiruddin",
    "Syarifuddin",
    "Tahir",
    "Mappiasse",
    "Pawiloi",
    "Sanusi",
    "Lawang",
    "Malik",
    "Kadir",
    "Patta",
    "Haruna",
    "Yunus",
    "Ramli",
    "Rasyid",
    "Jufri",
    "Ismail",
    "Usman",
)
STREETS = (
    "Sultan Alauddin",
    "Veteran Selatan",
    "Perintis Kemerdekaan",
    "Urip Sumoharjo",
    "AP Pettarani",
    "Sungai Saddang",
    "Cendrawasih",
    "Landak Baru",
    "Kakatua",
    "Rappocini Raya",
    "Abdullah Daeng Sirua",
    "Tamalate",
    "Monginsidi",
    "Gunung Bawakaraeng",
    "Andi Tonro",
    "Dangko",
    "Maccini Raya",
    "Tinumbu",
)


def person(rng: random.Random, index: int) -> Person:
    female = rng.random() < 0.5
    parts = [rng.choice(PREFIX_F if female else PREFIX_M), rng.choice(GIVEN_F if female else GIVEN_M)]
    if rng.random() < 0.4:
        parts += ["Daeng", rng.choice(DAENG)]
    parts.append(rng.choice(SURNAMES))
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 46))
    address = f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 250)}"
    return Person(f"P-{index:05d}", " ".join(p for p in parts if p), born, rng.choice(KECAMATAN), address)


def twin_name(name: str, rng: random.Random) -> str:
    """A brother's or sister's name: the same prefix and family name, another given name."""
    given = GIVEN_F + GIVEN_M
    mine = next(g for g in given if re.search(rf"\b{g}\b", name))
    return re.sub(rf"\b{mine}\b", rng.choice([g for g in given if g != mine]), name, count=1)


def _replace_token(name: str, pattern: str, choices: tuple[str, ...], rng: random.Random) -> str | None:
    if not re.search(pattern, name):
        return None
    return re.sub(pattern, rng.choice(choices), name, count=1)


def name_variant(name: str, rng: random.Random) -> str:
    """One person's name as another list writes it."""
    ways = [
        lambda n: _replace_token(n, r"\bMuhammad\b", ("Muh.", "Moh.", "Muhd.", "M.", "Muhamad"), rng),
        lambda n: _replace_token(n, r"\bDaeng\b", ("Dg.",), rng),
        lambda n: _replace_token(n, r"\bSitti\b", ("Siti", "St."), rng),
        lambda n: _replace_token(n, r"\bAbdul\b", ("Abd.",), rng),
        lambda n: rng.choice(("Hj. ", "H. ", "Hajjah ")) + n,
        lambda n: _replace_token(n, r"\bY", ("J",), rng),  # Yusuf, Yunus as Jusuf, Junus
        lambda n: _replace_token(n, r"u(?=[a-z])", ("oe",), rng),  # Sulaiman as Soelaiman
        lambda n: _replace_token(n, r"\bJ", ("Dj",), rng),  # Jufri as Djufri
        lambda n: _replace_token(n, r"(?<=[aeiou])h\b", ("",), rng),  # Fatimah as Fatima
        lambda n: _replace_token(n, r"dd", ("d",), rng),  # Amiruddin as Amirudin
        lambda n: _typo(n, rng),
        lambda n: n.upper(),
    ]
    variant = name
    for way in rng.sample(ways, len(ways)):
        changed = way(variant)
        if changed and changed != variant:
            variant = changed
            if rng.random() < 0.5:
                break
    return variant


def _typo(name: str, rng: random.Random) -> str | None:
    tokens = name.split()
    long = [i for i, t in enumerate(tokens) if len(t) >= 6]
    if not long:
        return None
    i = rng.choice(long)
    t = tokens[i]
    j = rng.randrange(1, len(t) - 2)
    tokens[i] = t[:j] + t[j + 1] + t[j] + t[j + 2 :] if rng.random() < 0.5 else t[:j] + t[j + 1 :]
    return " ".join(tokens)


def address_variant(address: str, rng: random.Random) -> str:
    return rng.choice(
        (
            address,
            address.replace("Jl.", "Jln.").replace("No. ", "no "),
            address.replace("Jl.", "Jalan").replace("No. ", "No."),
        )
    )


def city_list_with_planted_duplicates(seed: int = SEED) -> tuple[list[Person], set[frozenset[str]]]:
    """The people in enrolment order and the planted pairs (each a frozenset of two ids)."""
    rng = random.Random(seed)
    people = [person(rng, i) for i in range(PEOPLE - PEOPLE * TWINS_SHARE_PERCENT // 100)]
    for n, sibling in enumerate(rng.sample(people, PEOPLE * TWINS_SHARE_PERCENT // 100)):
        people.append(replace(sibling, participant_id=f"T-{n:05d}", full_name=twin_name(sibling.full_name, rng)))
    planted: set[frozenset[str]] = set()
    rows = list(people)
    for n, original in enumerate(rng.sample(people, PEOPLE * PLANTED_SHARE_PERCENT // 100)):
        moved = rng.random() < 0.1  # moved to another kecamatan; the address tells
        again = replace(
            original,
            participant_id=f"D-{n:05d}",
            full_name=name_variant(original.full_name, rng),
            kecamatan=rng.choice([k for k in KECAMATAN if k != original.kecamatan]) if moved else original.kecamatan,
            address=original.address if moved else address_variant(original.address, rng),
        )
        rows.insert(rng.randrange(people.index(original) + 1, len(rows) + 1), again)
        planted.add(frozenset((original.participant_id, again.participant_id)))
    return rows, planted


def measure(seed: int = SEED) -> tuple[float, float, list[Match], set[frozenset[str]]]:
    """(precision, recall, what was flagged, what was planted) on the generated list."""
    rows, planted = city_list_with_planted_duplicates(seed)
    flagged = likely_duplicates(rows, [])
    found = {frozenset((m.participant_id, m.duplicate_of)) for m in flagged}
    true = found & planted
    return len(true) / len(found), len(true) / len(planted), flagged, planted
