"""Likely duplicate people beyond the NIK (fraud control).

The NIK is unique in Jaring, but one person can still be enrolled twice: a NIK typed with
a wrong serial, a second KTP, a city list that spells the name another way. OpenG2P's
deduplication (the product brief) matches name, address and birth date, not only an ID
number; so does this module. A match is only *flagged* for an officer to merge or
dismiss; nobody is refused automatically, since two real people can share a birth date
and a common name.

Names are compared after normalising how Makassar's lists write them:
- abbreviations and titles: "Muh.", "Muhd.", "Moh.", "M." are Muhammad; "Dg." is Daeng;
  "St." and "Siti" are Sitti; "Abd." is Abdul; the pilgrimage titles "H.", "Hj.", "Haji",
  "Hajjah" are dropped (added after the Hajj, so one list has them and another not);
- spelling: the pre-1972 spelling (oe → u, dj → j, tj → c, j → y, ch and kh → h) and
  common variants (doubled letters, a final h after a vowel: Fatimah / Fatima, ph → f, q → k);
then scored with Jaro-Winkler (rapidfuzz) on the tokens in sorted order, so word order
does not matter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rapidfuzz.distance import JaroWinkler

# Jaro-Winkler similarity of two normalised names from which they are taken for one person,
# and of two addresses. Chosen on the generated set of tests/unit/enrollment/test_enrollment_duplicates.py
# (docs/duplicates.md has the precision and recall they give).
NAME_THRESHOLD = 0.88
ADDRESS_THRESHOLD = 0.90

_TOKEN_MAP: dict[str, str] = {
    **dict.fromkeys(
        (
            "muh",
            "muhd",
            "moh",
            "mohd",
            "mhd",
            "md",
            "m",
            "muhamad",
            "mohammad",
            "mohamad",
            "mohammed",
            "muhammed",
            "muchammad",
            "mochammad",
            "mochamad",
            "muhamat",
        ),
        "muhammad",
    ),
    "dg": "daeng",
    **dict.fromkeys(("st", "siti"), "sitti"),
    "abd": "abdul",
    **dict.fromkeys(("h", "hj", "haji", "hajjah", "hajah", "hajja", "haja"), ""),
}
# Old and new spelling folded onto one key (not onto either spelling): old j is new y
# (Jusuf, Yusuf) while old dj is new j (Djamal, Jamal), so y and dj both become j.
# ch and kh are both written for one sound, and often plain h: Achmad / Ahmad, Rachman / Rahman,
# Chairul / Khairul.
_OLD_SPELLING = (
    ("oe", "u"),
    ("dj", "j"),
    ("tj", "c"),
    ("ch", "h"),
    ("kh", "h"),
    ("y", "j"),
    ("ph", "f"),
    ("q", "k"),
    ("v", "f"),
)
_DOUBLED = re.compile(r"(.)\1+")
_FINAL_H = re.compile(r"(?<=[aeiou])h$")
_NOT_LETTERS = re.compile(r"[^a-z]+")


def normalise_name(name: str) -> str:
    """The name as a comparable key: ASCII lower case, abbreviations expanded, titles
    dropped, spelling variants folded, tokens sorted."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    tokens = []
    for raw in _NOT_LETTERS.split(text):
        token = _TOKEN_MAP.get(raw, raw)
        if not token:
            continue
        for old, new in _OLD_SPELLING:
            token = token.replace(old, new)
        token = _FINAL_H.sub("", _DOUBLED.sub(r"\1", token))
        tokens.append(token)
    return " ".join(sorted(tokens))


def normalise_address(address: str) -> str:
    text = unicodedata.normalize("NFKD", address).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\bjln?\b\.?|\bjalan\b", "jl", text)
    text = re.sub(r"\bno\b\.?|\bnomor\b", "", text)
    return " ".join(re.findall(r"[a-z]+|\d+", text))


@dataclass(frozen=True)
class Person:
    participant_id: str
    full_name: str
    birth_date: date
    kecamatan: str
    address: str = ""


@dataclass(frozen=True)
class Match:
    participant_id: str  # the one enrolled later
    duplicate_of: str  # the one enrolled before
    score: float  # name similarity, 0..1
    reasons: tuple[str, ...]  # what agrees: birth_date, name, kecamatan, address


def name_similarity(a: str, b: str) -> float:
    """How alike two names are, 0..1: each word of the shorter name against its best match
    in the other (Jaro-Winkler), and the worst of those. Taking the worst word, not the
    whole string, is what tells twins apart: "Nur Hasnah Sulaiman" and "Nur Halijah
    Sulaiman" share most letters but not the given name."""
    words_a, words_b = normalise_name(a).split(), normalise_name(b).split()
    if not words_a or not words_b:
        return 0.0
    shorter, longer = sorted((words_a, words_b), key=len)
    return min(max(JaroWinkler.similarity(w, other) for other in longer) for w in shorter)


def likely_duplicate(new: Person, existing: Person) -> Match | None:
    """`new` and `existing` as one person: the same birth date, names alike after
    normalising, and the same kecamatan or a like address. None otherwise."""
    if new.participant_id == existing.participant_id or new.birth_date != existing.birth_date:
        return None
    score = name_similarity(new.full_name, existing.full_name)
    if score < NAME_THRESHOLD:
        return None
    reasons = ["birth_date", "name"]
    if new.kecamatan == existing.kecamatan:
        reasons.append("kecamatan")
    if (
        new.address
        and existing.address
        and JaroWinkler.similarity(normalise_address(new.address), normalise_address(existing.address))
        >= ADDRESS_THRESHOLD
    ):
        reasons.append("address")
    if len(reasons) == 2:
        return None
    return Match(new.participant_id, existing.participant_id, round(score, 4), tuple(reasons))


def likely_duplicates(new: Iterable[Person], existing: Iterable[Person]) -> list[Match]:
    """Every likely duplicate of each new person among the existing ones and the new ones
    before it (a file can list one person twice). Blocked by birth date: only people born
    the same day are compared, so the work grows with the people per birth date, not n²."""
    by_birth: dict[date, list[Person]] = {}
    for person in existing:
        by_birth.setdefault(person.birth_date, []).append(person)
    matches: list[Match] = []
    for person in new:
        for other in by_birth.get(person.birth_date, []):
            match = likely_duplicate(person, other)
            if match is not None:
                matches.append(match)
        by_birth.setdefault(person.birth_date, []).append(person)
    return matches
