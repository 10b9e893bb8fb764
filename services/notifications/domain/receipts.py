"""A payee's reply to "did you receive the money?", read as yes, no or unclear. Pure."""

from __future__ import annotations

import re

_YES = frozenset({"YA", "IYA", "SUDAH", "YES", "Y"})
_NO = frozenset({"TIDAK", "TDK", "BELUM", "NO", "N", "GAK", "NGGAK", "ENGGAK"})


def read_answer(text: str) -> str:
    """The first word decides ("Ya sudah masuk" is yes, "Tidak, belum" is no)."""
    words = re.findall(r"[A-Za-z]+", text.upper())
    if not words:
        return "unclear"
    if words[0] in _YES:
        return "yes"
    if words[0] in _NO:
        return "no"
    return "unclear"
