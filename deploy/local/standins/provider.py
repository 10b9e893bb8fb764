"""A local stand-in for the SMS gateway and the WhatsApp Cloud API: it sends nothing,
records every request in `requests.jsonl`, and answers the way the real APIs do — and no
kinder: what the real provider would deliver twice, the stand-in counts twice.

    python -m deploy.local.standins.provider --host 127.0.0.1 --port 8104 --dir .jaring/provider

SMS gateway (the shape imitated is Infobip's SMS API, simplified): POST /messages with
{"to", "from", "text", "reference"} -> {"id": "sms-…", "reference": …}. The client may give
each message its own `reference` (Infobip: a client-defined `messageId`); the gateway does
**not** deduplicate — Infobip documents no idempotency key for sending, and a repeated
request is a second SMS on the family's phone, billed twice. What it offers instead is a
look-up: GET /messages?reference=<ref> (Infobip: GET /sms/3/logs?messageId=…, kept 48 h)
answers {"results": [...]} with the messages it received under that reference, empty if
none. That is what lets a sender that crashed mid-send ask before sending again.

WhatsApp Cloud API (Meta Graph API): POST /{phone_number_id}/messages (or
/{version}/{phone_number_id}/messages) -> {"messages": [{"id": "wamid.…"}]}. The Cloud API
does not deduplicate either (every request is a message), and it offers no GET of a
message by id: status comes only by webhook (sent / delivered / read / failed), so a
sender cannot ask whether a message went out. A business-initiated message must be an
approved template (name, language, parameters): unknown names or languages are refused
with code 132001, a wrong number of parameters with 132000; free text (`type: "text"`) is
refused with 131047 ("Re-engagement message") unless the number wrote to the business in
the last 24 hours (POST /_control/inbound records that it did). The real API reports
131047 in a status webhook after accepting the request; the stand-in refuses at once, so a
message that would never reach a family fails in the tests first.

Control and inspection (not part of any real API):
- POST /_control/fail   {"status": 500, "times": N}  fail the next N message requests (-1: always, 0: stop)
- POST /_control/slow   {"seconds": S}               hold each answer S seconds after recording the message
- POST /_control/inbound {"from", "text", "channel"}  a family's message: the number wrote to the business now
                                                   (opens WhatsApp's 24 h window) and, with a text, it is
                                                   delivered to notifications' webhook (--inbound-webhook),
                                                   signed as shared/snap.py says; answers what the webhook did
- GET /_requests, DELETE /_requests                  what was recorded / forget it
- GET /_health

Inbound messages are signed as every callback into Jaring is (shared/snap.py): HMAC-SHA512 over
method, path, the body's digest and X-TIMESTAMP, with a fresh X-EXTERNAL-ID that the receiver
refuses to see twice. (WhatsApp's own webhooks sign the body alone, X-Hub-Signature-256; a real
adapter in front of notifications would check that and re-sign.)

Any non-empty bearer token is accepted (a missing one gets 401, as the real APIs do);
tokens are never recorded. Every request is recorded; `"duplicate": true` marks an
accepted message whose Idempotency-Key (or SMS reference) was accepted before — a second
message the family receives, not one the provider dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import uuid
from datetime import UTC, datetime, timedelta
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
CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)  # free text only within 24 h of the person's last message
MAX_TEXT_BODY = 4096  # the Cloud API's limit for a text body
MAX_REFERENCE = 64


def approved_templates() -> dict[str, dict[str, int]]:
    """name -> {language: parameter count}: the templates the business registered with Meta.
    Here that is the catalogue notifications sends from (the real API learns it at approval)."""
    from services.notifications.domain.templates import CATALOGUE, whatsapp_language

    return {t.name: {whatsapp_language(lang): len(t.params) for lang in t.body} for t in CATALOGUE.values()}


class ProviderState:
    def __init__(self, directory: str | os.PathLike[str], templates: dict[str, dict[str, int]] | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / REQUESTS_FILE
        self.fail_status = 500
        self.fail_times = 0  # -1: every request fails
        self.slow_seconds = 0.0
        self.templates = approved_templates() if templates is None else templates
        self.inbound_at: dict[str, datetime] = {}  # WhatsApp number -> when it last wrote to the business
        self.accepted_keys: set[str] = set()
        self.sms_by_reference: dict[str, list[dict[str, Any]]] = {}
        # Where families' messages go: (webhook url, signing secret, transport or None for plain HTTP).
        self.inbound: tuple[str, str, httpx.AsyncBaseTransport | None] | None = None

    def take_failure(self) -> int | None:
        """The status to fail this request with, if a failure is armed."""
        if self.fail_times == 0:
            return None
        if self.fail_times > 0:
            self.fail_times -= 1
        return self.fail_status

    def may_write_freely(self, number: str, now: datetime) -> bool:
        wrote = self.inbound_at.get(number)
        return wrote is not None and now - wrote <= CUSTOMER_SERVICE_WINDOW

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
        self.accepted_keys.clear()
        self.sms_by_reference.clear()
        self.inbound_at.clear()


def create_app(
    directory: str | os.PathLike[str] = ".jaring/provider",
    templates: dict[str, dict[str, int]] | None = None,
    *,
    inbound_webhook: str | None = None,
    inbound_secret: str | None = None,
) -> Starlette:
    state = ProviderState(directory, templates)
    # Families' messages go to notifications' webhook, signed with the secret notifications holds
    # (no default: without both, the stand-in records replies' windows but forwards nothing).
    webhook = inbound_webhook or os.environ.get("PROVIDER_INBOUND_WEBHOOK")
    secret = inbound_secret or os.environ.get("NOTIFICATIONS_INBOUND_SECRET")
    if webhook and secret:
        state.inbound = (webhook, secret, None)

    async def sms(request: Request) -> Response:
        return await _message(request, state, "sms")

    async def whatsapp(request: Request) -> Response:
        return await _message(request, state, "whatsapp")

    async def sms_status(request: Request) -> Response:
        if not _authorized(request):
            return JSONResponse(_error("sms", 401, "missing or malformed bearer token"), 401)
        reference = request.query_params.get("reference")
        if not reference:
            return JSONResponse(_error("sms", 400, "reference is required"), 400)
        return JSONResponse({"results": state.sms_by_reference.get(reference, [])})

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

    async def control_slow(request: Request) -> Response:
        try:
            seconds = float((await request.json()).get("seconds", 0))
        except (ValueError, TypeError, AttributeError):
            return JSONResponse({"detail": 'expected {"seconds": S}'}, 400)
        if not 0 <= seconds <= 600:
            return JSONResponse({"detail": "seconds must be 0..600"}, 400)
        state.slow_seconds = seconds
        return JSONResponse({"seconds": seconds})

    async def control_inbound(request: Request) -> Response:
        try:
            body = await request.json()
            number = str(body["from"]).lstrip("+")
            text, channel = body.get("text"), body.get("channel", "whatsapp")
        except (ValueError, TypeError, KeyError, AttributeError):
            return JSONResponse({"detail": 'expected {"from": "+62…", "text": "…", "channel": "sms"|"whatsapp"}'}, 400)
        sender = "+" + number
        if channel not in ("sms", "whatsapp") or not _E164.fullmatch(sender):
            return JSONResponse({"detail": "from must be E.164 (+62…) and channel sms or whatsapp"}, 400)
        state.inbound_at[number] = datetime.now(UTC)  # the person wrote: WhatsApp's 24 h window opens
        if text is None:
            return JSONResponse({"from": number})
        if state.inbound is None:
            return JSONResponse({"detail": "no inbound webhook configured (--inbound-webhook)"}, 409)
        url, secret, transport = state.inbound
        message_id = f"in-{uuid.uuid4().hex}"
        raw = json.dumps({"id": message_id, "from": sender, "text": str(text), "channel": channel}).encode()
        from shared import snap  # the one signing rule every Jaring webhook checks

        stamp = snap.timestamp()
        headers = {
            "content-type": "application/json",
            "X-TIMESTAMP": stamp,
            "X-SIGNATURE": snap.signature(secret, "POST", httpx.URL(url).path, raw, stamp),
            "X-EXTERNAL-ID": uuid.uuid4().hex,
        }
        try:
            async with httpx.AsyncClient(transport=transport, timeout=10) as client:
                answer = await client.post(url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            return JSONResponse({"id": message_id, "delivered": False, "error": type(exc).__name__}, 502)
        return JSONResponse(
            {
                "id": message_id,
                "delivered": answer.is_success,
                "webhook_status": answer.status_code,
                "answer": answer.json() if answer.content else None,
            },
            200 if answer.is_success else 502,
        )

    async def list_requests(request: Request) -> Response:
        return JSONResponse(state.recorded())

    async def clear_requests(request: Request) -> Response:
        state.clear()
        return Response(status_code=204)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[
            Route("/_health", health, methods=["GET"]),
            Route("/_control/fail", control_fail, methods=["POST"]),
            Route("/_control/slow", control_slow, methods=["POST"]),
            Route("/_control/inbound", control_inbound, methods=["POST"]),
            Route("/_requests", list_requests, methods=["GET"]),
            Route("/_requests", clear_requests, methods=["DELETE"]),
            Route("/messages", sms, methods=["POST"]),
            Route("/messages", sms_status, methods=["GET"]),
            Route("/{phone_number_id}/messages", whatsapp, methods=["POST"]),
            Route("/{version}/{phone_number_id}/messages", whatsapp, methods=["POST"]),
        ]
    )
    app.state.provider = state
    return app


def _authorized(request: Request) -> bool:
    authorization = request.headers.get("authorization", "")
    return authorization.startswith("Bearer ") and len(authorization) > len("Bearer ")


async def _message(request: Request, state: ProviderState, channel: str) -> Response:
    raw = await request.body()
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = None
    now = datetime.now(UTC)
    key = request.headers.get("idempotency-key")
    entry: dict[str, Any] = {
        "received_at": now.isoformat(),
        "channel": channel,
        "path": request.url.path,
        "phone_number_id": request.path_params.get("phone_number_id"),
        "idempotency_key": key,
        "reference": body.get("reference") if channel == "sms" and isinstance(body, dict) else None,
        "authorized": _authorized(request),
        "body": body if body is not None else raw.decode("utf-8", "replace"),
    }

    async def answer(status: int, payload: dict[str, Any], provider_id: str | None = None) -> Response:
        duplicate = False
        if provider_id is not None:
            # Not dropped: the family receives it again. Marked so a reader sees the resend.
            seen = {k for k in (key, entry["reference"] and f"ref:{entry['reference']}") if k}
            duplicate = bool(seen & state.accepted_keys)
            state.accepted_keys |= seen
        state.record({**entry, "status": status, "provider_message_id": provider_id, "duplicate": duplicate})
        if state.slow_seconds:
            await asyncio.sleep(state.slow_seconds)  # accepted and recorded, but the sender hears late
        return JSONResponse(payload, status)

    failure = state.take_failure()
    if failure is not None:
        return await answer(failure, _error(channel, failure, "failure injected by /_control/fail"))
    if not entry["authorized"]:
        return await answer(401, _error(channel, 401, "missing or malformed bearer token"))
    if channel == "sms":
        problem = _sms_problem(body)
        if problem:
            return await answer(400, _error(channel, 400, problem))
        provider_id = f"sms-{uuid.uuid4().hex}"
        reference = body.get("reference")
        if reference:
            state.sms_by_reference.setdefault(reference, []).append(
                {
                    "id": provider_id,
                    "reference": reference,
                    "to": body["to"],
                    "status": "accepted",
                    "received_at": entry["received_at"],
                }
            )
        return await answer(
            200, {"id": provider_id, "status": "queued", "to": body["to"], "reference": reference}, provider_id
        )

    refusal = _whatsapp_refusal(body, state, now)
    if refusal:
        status, code, message = refusal
        return await answer(status, _error(channel, status, message, code))
    provider_id = f"wamid.{uuid.uuid4().hex.upper()}"
    return await answer(
        200,
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": provider_id}],
        },
        provider_id,
    )


def _sms_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if not isinstance(body.get("to"), str) or not _E164.fullmatch(body["to"]):
        return "to must be an E.164 number (+62...)"
    if not body.get("from") or not isinstance(body.get("text"), str) or not body["text"]:
        return "from and text are required"
    reference = body.get("reference")
    if reference is not None and (not isinstance(reference, str) or not 0 < len(reference) <= MAX_REFERENCE):
        return f"reference must be a string of 1..{MAX_REFERENCE} characters"
    return None


def _whatsapp_refusal(body: Any, state: ProviderState, now: datetime) -> tuple[int, int, str] | None:
    """(HTTP status, Graph API error code, message) for a request the Cloud API refuses."""
    if not isinstance(body, dict):
        return 400, 100, "body must be a JSON object"
    if body.get("messaging_product") != "whatsapp":
        return 400, 100, "messaging_product must be 'whatsapp'"
    if not isinstance(body.get("to"), str) or not _WA_TO.fullmatch(body["to"]):
        return 400, 100, "to must be the phone number in digits, country code first, no '+'"
    if body.get("type") == "text":
        text = body.get("text")
        if not isinstance(text, dict) or not isinstance(text.get("body"), str) or not text["body"]:
            return 400, 100, "text.body is required for type 'text'"
        if len(text["body"]) > MAX_TEXT_BODY:
            return 400, 100, f"text.body is longer than {MAX_TEXT_BODY} characters"
        if not state.may_write_freely(body["to"], now):
            return (
                400,
                131047,
                (
                    "Re-engagement message: more than 24 hours have passed since the recipient "
                    "last replied to the sender number"
                ),
            )
        return None
    if body.get("type") == "template":
        return _template_refusal(body.get("template"), state)
    return 400, 100, "this stand-in accepts type 'text' and 'template'"


def _template_refusal(template: Any, state: ProviderState) -> tuple[int, int, str] | None:
    if not isinstance(template, dict) or not isinstance(template.get("name"), str):
        return 400, 100, "template.name is required"
    language = template.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    counts = state.templates.get(template["name"], {})
    if code not in counts:
        return 404, 132001, f"Template name does not exist in the translation: {template['name']} ({code})"
    parameters: list[Any] = []
    for component in template.get("components") or []:
        if isinstance(component, dict) and component.get("type") == "body":
            parameters += component.get("parameters") or []
    if len(parameters) != counts[code]:
        return (
            400,
            132000,
            (
                f"Number of parameters does not match the expected number of params: "
                f"{len(parameters)} given, {counts[code]} expected"
            ),
        )
    for p in parameters:
        text = p.get("text") if isinstance(p, dict) else None
        if not isinstance(text, str) or not text.strip():
            return 400, 131008, "Required parameter is missing: every body parameter needs non-empty text"
        # The Cloud API refuses new lines, tabs and more than 4 consecutive spaces in a parameter.
        if "\n" in text or "\t" in text or "     " in text:
            return 400, 132018, "There was an issue with the parameters in your template: new line or tab"
    return None


def _error(channel: str, status: int, message: str, code: int | None = None) -> dict[str, Any]:
    if channel == "whatsapp":  # Graph API error shape
        code = code or {401: 190, 400: 100}.get(status, 131000)
        return {
            "error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": uuid.uuid4().hex[:22]}
        }
    return {"error": message, "status": status}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Local SMS/WhatsApp provider stand-in: records requests, sends nothing."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8104)
    parser.add_argument("--dir", default=".jaring/provider", help="where requests.jsonl goes")
    parser.add_argument(
        "--inbound-webhook",
        default=os.environ.get("PROVIDER_INBOUND_WEBHOOK"),
        help="notifications' webhook for families' messages (with NOTIFICATIONS_INBOUND_SECRET)",
    )
    args = parser.parse_args(argv)
    import uvicorn  # only the CLI needs it; tests drive the app through httpx.ASGITransport

    # uvicorn shuts down gracefully on SIGTERM/SIGINT and then re-raises the signal
    # to the handler that was installed before it; with a no-op one there, a stop
    # asked for by signal ends with exit status 0 instead of 143.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    app = create_app(args.dir, inbound_webhook=args.inbound_webhook)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
