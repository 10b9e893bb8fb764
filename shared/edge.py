"""What every service's HTTP edge does before a handler sees a request, and how it answers
a request it refuses: bodies capped (413), NUL bytes in the URL refused (422), validation
errors that name the field and the rule but never echo the value sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import PROBLEM_JSON, field_errors_sentence, problem
from shared.limits import NUL_MESSAGE, NUL_RULE
from shared.privacy import mask_niks_in


class BodyTooLarge(HTTPException):
    """An HTTPException so FastAPI passes it through while it reads the body (any other error
    there becomes a 400)."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body larger than {limit} bytes")


class EdgeGuard:
    """ASGI middleware: a body over its cap is refused (by Content-Length at once, or as it
    streams in), and so is a path or query string with a NUL byte — PostgreSQL refuses NUL in
    text, so it would otherwise be a 500 deep inside a handler."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, large_bodies: Mapping[str, int] | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.large_bodies = dict(large_bodies or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope["query_string"]
        if "\x00" in scope["path"] or b"%00" in scope.get("raw_path", b"") or b"%00" in query or b"\x00" in query:
            where = "query" if b"%00" in query or b"\x00" in query else "path"
            errors = [{"loc": [where], "msg": NUL_MESSAGE, "type": NUL_RULE}]
            await _answer(send, 422, problem(422, field_errors_sentence(errors), errors=errors))
            return
        limit = self.large_bodies.get(scope["path"], self.max_body_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, problem(413, f"request body larger than {limit} bytes"))
            return
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a chunked body that lied by omission
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, capped_receive, send)


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, read as it streams in, refused with 413 once it passes `limit`."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return bytes(body)


def validation_error_view(error: Mapping[str, Any]) -> dict[str, Any]:
    """One pydantic/FastAPI validation error as the client sees it: the field's path, the rule and
    the message, never the value (`input`, `ctx`) — a NIK or a document number would come back.
    A mapping's keys are the caller's text too, so they are cut short and masked."""
    loc = [part if isinstance(part, int) else mask_niks_in(str(part))[:64] for part in error.get("loc", ())]
    return {"loc": loc, "msg": mask_niks_in(str(error.get("msg", "")))[:300], "type": error.get("type", "invalid")}


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
