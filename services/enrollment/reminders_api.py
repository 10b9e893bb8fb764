"""Reminders counted per kecamatan, and the list of city-paid workers whose month went unpaid
(for the city's programme office)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from services.enrollment import repository as repo
from shared.answers import one_of
from shared.auth import Actor, require_role
from shared.contracts.vocabulary import SEGMENTS
from shared.service import Runtime, get_runtime

router = APIRouter(prefix="/v1", tags=["reminders"])
Rt = Annotated[Runtime, Depends(get_runtime)]
Reader = Annotated[Actor, Depends(require_role("officer", "supervisor", "operator"))]


class RemindersOut(BaseModel):
    total: int
    by_kecamatan: dict[str, dict[str, int]] = Field(
        description="kecamatan -> reminder kind (first_grace_month, before_lapse) -> reminders sent"
    )
    stopped: int = Field(description="participants who asked for no more reminders")


class CityPaymentMissingOut(BaseModel):
    participant_id: str
    masked_nik: str
    full_name: str
    kecamatan: str
    segment: str = one_of(SEGMENTS)
    status: str = one_of(("grace", "lapsed"))
    last_paid_period: str | None = Field(description="YYYY-MM")
    grace_until: date | None


@router.get("/reminders", response_model=RemindersOut)
async def reminders(actor: Reader, rt: Rt) -> dict[str, Any]:
    """Contribution reminders sent, per kecamatan and kind."""
    async with rt.pool.acquire() as conn:
        rows = await repo.reminders_by_kecamatan(conn)
        stopped = await repo.reminders_stopped(conn)
    by_kecamatan: dict[str, dict[str, int]] = {}
    for row in rows:
        by_kecamatan.setdefault(row["kecamatan"], {"first_grace_month": 0, "before_lapse": 0})[row["kind"]] = row[
            "reminders"
        ]
    return {"total": sum(r["reminders"] for r in rows), "by_kecamatan": by_kecamatan, "stopped": stopped}


@router.get("/city-payments/missing", response_model=list[CityPaymentMissingOut])
async def city_payments_missing(actor: Reader, rt: Rt) -> list[dict[str, Any]]:
    """City-paid workers in grace or lapsed: the city's payment for a month is missing. They are
    not messaged; the programme office pays (as of the last coverage sweep)."""
    async with rt.pool.acquire() as conn:
        return await repo.city_payments_missing(conn)
