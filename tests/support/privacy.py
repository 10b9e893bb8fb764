"""What no page, message, answer or log line may show: a full NIK, KTP or KK number (16 digits).

A page or a log line also carries random identifiers by design, in hexadecimal: the console's CSRF
token (40 characters), trace ids (32), span ids (16). One of them now and then holds a run of 16
decimal digits — a span id is all decimal once in ~1,800 — and a plain search for 16 digits
failed CI for a CSRF token (``…c7572943493300104e…``). So a number counts as a NIK here when it
stands as a word of its own (no letter or digit either side, as a number is written next to a
label, a space, ``=`` or a quote), and the places that hold a random id by name are left out.
"""

from __future__ import annotations

import re

# 16 digits as a word of their own: not the middle of a longer hexadecimal token.
A_FULL_NIK = re.compile(r"(?<![0-9A-Za-z])\d{16}(?![0-9A-Za-z])")

_RANDOM_IDS_BY_NAME = (
    # W3C traceparent: version-trace id-span id-flags (an event's headers, shown with its payload).
    re.compile(r"\b[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}\b"),
    # A log line's trace and span ids.
    re.compile(r'"(?:trace_id|span_id|parent_span_id)": ?"[0-9a-f]*"'),
)


def full_niks_in(text: str) -> list[str]:
    """The 16-digit numbers in text that could be a NIK, a KTP or a KK number."""
    for by_name in _RANDOM_IDS_BY_NAME:
        text = by_name.sub("", text)
    return A_FULL_NIK.findall(text)
