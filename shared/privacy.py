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


# user:password@ in a URL (postgresql://jaring:s3cret@db/jaring). The password runs to the last
# "@" of the token, so one with an unescaped "@" or "/" in it is hidden whole.
URL_CREDENTIALS = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s\"']*:)[^\s\"']*@")


def redact_url(text: str) -> str:
    """A URL — or any text holding URLs — with each password replaced by ***: what may be shown
    on a terminal, in CI output or in a log line."""
    return URL_CREDENTIALS.sub(r"\g<head>***@", text)
