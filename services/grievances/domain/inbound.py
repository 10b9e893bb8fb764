"""What a family's message asks for: "STATUS <claim number>" or "ADUAN <text>".

Keywords in either case, with or without a colon; anything else is not a command (the
city's officers read it in the provider's inbox as before)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMAND = re.compile(r"\s*(STATUS|CEK|ADUAN|PENGADUAN)\b[\s:]*(.*)", re.IGNORECASE | re.DOTALL)
_KINDS = {"STATUS": "status", "CEK": "status", "ADUAN": "grievance", "PENGADUAN": "grievance"}


@dataclass(frozen=True)
class Command:
    kind: str  # "status" or "grievance"
    argument: str  # the claim number, or the grievance's text


def read_command(text: str) -> Command | None:
    found = _COMMAND.match(text or "")
    if found is None:
        return None
    argument = found.group(2).strip()
    if not argument:
        return None
    kind = _KINDS[found.group(1).upper()]
    if kind == "status":
        argument = argument.split()[0]
    return Command(kind, argument)
