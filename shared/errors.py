"""The one error type domain rules raise for bad input.

HTTP entrypoints turn it into a FastAPI-style 422 body whose `loc` names the field,
so every service reports rule violations the same way as schema violations.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

# RFC 9457 (problem details): every error answer is a problem document of this media type.
PROBLEM_JSON = "application/problem+json"
# The phrases RFC 9110 renamed; Python 3.11's http module still has the older ones.
RFC_9110_PHRASES = {413: "Content Too Large", 422: "Unprocessable Content"}


@dataclass(frozen=True)
class FieldError:
    # path of the field inside the request body, e.g. ("heirs", 0, "phone"); ("header", name) for a header
    loc: tuple[str | int, ...]
    rule: str  # machine-readable rule name, e.g. "nik_birth_date_mismatch"
    msg: str  # what a person reads: which rule, and what would satisfy it


class RuleViolation(Exception):
    """One or more fields break a domain rule; nothing may be written."""

    def __init__(self, errors: list[FieldError]):
        if not errors:
            raise ValueError("RuleViolation needs at least one FieldError")
        self.errors = list(errors)
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))


def problem(
    status: int, detail: str, *, errors: list[dict[str, Any]] | None = None, **extensions: Any
) -> dict[str, Any]:
    """A problem document (RFC 9457). `type` is about:blank, so `title` is the status's phrase;
    `detail` is the sentence a person reads; field errors ({loc, msg, type}) stay under `errors`,
    and a rule's machine name is `code`. Extension members (`existing_id`) sit beside them."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": RFC_9110_PHRASES.get(status) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    clashing = extensions.keys() & body.keys()
    if clashing:  # an extension may not change what the standard members say (RFC 9457 §3.2)
        raise ValueError(f"extension members {sorted(clashing)} would replace the problem's own")
    body.update({k: v for k, v in extensions.items() if v is not None})
    return body


def field_errors_sentence(errors: list[dict[str, Any]]) -> str:
    """`detail` of a 422: how many fields, and the first one's message."""
    if not errors:
        return "the request breaks a rule"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "the request"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', '')}{more}"


# What OpenAPI says every route may answer, besides its success: each a problem document.
ERROR_STATUSES = {
    400: "the body is not the JSON (or CSV) the route reads",
    401: "no valid token (missing, expired, wrong issuer or audience)",
    403: "the token's role may not do this, or a separation-of-duties rule refuses this person (`code`)",
    404: "no such resource",
    409: "it exists already (`code` names the rule, `existing_id` the existing resource)",
    413: "the request body is larger than this route accepts",
    422: "a field breaks its schema or a rule: `errors` lists each as {loc, msg, type}; values are never echoed",
    503: "the database or Kafka is away; nothing was written, retry after `Retry-After` seconds",
}


class Conflict(Exception):
    """The request repeats something that already exists (duplicate NIK, same incident twice)."""

    def __init__(self, msg: str, existing_id: str, rule: str):
        self.msg = msg
        self.existing_id = existing_id
        self.rule = rule
        super().__init__(msg)
