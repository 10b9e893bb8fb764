"""Grievances' HTTP entrypoint for officers (JSON, bearer token): file on a family's behalf,
follow, comment, resolve, reopen, send a claim's decision back to review through claims' API,
and the supervisors' queue ordered by deadline. The public pages are in pages.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from services.grievances import handlers
from services.grievances import repository as repo
from services.grievances.domain.lookup import normalize_phone
from services.grievances.handlers import Filing, GrievanceNotFound
from services.grievances.upstream import ClaimsRefused
from services.grievances.upstream import reopen_claim as reopen_claim_in_claims
from shared.auth import Actor, require_role
from shared.clock import today
from shared.contracts.grievances import (
    GRIEVANCE_CATEGORIES,
    Contact,
    GrievanceCategory,
    GrievanceChannel,
    GrievanceStatus,
)
from shared.db import record_audit
from shared.errors import FieldError, RuleViolation
from shared.limits import NoNul
from shared.openapi_links import link, linked
from shared.privacy import mask_niks_in
from shared.service import Runtime, get_runtime

router = APIRouter(prefix="/v1", tags=["grievances"])
Officer = Annotated[Actor, Depends(require_role("officer", "supervisor"))]
Supervisor = Annotated[Actor, Depends(require_role("supervisor"))]
Rt = Annotated[Runtime, Depends(get_runtime)]
CLAIM_REOPENED = "claim reopened"


class GrievanceIn(BaseModel):
    category: GrievanceCategory
    text: NoNul = Field(description="what went wrong, in the family's words (no NIK)")
    claim_id: NoNul | None = None
    participant_id: NoNul | None = None
    contact_phone: NoNul | None = Field(None, description="the family's phone to tell (08… or +62…)")
    contact_language: str = "id"


class CommentIn(BaseModel):
    text: str


class ContactOut(BaseModel):
    heir_id: str
    phone: str = Field(description="masked: the last digits only")


class GrievanceOut(BaseModel):
    """A grievance as officers see it (services/grievances/handlers.py grievance_view)."""

    grievance_id: str
    category: str = Field(json_schema_extra={"enum": list(GRIEVANCE_CATEGORIES)})
    channel: GrievanceChannel
    status: GrievanceStatus
    claim_id: str | None
    participant_id: str | None
    text: str
    filed_by: str
    assigned_to: str | None
    filed_on: date
    due_on: date
    overdue: bool
    escalated_to: str | None
    resolution: str | None
    resolved_by: str | None
    resolved_on: date | None
    reopen_count: int
    reopen_until: date | None
    contact: ContactOut | None


class CommentOut(BaseModel):
    author: str
    role: str
    text: str
    at: datetime


class GrievanceWithCommentsOut(GrievanceOut):
    comments: list[CommentOut]


class CommentAddedOut(BaseModel):
    grievance_id: str


class ClaimReopenedOut(BaseModel):
    grievance_id: str
    claim_id: str
    claim_status: str | None = Field(description="the status claims answered (needs_review once reopened)")


class ResolveIn(BaseModel):
    resolution: str = Field(description="what was done, in words the family understands")


class ReasonIn(BaseModel):
    reason: str


def _not_found(exc: GrievanceNotFound) -> HTTPException:
    return HTTPException(404, f"no grievance {exc.args[0]}")


# What a grievance's id opens: every operation on one grievance.
GRIEVANCE_LINKS = {
    name: link(operation, grievance_id="grievance_id")
    for name, operation in (
        ("GetGrievance", "get_grievance_v1_grievances__grievance_id__get"),
        ("AddComment", "add_comment_v1_grievances__grievance_id__comments_post"),
        ("ResolveGrievance", "resolve_v1_grievances__grievance_id__resolve_post"),
        ("ReopenGrievance", "reopen_v1_grievances__grievance_id__reopen_post"),
        ("ReopenClaim", "reopen_claim_v1_grievances__grievance_id__reopen_claim_post"),
    )
}


@router.post("/grievances", status_code=201, response_model=GrievanceOut, responses=linked(201, GRIEVANCE_LINKS))
async def file_for_family(body: GrievanceIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    contact = None
    if body.contact_phone:
        phone = normalize_phone(body.contact_phone)
        if phone is None:
            raise RuleViolation(
                [
                    FieldError(
                        ("contact_phone",),
                        "phone_invalid",
                        "phone_invalid: give an Indonesian mobile number, 08… or +62…",
                    )
                ]
            )
        language = body.contact_language if body.contact_language in ("id", "en") else "id"
        contact = Contact(heir_id="family", phone=phone, language=language)  # type: ignore[arg-type]
    filing = Filing(
        category=body.category,
        text=body.text,
        channel="officer",
        filed_by=actor.subject,
        claim_id=body.claim_id,
        participant_id=body.participant_id,
        contact=contact,
    )
    async with rt.pool.acquire() as conn, conn.transaction():
        grievance_id = await handlers.file_grievance(conn, filing, rt.settings, today())
        item = await repo.load_grievance(conn, grievance_id)
    return handlers.grievance_view(item, today())


@router.get("/grievances", response_model=list[GrievanceOut])
async def list_grievances(
    actor: Officer,
    rt: Rt,
    claim_id: str | None = None,
    status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
    mine: bool = False,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """The queue, ordered by deadline: `mine` for what is assigned or escalated to the caller."""
    async with rt.pool.acquire() as conn:
        items = await repo.list_grievances(
            conn,
            claim_id=claim_id,
            status=status,
            assigned_to=actor.subject if mine else None,
            overdue_on=today() if overdue else None,
            limit=limit,
        )
    return [handlers.grievance_view(i, today()) for i in items]


@router.get("/grievances/{grievance_id}", response_model=GrievanceWithCommentsOut)
async def get_grievance(grievance_id: str, actor: Officer, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        item = await repo.load_grievance(conn, grievance_id)
        if item is None:
            raise HTTPException(404, f"no grievance {grievance_id}")
        notes = await repo.comments(conn, grievance_id)
    return {**handlers.grievance_view(item, today()), "comments": notes}


# A comment, a resolution, a reopening answer with no links: schemathesis' stateful run starts a
# scenario from any POST that links onwards, and one started from a made-up grievance id never
# reaches a filed grievance; POST /v1/grievances links to all of them.
@router.post("/grievances/{grievance_id}/comments", status_code=201, response_model=CommentAddedOut)
async def add_comment(grievance_id: str, body: CommentIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                await handlers.comment(conn, grievance_id, body.text, actor.subject, actor.role)
        except GrievanceNotFound as exc:
            raise _not_found(exc) from None
    return {"grievance_id": grievance_id}


@router.post("/grievances/{grievance_id}/resolve", response_model=GrievanceOut)
async def resolve(grievance_id: str, body: ResolveIn, actor: Supervisor, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                notes = await repo.comments(conn, grievance_id)
                reopened = any(n["text"].startswith(CLAIM_REOPENED) for n in notes)
                done = await handlers.resolve(
                    conn, grievance_id, body.resolution, actor.subject, actor.role, today(), claim_reopened=reopened
                )
        except GrievanceNotFound as exc:
            raise _not_found(exc) from None
    return handlers.grievance_view(done, today())


@router.post("/grievances/{grievance_id}/reopen", response_model=GrievanceOut)
async def reopen(grievance_id: str, body: ReasonIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    """Within 14 days of the resolution, on the family's word (by an officer) or a supervisor's."""
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                opened = await handlers.reopen(
                    conn, grievance_id, body.reason, actor.subject, actor.role, today(), rt.settings
                )
        except GrievanceNotFound as exc:
            raise _not_found(exc) from None
    return handlers.grievance_view(opened, today())


@router.post("/grievances/{grievance_id}/reopen-claim", response_model=ClaimReopenedOut)
async def reopen_claim(
    grievance_id: str, body: ReasonIn, actor: Supervisor, rt: Rt, request: Request
) -> dict[str, Any]:
    """Sends the linked claim's decision back to review through claims' own API, with the
    supervisor's own token: grievances never changes a claim itself."""
    async with rt.pool.acquire() as conn:
        item = await repo.load_grievance(conn, grievance_id)
    if item is None:
        raise HTTPException(404, f"no grievance {grievance_id}")
    if item.claim_id is None or item.status != "open":
        raise RuleViolation(
            [
                FieldError(
                    ("grievance_id",),
                    "no_open_claim_grievance",
                    "no_open_claim_grievance: only an open grievance linked to a claim can reopen that claim",
                )
            ]
        )
    try:
        reopened = await reopen_claim_in_claims(
            rt.settings, request.headers["authorization"], item.claim_id, f"grievance {grievance_id}: {body.reason}"
        )
    except ClaimsRefused as refused:
        # Claims' problem document passed on: its sentence, rule and field errors, and whose they are.
        raise HTTPException(
            refused.status, {"msg": refused.detail, "type": refused.code, "errors": refused.errors, "from": "claims"}
        ) from None
    async with rt.pool.acquire() as conn, conn.transaction():
        await repo.add_comment(
            conn, grievance_id, actor.subject, actor.role, f"{CLAIM_REOPENED}: {mask_niks_in(body.reason)}"
        )
        await record_audit(
            conn,
            actor=actor.subject,
            role=actor.role,
            action="grievance.reopen_claim",
            subject_id=grievance_id,
            details={"claim_id": item.claim_id},
        )
    return {"grievance_id": grievance_id, "claim_id": item.claim_id, "claim_status": reopened.get("status")}
