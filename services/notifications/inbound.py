"""Messages families send to the city's number: the provider's one signed webhook.

Notifications owns the channels (their secrets, their providers), so every message a family
sends lands here: `POST /v1/inbound` {"id", "from", "text", "channel"}. Not a person's token:
the provider signs it as every callback into Jaring is signed (shared/snap.py: HMAC-SHA512 over
method, path, the body's digest and X-TIMESTAMP, a 5-minute window) with an X-EXTERNAL-ID that
is refused the second time (a replay); the body is capped before anything is checked.

In one transaction a message becomes:
- one InboundMessageReceived, for whoever reads messages (grievances answers STATUS and files
  ADUAN); the provider's message id makes a webhook delivered twice one event;
- when the phone was asked whether the money arrived (receipts.py), the answer — never the text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from services.notifications.receipts import record_receipt_answer
from shared import snap
from shared.contracts.inbound import InboundMessageReceived
from shared.edge import BodyTooLarge, read_capped
from shared.envelope import new_envelope
from shared.logs import get_logger
from shared.outbox import add_event
from shared.privacy import mask_niks_in
from shared.service import Runtime, get_runtime

INBOUND_PATH = "/v1/inbound"
MAX_INBOUND_BYTES = 8 * 1024  # a message is at most 4,096 characters of text

router = APIRouter(tags=["inbound"])
Rt = Annotated[Runtime, Depends(get_runtime)]
log = get_logger("notifications.inbound")


class InboundIn(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    sender: str = Field(alias="from", min_length=8, max_length=20)
    text: str = Field(max_length=4096)
    channel: Literal["sms", "whatsapp"] = "whatsapp"


def _refused(status: int, sentence: str) -> JSONResponse:
    # The provider's webhook keeps the answer its caller has always read, {"detail": sentence}; the
    # provider acts on the status alone (docs/api-errors.md), so it is not a problem document.
    return JSONResponse({"detail": sentence}, status)


@router.post(INBOUND_PATH, include_in_schema=False, response_model=None)
async def inbound(request: Request, rt: Rt) -> dict[str, Any] | JSONResponse:
    try:
        raw = await read_capped(request, MAX_INBOUND_BYTES)
    except BodyTooLarge as exc:
        return _refused(413, str(exc.detail))
    headers = request.headers
    external_id = headers.get("x-external-id", "")
    refused = snap.authentic(
        rt.settings.inbound_secret,
        request.method,
        request.url.path,
        raw,
        headers.get("x-timestamp", ""),
        headers.get("x-signature", ""),
        datetime.now(UTC),
    )
    if refused is None and not 0 < len(external_id) <= 64:
        refused = "X-EXTERNAL-ID missing or too long"
    if refused:
        log.warning("inbound.refused", reason=refused)
        return _refused(401, f"unauthorized: {refused}")
    try:
        message = InboundIn.model_validate_json(raw)
    except ValidationError:
        return _refused(422, 'expected {"id", "from", "text", "channel"}')
    sender = message.sender if message.sender.startswith("+") else f"+{message.sender}"
    async with rt.pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval(
            "INSERT INTO inbound_seen (external_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true", external_id
        ):
            return _refused(409, "replay: this X-EXTERNAL-ID was taken before")
        new = await conn.fetchval(
            "INSERT INTO inbound_messages (channel, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
            message.channel,
            message.id,
        )
        answer = None
        if new:
            # A family may type a NIK into a message; no event carries one in full.
            event = InboundMessageReceived(
                message_id=message.id,
                channel=message.channel,
                sender=sender,
                text=mask_niks_in(message.text),
                received_at=datetime.now(UTC),
            )
            await add_event(
                conn,
                new_envelope(event, correlation_id=f"inbound-{message.channel}-{message.id}", producer="notifications"),
                "notifications",
            )
            answer = await record_receipt_answer(conn, sender, message.text)
    return {"received": True, "duplicate": not new, "receipt_answer": answer}
