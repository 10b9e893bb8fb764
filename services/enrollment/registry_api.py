"""The civil registry's side of enrollment over HTTP: the signed notify callback (called by the
registry, not a person: a signature instead of a bearer token) and the link's status for officers."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from services.enrollment import repository as repo
from services.enrollment.registry import (
    OUTCOMES,
    REPLAY_REFUSED,
    UnreadableNotification,
    counted,
    record_registered_death,
    registry_from,
    status_view,
)
from shared.answers import Instant, one_of
from shared.auth import Actor, require_role
from shared.clock import today
from shared.logs import get_logger
from shared.service import Runtime, get_runtime

router = APIRouter(prefix="/v1/registry", tags=["civil registry"])
Rt = Annotated[Runtime, Depends(get_runtime)]
Reader = Annotated[Actor, Depends(require_role("officer", "supervisor", "operator"))]
log = get_logger("enrollment.registry")


class NotifiedOut(BaseModel):
    """An acknowledgement that says nothing of who was a participant."""

    ack: str = one_of(("received",))
    events: int = Field(description="events in the notification")


class SubscriptionOut(BaseModel):
    registry: str
    reg_event_type: str
    code: str = Field(description="the registry's subscription code")
    subscribed_at: Instant


class RegistryLinkOut(BaseModel):
    linked: bool = Field(description="a civil-registry link is configured")
    registry: str | None
    subscriptions: list[SubscriptionOut]
    deaths: dict[str, int] = Field(
        description="what became of every death the registry notified: outcome -> count",
        json_schema_extra={"propertyNames": {"enum": list(OUTCOMES)}},
    )


@router.post("/notify", response_model=NotifiedOut)
async def notify(request: Request, rt: Rt) -> dict[str, Any]:
    """Deaths the registry registered. Answers 200 once they are recorded (the registry tries again
    otherwise), 401 for a bad or stale signature, 409 when every event in it was received before."""
    registry = registry_from(rt.settings)
    if registry is None:
        # No link configured: nothing here takes a notification (not a passing outage: 404, not 503).
        raise HTTPException(404, "the civil-registry link is not configured")
    raw = await request.body()  # EdgeGuard caps its size
    refused = registry.refusal(dict(request.headers), raw, time.time())
    if refused:
        log.warning("registry.notify_refused", reason=refused)
        raise HTTPException(401, refused)
    try:
        deaths = registry.deaths(raw)
    except UnreadableNotification as exc:
        raise HTTPException(422, str(exc)) from exc
    outcomes: list[str] = []
    async with rt.pool.acquire() as conn, conn.transaction():
        for death in deaths:
            outcomes.append(await record_registered_death(conn, death, today()))
    for outcome in outcomes:
        counted(outcome)
    log.info("registry.notified", outcomes=outcomes)
    if outcomes and all(o == REPLAY_REFUSED for o in outcomes):
        raise HTTPException(409, "every event in this notification was received before")
    # Acknowledged without saying who was a participant: the answer tells the caller nothing of ours.
    return {"ack": "received", "events": len(outcomes)}


@router.get("", response_model=RegistryLinkOut)
async def link_status(actor: Reader, rt: Rt) -> dict[str, Any]:
    """The subscription and what became of the deaths the registry notified, counted."""
    async with rt.pool.acquire() as conn:
        counts = await repo.registry_counts(conn)
        subscriptions = await repo.registry_subscriptions(conn)
    return status_view(counts, subscriptions, registry_from(rt.settings))
