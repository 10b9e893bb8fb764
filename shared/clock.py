"""What day it is, where Jaring works.

Dates in the rules (months paid, incident dates, deadlines) are Makassar's calendar
days (WITA, UTC+8), not UTC's: a contribution paid at 07:00 WITA on the 1st is paid on
the 1st. Domain code never calls this; handlers pass `today` in, tests inject it.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

MAKASSAR = ZoneInfo("Asia/Makassar")


def today() -> date:
    return datetime.now(MAKASSAR).date()


def utcnow() -> datetime:
    return datetime.now(UTC)
