"""Claims' HTTP entrypoint (officers): file, follow, decide, add documents, disbursement."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from services.claims import handlers
from services.claims import repository as repo
from services.claims.domain.sla import days_left
from services.claims.handlers import ClaimNotFound
from shared.auth import Actor, require_role
from shared.clock import today
from shared.service import Runtime, get_runtime

router = APIRouter(prefix="/v1", tags=["claims"])
Officer = Annotated[Actor, Depends(require_role("officer", "supervisor"))]
Reader = Annotated[Actor, Depends(require_role("officer", "supervisor", "operator"))]
Supervisor = Annotated[Actor, Depends(require_role("supervisor"))]
Rt = Annotated[Runtime, Depends(get_runtime)]


class ReporterIn(BaseModel):
    name: str
    phone: str | None = None
    organisation: str | None = Field(None, description="workers' group, union or health facility, or the relation")


class ClaimIn(BaseModel):
    participant_id: str
    claim_type: str = Field(description="JKK (accident), JKK_DEATH (death from a work accident), JKM (other death)")
    incident_date: date
    incident_place: str
    cause: str
    traffic_accident: bool = False
    reporter: ReporterIn
    documents: dict[str, str] = Field(default_factory=dict, description="document kind -> document number")
    incapacity_days: int | None = None
    disability_percent: int | None = None


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str


class DocumentsIn(BaseModel):
    documents: dict[str, str]


class DisbursementIn(BaseModel):
    status: Literal["scheduled", "paid", "failed"]
    reference: str | None = None


def _not_found(exc: ClaimNotFound) -> HTTPException:
    return HTTPException(404, f"no claim {exc.args[0]}")


@router.post("/claims", status_code=202)
async def file_claim(body: ClaimIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn, conn.transaction():
        claim_id = await handlers.file_claim(conn, body.model_dump(), actor, today())
    return {"claim_id": claim_id, "status": "filed"}


@router.get("/claims")
async def list_claims(actor: Reader, rt: Rt, status: str | None = None, participant_id: str | None = None,
                      limit: Annotated[int, Query(le=500)] = 100) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return await repo.list_claims(conn, status, participant_id, limit)


@router.get("/claims/{claim_id}")
async def get_claim(claim_id: str, actor: Reader, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        row = await repo.load_claim(conn, claim_id)
        if row is None:
            raise HTTPException(404, f"no claim {claim_id}")
        steps = await repo.steps(conn, claim_id)
        ledger = await repo.ledger(conn, claim_id)
    sla = None
    if row["sla_deadline"]:
        sla = {"documents_complete_on": row["documents_complete_on"], "deadline": row["sla_deadline"],
               "days_left": days_left(row["sla_deadline"], today())}
    return {
        "claim_id": claim_id, "participant_id": row["participant_id"], "claim_type": row["claim_type"],
        "status": row["status"], "incident_date": row["incident_date"], "incident_place": row["incident_place"],
        "cause": row["cause"], "traffic_accident": row["traffic_accident"], "reporter": row["reporter"],
        "documents": sorted(row["documents"]), "missing_documents": row["missing_documents"],
        "reasons": row["reasons"], "decided_by": row["decided_by"], "decision_note": row["decision_note"],
        "sla": sla, "disbursement": {"status": row["disbursement_status"],
                                     "reference": row["disbursement_reference"]},
        "payout": {"components": ledger, "total_cash": sum(x["amount"] for x in ledger if x["kind"] == "cash")},
        "steps": steps, "filed_at": row["filed_at"], "filed_by": row["filed_by"],
    }


@router.post("/claims/{claim_id}/decision")
async def decide(claim_id: str, body: DecisionIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                status = await handlers.decide_claim(conn, claim_id, body.decision, body.reason, actor)
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "status": status}


class ReopenIn(BaseModel):
    reason: str = Field(description="why the decision is sent back to review (the grievance, what it showed)")


@router.post("/claims/{claim_id}/reopen")
async def reopen(claim_id: str, body: ReopenIn, actor: Supervisor, rt: Rt) -> dict[str, Any]:
    """A supervisor sends an approved or rejected claim back to review (from a grievance)."""
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                status = await handlers.reopen_claim(conn, claim_id, body.reason, actor)
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "status": status}


@router.post("/claims/{claim_id}/documents")
async def add_documents(claim_id: str, body: DocumentsIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                status = await handlers.add_documents(conn, claim_id, body.documents, actor, today())
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "status": status}


@router.post("/claims/{claim_id}/disbursement")
async def disbursement(claim_id: str, body: DisbursementIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                await handlers.change_disbursement(conn, claim_id, body.status, body.reference, actor.subject,
                                                   actor.role)
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "disbursement": body.status}


@router.post("/bank/disbursements/{claim_id}")
async def bank_callback(claim_id: str, request: Request, rt: Rt) -> dict[str, Any]:
    """The bank reports a transfer. Not a person's token: the body is signed with a shared key
    (header X-Jaring-Signature: sha256=<hex HMAC of the raw body>)."""
    raw = await request.body()
    expected = "sha256=" + hmac.new(rt.settings.bank_callback_secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Jaring-Signature", "")):
        raise HTTPException(401, "bad or missing X-Jaring-Signature")
    body = DisbursementIn.model_validate_json(raw)
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                await handlers.change_disbursement(conn, claim_id, body.status, body.reference, "bank", "bank")
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "disbursement": body.status}


@router.get("/participants")
async def search_participants(actor: Reader, rt: Rt, q: Annotated[str, Query(min_length=2)]) -> list[dict[str, Any]]:
    """Participants as claims knows them (its read model), for the filing form."""
    async with rt.pool.acquire() as conn:
        return await repo.search_participants(conn, q)
