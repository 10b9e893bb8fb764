"""Personal data helpers: a full NIK is never logged or shown in a message.

A NIK is PP KK DD DDMMYY SSSS (province, regency/city, district, birth date with 40
added to a woman's day, serial). Birth date and sex travel beside the masked NIK in
enrollment's events, so digits 7-12 are known to every reader anyway; a mask that
kept the district code and the last serial digits (the old `737103********01`) left
about a hundred candidates. UU 27/2022 (personal data protection) treats the NIK as
personal data, so a masked NIK shows at most the province and city: `7371************`.
"""

import re

# Digits a masked NIK shows: province (2) and regency/city (2). Makassar is 73.71.
SHOWN_DIGITS = 4
NIK_LENGTH = 16

# Sixteen digits standing alone: what a NIK (or a KTP or KK number, which has the same
# shape) looks like inside free text — a log line, a dead letter's payload, an error.
SIXTEEN_DIGITS = re.compile(rf"(?<!\d)(\d{{{SHOWN_DIGITS}}})\d{{{NIK_LENGTH - SHOWN_DIGITS}}}(?!\d)")


def mask_nik(nik: str) -> str:
    """Keeps the province and city code (first 4 digits) and stars the rest: enough to
    see where the KTP was issued, not enough to rebuild the number with the birth
    date and sex that travel beside it."""
    if len(nik) <= SHOWN_DIGITS * 2:
        return "*" * len(nik)
    return nik[:SHOWN_DIGITS] + "*" * (len(nik) - SHOWN_DIGITS)


def mask_niks_in(text: str) -> str:
    """Every 16-digit run in `text` masked as mask_nik does."""
    return SIXTEEN_DIGITS.sub(lambda m: m.group(1) + "*" * (NIK_LENGTH - SHOWN_DIGITS), text)


# user:password@ in a URL (postgresql://jaring:s3cret@db/jaring). The password runs to the last
# "@" of the token, so one with an unescaped "@" or "/" in it is hidden whole.
URL_CREDENTIALS = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s\"']*:)[^\s\"']*@")


def redact_url(text: str) -> str:
    """A URL — or any text holding URLs — with each password replaced by ***: what may be shown
    on a terminal, in CI output or in a log line."""
    return URL_CREDENTIALS.sub(r"\g<head>***@", text)
