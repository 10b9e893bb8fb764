"""Notifications' HTTP entrypoint: what was sent to whom, by which channel, with what status."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from services.notifications import repository as repo
from services.notifications.handlers import DUE_CHANNEL
from shared.answers import Instant, one_of
from shared.auth import Actor, require_role
from shared.contracts.notifications import Channel, NotificationDelivered
from shared.db import record_audit
from shared.envelope import new_envelope
from shared.limits import Id
from shared.outbox import add_events
from shared.service import Runtime, get_runtime

router = APIRouter(prefix="/v1", tags=["notifications"])
Officer = Annotated[Actor, Depends(require_role("officer", "supervisor"))]
Rt = Annotated[Runtime, Depends(get_runtime)]


# The statuses the table allows (migrations): `sending` while a provider is asked, `unknown` when
# its answer was lost where it cannot be asked again, `cancelled` when the message is no longer due.
STATUSES = ("pending", "sending", "delivered", "failed", "unknown", "cancelled")


class NotificationFailedOut(BaseModel):
    """A message to a family member, and where its delivery stands."""

    notification_id: str
    claim_id: str
    heir_id: str
    channel: str = one_of(get_args(Channel))
    event_type: str = Field(description="the event the message is about")
    status: str = one_of(STATUSES)
    attempts: int
    last_error: str | None
    finished_at: Instant | None


class NotificationOut(NotificationFailedOut):
    language: str
    created_at: Instant
    next_attempt_at: Instant


@router.get("/notifications", response_model=list[NotificationOut])
async def list_for_claim(actor: Officer, rt: Rt, claim_id: Annotated[Id, Query()]) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return await repo.for_claim(conn, claim_id)


@router.get("/notifications/failed", response_model=list[NotificationFailedOut])
async def list_failed(actor: Officer, rt: Rt) -> list[dict[str, Any]]:
    """Messages that could not be delivered: someone should call the family."""
    async with rt.pool.acquire() as conn:
        return await repo.failed(conn)


@router.get("/notifications/unknown", response_model=list[NotificationFailedOut])
async def list_unknown(actor: Officer, rt: Rt) -> list[dict[str, Any]]:
    """Messages whose answer was lost where the provider cannot be asked (WhatsApp, email):
    they may or may not have arrived. Ask the family before sending again."""
    async with rt.pool.acquire() as conn:
        return await repo.failed(conn, status="unknown")


NotificationId = Annotated[str, Path(max_length=40, pattern=r"^N-[0-9a-f]{1,32}$")]


class NotificationStatusOut(BaseModel):
    """A message and the status an officer's word left it in."""

    notification_id: str
    status: Literal["delivered", "pending"]


@router.post("/notifications/{notification_id}/confirm", response_model=NotificationStatusOut)
async def confirm(actor: Officer, rt: Rt, notification_id: NotificationId) -> dict[str, str]:
    """An officer heard from the family that an `unknown` message did arrive: it is
    delivered, and claims' timeline hears so. Audited; anything but `unknown` is 409."""
    async with rt.pool.acquire() as conn, conn.transaction():
        row = await repo.confirm_arrived(conn, notification_id)
        if row is None:
            raise HTTPException(409, f"notification {notification_id} is not unknown (or does not exist)")
        await record_audit(
            conn, actor=actor.subject, role=actor.role, action="notification.confirm", subject_id=notification_id
        )
        delivered = NotificationDelivered(
            notification_id=notification_id,
            claim_id=row["claim_id"],
            heir_id=row["heir_id"],
            channel=row["channel"],
            about_event=row["about_event"],
            attempts=row["attempts"],
        )
        await add_events(
            conn,
            [
                new_envelope(
                    delivered,
                    correlation_id=row["claim_id"],
                    producer="notifications",
                    causation_id=str(row["event_id"]),
                )
            ],
            "notifications",
        )
    return {"notification_id": notification_id, "status": "delivered"}


@router.post("/notifications/{notification_id}/resend", response_model=NotificationStatusOut)
async def resend(actor: Officer, rt: Rt, notification_id: NotificationId) -> dict[str, str]:
    """An officer checked with the family that an `unknown` (or `failed`) message never
    arrived: send it again. Audited; anything else is 409."""
    async with rt.pool.acquire() as conn, conn.transaction():
        if not await repo.resend(conn, notification_id):
            raise HTTPException(409, f"notification {notification_id} is not unknown or failed (or does not exist)")
        await record_audit(
            conn, actor=actor.subject, role=actor.role, action="notification.resend", subject_id=notification_id
        )
        await conn.execute("SELECT pg_notify($1, '')", DUE_CHANNEL)
    return {"notification_id": notification_id, "status": "pending"}
