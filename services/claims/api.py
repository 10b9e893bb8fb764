"""Claims' HTTP entrypoint (officers): file, follow, decide, add documents. Disbursement has its own
(services/claims/disbursement/api.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response
from pydantic import (
    BaseModel,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.claims import handlers
from services.claims import repository as repo
from services.claims.domain.claim import Guardian
from services.claims.domain.decision import AlreadyDecided
from services.claims.domain.documents import CHECKLIST, CONDITIONS, published_checklist
from services.claims.domain.duties import NotPermitted
from services.claims.domain.heirs import NamedHeir
from services.claims.domain.sla import days_left, deadline_runs
from services.claims.handlers import ClaimNotFound
from shared.answers import Instant, one_of
from shared.auth import Actor, require_role
from shared.clock import today
from shared.contracts.vocabulary import (
    CLAIM_STATUSES,
    CLAIM_TYPES,
    COVERAGE_STATUSES,
    DISBURSEMENT_STATUSES,
    PAYOUT_COMPONENTS,
    PAYOUT_KINDS,
    REASON_CODES,
    RELATIONSHIPS,
    DeathClaimType,
    Relationship,
)
from shared.errors import RuleViolation
from shared.limits import LIST_MAX, Id, Name, NoNul, Text
from shared.openapi_links import link, linked
from shared.service import Runtime, get_runtime

router = APIRouter(prefix="/v1", tags=["claims"])
Officer = Annotated[Actor, Depends(require_role("officer", "supervisor"))]
# Deciding a claim and recording a transfer are a supervisor's (domain/duties.py says who else may not).
Supervisor = Annotated[Actor, Depends(require_role("supervisor"))]
Reader = Annotated[Actor, Depends(require_role("officer", "supervisor", "operator"))]
Rt = Annotated[Runtime, Depends(get_runtime)]


class ReporterIn(BaseModel):
    name: Name
    phone: Id | None = None
    organisation: Name | None = Field(None, description="workers' group, union or health facility, or the relation")


class TransportCostsIn(BaseModel):
    """What the transport to hospital cost, whole rupiah by mode (JKK); each mode is paid up to its cap."""

    land: int | None = Field(None, ge=0, le=10**12, description="by land, river or lake")
    sea: int | None = Field(None, ge=0, le=10**12)
    air: int | None = Field(None, ge=0, le=10**12)


class FirstShapeDocument(BaseModel):
    """A document as the first filing contract listed it (deprecated: see ClaimIn)."""

    kind: Id
    number: Id


# The filing contract as first asked (`type`, `place`, a list of documents) is accepted for one
# version beside the current one, answered with RFC 9745's Deprecation header and a Sunset date
# (RFC 8594) and a Link to the current contract (docs/deprecations.md).
FIRST_SHAPE_DEPRECATED_ON = datetime(2026, 12, 1, tzinfo=UTC)
FIRST_SHAPE_SUNSET_ON = datetime(2027, 3, 1, tzinfo=UTC)
FIRST_SHAPE_HEADERS = {
    "Deprecation": f"@{int(FIRST_SHAPE_DEPRECATED_ON.timestamp())}",
    "Sunset": format_datetime(FIRST_SHAPE_SUNSET_ON, usegmt=True),
    "Link": '</docs#/claims/file_claim_v1_claims_post>; rel="deprecation"; type="text/html"',
}


def _from_first_shape(data: dict[str, Any]) -> dict[str, Any]:
    """The first shape's fields under the current names. A field sent in both shapes is an error
    (which one the caller meant is not ours to guess); errors name the field as the caller sent it."""
    data, errors = dict(data), []
    for old, new in (("type", "claim_type"), ("place", "incident_place")):
        if old in data and new in data:
            errors.append(
                {
                    "type": PydanticCustomError(
                        "shapes_mixed", "send `{new}` or the deprecated `{old}`, not both", {"new": new, "old": old}
                    ),
                    "loc": (old,),
                    "input": None,
                }
            )
        elif old in data:
            data[new] = data.pop(old)
    if isinstance(data.get("documents"), list):
        try:
            listed = TypeAdapter(list[FirstShapeDocument]).validate_python(data["documents"])
        except ValidationError as exc:
            errors += [
                {
                    "type": e["type"],
                    "loc": ("documents", *e["loc"]),
                    "input": e["input"],
                    **({"ctx": e["ctx"]} if "ctx" in e else {}),
                }
                for e in exc.errors()
            ]
        else:
            if len({d.kind for d in listed}) != len(listed):
                errors.append(
                    {
                        "type": PydanticCustomError(
                            "document_kind_repeated", "each document kind once: documents are a kind -> number map"
                        ),
                        "loc": ("documents",),
                        "input": None,
                    }
                )
            data["documents"] = {d.kind: d.number for d in listed}
    if errors:
        raise ValidationError.from_exception_data("ClaimIn", errors)
    return data


# The kinds OpenAPI lists for a documents map's keys; the domain refuses others by its own rule.
DOCUMENT_KINDS: dict[str, Any] = {"propertyNames": {"enum": list(CHECKLIST)}}


class ClaimIn(BaseModel):
    """The filing contract. Until the sunset date the first one is accepted too: `type` for
    `claim_type`, `place` for `incident_place`, and `documents` as a list of {kind, number};
    such a request is answered with `Deprecation`, `Sunset` and `Link` headers."""

    participant_id: Id
    # The enum is documented; the domain checks it, so an unknown type is refused with its own rule
    # (claim_type_unknown) and a sentence, not the schema's generic literal_error.
    claim_type: Id = Field(
        description="JKK (accident), JKK_DEATH (death from a work accident), JKM (other death)",
        json_schema_extra={"enum": list(CLAIM_TYPES)},
    )
    # Optional here so a missing date is reported with every other field's error in one
    # answer (validate_filing names them all); pydantic would stop at the date alone.
    incident_date: date | None = None
    incident_place: Name = ""
    cause: Text = ""
    traffic_accident: bool = False
    reporter: ReporterIn
    documents: dict[Id, Id] = Field(
        default_factory=dict,
        max_length=LIST_MAX,
        description="document kind -> document number",
        json_schema_extra=DOCUMENT_KINDS,
    )
    incapacity_days: int | None = None
    disability_percent: int | None = None
    transport_costs: TransportCostsIn | None = None
    _first_shape: bool = PrivateAttr(False)

    @model_validator(mode="wrap")
    @classmethod
    def _accept_first_shape(cls, data: Any, handler: ModelWrapValidatorHandler[ClaimIn]) -> ClaimIn:
        first = isinstance(data, dict) and (
            "type" in data or "place" in data or isinstance(data.get("documents"), list)
        )
        claim = handler(_from_first_shape(data) if first else data)
        claim._first_shape = first
        return claim


class HeirIn(BaseModel):
    full_name: NoNul = Field(max_length=200)
    relationship: Relationship = Field(description="the heir's tie to the deceased; the rank follows from it")
    birth_date: date | None = Field(None, description="a minor is paid through a wali; the scholarship ends at 23")
    phone: NoNul | None = Field(None, max_length=20, description="E.164 (+62…); optional")
    email: NoNul | None = Field(None, max_length=254)
    language: Literal["id", "en"] = "id"


class HeirsIn(BaseModel):
    heirs: list[HeirIn] = Field(max_length=50)


class GuardianIn(BaseModel):
    name: NoNul = Field(max_length=200)
    relationship: NoNul = Field(max_length=100, description="who the wali is to the child: ibu, paman, kakek…")


class ReclassificationIn(BaseModel):
    claim_type: DeathClaimType
    reason: NoNul = Field(max_length=2000)


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject"]
    reason: Text


class DocumentsIn(BaseModel):
    documents: dict[Id, Id] = Field(
        max_length=LIST_MAX, description="document kind -> document number", json_schema_extra=DOCUMENT_KINDS
    )


def _not_found(exc: ClaimNotFound) -> HTTPException:
    return HTTPException(404, f"no claim {exc.args[0]}")


def _refused(exc: NotPermitted) -> HTTPException:
    return HTTPException(403, {"type": exc.code, "msg": exc.message})


class ConditionalDocumentOut(BaseModel):
    kind: str = one_of(CHECKLIST)
    when: str = one_of(name for name, _ in CONDITIONS)


class ClaimTypeChecklistOut(BaseModel):
    claim_type: str = one_of(CLAIM_TYPES)
    required: list[str] = Field(description="the document kinds a claim of this type always needs, in checklist order")
    conditional: list[ConditionalDocumentOut] = Field(description="the kinds a condition adds, with the condition")
    npwp_threshold_rupiah: int = Field(description="a payout above this needs the payee's NPWP")


class ChecklistOut(BaseModel):
    kinds: list[str] = Field(description="every document kind, in checklist order")
    claim_types: dict[str, ClaimTypeChecklistOut] = Field(description="claim type -> its checklist")


@router.get("/checklist", response_model=ChecklistOut)
async def checklist(actor: Reader) -> dict[str, Any]:
    """The documents each claim type needs, and those a condition adds (traffic accident,
    spouse as payee, a payout above the NPWP threshold): forms show only these."""
    return {"kinds": list(CHECKLIST), "claim_types": {t: published_checklist(t) for t in CLAIM_TYPES}}


class ClaimStatusOut(BaseModel):
    """A claim and the status the operation left it in."""

    claim_id: str
    status: str = Field(json_schema_extra={"enum": list(CLAIM_STATUSES)})


class ReasonOut(BaseModel):
    code: str = one_of(REASON_CODES)
    message: str


class ReporterOut(BaseModel):
    name: str
    phone: str | None
    organisation: str | None = Field(description="workers' group, union or health facility, or the relation")


class GuardianOut(BaseModel):
    name: str
    relationship: str = one_of(RELATIONSHIPS)


class SlaOut(BaseModel):
    """The payment deadline, once the application is complete (PP 44/2015 art. 37(2), 40(3))."""

    documents_complete_on: date | None
    deadline: date
    days_left: int | None = Field(description="working days left; null once the deadline no longer runs")


class ClaimDisbursementOut(BaseModel):
    status: str | None = one_of(DISBURSEMENT_STATUSES, "null until a payout is recorded", nullable=True)
    reference: str | None


class LedgerLineOut(BaseModel):
    component: str = one_of(PAYOUT_COMPONENTS)
    payee_heir_id: str = Field(description="the heir paid; empty for the participant")
    payee_name: str | None
    guardian_name: str | None = Field(description="the wali through whom a minor's share is paid")
    amount: int = Field(description="whole rupiah")
    kind: str = one_of(PAYOUT_KINDS)
    note: str
    entry: int = Field(description="0: the payout; n: the n-th reclassification's adjustment")


class PayoutOut(BaseModel):
    components: list[LedgerLineOut]
    total_cash: int = Field(description="whole rupiah: the sum of the cash lines")


class StepOut(BaseModel):
    step: str
    at: Instant
    detail: dict[str, Any] = Field(description="what the step recorded; its keys vary by step")


class ClaimOut(BaseModel):
    """A claim with everything an officer follows it by."""

    claim_id: str
    participant_id: str
    claim_type: str = one_of(CLAIM_TYPES)
    status: str = one_of(CLAIM_STATUSES)
    incident_date: date
    incident_place: str
    cause: str
    traffic_accident: bool
    reporter: ReporterOut
    documents: list[str] = Field(description="the kinds of document given, sorted")
    missing_documents: list[str]
    reasons: list[ReasonOut]
    decided_by: str | None
    decision_note: str | None
    guardians: dict[str, GuardianOut] = Field(description="heir_id -> the wali named for that minor heir")
    transport_costs: dict[str, int] = Field(description="transport mode (land, sea, air) -> whole rupiah")
    supervisor_flag: str | None = Field(description="what a supervisor must settle by hand")
    sla: SlaOut | None
    disbursement: ClaimDisbursementOut
    payout: PayoutOut
    steps: list[StepOut]
    filed_at: Instant
    filed_by: str
    documents_added_by: list[str]
    sampled: bool = Field(description="drawn for a supervisor's review")


class ClaimListedOut(BaseModel):
    """A claim on a work list."""

    claim_id: str
    participant_id: str
    participant_name: str | None = Field(description="from claims' read model; null before it knows the participant")
    claim_type: str = one_of(CLAIM_TYPES)
    incident_date: date
    status: str = one_of(CLAIM_STATUSES)
    filed_at: Instant
    filed_by: str
    sla_deadline: date | None
    disbursement_status: str | None = one_of(DISBURSEMENT_STATUSES, nullable=True)
    reasons: list[ReasonOut]
    missing_documents: list[str]
    sampled: bool
    days_left: int | None = Field(description="working days to the payment deadline, while it runs")


class ParticipantFoundOut(BaseModel):
    """A participant as claims' read model knows them."""

    participant_id: str
    masked_nik: str
    full_name: str
    coverage_status: str = one_of(COVERAGE_STATUSES)


