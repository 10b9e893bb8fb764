"""Claims' use cases: filing, verification, officers' decisions, payout recording, disbursement.

Each runs in the caller's transaction (an HTTP request's, or a consumer's with its inbox
row), changes the claim and queues its events in the outbox, so the state change and
the events commit together.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from services.claims import repository as repo
from services.claims.domain import claim as c
from services.claims.domain.benefits import compute_benefits
from services.claims.domain.decision import after_verification, decide, record_payout
from services.claims.domain.payees import PayeeShare, payee_heirs, split_benefits
from services.claims.domain.sla import deadline
from services.claims.domain.verification import verify_claim
from shared.auth import Actor
from shared.consuming import NotYet, PoisonMessage
from shared.contracts import claims as events
from shared.contracts.enrollment import CoverageChanged, HeirsChanged, ParticipantDetailsChanged, ParticipantEnrolled
from shared.contracts.notifications import NotificationDelivered, NotificationFailed
from shared.db import record_audit
from shared.envelope import Envelope, EventPayload, new_envelope
from shared.errors import Conflict, FieldError, RuleViolation
from shared.outbox import add_event

SERVICE = "claims"


class ClaimNotFound(LookupError):
    pass


async def emit(conn: asyncpg.Connection, payload: EventPayload, claim_id: str, causation_id: str | None = None) -> None:
    await add_event(conn, new_envelope(payload, correlation_id=claim_id, producer=SERVICE,
                                       causation_id=causation_id), SERVICE)


# --- read model of enrollment ---------------------------------------------------------------------

async def on_participant_enrolled(conn: asyncpg.Connection, env: Envelope, event: ParticipantEnrolled) -> None:
    await repo.upsert_participant(conn, event.participant_id, event.details, env.occurred_at)
    await repo.replace_heirs(conn, event.participant_id, event.heirs, env.occurred_at)


async def on_details_changed(conn: asyncpg.Connection, env: Envelope, event: ParticipantDetailsChanged) -> None:
    await repo.upsert_participant(conn, event.participant_id, event.details, env.occurred_at)


async def on_heirs_changed(conn: asyncpg.Connection, env: Envelope, event: HeirsChanged) -> None:
    await repo.replace_heirs(conn, event.participant_id, event.heirs, env.occurred_at)


async def on_coverage_changed(conn: asyncpg.Connection, env: Envelope, event: CoverageChanged) -> None:
    periods = [{"start": p.start.isoformat(), "end": p.end.isoformat()} for p in event.protected_periods]
    if not await repo.update_coverage(conn, event.participant_id, event.status, periods, event.paid_months,
                                      env.occurred_at):
        raise NotYet(f"participant {event.participant_id} not in the claims read model yet",
                     waiting_for=("ParticipantEnrolled", "ParticipantDetailsChanged"))


# --- filing (HTTP) ------------------------------------------------------------------------------------

def filing_from(body: dict[str, Any]) -> c.ClaimFiling:
    reporter = body.get("reporter") or {}
    return c.ClaimFiling(
        participant_id=body.get("participant_id", ""), claim_type=body.get("claim_type"),
        incident_date=body.get("incident_date"), incident_place=body.get("incident_place", ""),
        cause=body.get("cause", ""),
        reporter=c.Reporter(reporter.get("name", ""), reporter.get("phone"), reporter.get("organisation")),
        documents=body.get("documents") or {}, traffic_accident=bool(body.get("traffic_accident")),
        incapacity_days=body.get("incapacity_days"), disability_percent=body.get("disability_percent"))


async def file_claim(conn: asyncpg.Connection, body: dict[str, Any], actor: Actor, today: date) -> str:
    filing = filing_from(body)
    known = bool(filing.participant_id) and await repo.participant_known(conn, filing.participant_id)
    c.validate_filing(filing, today, known)
    fingerprint = c.incident_fingerprint(filing.participant_id, filing.claim_type, filing.incident_date)
    first = await repo.standing_claim_for(conn, fingerprint)
    if first:
        raise Conflict(f"this incident is already claimed: {first}", first, "incident_already_claimed")
    claim_id = f"CL-{uuid.uuid4().hex[:12]}"
    await repo.insert_claim(conn, claim_id, filing, actor.subject, today)
    await repo.add_step(conn, claim_id, "filed", {"by": actor.subject})
    await emit(conn, events.ClaimFiled(
        claim_id=claim_id, participant_id=filing.participant_id, claim_type=filing.claim_type,
        incident_date=filing.incident_date, incident_place=filing.incident_place, cause=filing.cause,
        traffic_accident=filing.traffic_accident,
        reporter=events.Reporter(name=filing.reporter.name, phone=filing.reporter.phone,
                                 organisation=filing.reporter.organisation),
        documents=dict(filing.documents), incapacity_days=filing.incapacity_days,
        disability_percent=filing.disability_percent, filed_by=actor.subject), claim_id)
    await record_audit(conn, actor=actor.subject, role=actor.role, action="claim.file", subject_id=claim_id,
                       details={"participant_id": filing.participant_id, "claim_type": str(filing.claim_type)})
    return claim_id


# --- verification (consumer of ClaimFiled, and again when documents arrive) ---------------------------

def make_verifier(today_fn):
    async def on_claim_filed(conn: asyncpg.Connection, env: Envelope, event: events.ClaimFiled) -> None:
        row = await repo.load_claim(conn, event.claim_id, for_update=True)
        if row is None:
            raise PoisonMessage(f"ClaimFiled for {event.claim_id}, which this service never filed")
        if row["status"] != "filed":
            return  # decided already (an officer was faster); nothing to verify
        await verify(conn, row, today_fn(), causation_id=str(env.event_id))

    return on_claim_filed


async def verify(conn: asyncpg.Connection, row: dict[str, Any], today: date, causation_id: str | None) -> str:
    claim = repo.as_domain_claim(row)
    participant = await repo.participant_view(conn, claim.filing.participant_id)
    others = await repo.other_standing_fingerprints(conn, row["participant_id"], row["claim_id"])
    verification = verify_claim(claim, participant, others, today)
    status = after_verification(row["status"], verification)
    reasons = [{"code": r.code, "message": r.message} for r in verification.reasons]
    sla = deadline(claim.filing.claim_type, verification.documents_complete_on) \
        if verification.documents_complete_on else None
    decided_by = "rules" if status != c.ClaimStatus.NEEDS_REVIEW else None
    await repo.set_verification(conn, row["claim_id"], str(status), reasons, verification.missing_documents,
                                verification.documents_complete_on, sla, decided_by)
    await repo.add_step(conn, row["claim_id"], "verified", {"outcome": str(status), "reasons": reasons})
    clock = (row["documents_complete_on"] or verification.documents_complete_on, row["sla_deadline"] or sla)
    await emit_outcome(conn, row, str(status), "rules", reasons, causation_id, clock)
    return str(status)


async def emit_outcome(conn: asyncpg.Connection, row: dict[str, Any], status: str, decided_by: str,
                       reasons: list[dict[str, str]], causation_id: str | None,
                       clock: tuple[date | None, date | None]) -> None:
    """`clock`: (documents complete on, payment deadline), None until the documents are complete."""
    common = dict(claim_id=row["claim_id"], participant_id=row["participant_id"], claim_type=row["claim_type"],
                  reasons=[events.Reason(**r) for r in reasons])
    running = dict(documents_complete_on=clock[0], payment_deadline=clock[1])
    if status == "approved":
        payload: EventPayload = events.ClaimApproved(**common, decided_by=decided_by, **running)
    elif status == "rejected":
        payload = events.ClaimRejected(**common, decided_by=decided_by)
    else:
        payload = events.ClaimReferredForReview(**common, **running)
    await emit(conn, payload, row["claim_id"], causation_id)


async def add_documents(conn: asyncpg.Connection, claim_id: str, documents: dict[str, str], actor: Actor,
                        today: date) -> str:
    """Documents arrive for a claim waiting for review: the rules run again."""
    row = await _claim(conn, claim_id)
    if row["status"] != "needs_review":
        raise RuleViolation([FieldError(("documents",), "claim_not_in_review",
                                        f"claim_not_in_review: documents are added to a claim waiting for review; "
                                        f"this one is {row['status']}")])
    merged = {**row["documents"], **documents}
    probe = filing_from({**row, "documents": merged, "reporter": row["reporter"]})
    c.validate_filing(probe, max(today, row["incident_date"]), True)
    await repo.set_documents(conn, claim_id, merged)
    await repo.add_step(conn, claim_id, "documents_added", {"kinds": sorted(documents), "by": actor.subject})
    await record_audit(conn, actor=actor.subject, role=actor.role, action="claim.add_documents", subject_id=claim_id,
                       details={"kinds": sorted(documents)})
    return await verify(conn, {**row, "documents": merged}, today, causation_id=None)


# --- an officer's decision (HTTP) ----------------------------------------------------------------------

async def decide_claim(conn: asyncpg.Connection, claim_id: str, decision: str, reason: str, actor: Actor) -> str:
    row = await _claim(conn, claim_id)
    status = decide(row["status"], decision, reason, missing_documents=row["missing_documents"])
    reasons = [{"code": "OFFICER_APPROVED" if status == "approved" else "OFFICER_REJECTED", "message": reason}]
    await repo.set_decision(conn, claim_id, str(status), actor.subject, reason)
    await repo.add_step(conn, claim_id, "decided", {"by": actor.subject, "decision": decision, "reason": reason})
    await emit_outcome(conn, row, str(status), actor.subject, reasons, None,
                       (row["documents_complete_on"], row["sla_deadline"]))
    await record_audit(conn, actor=actor.subject, role=actor.role, action=f"claim.{decision}", subject_id=claim_id,
                       details={"reason": reason})
    return str(status)


# --- payout recording (consumer of ClaimApproved) --------------------------------------------------------

async def on_claim_approved(conn: asyncpg.Connection, env: Envelope, event: events.ClaimApproved) -> None:
    row = await repo.load_claim(conn, event.claim_id, for_update=True)
    if row is None:
        raise PoisonMessage(f"ClaimApproved for unknown claim {event.claim_id}")
    if row["status"] == "payout_recorded":
        return  # a second approval event for a paid claim records nothing
    new_status = record_payout(row["status"])
    participant = await repo.participant_view(conn, row["participant_id"])
    if participant is None:
        raise NotYet(f"participant {row['participant_id']} not in the claims read model yet")
    claim = repo.as_domain_claim(row)
    components = compute_benefits(claim.filing.claim_type, participant, claim.filing.incident_date, claim.filing)
    death = c.ClaimType(row["claim_type"]) in c.DEATH_TYPES
    # Heirs are paid only for a death (PP 44/2015 art. 37(5), 40(2)); a living worker's
    # accident benefits are the worker's own, whoever is recorded as heir.
    payees = [PayeeShare(h.heir_id, h.full_name, h.precedence, 0) for h in payee_heirs(participant.heirs)] \
        if death else []
    names = {h.heir_id: h.full_name for h in participant.heirs}
    lines: list[tuple[str, str, str | None, int, str, str]] = []
    if death and not payees:
        # No heir at all: the funeral cost goes to whoever handled the burial; the rest is not
        # paid out (PP 44/2015 art. 40). The payee is named by the officer at disbursement.
        lines = [(x.component, "", None, x.amount, "cash", x.note + "; paid to whoever handled the burial")
                 for x in components if x.component == "funeral"]
    elif not payees:
        # A living worker's accident benefits are paid to the worker.
        worker = await repo.participant_name(conn, row["participant_id"])
        lines = [(x.component, "", worker, x.amount, x.kind, x.note) for x in components if x.kind == "cash"]
    else:
        for component, shares in split_benefits(components, payees):
            lines += [(component.component, s.heir_id, s.full_name, s.amount, "cash", component.note) for s in shares]
    lines += [(x.component, x.heir_id or "", names.get(x.heir_id or ""), x.amount, "entitlement", x.note)
              for x in components if x.kind == "entitlement"]
    if await repo.record_ledger(conn, row["claim_id"], lines) == 0:
        return  # every line was already recorded: nothing new to announce
    await repo.set_status(conn, row["claim_id"], str(new_status))
    await repo.set_disbursement(conn, row["claim_id"], "scheduled", None)
    total = sum(amount for _, _, _, amount, kind, _ in lines if kind == "cash")
    await repo.add_step(conn, row["claim_id"], "payout_recorded", {"total_cash": total})
    await emit(conn, events.PayoutRecorded(
        claim_id=row["claim_id"], participant_id=row["participant_id"], claim_type=row["claim_type"],
        components=[events.PayoutComponent(component=comp, amount=amount, kind=kind, payee_heir_id=heir or None,
                                           payee_name=name)
                    for comp, heir, name, amount, kind, _ in lines],
        total_cash=total), row["claim_id"], causation_id=str(env.event_id))


async def change_disbursement(conn: asyncpg.Connection, claim_id: str, status: str, reference: str | None,
                              changed_by: str, role: str) -> None:
    row = await _claim(conn, claim_id)
    if row["status"] != "payout_recorded":
        raise RuleViolation([FieldError(("status",), "payout_not_recorded",
                                        "payout_not_recorded: a disbursement follows a recorded payout")])
    if status not in ("paid", "failed", "scheduled"):
        raise RuleViolation([FieldError(("status",), "disbursement_status_unknown",
                                        "disbursement_status_unknown: status is scheduled, paid or failed")])
    if row["disbursement_status"] == "paid":
        if status == "paid":
            return  # the bank repeating its callback changes nothing
        raise RuleViolation([FieldError(("status",), "disbursement_already_paid",
                                        "disbursement_already_paid: a paid disbursement is final")])
    await repo.set_disbursement(conn, claim_id, status, reference)
    await repo.add_step(conn, claim_id, f"disbursement_{status}", {"by": changed_by, "reference": reference})
    await emit(conn, events.DisbursementChanged(claim_id=claim_id, participant_id=row["participant_id"],
                                                status=status, reference=reference, changed_by=changed_by), claim_id)
    await record_audit(conn, actor=changed_by, role=role, action=f"disbursement.{status}", subject_id=claim_id,
                       details={"reference": reference})


# --- the family's messages on the timeline (consumer of notifications' events) ---------------------------

async def on_notification(conn: asyncpg.Connection, _env: Envelope,
                          event: NotificationDelivered | NotificationFailed) -> None:
    step = "family_notified" if isinstance(event, NotificationDelivered) else "family_notification_failed"
    await repo.add_step(conn, event.claim_id, step, {
        "heir_id": event.heir_id, "channel": event.channel, "about": event.about_event, "attempts": event.attempts})


async def _claim(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any]:
    row = await repo.load_claim(conn, claim_id, for_update=True)
    if row is None:
        raise ClaimNotFound(claim_id)
    return row
