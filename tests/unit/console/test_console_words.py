"""The console's words: every text a page asks for exists in Bahasa Indonesia and English;
rupiah, durations and times as a person in Makassar reads them."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.console import i18n

TEMPLATES = Path(__file__).resolve().parents[3] / "services" / "console" / "templates"
PAGES = Path(__file__).resolve().parents[3] / "services" / "console" / "pages"


def test_every_text_a_template_or_page_asks_for_is_in_the_table():
    asked = set()
    for path in [*TEMPLATES.glob("*.html"), *PAGES.glob("*.py")]:
        asked |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", path.read_text()))
    assert asked, "the pattern should find the texts"
    assert sorted(asked - set(i18n.TEXT)) == []


def test_each_text_has_both_languages():
    assert all(len(words) == 2 and all(words) for words in i18n.TEXT.values())


def test_indonesian_is_the_default_and_english_can_be_chosen():
    assert i18n.language_of(None) == "id" and i18n.language_of("fr") == "id"
    assert i18n.translator("id")("status_payout_recorded") == "pembayaran dicatat"
    assert i18n.translator("en")("status_payout_recorded") == "payout recorded"
    assert i18n.translator("en")("lagging", n=3) == "3 messages not read yet"


def test_rupiah_group_thousands_with_dots():
    assert i18n.rupiah(42_000_000) == "Rp 42.000.000"
    assert i18n.rupiah(0) == "Rp 0"


def test_durations_read_short():
    assert i18n.duration(timedelta(seconds=0.4), "id") == "0,4 dtk"
    assert i18n.duration(125, "id") == "2 mnt 5 dtk"
    assert i18n.duration(timedelta(hours=3, minutes=20), "en") == "3 h 20 min"
    assert i18n.duration(timedelta(days=2, hours=4), "id") == "2 h 4 j"


def test_times_are_shown_in_makassar_time():
    assert i18n.instant(datetime(2026, 11, 24, 23, 30, tzinfo=UTC), "id") == "25 Nov 2026 07:30:00 WITA"
    assert i18n.day("2026-08-17", "id") == "17 Agu 2026"
