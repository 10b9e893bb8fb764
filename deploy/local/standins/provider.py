"""A local stand-in for the SMS gateway and the WhatsApp Cloud API: it sends nothing,
records every request in `requests.jsonl`, and answers the way the real APIs do.

    python -m deploy.local.standins.provider --host 127.0.0.1 --port 8104 --dir .jaring/provider

Endpoints
- POST /messages                                   SMS gateway shape {"to", "from", "text"} -> {"id": "sms-…"}
- POST /{phone_number_id}/messages                 WhatsApp Cloud shape -> {"messages": [{"id": "wamid.…"}]}
- POST /{version}/{phone_number_id}/messages       the same, with a Graph API version (v21.0) in the path
- POST /_control/fail   {"status": 500, "times": N}  fail the next N message requests (-1: always, 0: stop)
- POST /_control/inbound {"from": "+62…", "text": "YA"}  a reply from a phone, forwarded to --inbound-url,
                                                   signed as shared/snap.py says (answers what the webhook did)
- GET /_requests, DELETE /_requests                  what was recorded / forget it
- GET /_health

Any non-empty bearer token is accepted (a missing one gets 401, as the real APIs do);
tokens are never recorded. A repeated `Idempotency-Key` gets the first answer's id
back and is recorded with "duplicate": true.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

REQUESTS_FILE = "requests.jsonl"
_WA_TO = re.compile(r"[1-9]\d{7,14}")
_E164 = re.compile(r"\+[1-9]\d{7,14}")


class ProviderState:
    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / REQUESTS_FILE
        self.fail_status = 500
        self.fail_times = 0  # -1: every request fails
        self.ids_by_key: dict[str, str] = {}
        # Where replies from phones go: (url, secret, transport or None for plain HTTP).
        self.inbound: tuple[str, str, httpx.AsyncBaseTransport | None] | None = None

    def take_failure(self) -> int | None:
        """The status to fail this request with, if a failure is armed."""
        if self.fail_times == 0:
            return None
        if self.fail_times > 0:
            self.fail_times -= 1
        return self.fail_status

    def record(self, entry: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def recorded(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def clear(self) -> None:
        self.path.write_text("", encoding="utf-8")
        self.ids_by_key.clear()


def create_app(directory: str | os.PathLike[str] = ".jaring/provider") -> Starlette:
    state = ProviderState(directory)

    async def sms(request: Request) -> Response:
        return await _message(request, state, "sms")

    async def whatsapp(request: Request) -> Response:
        return await _message(request, state, "whatsapp")

    async def control_fail(request: Request) -> Response:
        try:
            body = await request.json()
            status = int(body.get("status", 500))
            times = int(body.get("times", 1))
        except (ValueError, TypeError, AttributeError):
            return JSONResponse({"detail": 'expected {"status": 400..599, "times": N or -1}'}, 400)
        if not 400 <= status <= 599 or times < -1:
            return JSONResponse({"detail": "status must be 400..599 and times >= -1"}, 400)
        state.fail_status, state.fail_times = status, times
        return JSONResponse({"status": state.fail_status, "times": state.fail_times})

    async def control_inbound(request: Request) -> Response:
        if state.inbound is None:
            return JSONResponse({"detail": "no --inbound-url configured"}, 409)
        url, secret, transport = state.inbound
        try:
            body = await request.json()
            reply = json.dumps({"from": str(body["from"]), "text": str(body["text"])}).encode()
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"detail": 'expected {"from": "+62…", "text": "…"}'}, 400)
        from shared import snap  # the one signing rule every Jaring webhook checks

        stamp = snap.timestamp()
        headers = {"content-type": "application/json", "X-TIMESTAMP": stamp,
                   "X-SIGNATURE": snap.signature(secret, "POST", httpx.URL(url).path, reply, stamp),
                   "X-EXTERNAL-ID": uuid.uuid4().hex}
        async with httpx.AsyncClient(transport=transport, timeout=10) as client:
            answer = await client.post(url, content=reply, headers=headers)
        return JSONResponse({"status": answer.status_code, "answer": answer.json()})

    async def list_requests(request: Request) -> Response:
        return JSONResponse(state.recorded())

    async def clear_requests(request: Request) -> Response:
        state.clear()
        return Response(status_code=204)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    app = Starlette(routes=[
        Route("/_health", health, methods=["GET"]),
        Route("/_control/fail", control_fail, methods=["POST"]),
        Route("/_control/inbound", control_inbound, methods=["POST"]),
        Route("/_requests", list_requests, methods=["GET"]),
        Route("/_requests", clear_requests, methods=["DELETE"]),
        Route("/messages", sms, methods=["POST"]),
        Route("/{phone_number_id}/messages", whatsapp, methods=["POST"]),
        Route("/{version}/{phone_number_id}/messages", whatsapp, methods=["POST"]),
    ])
    app.state.provider = state
    return app


async def _message(request: Request, state: ProviderState, channel: str) -> Response:
    raw = await request.body()
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = None
    authorization = request.headers.get("authorization", "")
    key = request.headers.get("idempotency-key")
    entry: dict[str, Any] = {
        "received_at": datetime.now(UTC).isoformat(),
        "channel": channel,
        "path": request.url.path,
        "phone_number_id": request.path_params.get("phone_number_id"),
        "idempotency_key": key,
        "authorized": authorization.startswith("Bearer ") and len(authorization) > len("Bearer "),
        "body": body if body is not None else raw.decode("utf-8", "replace"),
    }

    def answer(status: int, payload: dict[str, Any], provider_id: str | None = None, duplicate: bool = False) -> Response:
        state.record({**entry, "status": status, "provider_message_id": provider_id, "duplicate": duplicate})
        return JSONResponse(payload, status)

    failure = state.take_failure()
    if failure is not None:
        return answer(failure, _error(channel, failure, "failure injected by /_control/fail"))
    if not entry["authorized"]:
        return answer(401, _error(channel, 401, "missing or malformed bearer token"))
    problem = _sms_problem(body) if channel == "sms" else _whatsapp_problem(body)
    if problem:
        return answer(400, _error(channel, 400, problem))

    duplicate = key is not None and key in state.ids_by_key
    if duplicate:
        provider_id = state.ids_by_key[key]
    else:
        provider_id = f"sms-{uuid.uuid4().hex}" if channel == "sms" else f"wamid.{uuid.uuid4().hex.upper()}"
        if key is not None:
            state.ids_by_key[key] = provider_id
    if channel == "sms":
        return answer(200, {"id": provider_id, "status": "queued", "to": body["to"]}, provider_id, duplicate)
    return answer(200, {
        "messaging_product": "whatsapp",
        "contacts": [{"input": body["to"], "wa_id": body["to"]}],
        "messages": [{"id": provider_id}],
    }, provider_id, duplicate)


def _sms_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if not isinstance(body.get("to"), str) or not _E164.fullmatch(body["to"]):
        return "to must be an E.164 number (+62...)"
    if not body.get("from") or not isinstance(body.get("text"), str) or not body["text"]:
        return "from and text are required"
    return None


def _whatsapp_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be 'whatsapp'"
    if not isinstance(body.get("to"), str) or not _WA_TO.fullmatch(body["to"]):
        return "to must be the phone number in digits, country code first, no '+'"
    if body.get("type") == "text":
        text = body.get("text")
        if not isinstance(text, dict) or not isinstance(text.get("body"), str) or not text["body"]:
            return "text.body is required for type 'text'"
        if len(text["body"]) > 4096:  # the Cloud API's limit for a text body
            return "text.body is longer than 4096 characters"
    elif body.get("type") != "template":
        return "this stand-in accepts type 'text' and 'template'"
    return None


def _error(channel: str, status: int, message: str) -> dict[str, Any]:
    if channel == "whatsapp":  # Graph API error shape
        code = {401: 190, 400: 100}.get(status, 131000)
        return {"error": {"message": message, "type": "OAuthException", "code": code,
                          "fbtrace_id": uuid.uuid4().hex[:22]}}
    return {"error": message, "status": status}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local SMS/WhatsApp provider stand-in: records requests, sends nothing.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8104)
    parser.add_argument("--dir", default=".jaring/provider", help="where requests.jsonl goes")
    parser.add_argument("--inbound-url", default=os.environ.get("PROVIDER_INBOUND_URL"),
                        help="notifications' webhook for replies from phones")
    args = parser.parse_args(argv)
    import uvicorn  # only the CLI needs it; tests drive the app through httpx.ASGITransport

    # uvicorn shuts down gracefully on SIGTERM/SIGINT and then re-raises the signal
    # to the handler that was installed before it; with a no-op one there, a stop
    # asked for by signal ends with exit status 0 instead of 143.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    app = create_app(args.dir)
    secret = os.environ.get("NOTIFICATIONS_INBOUND_SECRET", "")  # shared with notifications in a local stack
    if args.inbound_url and secret:
        app.state.provider.inbound = (args.inbound_url, secret, None)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
