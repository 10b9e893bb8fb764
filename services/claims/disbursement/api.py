"""Disbursement's HTTP entrypoints: payees' accounts (officer), the supervisor's manual transfer
and reversal, the bank's signed notifications, statement reconciliation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field

from services.claims.disbursement import handlers, reconciliation
from services.claims.disbursement import repository as repo
from services.claims.disbursement.bank import answer_of_status
from services.claims.domain.disbursement import ACTIONS, PayeeAccount
from shared import snap
from shared.answers import Instant, one_of
from shared.auth import Actor, require_role
from shared.contracts.vocabulary import PAYOUT_COMPONENTS
from shared.db import working_for
from shared.edge import BodyTooLarge, read_capped
from shared.errors import Conflict
from shared.limits import NoNul
from shared.openapi_links import link, linked
from shared.service import Runtime, get_runtime

router = APIRouter(tags=["disbursement"])
Officer = Annotated[Actor, Depends(require_role("officer", "supervisor"))]
Supervisor = Annotated[Actor, Depends(require_role("supervisor"))]
Reader = Annotated[Actor, Depends(require_role("officer", "supervisor", "operator"))]
Rt = Annotated[Runtime, Depends(get_runtime)]

NOTIFY_PATH = "/snap/v1.0/transfer-interbank/notify"
MAX_NOTIFICATION_BYTES = 16 * 1024
MAX_STATEMENT_BYTES = 5 * 1024 * 1024


class AccountIn(BaseModel):
    method: Literal["bank", "cash"] = "bank"
    # Lengths and shapes are the domain's rules (validate_account): its 422 never echoes the input,
    # which may be a NIK typed into the wrong field.
    bank_code: str | None = Field(None, description="the bank's three-digit code (002 BRI, 008 Mandiri, 009 BNI)")
    account_number: str | None = Field(None, description="digits only")
    account_name: str = Field(description="the name on the account, or of the person collecting cash")


class ManualTransferIn(BaseModel):
    component: str = Field(max_length=64, json_schema_extra={"enum": list(PAYOUT_COMPONENTS)})
    payee: str = Field(max_length=64, description="the heir_id, or 'worker' for a line without an heir")
    bank_reference: str = Field(max_length=64)
    note: str = Field("", max_length=500)
    entry: int | None = Field(
        None,
        ge=0,
        le=1000,
        description="the ledger entry (0 the payout, n the n-th reclassification's difference) "
        "when the payee has this component more than once",
    )


class ReversalIn(BaseModel):
    external_id: NoNul = Field(max_length=64)
    reason: NoNul = Field(max_length=500)


def _not_found(exc: handlers.NotFound) -> HTTPException:
    return HTTPException(404, str(exc))


class TransferRecordedOut(BaseModel):
    claim_id: str
    component: str = Field(json_schema_extra={"enum": list(PAYOUT_COMPONENTS)})
    status: Literal["succeeded"]


class ReversedOut(BaseModel):
    claim_id: str
    reversed: str = Field(description="the external id of the transfer reversed")


# The statuses the tables allow (migrations 0004): G2P Connect's for a line; an attempt is also
# `sending` until the bank answers, and `reversed` once a supervisor reverses it.
LINE_STATUSES = ("received", "pending", "succeeded", "rejected")
ATTEMPT_STATUSES = ("sending", *LINE_STATUSES[1:], "reversed")


class AccountRecordedOut(BaseModel):
    claim_id: str
    payee: str = Field(description=f"an heir_id on the payout, or '{handlers.WORKER_PAYEE}'")
    reissued: list[str] = Field(description="the components whose rejected lines were sent again to this account")


class DisbursementLineOut(BaseModel):
    component: str = one_of(PAYOUT_COMPONENTS)
    payee_heir_id: str = Field(description="empty for the worker")
    payee_name: str | None
    amount: int = Field(description="whole rupiah")
    status: str = one_of(LINE_STATUSES)
    reason_code: str | None = Field(description="ISO 20022's reason when the bank rejected it")
    attempts: int
    entry: int = Field(description="0: the payout; n: the n-th reclassification's difference")


class PayeeAccountOut(BaseModel):
    payee: str
    method: str = one_of(("bank", "cash"))
    bank_code: str | None
    account_last4: str | None
    account_name: str
    checked: str = one_of(("unchecked", "ok", "rejected"), "whether the bank confirmed the holder")
    holder_name: str | None
    reason_code: str | None


class TransferAttemptOut(BaseModel):
    external_id: str
    component: str = one_of(PAYOUT_COMPONENTS)
    payee_heir_id: str
    entry: int
    attempt: int
    method: str = one_of(("bank", "cash", "manual"))
    bank_code: str | None
    account_last4: str | None
    amount: int
    status: str = one_of(ATTEMPT_STATUSES)
    reason_code: str | None
    bank_reference: str | None
    pickup_code: str | None = Field(description="what a cash payee shows at the counter")
    created_by: str
    created_at: Instant
    updated_at: Instant


class ReversalOut(BaseModel):
    external_id: str
    amount: int
    reason: str
    reversed_by: str
    reversed_at: Instant


class FollowUpOut(BaseModel):
    """A payee answered that the money did not arrive."""

    claim_id: str
    payee_heir_id: str
    reason: str
    flagged_at: Instant


class DisbursementTotalsOut(BaseModel):
    """Whole rupiah: paid - reversed = held by payees; owed - held = outstanding."""

    owed: int
    paid: int
    reversed: int
    held_by_payees: int
    outstanding: int


class DisbursementOut(BaseModel):
    claim_id: str
    lines: list[DisbursementLineOut]
    accounts: list[PayeeAccountOut]
    attempts: list[TransferAttemptOut]
    reversals: list[ReversalOut]
    follow_ups: list[FollowUpOut]
    totals: DisbursementTotalsOut


class MismatchOut(BaseModel):
    """A transfer and the bank's statement disagree: what, and what to do about it."""

    kind: str = one_of(ACTIONS)
    external_id: str | None = Field(description="Jaring's transfer, when one is involved")
    claim_id: str | None
    end_to_end_id: str | None
    bank_reference: str | None
    expected: int | None = Field(description="whole rupiah Jaring paid")
    booked: int | None = Field(description="whole rupiah the statement booked")
    action: str


