"""A local stand-in for the civil registry (Dukcapil's CRVS), speaking the shape of the Digital
Convergence Initiative's civil-registration API for social protection: a social-protection
system subscribes to a kind of registry event (here: deaths), and the registry notifies it
with signed callbacks as the events are registered. The NIKs are the registry's own data;
what a subscriber keeps of them is the subscriber's business.

    python -m deploy.local.standins.registry --port 8107 --dir .jaring/registry \
        --secret-file .jaring/registry/secret

The shared secret (HMAC-SHA256 key) is read from `REGISTRY_SECRET` (or enrollment's
`ENROLLMENT_REGISTRY_SECRET`), else from `--secret-file`; there is no default.

DCI-shaped endpoints (JSON with a `header` and a `message`, as DCI messages have):
- POST /registry/subscribe   header {message_id, message_ts, action: "subscribe", sender_id,
  sender_uri (where notifications go)}; message {transaction_id, subscribe_request: [{reference_id,
  timestamp, subscribe_criteria: {reg_type, reg_event_type}}]}. Answers action "on-subscribe" with
  a subscription code per request; subscribing again with the same sender, event type and
  sender_uri gives the same code (a subscriber may subscribe at every start).
- POST /registry/unsubscribe  message {subscription_codes: […]}
- Notifications: POST <sender_uri>, header action "notify", message {transaction_id, notify_event:
  [{reference_id (the event id), timestamp, data: {reg_type, reg_event_type, reg_records:
  [{identifier: [{identifier_type: "NIK", identifier_value}], death_date, death_place}]}}]}.
  Signed like the other stand-ins' callbacks: `X-Registry-Timestamp: <unix seconds>` and
  `X-Registry-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`. A notification
  the subscriber did not take (neither 2xx nor 409, "had it already") is tried again with
  back-off and a fresh signature, up to 6 times.

Control (no signature; local only):
- POST /_control/death {"nik", "date_of_death": "YYYY-MM-DD", "place"}: registers a death and
  notifies every death subscriber; answers {"event_id", "notified": {subscription code: HTTP status}}.
- POST /_control/replay/{event_id}: sends that notification again, as first signed (for replay tests).
- GET /_control/subscriptions, GET /_health.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import signal
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SIGNATURE_HEADER = "X-Registry-Signature"
TIMESTAMP_HEADER = "X-Registry-Timestamp"
REG_TYPE_CIVIL = "ns:org:RegistryType:Civil"
EVENT_DEATH = "ns:org:RegistryEventType:Death"
MAX_BODY = 64 * 1024
RETRIES = 6


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def delivered(status: int) -> bool:
    """2xx, or 409: the subscriber has this event already (its answer to the first try was lost)."""
    return 200 <= status < 300 or status == 409


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _header(action: str, **extra: Any) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "message_id": str(uuid.uuid4()),
        "message_ts": _now(),
        "action": action,
        "sender_id": "crvs.makassar.standin",
        **extra,
    }


class RegistryState:
    def __init__(
        self, directory: str | os.PathLike[str], secret: str, *, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.secret = secret
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.sent: dict[str, tuple[bytes, str]] = {}  # event id -> (body, timestamp) as first signed
        self.tasks: set[asyncio.Task] = set()
        self.transport = transport  # tests reach a subscriber in-process
        path = self.directory / "subscriptions.json"
        if path.exists():
            self.subscriptions = json.loads(path.read_text())

    def _save(self) -> None:
        (self.directory / "subscriptions.json").write_text(json.dumps(self.subscriptions, indent=1))

    def subscribe(self, sender_id: str, sender_uri: str, reg_event_type: str) -> str:
        for code, sub in self.subscriptions.items():
            if (sub["sender_id"], sub["sender_uri"], sub["reg_event_type"]) == (sender_id, sender_uri, reg_event_type):
                sub["status"] = "subscribe"
                self._save()
                return code
        code = f"SUB-{uuid.uuid4().hex[:12]}"
        self.subscriptions[code] = {
            "sender_id": sender_id,
            "sender_uri": sender_uri,
            "reg_event_type": reg_event_type,
            "status": "subscribe",
            "since": _now(),
        }
        self._save()
        return code

    def unsubscribe(self, codes: list[str]) -> list[str]:
        done = [code for code in codes if code in self.subscriptions]
        for code in done:
            self.subscriptions[code]["status"] = "unsubscribe"
        self._save()
        return done

    async def register_death(self, nik: str, date_of_death: date, place: str) -> tuple[str, dict[str, int]]:
        # Kept in memory only (for a replay): a NIK is not written to the stand-in's files or logs.
        event_id = f"CRVS-D-{uuid.uuid4().hex[:16]}"
        body = {
            "header": _header("notify"),
            "message": {
                "transaction_id": str(uuid.uuid4()),
                "notify_event": [
                    {
                        "reference_id": event_id,
                        "timestamp": _now(),
                        "data": {
                            "reg_type": REG_TYPE_CIVIL,
                            "reg_event_type": EVENT_DEATH,
                            "reg_records": [
                                {
                                    "identifier": [{"identifier_type": "NIK", "identifier_value": nik}],
                                    "death_date": date_of_death.isoformat(),
                                    "death_place": place,
                                }
                            ],
                        },
                    }
                ],
            },
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        stamp = str(int(time.time()))
        self.sent[event_id] = (raw, stamp)
        return event_id, await self._notify_all(raw, stamp, sign(self.secret, stamp, raw))

    async def replay(self, event_id: str) -> dict[str, int]:
        raw, stamp = self.sent[event_id]
        return await self._notify_all(raw, stamp, sign(self.secret, stamp, raw), retry=False)

    async def _notify_all(self, raw: bytes, stamp: str, signature: str, retry: bool = True) -> dict[str, int]:
        answers: dict[str, int] = {}
        for code, sub in self.subscriptions.items():
            if sub["status"] != "subscribe" or sub["reg_event_type"] != EVENT_DEATH:
                continue
            status = await self._post(sub["sender_uri"], raw, stamp, signature)
            answers[code] = status
            if retry and not delivered(status):
                task = asyncio.create_task(self._retry(sub["sender_uri"], raw))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        return answers

    async def _post(self, url: str, raw: bytes, stamp: str, signature: str) -> int:
        try:
            async with httpx.AsyncClient(timeout=10, transport=self.transport) as client:
                response = await client.post(
                    url,
                    content=raw,
                    headers={"content-type": "application/json", SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: stamp},
                )
                return response.status_code
        except httpx.HTTPError:
            return 0

    async def _retry(self, url: str, raw: bytes) -> None:
        for attempt in range(1, RETRIES):
            await asyncio.sleep(min(2**attempt, 60))
            stamp = str(int(time.time()))  # a fresh signature: the first is outside the window by now
            if delivered(await self._post(url, raw, stamp, sign(self.secret, stamp, raw))):
                return


def create_app(
    directory: str | os.PathLike[str], secret: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    state = RegistryState(directory, secret, transport=transport)

    async def body_of(request: Request) -> dict[str, Any] | JSONResponse:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, 413)
        try:
            body = json.loads(raw)
        except ValueError:
            return JSONResponse({"error": "not JSON"}, 400)
        return body if isinstance(body, dict) else JSONResponse({"error": "expected an object"}, 400)

    async def subscribe(request: Request) -> JSONResponse:
        body = await body_of(request)
        if isinstance(body, JSONResponse):
            return body
        header, message = body.get("header") or {}, body.get("message") or {}
        sender_id, sender_uri = header.get("sender_id"), header.get("sender_uri")
        if not sender_id or not sender_uri or not isinstance(message.get("subscribe_request"), list):
            return JSONResponse(
                {"error": "header.sender_id, header.sender_uri and message.subscribe_request are required"}, 400
            )
        responses = []
        for item in message["subscribe_request"]:
            criteria = (item or {}).get("subscribe_criteria") or {}
            event_type = criteria.get("reg_event_type")
            if event_type != EVENT_DEATH:
                responses.append(
                    {
                        "reference_id": item.get("reference_id"),
                        "timestamp": _now(),
                        "status": "rjct",
                        "status_reason_message": f"this registry notifies {EVENT_DEATH} only",
                    }
                )
                continue
            code = state.subscribe(sender_id, sender_uri, event_type)
            responses.append(
                {
                    "reference_id": item.get("reference_id"),
                    "timestamp": _now(),
                    "status": "succ",
                    "subscriptions": [{"code": code, "status": "subscribe", "timestamp": _now()}],
                }
            )
        return JSONResponse(
            {
                "header": _header("on-subscribe", receiver_id=sender_id),
                "message": {"transaction_id": message.get("transaction_id"), "subscribe_response": responses},
            }
        )

    async def unsubscribe(request: Request) -> JSONResponse:
        body = await body_of(request)
        if isinstance(body, JSONResponse):
            return body
        codes = (body.get("message") or {}).get("subscription_codes") or []
        done = state.unsubscribe([str(c) for c in codes])
        return JSONResponse({"header": _header("on-unsubscribe"), "message": {"subscription_codes": done}})

    async def control_death(request: Request) -> JSONResponse:
        body = await body_of(request)
        if isinstance(body, JSONResponse):
            return body
        nik, place = body.get("nik"), body.get("place")
        if not (isinstance(nik, str) and len(nik) == 16 and nik.isdigit()):
            return JSONResponse({"error": "nik: 16 digits"}, 422)
        if not (isinstance(place, str) and place.strip()):
            return JSONResponse({"error": "place: where the death happened"}, 422)
        try:
            died = date.fromisoformat(str(body.get("date_of_death")))
        except ValueError:
            return JSONResponse({"error": "date_of_death: YYYY-MM-DD"}, 422)
        event_id, notified = await state.register_death(nik, died, place.strip())
        return JSONResponse({"event_id": event_id, "notified": notified}, 201)

    async def control_replay(request: Request) -> JSONResponse:
        event_id = request.path_params["event_id"]
        if event_id not in state.sent:
            return JSONResponse({"error": "no such event"}, 404)
        return JSONResponse({"event_id": event_id, "notified": await state.replay(event_id)})

    async def control_subscriptions(_request: Request) -> JSONResponse:
        return JSONResponse(state.subscriptions)

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ready"})

    app = Starlette(
        routes=[
            Route("/registry/subscribe", subscribe, methods=["POST"]),
            Route("/registry/unsubscribe", unsubscribe, methods=["POST"]),
            Route("/_control/death", control_death, methods=["POST"]),
            Route("/_control/replay/{event_id}", control_replay, methods=["POST"]),
            Route("/_control/subscriptions", control_subscriptions, methods=["GET"]),
            Route("/_health", health, methods=["GET"]),
        ]
    )
    app.state.registry = state
    return app


def _secret(secret_file: str | None) -> str:
    secret = os.environ.get("REGISTRY_SECRET") or os.environ.get("ENROLLMENT_REGISTRY_SECRET")
    if not secret and secret_file and Path(secret_file).exists():
        secret = Path(secret_file).read_text().strip()
    if not secret:
        raise SystemExit("no secret: set REGISTRY_SECRET or pass --secret-file")
    return secret


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("REGISTRY_PORT", 8107)))
    parser.add_argument("--dir", default=".jaring/registry")
    parser.add_argument("--secret-file")
    args = parser.parse_args()
    app = create_app(args.dir, _secret(args.secret_file))
    # uvicorn shuts down gracefully on SIGTERM/SIGINT; exit 0 when asked to stop.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