class HeirsNamedOut(BaseModel):
    claim_id: str
    heir_ids: list[str] = Field(description="the ids claims gave the heirs, in the order they were sent")


class GuardiansNamedOut(BaseModel):
    claim_id: str
    guardians: list[str] = Field(description="the heir_ids whose guardian (wali) is now named")


# What a claim's id opens: every operation on one claim, for a link from each answer that names it.
CLAIM_LINKS = {
    name: link(operation, claim_id="claim_id")
    for name, operation in (
        ("GetClaim", "get_claim_v1_claims__claim_id__get"),
        ("DecideClaim", "decide_v1_claims__claim_id__decision_post"),
        ("WithdrawClaim", "withdraw_v1_claims__claim_id__withdrawal_post"),
        ("ReopenClaim", "reopen_v1_claims__claim_id__reopen_post"),
        ("AddDocuments", "add_documents_v1_claims__claim_id__documents_post"),
        ("NameHeirs", "name_heirs_v1_claims__claim_id__heirs_post"),
        ("NameGuardians", "name_guardians_v1_claims__claim_id__guardians_put"),
        ("ReclassifyClaim", "reclassify_v1_claims__claim_id__reclassification_post"),
        ("GetDisbursement", "disbursement_v1_claims__claim_id__disbursement_get"),
        ("RecordManualTransfer", "manual_transfer_v1_claims__claim_id__disbursement_post"),
        ("CompleteClaim", "complete_v1_claims__claim_id__completion_post"),
    )
}
CLAIM_READ = {"GetClaim": CLAIM_LINKS["GetClaim"]}


