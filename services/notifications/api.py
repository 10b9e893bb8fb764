"""Notifications' HTTP entrypoint: what was sent to whom, by which channel, with what status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.notifications import repository as repo
from shared.auth import Actor, require_role
from shared.limits import Id
from shared.service import Runtime, get_runtime

router = APIRouter(prefix="/v1", tags=["notifications"])
Officer = Annotated[Actor, Depends(require_role("officer", "supervisor"))]
Rt = Annotated[Runtime, Depends(get_runtime)]


@router.get("/notifications")
async def list_for_claim(actor: Officer, rt: Rt, claim_id: Annotated[Id, Query()]) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return await repo.for_claim(conn, claim_id)


@router.get("/notifications/failed")
async def list_failed(actor: Officer, rt: Rt) -> list[dict[str, Any]]:
    """Messages that could not be delivered: someone should call the family."""
    async with rt.pool.acquire() as conn:
        return await repo.failed(conn)
