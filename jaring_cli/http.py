"""Calls to the services, and the exit codes scripts rely on (docs/operations.md lists them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import Any

import httpx
import typer
from rich.console import Console

from jaring_cli.where import NoToken, service_url, token_for

errors = Console(stderr=True)


class ExitCode(IntEnum):
    OK = 0
    USAGE = 1  # bad arguments or options (also what click calls a usage error)
    NOT_FOUND = 2  # 404, or 410: the thing named is not there
    REFUSED = 3  # 401/403, or no token at hand
    UNAVAILABLE = 4  # the service cannot be reached, answers 503 or fails (5xx)
    INVALID = 5  # 422 (also 400, 413): the service named the field and the rule
    CONFLICT = 6  # 409: the state changed first (already decided, already resolved)


def exit_code_for(status: int) -> ExitCode:
    if status in (404, 410):
        return ExitCode.NOT_FOUND
    if status in (401, 403):
        return ExitCode.REFUSED
    if status in (400, 413, 422):
        return ExitCode.INVALID
    if status == 409:
        return ExitCode.CONFLICT
    if status >= 500:
        return ExitCode.UNAVAILABLE
    return ExitCode.USAGE


def problems(answer: httpx.Response) -> list[str]:
    """The service's own words for what went wrong, from its problem document (RFC 9457,
    docs/api-errors.md): each field error of a 422, else the sentence (`detail`) with the rule's
    name (`code`) after it, else the status's title."""
    try:
        body = answer.json()
    except ValueError:
        return [answer.text[:500] or answer.reason_phrase]
    if not isinstance(body, dict):
        return [json.dumps(body)[:500]]
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        return [_field_error(e) for e in errors]
    detail = body.get("detail")
    if isinstance(detail, str) and detail:
        return [f"{detail} ({body['code']})" if body.get("code") else detail]
    if isinstance(body.get("title"), str):
        return [body["title"]]
    return [json.dumps(body)[:500]]


def _field_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    where = ".".join(str(part) for part in error.get("loc") or [] if part != "body")
    rule = f" ({error['type']})" if error.get("type") else ""
    return f"{where or 'request'}: {error.get('msg', '')}{rule}"


def fail(code: ExitCode, message: str) -> typer.Exit:
    errors.print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(int(code))


class Api:
    """One service's API with the caller's token; every non-2xx answer ends the command with its exit code."""

    def __init__(self, service: str, role: str, transport: httpx.BaseTransport | None = None):
        self.service = service
        try:
            token = token_for(role)
        except NoToken as exc:
            raise fail(ExitCode.REFUSED, str(exc)) from None
        self.client = httpx.Client(
            base_url=service_url(service), transport=transport, timeout=30, headers={"Authorization": f"Bearer {token}"}
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.client.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        with reachable(self.service, str(self.client.base_url)):
            answer = self.client.request(method, path, **kwargs)
        return self.answered(answer)

    def answered(self, answer: httpx.Response) -> Any:
        if answer.is_success:
            return answer.json()
        lines = problems(answer)
        message = f"{self.service} answered {answer.status_code}: " + "\n  ".join(lines)
        raise fail(exit_code_for(answer.status_code), message)


@contextmanager
def reachable(service: str, url: str) -> Iterator[None]:
    try:
        yield
    except httpx.TransportError as exc:
        raise fail(
            ExitCode.UNAVAILABLE,
            f"{service} at {url} cannot be reached ({exc.__class__.__name__}: {exc}); is the stack up (make status)?",
        ) from None
