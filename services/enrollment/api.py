"""Enrollment's HTTP entrypoint (officers): parse, call the handler in a transaction, answer."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.enrollment import handlers, imports
from services.enrollment import repository as repo
from services.enrollment.campaign import growth
from services.enrollment.domain.balances import MonthStatus
from services.enrollment.handlers import DuplicateNotFound, ParticipantNotFound
from services.enrollment.reminders import send_contribution_reminders
from shared.answers import Instant, one_of
from shared.auth import Actor, require_role
from shared.clock import today
from shared.contracts.enrollment import ProtectedPeriod
from shared.contracts.vocabulary import COVERAGE_STATUSES, RELATIONSHIPS, SEGMENTS
from shared.edge import read_capped
from shared.limits import LIST_MAX, Id, Name, NoNul
from shared.openapi_links import link, linked
from shared.service import Runtime, get_runtime

router = APIRouter(prefix="/v1", tags=["enrollment"])
Writer = Annotated[Actor, Depends(require_role("officer", "supervisor"))]
Reader = Annotated[Actor, Depends(require_role("officer", "supervisor", "operator"))]
Rt = Annotated[Runtime, Depends(get_runtime)]


class HeirIn(BaseModel):
    full_name: Name
    relationship: Id
    # A contact is optional: the heir statement and the family card (KK) prove the tie.
    phone: Id | None = None
    email: Name | None = None
    language: Id = "id"
    birth_date: date | None = Field(None, description="optional; not in the future, not before 1900")


class ParticipantIn(BaseModel):
    nik: Id = Field(description="16-digit NIK; stored here only, shown masked everywhere else")
    full_name: Name
    birth_date: date
    sex: Id = Field(description="F or M")
    phone: Id
    address: Name = ""
    kecamatan: Name
    segment: Id
    monthly_income: int = Field(description="declared monthly income, whole rupiah")
    programs: list[Id] = Field(["JKK", "JKM"], max_length=LIST_MAX)
    member_since: date | None = None
    heirs: list[HeirIn] = Field([], max_length=LIST_MAX)


class ParticipantPatch(BaseModel):
    """The fields a PATCH may change; any other name is kept for the handler to refuse by name."""

    model_config = ConfigDict(extra="allow")

    full_name: Name | None = None
    phone: Id | None = None
    address: Name | None = None
    kecamatan: Name | None = None
    segment: Id | None = None
    monthly_income: int | None = None
    programs: list[Id] | None = Field(None, max_length=LIST_MAX)


class ContributionIn(BaseModel):
    period: Id = Field(description="YYYY-MM")
    amount: int
    payer: Id = "self"
    paid_at: date | None = None


class IncomeOut(BaseModel):
    effective_from: str = Field(description="YYYY-MM: the month the declared income took effect")
    monthly_income: int = Field(description="whole rupiah")


class HeirOut(BaseModel):
    heir_id: str
    full_name: str
    relationship: str = one_of(RELATIONSHIPS)
    precedence: int = Field(description="the heir's rank, 1 first (PP 44/2015 art. 37(5), 40(2))")
    phone: str | None
    email: str | None
    language: str
    birth_date: date | None


class CoverageOut(BaseModel):
    """A participant's coverage on `as_of` (as the CoverageChanged event carries it)."""

    status: str = one_of(COVERAGE_STATUSES)
    as_of: date
    last_paid_period: str | None
    active_through: date | None
    grace_until: date | None
    lapsed_from: date | None
    paid_months: int
    paid_periods: list[str] = Field(description='every fully paid month, "YYYY-MM", ascending')
    protected_periods: list[ProtectedPeriod] = Field(description="every stretch in which an incident is covered")


class ParticipantCoverageOut(CoverageOut):
    participant_id: str


class ParticipantOut(BaseModel):
    """A participant as enrollment knows them; the NIK masked."""

    participant_id: str
    nik_masked: str
    full_name: str
    birth_date: date
    sex: str = one_of(("F", "M"))
    phone: str
    address: str
    kecamatan: str
    segment: str = one_of(SEGMENTS)
    monthly_income: int = Field(description="declared, whole rupiah")
    programs: list[str]
    member_since: date
    income_history: list[IncomeOut] = Field(description="every declared income, oldest first")
    deceased_on: date | None
    duplicate_of: str | None = Field(description="the participant this one was merged into as a duplicate")
    open_duplicate_flags: list[str] = Field(description="ids of duplicate flags still open on this participant")
    heirs: list[HeirOut]
    coverage: CoverageOut


