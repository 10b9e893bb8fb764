"""Personal data helpers: a full NIK is never logged or shown in a message."""

import re

# Sixteen digits standing alone: what a NIK (or a KTP number, which is the NIK) looks like
# inside free text — a log line, a dead letter's payload, a handler's error.
SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{2})(?!\d)")


def mask_nik(nik: str) -> str:
    """Keeps the region code (first 6) and the last 2 digits: enough for an officer to
    tell two records apart, not enough to identify the person."""
    if len(nik) < 8:
        return "*" * len(nik)
    return nik[:6] + "*" * (len(nik) - 8) + nik[-2:]


def mask_niks_in(text: str) -> str:
    """Every 16-digit run in `text` masked as mask_nik does."""
    return SIXTEEN_DIGITS.sub(r"\1********\2", text)
