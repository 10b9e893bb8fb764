"""Enrollment's use cases: parse → domain rules → repository + outbox, in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from services.enrollment import repository as repo
from services.enrollment.domain import Payment, Period, check_payment, coverage_on, register_participant
from services.enrollment.domain import validate_heirs
from services.enrollment.domain.coverage import Coverage
from shared.auth import Actor
from shared.contracts.enrollment import (
    ContributionRecorded,
    CoverageChanged,
    HeirData,
    HeirsChanged,
    ParticipantDetails,
    ParticipantDetailsChanged,
    ParticipantEnrolled,
    ProtectedPeriod,
)
from shared.db import record_audit
from shared.envelope import EventPayload, new_envelope
from shared.errors import Conflict, FieldError, RuleViolation
from shared.outbox import add_event

SERVICE = "enrollment"
# Identity fields come from the KTP: a correction is a new registration reviewed by BPJS, not a PATCH.
IMMUTABLE_FIELDS = ("nik", "birth_date", "sex", "member_since")
EDITABLE_FIELDS = ("full_name", "phone", "address", "kecamatan", "segment", "monthly_income", "programs")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def emit(conn: asyncpg.Connection, payload: EventPayload, participant_id: str,
               causation_id: str | None = None) -> None:
    await add_event(conn, new_envelope(payload, correlation_id=participant_id, producer=SERVICE,
                                       causation_id=causation_id), SERVICE)


def details_of(participant: dict[str, Any]) -> ParticipantDetails:
    return ParticipantDetails(
        masked_nik=participant["nik_masked"], full_name=participant["full_name"],
        birth_date=participant["birth_date"], sex=participant["sex"], phone=participant["phone"],
        kecamatan=participant["kecamatan"], segment=participant["segment"],
        monthly_income=participant["monthly_income"], programs=list(participant["programs"]),
        member_since=participant["member_since"],
    )


def heirs_of(heirs: list[dict[str, Any]]) -> list[HeirData]:
    return [HeirData(heir_id=h["heir_id"], full_name=h["full_name"], relationship=h["relationship"],
                     precedence=h["precedence"], phone=h["phone"], email=h["email"], language=h["language"],
                     birth_date=h.get("birth_date"))
            for h in heirs]


async def register(conn: asyncpg.Connection, data: dict[str, Any], actor: Actor, today: date) -> str:
    registration = register_participant(data, today)
    existing = await repo.participant_id_for_nik(conn, registration.nik)
    if existing:
        raise Conflict(f"a participant with this NIK is already registered: {existing}", existing,
                       "nik_already_registered")
    participant_id = new_id("P")
    address = str(data.get("address") or "")
    await repo.insert_participants(conn, [repo.participant_row(participant_id, registration, address, "api")])
    heir_rows = [(new_id("H"), participant_id, i, heir) for i, heir in enumerate(registration.heirs)]
    await repo.insert_heirs(conn, heir_rows)
    participant = await repo.load_participant(conn, participant_id)
    await emit(conn, ParticipantEnrolled(participant_id=participant_id, details=details_of(participant),
                                         heirs=heirs_of(participant["heirs"]), source="api"), participant_id)
    await refresh_coverage(conn, participant_id, today)
    await record_audit(conn, actor=actor.subject, role=actor.role, action="participant.register",
                       subject_id=participant_id, details={"nik_masked": registration.nik_masked})
    return participant_id


async def change_details(conn: asyncpg.Connection, participant_id: str, patch: dict[str, Any], actor: Actor,
                         today: date) -> None:
    participant = await _must_exist(conn, participant_id, for_update=True)
    refused = [FieldError((name,), "field_immutable",
                          f"field_immutable: {name} comes from the KTP and cannot be changed here")
               for name in IMMUTABLE_FIELDS if name in patch]
    unknown = [FieldError((name,), "field_unknown", f"field_unknown: {name} is not a participant field")
               for name in patch if name not in IMMUTABLE_FIELDS + EDITABLE_FIELDS + ("heirs",)]
    if "heirs" in patch:
        unknown.append(FieldError(("heirs",), "heirs_use_put",
                                  "heirs_use_put: change heirs with PUT /v1/participants/{id}/heirs"))
    if refused or unknown:
        raise RuleViolation(refused + unknown)
    merged = {**participant, "heirs": [], **patch}
    merged["birth_date"] = participant["birth_date"]
    merged["member_since"] = participant["member_since"]
    # The same rules as at registration judge the merged record, so a PATCH cannot
    # produce a participant that registration would have refused.
    registration = register_participant(merged, max(today, participant["member_since"]))
    await repo.update_participant(conn, participant_id, registration, str(merged.get("address") or ""))
    updated = await repo.load_participant(conn, participant_id)
    await emit(conn, ParticipantDetailsChanged(participant_id=participant_id, details=details_of(updated)),
               participant_id)
    await record_audit(conn, actor=actor.subject, role=actor.role, action="participant.change_details",
                       subject_id=participant_id, details={"fields": sorted(patch)})


async def replace_heirs(conn: asyncpg.Connection, participant_id: str, raw_heirs: list[dict[str, Any]],
                        actor: Actor, today: date) -> list[dict[str, Any]]:
    await _must_exist(conn, participant_id, for_update=True)
    try:
        heirs = validate_heirs(raw_heirs, today)
    except RuleViolation as violation:
        raise RuleViolation([FieldError(e.loc[1:] if e.loc[:1] == ("heirs",) else e.loc, e.rule, e.msg)
                             for e in violation.errors]) from None
    await repo.delete_heirs(conn, participant_id)
    await repo.insert_heirs(conn, [(new_id("H"), participant_id, i, h) for i, h in enumerate(heirs)])
    stored = await repo.load_heirs(conn, participant_id)
    await emit(conn, HeirsChanged(participant_id=participant_id, heirs=heirs_of(stored)), participant_id)
    await record_audit(conn, actor=actor.subject, role=actor.role, action="participant.replace_heirs",
                       subject_id=participant_id, details={"heirs": len(heirs)})
    return stored


async def record_contribution(conn: asyncpg.Connection, participant_id: str, body: dict[str, Any], actor: Actor,
                              today: date) -> str:
    participant = await _must_exist(conn, participant_id, for_update=True)
    period = Period.parse(str(body.get("period", "")))
    paid_at = body.get("paid_at") or today
    check_payment(period=period, amount=body.get("amount"), payer=body.get("payer", "self"), paid_at=paid_at,
                  today=today, member_since=participant["member_since"],
                  monthly_income=participant["monthly_income"], programs=participant["programs"],
                  segment=participant["segment"], already_paid=await repo.paid_periods(conn, participant_id))
    contribution_id = new_id("C")
    await repo.insert_contribution(conn, contribution_id, participant_id, period, body["amount"], body.get("payer", "self"),
                                   paid_at, actor.subject)
    await emit(conn, ContributionRecorded(participant_id=participant_id, contribution_id=contribution_id,
                                          period=str(period), amount=body["amount"],
                                          payer=body.get("payer", "self"), paid_at=paid_at), participant_id)
    await refresh_coverage(conn, participant_id, today)
    await record_audit(conn, actor=actor.subject, role=actor.role, action="contribution.record",
                       subject_id=participant_id, details={"period": str(period), "amount": body["amount"]})
    return contribution_id


def coverage_payload(participant_id: str, coverage: Coverage, as_of: date) -> CoverageChanged:
    return CoverageChanged(
        participant_id=participant_id, status=coverage.status, as_of=as_of,
        last_paid_period=str(coverage.last_paid_period) if coverage.last_paid_period else None,
        active_through=coverage.active_through, grace_until=coverage.grace_until,
        lapsed_from=coverage.lapsed_from, paid_months=coverage.paid_months,
        protected_periods=[ProtectedPeriod(start=r.start, end=r.end) for r in coverage.protected_periods],
    )


async def current_coverage(conn: asyncpg.Connection, participant_id: str, today: date) -> CoverageChanged:
    return coverage_payload(participant_id, coverage_on(await repo.payments(conn, participant_id), today), today)


async def refresh_coverage(conn: asyncpg.Connection, participant_id: str, today: date) -> bool:
    """Recomputes coverage on `today`; announces CoverageChanged only when it differs from the last one."""
    payments: list[Payment] = await repo.payments(conn, participant_id)
    coverage = coverage_on(payments, today)
    payload = coverage_payload(participant_id, coverage, today)
    snapshot = payload.model_dump(mode="json", exclude={"as_of"})
    if await repo.stored_coverage(conn, participant_id) == snapshot:
        return False
    first_covered = coverage.protected_periods[0].start if coverage.protected_periods else None
    await repo.save_coverage(conn, participant_id, snapshot, today, first_covered)
    await emit(conn, payload, participant_id)
    return True


async def sweep_coverage(pool: asyncpg.Pool, as_of: date) -> int:
    """Moves participants on as months pass (active → grace → lapsed); one transaction each."""
    async with pool.acquire() as conn:
        due = await repo.participants_due_for_coverage_change(conn, as_of)
    changed = 0
    for participant_id in due:
        async with pool.acquire() as conn, conn.transaction():
            changed += await refresh_coverage(conn, participant_id, as_of)
    return changed


async def _must_exist(conn: asyncpg.Connection, participant_id: str, *, for_update: bool = False) -> dict[str, Any]:
    participant = await repo.load_participant(conn, participant_id, for_update=for_update)
    if participant is None:
        raise ParticipantNotFound(participant_id)
    return participant


class ParticipantNotFound(LookupError):
    pass