class ParticipantFoundOut(BaseModel):
    participant_id: str
    nik_masked: str
    full_name: str
    kecamatan: str
    segment: str = one_of(SEGMENTS)


class MonthOut(BaseModel):
    """A month's balance: what was due, paid, carried in and out as credit (whole rupiah)."""

    period: str = Field(description="YYYY-MM")
    due: int
    paid: int
    credit_in: int
    credit_out: int
    outstanding: int
    status: str = one_of(get_args(MonthStatus))
    completed_on: date | None


class ContributionRecordedOut(BaseModel):
    participant_id: str
    contribution_id: str
    period: str = Field(description="YYYY-MM")
    amount: int
    payer: str = one_of(("self", "city"))
    paid_at: date
    month: MonthOut
    coverage: CoverageOut


class ContributionOut(BaseModel):
    contribution_id: str
    period: str = Field(description="YYYY-MM")
    amount: int
    amount_due: int | None = Field(description="what the month owed when it was recorded")
    payer: str = one_of(("self", "city"))
    paid_at: date


class ContributionsOut(BaseModel):
    participant_id: str
    contributions: list[ContributionOut]
    months: list[MonthOut]


async def participant_view(conn, participant_id: str, on: date) -> dict[str, Any]:
    participant = await repo.load_participant(conn, participant_id)
    if participant is None:
        raise HTTPException(404, f"no participant {participant_id}")
    coverage = await handlers.current_coverage(conn, participant_id, on)
    return {
        "participant_id": participant_id,
        "nik_masked": participant["nik_masked"],
        "full_name": participant["full_name"],
        "birth_date": participant["birth_date"],
        "sex": participant["sex"],
        "phone": participant["phone"],
        "address": participant["address"],
        "kecamatan": participant["kecamatan"],
        "segment": participant["segment"],
        "monthly_income": participant["monthly_income"],
        "programs": participant["programs"],
        "member_since": participant["member_since"],
        # Every declared income with the month it took effect, oldest first.
        "income_history": [
            {"effective_from": str(c.effective_from), "monthly_income": c.monthly_income}
            for c in participant["income_history"]
        ],
        "deceased_on": participant["deceased_on"],
        # Likely the same person as another participant (docs/duplicates.md): merged, or still open.
        "duplicate_of": participant["duplicate_of"],
        "open_duplicate_flags": await repo.open_duplicate_ids(conn, participant_id),
        "heirs": [
            {
                k: h[k]
                for k in (
                    "heir_id",
                    "full_name",
                    "relationship",
                    "precedence",
                    "phone",
                    "email",
                    "language",
                    "birth_date",
                )
            }
            for h in participant["heirs"]
        ],
        "coverage": coverage.model_dump(mode="json", exclude={"participant_id"}),
    }


def _not_found(exc: ParticipantNotFound) -> HTTPException:
    return HTTPException(404, f"no participant {exc.args[0]}")


# What a participant's id opens: every operation on one participant.
PARTICIPANT_LINKS = {
    name: link(operation, participant_id="participant_id")
    for name, operation in (
        ("GetParticipant", "get_participant_v1_participants__participant_id__get"),
        ("ChangeDetails", "change_details_v1_participants__participant_id__patch"),
        ("ReplaceHeirs", "replace_heirs_v1_participants__participant_id__heirs_put"),
        ("RecordContribution", "record_contribution_v1_participants__participant_id__contributions_post"),
        ("ListContributions", "list_contributions_v1_participants__participant_id__contributions_get"),
        ("GetCoverage", "get_coverage_v1_participants__participant_id__coverage_get"),
    )
}


