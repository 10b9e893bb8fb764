"""Proactive death claims over HTTP (officers): the queue of claims waiting for the family, the
kelurahan's home-visit list, the reminder sweep, and completing a claim when the family comes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from services.claims import proactive
from services.claims import repository as repo
from services.claims.api import CLAIM_LINKS, DOCUMENT_KINDS, ClaimStatusOut, ReporterIn
from services.claims.domain.documents import CHECKLIST
from services.claims.domain.proactive import OUTCOMES
from services.claims.handlers import ClaimNotFound
from shared.answers import one_of
from shared.auth import Actor, require_role
from shared.clock import today
from shared.contracts.vocabulary import DEATH_CLAIM_TYPES, DeathClaimType
from shared.limits import LIST_MAX, Id, Name, Text
from shared.openapi_links import linked
from shared.service import Runtime, get_runtime

router = APIRouter(prefix="/v1", tags=["proactive claims"])
Officer = Annotated[Actor, Depends(require_role("officer", "supervisor"))]
Reader = Annotated[Actor, Depends(require_role("officer", "supervisor", "operator"))]
Sweeper = Annotated[Actor, Depends(require_role("supervisor", "operator"))]
Rt = Annotated[Runtime, Depends(get_runtime)]


class CompletionIn(BaseModel):
    """The family's filing: who reports, the documents they brought, what happened."""

    reporter: ReporterIn
    documents: dict[Id, Id] = Field(
        default_factory=dict,
        max_length=LIST_MAX,
        description="document kind -> document number",
        json_schema_extra=DOCUMENT_KINDS,
    )
    cause: Text
    incident_place: Name | None = Field(None, description="where the death happened, if the registry's is wrong")
    claim_type: DeathClaimType | None = Field(None, description="JKK_DEATH when the death came from a work accident")
    traffic_accident: bool = False


class AwaitingFamilyOut(BaseModel):
    """A claim opened from the civil registry, waiting for the family to come."""

    claim_id: str
    participant_id: str
    full_name: str | None = Field(description="from claims' read model; null before it knows the participant")
    masked_nik: str | None
    claim_type: str = one_of(DEATH_CLAIM_TYPES)
    date_of_death: date
    place: str
    opened_on: date
    expected_amount: int | None = Field(description="whole rupiah the family can expect")
    documents_to_bring: list[str] = Field(json_schema_extra={"items": {"enum": list(CHECKLIST)}})
    family_reminded_on: date | None
    working_days_waiting: int
    home_visit_due: bool = Field(description="reminded and still not come: the kelurahan visits")


class ProactiveTotalsOut(BaseModel):
    """Every proactive claim, counted."""

    opened: int
    completed: int = Field(description="the family came and filed")
    awaiting_family: int
    payout_recorded: int
    paid: int


class ProactiveQueueOut(BaseModel):
    as_of: date
    reported_deaths: dict[str, int] = Field(
        description="what became of every reported death: outcome -> count",
        json_schema_extra={"propertyNames": {"enum": list(OUTCOMES)}},
    )
    totals: ProactiveTotalsOut
    awaiting_family: list[AwaitingFamilyOut]


class FamiliesRemindedOut(BaseModel):
    as_of: date
    reminded: int = Field(description="families reminded by this sweep")


@router.get("/proactive-claims", response_model=ProactiveQueueOut)
async def proactive_claims(actor: Reader, rt: Rt, as_of: date | None = None) -> dict[str, Any]:
    """The officers' queue: claims opened from the civil registry and waiting for the family, with
    what became of every reported death, counted."""
    day = as_of or today()
    async with rt.pool.acquire() as conn:
        waiting = await repo.awaiting_family(conn)
        outcomes = await repo.reported_death_outcomes(conn)
        totals = await repo.proactive_totals(conn)
    return {
        "as_of": day,
        "reported_deaths": {o: outcomes.get(o, 0) for o in OUTCOMES},
        "totals": totals,
        "awaiting_family": [proactive.queue_view(row, day) for row in waiting],
    }


@router.get("/proactive-claims/home-visits", response_model=list[AwaitingFamilyOut])
async def home_visits(actor: Reader, rt: Rt, as_of: date | None = None) -> list[dict[str, Any]]:
    """Claims whose family was reminded and still has not come: the kelurahan visits them."""
    day = as_of or today()
    async with rt.pool.acquire() as conn:
        waiting = await repo.awaiting_family(conn)
    return [view for view in (proactive.queue_view(row, day) for row in waiting) if view["home_visit_due"]]


@router.post("/proactive-claims/sweep", response_model=FamiliesRemindedOut)
async def sweep(actor: Sweeper, rt: Rt, as_of: date | None = None) -> dict[str, Any]:
    """Reminds the families due a reminder; runs by itself hourly, callable for a given day."""
    day = as_of or today()
    return {"as_of": day, "reminded": await proactive.remind_families(rt.pool, day, rt.settings.family_office)}


@router.post(
    "/claims/{claim_id}/completion", status_code=202, response_model=ClaimStatusOut, responses=linked(202, CLAIM_LINKS)
)
async def complete(claim_id: str, body: CompletionIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                await proactive.complete_claim(conn, claim_id, body.model_dump(exclude_none=True), actor, today())
        except ClaimNotFound:
            raise HTTPException(404, f"no claim {claim_id}") from None
    return {"claim_id": claim_id, "status": "filed"}
