"""Messages families send to the city's number: the provider's signed webhook.

Notifications owns the channels (their secrets, their providers), so the webhook lands here
and is turned into one event, InboundMessageReceived, for whoever reads messages (grievances
answers STATUS and files ADUAN). A webhook delivered twice is one event: the provider's
message id is recorded in the same transaction as the outbox row."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field, ValidationError

from services.notifications.domain.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from shared.contracts.inbound import InboundMessageReceived
from shared.envelope import new_envelope
from shared.logs import get_logger
from shared.outbox import add_event
from shared.privacy import mask_niks_in
from shared.service import Runtime, get_runtime

router = APIRouter(prefix="/v1", tags=["inbound"])
Rt = Annotated[Runtime, Depends(get_runtime)]
log = get_logger("notifications.inbound")


class InboundIn(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    sender: str = Field(alias="from", min_length=8, max_length=20)
    text: str = Field(max_length=4096)
    channel: Literal["sms", "whatsapp"]


@router.post("/inbound")
async def inbound(request: Request, rt: Rt) -> dict[str, Any]:
    """Called by the provider, not a person: no bearer token, a signature instead."""
    raw = await request.body()
    refused = verify(rt.settings.inbound_webhook_secret, request.headers.get(TIMESTAMP_HEADER),
                     request.headers.get(SIGNATURE_HEADER), raw, time.time())
    if refused:
        log.warning("inbound.refused", reason=refused)
        raise HTTPException(401, refused)
    try:
        message = InboundIn.model_validate_json(raw)
    except ValidationError as exc:
        raise HTTPException(422, "expected {\"id\", \"from\", \"text\", \"channel\"}") from exc
    sender = message.sender if message.sender.startswith("+") else f"+{message.sender}"
    # A family may type a NIK into a message; no event carries one in full.
    event = InboundMessageReceived(message_id=message.id, channel=message.channel, sender=sender,
                                   text=mask_niks_in(message.text), received_at=datetime.now(timezone.utc))
    async with rt.pool.acquire() as conn, conn.transaction():
        new = await conn.fetchval(
            "INSERT INTO inbound_messages (channel, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
            message.channel, message.id)
        if new:
            await add_event(conn, new_envelope(event, correlation_id=f"inbound-{message.channel}-{message.id}",
                                               producer="notifications"), "notifications")
    return {"received": True, "duplicate": not new}
