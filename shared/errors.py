"""The one error type domain rules raise for bad input.

HTTP entrypoints turn it into a FastAPI-style 422 body whose `loc` names the field,
so every service reports rule violations the same way as schema violations.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    loc: tuple[str | int, ...]  # path of the field inside the request body, e.g. ("heirs", 0, "phone")
    rule: str  # machine-readable rule name, e.g. "nik_birth_date_mismatch"
    msg: str  # what a person reads: which rule, and what would satisfy it


class RuleViolation(Exception):
    """One or more fields break a domain rule; nothing may be written."""

    def __init__(self, errors: list[FieldError]):
        if not errors:
            raise ValueError("RuleViolation needs at least one FieldError")
        self.errors = list(errors)
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))


class Conflict(Exception):
    """The request repeats something that already exists (duplicate NIK, same incident twice)."""

    def __init__(self, msg: str, existing_id: str, rule: str):
        self.msg = msg
        self.existing_id = existing_id
        self.rule = rule
        super().__init__(msg)