@router.post("/claims", status_code=202, response_model=ClaimStatusOut, responses=linked(202, CLAIM_LINKS))
async def file_claim(
    body: ClaimIn,
    actor: Officer,
    rt: Rt,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="the client's key for this filing (a UUID, say), the same on every retry of it: a "
            "retry whose first answer was lost gets the claim the first attempt made, not a second claim "
            "(a rejected claim does not stop a new filing of its incident). The key used for a different "
            "filing is refused (422). Keys are the officer's own.",
        ),
    ] = None,
) -> dict[str, Any]:
    if idempotency_key is not None and (problem := handlers.idempotency_key_problem(idempotency_key)):
        raise RuleViolation([problem])
    # No transaction: the filing writes in one statement (handlers.file_claim).
    async with rt.pool.acquire() as conn:
        claim_id = await handlers.file_claim(conn, body.model_dump(), actor, today(), idempotency_key)
    if body._first_shape:
        response.headers.update(FIRST_SHAPE_HEADERS)
    return {"claim_id": claim_id, "status": "filed"}


class FilingCheckOut(BaseModel):
    """What filing would say, nothing written."""

    participant_name: str | None = Field(description="from claims' read model; null before it knows the participant")
    covered_on_incident_date: bool
    last_protected_day_before: date | None = Field(
        description="when cover ended before the incident; null when covered or never protected before it"
    )