@router.post("/participants", status_code=201, response_model=ParticipantOut, responses=linked(201, PARTICIPANT_LINKS))
async def register(body: ParticipantIn, actor: Writer, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        async with conn.transaction():
            participant_id = await handlers.register(conn, body.model_dump(), actor, today())
        return await participant_view(conn, participant_id, today())


@router.get("/participants", response_model=list[ParticipantFoundOut])
async def search(actor: Reader, rt: Rt, q: Annotated[Name, Query(min_length=2)]) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return await repo.search_participants(conn, q)


class LookupIn(BaseModel):
    """A full NIK or a phone, in a body (never in a URL, where logs would keep it)."""

    nik: Id | None = None
    phone: Id | None = None


@router.post("/participants/lookup", response_model=list[ParticipantFoundOut])
async def lookup(body: LookupIn, actor: Reader, rt: Rt) -> list[dict[str, Any]]:
    """Participants by their full NIK or by a phone written as enrollment accepts it
    (0813…, +62…); answers with the masked NIK only."""
    nik, phone = handlers.lookup_keys(body.nik, body.phone)
    async with rt.pool.acquire() as conn:
        return await repo.find_participants(conn, nik, phone)


@router.get("/participants/{participant_id}", response_model=ParticipantOut)
async def get_participant(participant_id: str, actor: Reader, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        return await participant_view(conn, participant_id, today())


@router.patch("/participants/{participant_id}", response_model=ParticipantOut, responses=linked(200, PARTICIPANT_LINKS))
async def change_details(
    participant_id: str, body: Annotated[ParticipantPatch, Body()], actor: Writer, rt: Rt
) -> dict[str, Any]:
    patch = body.model_dump(exclude_unset=True)
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                await handlers.change_details(conn, participant_id, patch, actor, today())
        except ParticipantNotFound as exc:
            raise _not_found(exc) from None
        return await participant_view(conn, participant_id, today())


@router.put(
    "/participants/{participant_id}/heirs", response_model=ParticipantOut, responses=linked(200, PARTICIPANT_LINKS)
)
async def replace_heirs(
    participant_id: str, heirs: Annotated[list[HeirIn], Body(max_length=LIST_MAX)], actor: Writer, rt: Rt
) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                await handlers.replace_heirs(conn, participant_id, [h.model_dump() for h in heirs], actor, today())
        except ParticipantNotFound as exc:
            raise _not_found(exc) from None
        return await participant_view(conn, participant_id, today())


# A contribution has no address of its own: its id names it in the participant's list.
@router.post(
    "/participants/{participant_id}/contributions",
    status_code=201,
    response_model=ContributionRecordedOut,
    responses=linked(201, PARTICIPANT_LINKS),
)
async def record_contribution(participant_id: str, body: ContributionIn, actor: Writer, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                recorded = await handlers.record_contribution(conn, participant_id, body.model_dump(), actor, today())
        except ParticipantNotFound as exc:
            raise _not_found(exc) from None
        coverage = await handlers.current_coverage(conn, participant_id, today())
    return {
        "participant_id": participant_id,
        "contribution_id": recorded["contribution_id"],
        **body.model_dump(mode="json"),
        "paid_at": (body.paid_at or today()).isoformat(),
        "month": recorded["month"],
        "coverage": coverage.model_dump(mode="json", exclude={"participant_id"}),
    }


@router.get("/participants/{participant_id}/contributions", response_model=ContributionsOut)
async def list_contributions(participant_id: str, actor: Reader, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        await participant_view(conn, participant_id, today())
        months = await handlers.month_balances_of(conn, participant_id)
        return {
            "participant_id": participant_id,
            "contributions": await repo.list_contributions(conn, participant_id),
            # Per month: what was due, paid, carried in and out as credit, and whether it is complete.
            "months": [handlers.month_view(m) for m in months],
        }


@router.get("/participants/{participant_id}/coverage", response_model=ParticipantCoverageOut)
async def get_coverage(participant_id: str, actor: Reader, rt: Rt, as_of: date | None = None) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        view = await participant_view(conn, participant_id, as_of or today())
    return {"participant_id": participant_id, **view["coverage"]}


class CoverageSweptOut(BaseModel):
    as_of: date
    changed: int = Field(description="participants whose coverage moved on")
    reminders: int = Field(description="contribution reminders sent")


@router.post("/coverage/sweep", response_model=CoverageSweptOut)
async def sweep_coverage(
    actor: Annotated[Actor, Depends(require_role("supervisor", "operator"))], rt: Rt, as_of: date | None = None
) -> dict[str, Any]:
    """Moves coverage on as months pass, then reminds self-paid workers in grace (reminders.py);
    runs by itself hourly, callable for a given day."""
    changed = await handlers.sweep_coverage(rt.pool, as_of or today())
    reminded = await send_contribution_reminders(rt.pool, as_of or today())
    return {"as_of": (as_of or today()).isoformat(), "changed": changed, "reminders": reminded}


class ImportErrorOut(BaseModel):
    loc: list[str | int] = Field(description="the column the error is about")
    msg: str
    type: str = Field(description="the rule broken")


class ImportRejectionOut(BaseModel):
    row: int = Field(description="the row's number in the file")
    errors: list[ImportErrorOut]


class ImportOut(BaseModel):
    """A bulk import and how far it went."""

    import_id: str
    filename: str
    status: str = one_of(("running", "finished", "failed"))
    rows_total: int
    rows_done: int
    rows_enrolled: int
    rows_rejected: int
    rows_existing: int = Field(description="rows whose NIK was enrolled already")
    started_at: Instant
    finished_at: Instant | None
    progress: float = Field(description="rows done / rows total, 0 to 1")
    rejections: list[ImportRejectionOut]
    failure_reason: str | None = Field(description="why an import ended as failed")
    resumed: int = Field(description="how often a restart resumed it")


class ImportStartedOut(ImportOut):
    already_imported: bool = Field(description="the same file was imported before: this is that import")


@router.post(
    "/imports",
    status_code=202,
    response_model=ImportStartedOut,
    responses=linked(202, {"GetImport": link("get_import_v1_imports__import_id__get", import_id="import_id")}),
)
async def start_import(
    request: Request, actor: Writer, rt: Rt, filename: Annotated[Name, Query()] = "upload.csv"
) -> dict[str, Any]:
    """Body: the CSV file itself (text/csv), up to ENROLLMENT_IMPORT_MAX_BYTES (413 beyond). Answers
    at once; GET the import to follow progress."""
    content = await read_capped(request, rt.settings.import_max_bytes)
    if not content.strip():
        raise HTTPException(422, [{"loc": ["body"], "msg": "the CSV file is empty", "type": "import_empty"}])
    async with rt.pool.acquire() as conn, conn.transaction():
        record, is_new = await imports.start_import(conn, content, filename, actor)
    if is_new:
        rt.tasks.append(asyncio.create_task(imports.run_import(rt.pool, record["import_id"], content, today())))
    return {**_import_view(record), "already_imported": not is_new}


@router.get("/imports/{import_id}", response_model=ImportOut)
async def get_import(import_id: str, actor: Reader, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        record = await repo.load_import(conn, import_id)
    if record is None:
        raise HTTPException(404, f"no import {import_id}")
    return _import_view(record)


def _import_view(record: dict[str, Any]) -> dict[str, Any]:
    view = {
        k: record[k]
        for k in (
            "import_id",
            "filename",
            "status",
            "rows_total",
            "rows_done",
            "rows_enrolled",
            "rows_rejected",
            "rows_existing",
            "started_at",
            "finished_at",
        )
    }
    view["progress"] = round(record["rows_done"] / record["rows_total"], 3) if record["rows_total"] else 1.0
    view["rejections"] = record.get("rejections", [])
    # Why an import ended as failed, and how often a restart resumed it.
    view["failure_reason"], view["resumed"] = record.get("failure_reason"), record.get("resumed", 0)
    return view


class CampaignCellOut(BaseModel):
    """Participants of one kecamatan and segment; the deceased counted apart."""

    kecamatan: str
    segment: str = one_of(SEGMENTS)
    newly_covered: int = Field(description="first covered in the year")
    active: int
    grace: int
    lapsed: int
    not_started: int
    deceased: int


class RetentionOut(BaseModel):
    cohort: int = Field(description="self-paid workers who joined at least this many months before as_of")
    still_covered: int
    share: float | None = Field(description="still_covered / cohort; null for an empty cohort")


class CampaignOut(BaseModel):
    year: int
    target: int = Field(description="participants to cover in the year")
    newly_covered: int
    progress: float | None = Field(description="newly_covered / target; null without a target")
    active: int
    grace: int
    lapsed: int
    not_started: int
    deceased: int
    by_kecamatan_segment: list[CampaignCellOut]
    as_of: date
    retention: dict[str, RetentionOut] = Field(description="months after joining (3, 6, 12) -> retention")
    reminded_runs: int = Field(description="unpaid runs a reminder was sent for")
    lapses_prevented: int = Field(description="reminded runs whose missed month was paid within grace")


@router.get("/campaign", response_model=CampaignOut)
async def campaign(actor: Reader, rt: Rt, year: int | None = None, as_of: date | None = None) -> dict[str, Any]:
    """Enrolments against the target by kecamatan and segment; retention of self-paid workers at
    3, 6 and 12 months and lapses prevented by reminders, on `as_of` (campaign.py)."""
    as_of = as_of or today()
    year = year or as_of.year
    async with rt.pool.acquire() as conn:
        rows = await repo.campaign_summary(conn, year)
        grown = await growth(conn, as_of)
    target = rt.settings.campaign_target
    newly = sum(r["newly_covered"] for r in rows)
    return {
        "year": year,
        "target": target,
        "newly_covered": newly,
        "progress": round(newly / target, 4) if target else None,
        "active": sum(r["active"] for r in rows),
        "grace": sum(r["grace"] for r in rows),
        "lapsed": sum(r["lapsed"] for r in rows),
        "not_started": sum(r["not_started"] for r in rows),
        "deceased": sum(r["deceased"] for r in rows),
        "by_kecamatan_segment": rows,
        "as_of": as_of.isoformat(),
        **grown,
    }


class DuplicateDecisionIn(BaseModel):
    reason: NoNul | None = Field(None, max_length=500, description="why (required to dismiss)")


class DuplicateSideOut(BaseModel):
    participant_id: str
    full_name: str
    nik_masked: str
    birth_date: date
    kecamatan: str
    address: str
    enrolled_at: Instant


class DuplicateOut(BaseModel):
    """Two enrolments that are likely the same person (docs/duplicates.md)."""

    candidate_id: str
    score: float = Field(description="how alike, 0 to 1")
    reasons: list[str]
    status: str = one_of(("open", "dismissed", "merged"))
    decided_by: str | None
    decided_at: Instant | None
    decision_reason: str | None
    flagged_at: Instant
    participant: DuplicateSideOut = Field(description="enrolled later")
    duplicate_of: DuplicateSideOut = Field(description="enrolled before")


class DuplicatesOut(BaseModel):
    status: str = one_of(("open", "dismissed", "merged"))
    duplicates: list[DuplicateOut]


@router.get("/duplicates", response_model=DuplicatesOut)
async def list_duplicates(
    actor: Reader,
    rt: Rt,
    status: Literal["open", "dismissed", "merged"] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Likely duplicate people for an officer to merge or dismiss (docs/duplicates.md)."""
    async with rt.pool.acquire() as conn:
        return {"status": status, "duplicates": await repo.list_duplicate_candidates(conn, status, limit)}


@router.post("/duplicates/{candidate_id}/dismiss", response_model=DuplicateOut)
async def dismiss_duplicate(candidate_id: str, body: DuplicateDecisionIn, actor: Writer, rt: Rt) -> dict[str, Any]:
    return await _decide(rt, candidate_id, handlers.dismiss_duplicate, body.reason, actor)


@router.post("/duplicates/{candidate_id}/merge", response_model=DuplicateOut)
async def merge_duplicate(candidate_id: str, body: DuplicateDecisionIn, actor: Writer, rt: Rt) -> dict[str, Any]:
    """Marks the later enrolment as a duplicate of the earlier one; no data is moved."""
    return await _decide(rt, candidate_id, handlers.merge_duplicate, body.reason, actor)


async def _decide(rt: Runtime, candidate_id: str, decide, reason: str | None, actor: Actor) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                await decide(conn, candidate_id, reason, actor)
        except DuplicateNotFound:
            raise HTTPException(404, f"no duplicate flag {candidate_id}") from None
        return await repo.load_duplicate_candidate(conn, candidate_id)