class StatementImportedOut(BaseModel):
    statement_id: str
    booked_on: date
    entries: int
    matched: int
    mismatches: list[MismatchOut]


class OpenMismatchOut(MismatchOut):
    id: int
    statement_id: str
    resolved: bool
    booked_on: date


# A transfer recorded or an account set: the claim's disbursement shows what it changed.
DISBURSEMENT_READ = {"GetDisbursement": link("disbursement_v1_claims__claim_id__disbursement_get", claim_id="claim_id")}


@router.put(
    "/v1/claims/{claim_id}/payees/{payee}/account",
    response_model=AccountRecordedOut,
    responses=linked(200, DISBURSEMENT_READ),
)
async def record_account(claim_id: str, payee: str, body: AccountIn, actor: Officer, rt: Rt) -> dict[str, Any]:
    account = PayeeAccount(
        method=body.method, account_name=body.account_name, bank_code=body.bank_code, account_number=body.account_number
    )
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                reissued = await handlers.record_account(conn, claim_id, payee, account, actor)
        except handlers.NotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "payee": payee, "reissued": reissued}


@router.get("/v1/claims/{claim_id}/disbursement", response_model=DisbursementOut)
async def disbursement(claim_id: str, actor: Reader, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        return {"claim_id": claim_id, **await handlers.disbursement_of(conn, claim_id)}


@router.post(
    "/v1/claims/{claim_id}/disbursement", response_model=TransferRecordedOut, responses=linked(200, DISBURSEMENT_READ)
)
async def manual_transfer(claim_id: str, body: ManualTransferIn, actor: Supervisor, rt: Rt) -> dict[str, Any]:
    """A supervisor records a transfer made outside Jaring, with the bank's reference (audited)."""
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                await handlers.record_manual_transfer(
                    conn,
                    claim_id,
                    body.component,
                    body.payee,
                    body.bank_reference,
                    body.note,
                    actor,
                    rt.settings.receipt_survey_percent,
                    body.entry,
                )
        except handlers.NotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "component": body.component, "status": "succeeded"}


@router.post(
    "/v1/claims/{claim_id}/disbursement/reversals", response_model=ReversedOut, responses=linked(200, DISBURSEMENT_READ)
)
async def reverse(claim_id: str, body: ReversalIn, actor: Supervisor, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                await handlers.reverse_transfer(conn, claim_id, body.external_id, body.reason, actor)
        except handlers.NotFound as exc:
            raise _not_found(exc) from None
    return {"claim_id": claim_id, "reversed": body.external_id}


def _snap(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"responseCode": code, "responseMessage": message}, status)


class SnapAnswer(BaseModel):
    """SNAP's answer body (the bank's protocol, not a problem document)."""

    responseCode: str = Field(description="HTTP status, service code 00 and case: 2000000, 4010000, 4090000…")
    responseMessage: str