@router.post("/claims/check", response_model=FilingCheckOut)
async def check_claim(body: ClaimIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    """A dry run of filing: the same 422 and 409, nothing written; and whether the
    participant was covered on the incident date (a form warns before filing)."""
    async with rt.pool.acquire() as conn:
        return await handlers.check_filing(conn, body.model_dump(), today())


@router.get("/claims", response_model=list[ClaimListedOut])
async def list_claims(
    actor: Reader,
    rt: Rt,
    status: Annotated[Id | None, Query(json_schema_extra={"enum": list(CLAIM_STATUSES)})] = None,
    participant_id: Id | None = None,
    filed_by: Name | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Oldest first; `days_left` counts the payment deadline's working days, and only for a claim
    still open (a rejected or paid claim owes nothing more)."""
    async with rt.pool.acquire() as conn:
        claims = await repo.list_claims(conn, status, participant_id, limit, filed_by, offset)
    now = today()
    for claim in claims:
        runs = claim["sla_deadline"] and deadline_runs(claim["status"], claim["disbursement_status"])
        claim["days_left"] = days_left(claim["sla_deadline"], now) if runs else None
    return claims


@router.get("/claims/{claim_id}", response_model=ClaimOut)
async def get_claim(claim_id: str, actor: Reader, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        row = await repo.load_claim(conn, claim_id)
        if row is None:
            raise HTTPException(404, f"no claim {claim_id}")
        steps = await repo.steps(conn, claim_id)
        ledger = await repo.ledger(conn, claim_id)
    sla = None
    if row["sla_deadline"]:
        sla = {
            "documents_complete_on": row["documents_complete_on"],
            "deadline": row["sla_deadline"],
            "days_left": days_left(row["sla_deadline"], today())
            if deadline_runs(row["status"], row["disbursement_status"])
            else None,
        }
    return {
        "claim_id": claim_id,
        "participant_id": row["participant_id"],
        "claim_type": row["claim_type"],
        "status": row["status"],
        "incident_date": row["incident_date"],
        "incident_place": row["incident_place"],
        "cause": row["cause"],
        "traffic_accident": row["traffic_accident"],
        "reporter": row["reporter"],
        "documents": sorted(row["documents"]),
        "missing_documents": row["missing_documents"],
        "reasons": row["reasons"],
        "decided_by": row["decided_by"],
        "decision_note": row["decision_note"],
        "guardians": row["guardians"],
        "transport_costs": row["transport_costs"],
        "supervisor_flag": row["supervisor_flag"],
        "sla": sla,
        "disbursement": {"status": row["disbursement_status"], "reference": row["disbursement_reference"]},
        "payout": {"components": ledger, "total_cash": sum(x["amount"] for x in ledger if x["kind"] == "cash")},
        "steps": steps,
        "filed_at": row["filed_at"],
        "filed_by": row["filed_by"],
        "documents_added_by": row["documents_added_by"],
        "sampled": row["sampled"],
    }


@router.post("/claims/{claim_id}/decision", response_model=ClaimStatusOut, responses=linked(200, CLAIM_READ))
async def decide(claim_id: str, body: DecisionIn, actor: Supervisor, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                status = await handlers.decide_claim(conn, claim_id, body.decision, body.reason, actor, today())
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
        except NotPermitted as exc:
            raise _refused(exc) from None
        except AlreadyDecided as exc:
            raise HTTPException(
                409,
                {
                    "type": "claim_already_decided",
                    "msg": str(exc),
                    "claim_status": exc.status,
                    "decided_by": exc.decided_by,
                    "decided_at": exc.decided_at.isoformat() if exc.decided_at else None,
                },
            ) from None
    return {"claim_id": claim_id, "status": status}


class WithdrawalIn(BaseModel):
    reason: Text = Field(description="why the claim is withdrawn (filed for the wrong person, the wrong incident)")


@router.post("/claims/{claim_id}/withdrawal", response_model=ClaimStatusOut, responses=linked(200, CLAIM_READ))
async def withdraw(claim_id: str, body: WithdrawalIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    """The filer or a supervisor withdraws a claim before its payout is recorded."""
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                status = await handlers.withdraw_claim(conn, claim_id, body.reason, actor)
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
        except NotPermitted as exc:
            raise _refused(exc) from None
    return {"claim_id": claim_id, "status": status}


class ReopenIn(BaseModel):
    reason: NoNul = Field(description="why the decision is sent back to review (the grievance, what it showed)")


@router.post("/claims/{claim_id}/reopen", response_model=ClaimStatusOut, responses=linked(200, CLAIM_READ))
async def reopen(claim_id: str, body: ReopenIn, actor: Supervisor, rt: Rt) -> dict[str, Any]:
    """A supervisor sends an approved or rejected claim back to review (from a grievance)."""
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                status = await handlers.reopen_claim(conn, claim_id, body.reason, actor)
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "status": status}


@router.post("/claims/{claim_id}/documents", response_model=ClaimStatusOut, responses=linked(200, CLAIM_READ))
async def add_documents(claim_id: str, body: DocumentsIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                status = await handlers.add_documents(
                    conn, claim_id, body.documents, actor, today(), rt.settings.review_sampling()
                )
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "status": status}


@router.post(
    "/claims/{claim_id}/heirs",
    status_code=201,
    response_model=HeirsNamedOut,
    responses=linked(
        201,
        {
            **CLAIM_READ,
            "RecordPayeeAccount": link(
                "record_account_v1_claims__claim_id__payees__payee__account_put",
                claim_id="claim_id",
                payee="heir_ids/0",
            ),
        },
    ),
)
async def name_heirs(claim_id: str, body: HeirsIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    """The heirs named on the heir statement (surat keterangan ahli waris) of a death claim;
    a phone or email is optional. Claims assigns their ids; enrollment takes them as heirs."""
    named = [NamedHeir(h.full_name, h.relationship, h.birth_date, h.phone, h.email, h.language) for h in body.heirs]
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                ids = await handlers.name_heirs(conn, claim_id, named, actor, today(), rt.settings.review_sampling())
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "heir_ids": ids}


@router.put("/claims/{claim_id}/guardians", response_model=GuardiansNamedOut, responses=linked(200, CLAIM_READ))
async def name_guardians(claim_id: str, body: dict[str, GuardianIn], actor: Officer, rt: Rt) -> dict[str, Any]:
    """The wali through whom each minor heir's share is paid: {heir_id: {name, relationship}}."""
    guardians = {heir_id: Guardian(g.name, g.relationship) for heir_id, g in body.items()}
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                await handlers.name_guardians(conn, claim_id, guardians, actor, today(), rt.settings.review_sampling())
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "guardians": sorted(guardians)}


class ReclassifiedOut(BaseModel):
    claim_id: str
    claim_type: str = one_of(CLAIM_TYPES)
    difference_paid: int = Field(description="whole rupiah the new type pays beyond what was paid, to be transferred")
    overpaid: int = Field(description="whole rupiah paid beyond what the new type gives; a supervisor settles it")


@router.post("/claims/{claim_id}/reclassification", response_model=ReclassifiedOut, responses=linked(200, CLAIM_READ))
async def reclassify(claim_id: str, body: ReclassificationIn, actor: Supervisor, rt: Rt) -> dict[str, Any]:
    """A supervisor corrects a death's type (JKM <-> JKK_DEATH) with a reason, before or after payout."""
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                result = await handlers.reclassify(
                    conn, claim_id, body.claim_type, body.reason, actor, today(), rt.settings.review_sampling()
                )
        except ClaimNotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, **result}


@router.get("/participants", response_model=list[ParticipantFoundOut])
async def search_participants(actor: Reader, rt: Rt, q: Annotated[Name, Query(min_length=2)]) -> list[dict[str, Any]]:
    """Participants as claims knows them (its read model), for the filing form."""
    async with rt.pool.acquire() as conn:
        return await repo.search_participants(conn, q)