# Documentation of how the bank authenticates (OpenAPI has no signature scheme: an API key in a
# header, described). auto_error=False: the route checks the signature itself (shared/snap.py).
BANK_SIGNATURE = APIKeyHeader(
    name="X-SIGNATURE",
    scheme_name="bankSignature",
    auto_error=False,
    description="SNAP symmetric signature: HMAC-SHA512 with the client secret over method, path, "
    "lowercase hex SHA-256 of the minified body and X-TIMESTAMP (ISO 8601, within 5 minutes), "
    "base64; X-TIMESTAMP and a never-seen X-EXTERNAL-ID are required beside it.",
)
SNAP_ANSWERS: dict[int | str, dict[str, Any]] = {
    status: {"model": SnapAnswer, "description": description, "content": {"application/json": {}}}
    for status, description in (
        (200, "applied (2000000)"),
        (400, "not a notification (4000000)"),
        (401, "signature, timestamp or X-EXTERNAL-ID refused (4010000)"),
        (404, "no transfer with this originalExternalId (4040001)"),
        (409, "this X-EXTERNAL-ID was used before: a replay (4090000)"),
        (413, "the notification is larger than a notification can be (4130000)"),
    )
}


@router.post(NOTIFY_PATH, dependencies=[Security(BANK_SIGNATURE)], responses=SNAP_ANSWERS, response_model=SnapAnswer)
async def bank_notification(request: Request, rt: Rt) -> JSONResponse:
    """The bank's notification of a transfer's final status. Not a person's token: SNAP's
    signature over method, path, body digest and X-TIMESTAMP (5-minute window), and an
    X-EXTERNAL-ID never seen before. Every answer, a refusal too, is SNAP's {responseCode,
    responseMessage}: the bank reads that, not a problem document (docs/api-errors.md)."""
    try:
        raw = await read_capped(request, MAX_NOTIFICATION_BYTES)
    except BodyTooLarge:
        return _snap(413, "4130000", "Content Too Large")
    h = request.headers
    external_id = h.get("x-external-id", "")
    refusal = snap.authentic(
        rt.settings.bank_client_secret,
        request.method,
        request.url.path,
        raw,
        h.get("x-timestamp", ""),
        h.get("x-signature", ""),
        datetime.now(UTC),
    )
    if refusal or not external_id or len(external_id) > 64:
        return _snap(401, "4010000", f"Unauthorized. [{refusal or 'X-EXTERNAL-ID'}]")
    try:
        answer = answer_of_status(_json_object(raw))
        original = str(_json_object(raw)["originalExternalId"])
    except (ValueError, KeyError):
        return _snap(400, "4000000", "Bad Request")
    with working_for(original):
        return await _apply_notification(rt, external_id, original, answer)


async def _apply_notification(rt: Runtime, external_id: str, original: str, answer: Any) -> JSONResponse:
    try:
        async with rt.pool.acquire() as conn, conn.transaction():
            if not await repo.notification_first_seen(conn, external_id):
                return _snap(409, "4090000", "Conflict")  # a replay: this X-EXTERNAL-ID was taken before
            await handlers.apply_answer(conn, original, answer, "bank", rt.settings.receipt_survey_percent)
    except handlers.NotFound:
        # Refused, and the external id is not kept: the transaction rolled back.
        return _snap(404, "4040001", "Transaction Not Found")
    return _snap(200, "2000000", "Successful")


def _json_object(raw: bytes) -> dict[str, Any]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


@router.get("/v1/follow-ups", response_model=list[FollowUpOut])
async def follow_ups(actor: Reader, rt: Rt) -> list[dict[str, Any]]:
    """Claims whose payee said the money did not arrive."""
    async with rt.pool.acquire() as conn:
        return await handlers.open_follow_ups(conn)


@router.post("/v1/reconciliation/statements", response_model=StatementImportedOut)
async def import_statement(request: Request, actor: Supervisor, rt: Rt) -> dict[str, Any]:
    """The bank's daily statement (ISO 20022 camt.053 XML) matched against Jaring's transfers."""
    raw = await read_capped(request, MAX_STATEMENT_BYTES)
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                return await reconciliation.import_statement(conn, raw, actor)
        except reconciliation.StatementExists as exc:
            raise Conflict(str(exc), exc.args[0], "statement_already_imported") from None


@router.get("/v1/reconciliation/mismatches", response_model=list[OpenMismatchOut])
async def mismatches(actor: Reader, rt: Rt, statement_id: str | None = None) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return await reconciliation.open_items(conn, statement_id)
