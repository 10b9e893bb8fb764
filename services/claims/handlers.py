"""Claims' use cases: filing, verification, officers' decisions, payout recording (disbursement:
services/claims/disbursement).

Each runs in the caller's transaction (an HTTP request's, or a consumer's with its inbox
row), changes the claim and queues its events in the outbox, so the state change and
the events commit together.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from services.claims import repository as repo
from services.claims.domain import claim as c
from services.claims.domain.benefits import cash_total
from services.claims.domain.decision import (
    after_verification,
    check_not_decided,
    decide,
    is_decided,
    record_payout,
    reopen,
    withdraw,
)
from services.claims.domain.duties import check_may_decide, check_may_withdraw
from services.claims.domain.heirs import NamedHeir, guardian_errors, named_heir_errors
from services.claims.domain.payout import PayoutLine, approval_refusals, benefits_of, cash_of, payout_lines
from services.claims.domain.reclassification import reclassification_difference, reclassification_errors
from services.claims.domain.sampling import ReviewSampling, is_sampled, refer_for_review
from services.claims.domain.sla import days_late, deadline, late_charge_lines
from services.claims.domain.verification import verify_claim
from shared.auth import Actor
from shared.consuming import Batched, Delivery, NotYet, PoisonMessage
from shared.contracts import claims as events
from shared.contracts.enrollment import (
    HeirData,
    HeirsChanged,
    ParticipantEnrolled,
)
from shared.contracts.notifications import FamilyMemberUnreachable, NotificationDelivered, NotificationFailed
from shared.db import record_audit
from shared.envelope import Envelope, EventPayload, new_envelope
from shared.errors import Conflict, FieldError, RuleViolation
from shared.money import format_rupiah
from shared.outbox import add_event, add_events, queued_values
from shared.tracing import note_event

SERVICE = "claims"


class ClaimNotFound(LookupError):
    pass


async def emit(conn: asyncpg.Connection, payload: EventPayload, claim_id: str, causation_id: str | None = None) -> None:
    await add_event(
        conn, new_envelope(payload, correlation_id=claim_id, producer=SERVICE, causation_id=causation_id), SERVICE
    )


# --- read model of enrollment ---------------------------------------------------------------------


async def on_participant_enrolled(conn: asyncpg.Connection, env: Envelope, event: ParticipantEnrolled) -> None:
    await repo.upsert_participants(conn, [(event.participant_id, event.details, env.occurred_at)])
    await repo.replace_heirs(conn, event.participant_id, event.heirs, env.occurred_at)


async def on_details_changes(conn: asyncpg.Connection, changed: list[Delivery]) -> None:
    """A poll's details changes in one statement (issue 17): each confirmed death brings one."""
    await repo.upsert_participants(
        conn, [(d.payload.participant_id, d.payload.details, d.envelope.occurred_at) for d in changed]
    )


on_details_changed = Batched(on_details_changes)


async def on_heirs_changed(conn: asyncpg.Connection, env: Envelope, event: HeirsChanged) -> None:
    await repo.replace_heirs(conn, event.participant_id, event.heirs, env.occurred_at)


async def on_coverage_changes(conn: asyncpg.Connection, changed: list[Delivery]) -> None:
    """A poll's coverage changes in one statement; one of a participant not known yet waits (the
    runner parks that participant's records, keyed by their id, and applies the others again)."""
    unknown = await repo.update_coverages(conn, [(d.payload, d.envelope.occurred_at) for d in changed])
    if unknown:
        raise NotYet(
            f"participant {', '.join(unknown)} not in the claims read model yet",
            waiting_for=("ParticipantEnrolled", "ParticipantDetailsChanged"),
            keys=unknown,
        )


on_coverage_changed = Batched(on_coverage_changes)


# --- filing (HTTP) ------------------------------------------------------------------------------------


def filing_from(body: dict[str, Any]) -> c.ClaimFiling:
    reporter = body.get("reporter") or {}
    return c.ClaimFiling(
        participant_id=body.get("participant_id", ""),
        claim_type=body.get("claim_type"),
        incident_date=body.get("incident_date"),
        incident_place=body.get("incident_place", ""),
        cause=body.get("cause", ""),
        reporter=c.Reporter(
            reporter.get("name", ""), c.reporter_phone(reporter.get("phone")), reporter.get("organisation")
        ),
        documents=body.get("documents") or {},
        traffic_accident=bool(body.get("traffic_accident")),
        incapacity_days=body.get("incapacity_days"),
        disability_percent=body.get("disability_percent"),
        transport_costs={mode: cost for mode, cost in (body.get("transport_costs") or {}).items() if cost is not None},
    )


async def _admissible_filing(conn: asyncpg.Connection, body: dict[str, Any], today: date) -> c.ClaimFiling:
    """The filing, once every field is valid and the incident is not claimed already."""
    filing = filing_from(body)
    context = await repo.filing_context(conn, filing.participant_id, c.filing_fingerprint(filing))
    _check_admissible(filing, context, today)
    return filing


def _fields_valid(filing: c.ClaimFiling, today: date) -> bool:
    """Whether the filing's fields pass the rules, its participant taken as known (the statement that
    writes it checks that)."""
    try:
        c.validate_filing(filing, today, participant_known=True)
    except RuleViolation:
        return False
    return True


def _check_admissible(filing: c.ClaimFiling, context: repo.FilingContext, today: date) -> None:
    """Refuses the filing unless every field is valid (422) and its incident has no standing claim (409)."""
    c.validate_filing(filing, today, bool(filing.participant_id) and context.participant_known)
    first = context.standing_claim
    if first and context.standing_awaits_family:
        # Jaring opened this death's claim from the civil registry: the family completes that one.
        raise Conflict(
            f"this death already has a claim, opened when the civil registry reported it: {first}; "
            f"complete it with the family's filing (POST /v1/claims/{first}/completion)",
            first,
            "incident_already_claimed",
        )
    if first:
        death = filing.claim_type in c.DEATH_TYPES
        pointer = (
            f"; a person dies once: if the death's type is wrong, a supervisor reclassifies claim {first} "
            f"(POST /v1/claims/{first}/reclassification)"
            if death
            else ""
        )
        raise Conflict(f"this incident is already claimed: {first}{pointer}", first, "incident_already_claimed")


async def check_filing(conn: asyncpg.Connection, body: dict[str, Any], today: date) -> dict[str, Any]:
    """What filing would say, writing nothing: the same refusals (422, 409), and whether the
    participant was protected on the incident date, so the officer is warned before filing
    a claim the rules will reject."""
    filing = await _admissible_filing(conn, body, today)
    participant = await repo.participant_view(conn, filing.participant_id)
    covered = participant is not None and participant.is_protected_on(filing.incident_date)
    return {
        "participant_name": await repo.participant_name(conn, filing.participant_id),
        "covered_on_incident_date": covered,
        "last_protected_day_before": None
        if covered or participant is None
        else participant.last_protected_day_before(filing.incident_date),
    }


async def file_claim(
    conn: asyncpg.Connection, body: dict[str, Any], actor: Actor, today: date, idempotency_key: str | None = None
) -> str:
    """Files the claim and returns its id. With an `Idempotency-Key`, the same filing sent again (its
    first answer lost) returns the claim the first made, writing nothing; the key reused for a
    different filing is refused (422), or 409 naming the claim when the two were sent at once. An
    admitted filing is read and written by one statement: the caller needs no transaction."""
    request_hash = _request_hash(body) if idempotency_key is not None else None
    filing = filing_from(body)
    if _fields_valid(filing, today):
        claim_id = f"CL-{uuid.uuid4().hex[:12]}"
        event = new_envelope(claim_filed(claim_id, filing, actor.subject), correlation_id=claim_id, producer=SERVICE)
        # The read every check needs, and the claim, its key and its ClaimFiled written in the same
        # statement when the read finds nothing in the way: one round trip for a filing admitted.
        written, context = await repo.file_when_clear(
            conn,
            claim_id,
            filing,
            actor.subject,
            actor.role,
            today,
            queued_values(event, SERVICE),
            idempotency_key,
            request_hash,
        )
        if written:
            note_event(event)
            return claim_id
    else:
        # Fields the rules refuse: the read alone, for a retry's first answer or the 422 naming them all.
        context = await repo.filing_context(
            conn, filing.participant_id, c.filing_fingerprint(filing), actor.subject, idempotency_key
        )
    if idempotency_key is not None and (replayed := _replayed(context.earlier_filing, request_hash)):
        return replayed
    _check_admissible(filing, context, today)
    # The read found nothing in the way and the insert wrote nothing: another filing committed meanwhile,
    # after the read (the insert waited for it): the same incident (two officers, or a retry sent while
    # the first attempt was still in flight), or one with this key.
    if idempotency_key is not None and (earlier := await repo.filing_for_key(conn, actor.subject, idempotency_key)):
        if earlier[1] == request_hash:
            return earlier[0]  # this filing, sent twice at once: the claim the other made
        raise Conflict(
            f"a filing with this Idempotency-Key made claim {earlier[0]} meanwhile",
            earlier[0],
            "idempotency_key_in_flight",
        )
    await _admissible_filing(conn, body, today)  # the 409 naming the claim that is standing now
    raise RuntimeError("a filing its read admitted was not written, and no standing claim of its incident was found")


# The header's value: a client's token (a UUID is typical), nothing a log or a page trips on.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def idempotency_key_problem(value: str) -> FieldError | None:
    if IDEMPOTENCY_KEY.fullmatch(value):
        return None
    return FieldError(
        ("header", "Idempotency-Key"),
        "idempotency_key_format",
        "idempotency_key_format: 1 to 128 letters, digits or . _ : -, starting with a letter or digit",
    )


def _key_reused() -> FieldError:
    return FieldError(
        ("header", "Idempotency-Key"),
        "idempotency_key_reused",
        "idempotency_key_reused: this key was used for a different filing; a new filing needs a new key",
    )


def _replayed(earlier: tuple[str, str] | None, request_hash: str | None) -> str | None:
    """The claim of the earlier filing with the key (its claim and hash), if it was this filing;
    refused if it was another."""
    if earlier is None:
        return None
    if earlier[1] != request_hash:
        raise RuleViolation([_key_reused()])
    return earlier[0]


def _request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def claim_filed(claim_id: str, filing: c.ClaimFiling, filed_by: str) -> events.ClaimFiled:
    """The ClaimFiled event of a filing: an officer's, or the family's completing a claim Jaring opened."""
    return events.ClaimFiled(
        claim_id=claim_id,
        participant_id=filing.participant_id,
        claim_type=filing.claim_type,
        incident_date=filing.incident_date,
        incident_place=filing.incident_place,
        cause=filing.cause,
        traffic_accident=filing.traffic_accident,
        reporter=events.Reporter(
            name=filing.reporter.name, phone=filing.reporter.phone, organisation=filing.reporter.organisation
        ),
        documents={kind: True for kind in filing.documents},
        incapacity_days=filing.incapacity_days,
        disability_percent=filing.disability_percent,
        transport_costs=dict(filing.transport_costs),
        filed_by=filed_by,
    )


# --- verification (consumer of ClaimFiled, and again when documents arrive) ---------------------------


def make_verifier(today_fn, sampling: ReviewSampling) -> Batched:
    """Verifies a batch's filed claims together: the claims, their participants and their standing
    claims read in three statements, the rules run per claim, the outcomes and their events written
    in two (issue 17)."""

    async def on_claims_filed(conn: asyncpg.Connection, filed: list[Delivery]) -> None:
        rows = await repo.lock_claims(conn, [event.claim_id for _, event, _ in filed])
        unknown = [event.claim_id for _, event, _ in filed if event.claim_id not in rows]
        if unknown:
            # The runner applies the batch again one claim at a time: only this one is dead-lettered.
            raise PoisonMessage(f"ClaimFiled for {', '.join(unknown)}, which this service never filed")
        # A claim decided already (an officer was faster) has nothing to verify.
        todo = [(rows[event.claim_id], env, traceparent) for env, event, traceparent in filed]
        todo = [(row, env, traceparent) for row, env, traceparent in todo if row["status"] == "filed"]
        await verify_all(
            conn,
            [row for row, _, _ in todo],
            today_fn(),
            sampling,
            [str(env.event_id) for _, env, _ in todo],
            [traceparent for _, _, traceparent in todo],
        )

    return Batched(on_claims_filed)


async def verify(
    conn: asyncpg.Connection, row: dict[str, Any], today: date, sampling: ReviewSampling, causation_id: str | None
) -> str:
    """The rules run on one claim (documents arrived, a reviewer named heirs or guardians)."""
    return (await verify_all(conn, [row], today, sampling, [causation_id]))[0]


async def verify_all(
    conn: asyncpg.Connection,
    rows: list[dict[str, Any]],
    today: date,
    sampling: ReviewSampling,
    causation_ids: Sequence[str | None],
    traceparents: Sequence[str | None] | None = None,
) -> list[str]:
    """The rules on each claim of `rows` (locked by the caller, each claim once), in order, as if
    one after the other: a claim the rules reject no longer stands beside the later claims of its
    participant. Returns the statuses; `traceparents[i]`: the trace of the event written for rows[i]."""
    if not rows:
        return []
    participant_ids = {row["participant_id"] for row in rows}
    participants = await repo.participant_views(conn, participant_ids)
    standing = await repo.standing_fingerprints(conn, participant_ids)
    outcomes, envelopes = [], []
    for row, causation_id in zip(rows, causation_ids, strict=True):
        claim = repo.as_domain_claim(row)
        participant = participants.get(row["participant_id"])
        theirs = standing.setdefault(row["participant_id"], {})
        others = {fingerprint for claim_id, fingerprint in theirs.items() if claim_id != row["claim_id"]}
        verification = verify_claim(claim, participant, others, today)
        if participant is not None:
            cash = cash_total(benefits_of(claim, participant))
            verification = refer_for_review(verification, row["claim_id"], cash, sampling)
        status = after_verification(row["status"], verification)
        if status is c.ClaimStatus.REJECTED:
            theirs.pop(row["claim_id"], None)
        reasons = [{"code": r.code, "message": r.message} for r in verification.reasons]
        sla = (
            deadline(claim.filing.claim_type, verification.documents_complete_on)
            if verification.documents_complete_on
            else None
        )
        outcomes.append(
            repo.Verified(
                row["claim_id"],
                str(status),
                reasons,
                verification.missing_documents,
                verification.documents_complete_on,
                sla,
                "rules" if status != c.ClaimStatus.NEEDS_REVIEW else None,
                is_sampled(verification),
            )
        )
        clock = (row["documents_complete_on"] or verification.documents_complete_on, row["sla_deadline"] or sla)
        outcome = outcome_event(row, str(status), "rules", reasons, clock, missing=verification.missing_documents)
        envelopes.append(
            new_envelope(outcome, correlation_id=row["claim_id"], producer=SERVICE, causation_id=causation_id)
        )
    await repo.set_verifications(conn, outcomes)
    note_event(envelopes[0])  # as add_event does: a request's log lines name the claim it decided
    await add_events(conn, envelopes, SERVICE, traceparents)
    return [outcome.status for outcome in outcomes]


def outcome_event(
    row: dict[str, Any],
    status: str,
    decided_by: str,
    reasons: list[dict[str, str]],
    clock: tuple[date | None, date | None],
    missing: list[str] | None = None,
) -> EventPayload:
    """The event a decision on the claim announces. `clock`: (documents complete on, payment
    deadline), None until the documents are complete."""
    common = dict(
        claim_id=row["claim_id"],
        participant_id=row["participant_id"],
        claim_type=row["claim_type"],
        reasons=[events.Reason(**r) for r in reasons],
    )
    running = dict(documents_complete_on=clock[0], payment_deadline=clock[1])
    if status == "approved":
        return events.ClaimApproved(**common, decided_by=decided_by, **running)
    if status == "rejected":
        return events.ClaimRejected(**common, decided_by=decided_by)
    return events.ClaimReferredForReview(**common, **running, missing_documents=list(missing or ()))


async def add_documents(
    conn: asyncpg.Connection,
    claim_id: str,
    documents: dict[str, str],
    actor: Actor,
    today: date,
    sampling: ReviewSampling,
) -> str:
    """Documents arrive for a claim waiting for review: the rules run again."""
    row = await _claim(conn, claim_id)
    if row["status"] != "needs_review":
        raise RuleViolation(
            [
                FieldError(
                    ("documents",),
                    "claim_not_in_review",
                    f"claim_not_in_review: documents are added to a claim waiting for review; "
                    f"this one is {row['status']}",
                )
            ]
        )
    merged = {**row["documents"], **documents}
    probe = filing_from({**row, "documents": merged, "reporter": row["reporter"]})
    c.validate_filing(probe, max(today, row["incident_date"]), True)
    await repo.set_documents(conn, claim_id, merged, added_by=actor.subject)
    await repo.add_step(conn, claim_id, "documents_added", {"kinds": sorted(documents), "by": actor.subject})
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="claim.add_documents",
        subject_id=claim_id,
        details={"kinds": sorted(documents)},
    )
    return await verify(conn, {**row, "documents": merged}, today, sampling, causation_id=None)


# --- an officer's decision (HTTP) ----------------------------------------------------------------------


async def decide_claim(
    conn: asyncpg.Connection, claim_id: str, decision: str, reason: str, actor: Actor, today: date
) -> str:
    row = await _claim(conn, claim_id)
    check_may_decide(actor.role, actor.subject, row["filed_by"], row["documents_added_by"])
    if is_decided(row["status"]):  # when it was decided is read only for the refusal that says so
        check_not_decided(row["status"], row["decided_by"], await repo.decided_at(conn, claim_id))
    status = decide(row["status"], decision, reason, missing_documents=row["missing_documents"])
    if status is c.ClaimStatus.APPROVED:
        participant = await repo.participant_view(conn, row["participant_id"])
        refusals = approval_refusals(repo.as_domain_claim(row), participant, today)
        if refusals:
            raise RuleViolation(refusals)
    reasons = [{"code": "OFFICER_APPROVED" if status == "approved" else "OFFICER_REJECTED", "message": reason}]
    clock = (row["documents_complete_on"], row["sla_deadline"])
    event = new_envelope(
        outcome_event(row, str(status), actor.subject, reasons, clock), correlation_id=claim_id, producer=SERVICE
    )
    # The decision, its step, its audit row and its event in one statement.
    await repo.record_decision(
        conn,
        repo.Decision(claim_id, str(status), actor.subject, actor.role, reason, f"claim.{decision}"),
        {"by": actor.subject, "decision": decision, "reason": reason},
        queued_values(event, SERVICE),
    )
    note_event(event)
    return str(status)


async def withdraw_claim(conn: asyncpg.Connection, claim_id: str, reason: str, actor: Actor) -> str:
    """The filer or a supervisor withdraws a claim filed in error: audited, and announced
    (ClaimWithdrawn) so the family hears nothing more of it."""
    row = await _claim(conn, claim_id)
    check_may_withdraw(actor.role, actor.subject, row["filed_by"])
    status = withdraw(row["status"], reason)
    await repo.set_decision(conn, claim_id, str(status), actor.subject, reason)
    await repo.add_step(conn, claim_id, "withdrawn", {"by": actor.subject, "reason": reason})
    await emit(
        conn,
        events.ClaimWithdrawn(
            claim_id=claim_id,
            participant_id=row["participant_id"],
            claim_type=row["claim_type"],
            withdrawn_by=actor.subject,
            reason=reason,
            was=row["status"],
        ),
        claim_id,
    )
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="claim.withdraw",
        subject_id=claim_id,
        details={"reason": reason, "was": row["status"]},
    )
    return str(status)


async def reopen_claim(conn: asyncpg.Connection, claim_id: str, reason: str, actor: Actor) -> str:
    """A supervisor sends a decided claim back to review (a grievance showed the decision
    wrong). Audited; the claim waits for an officer's decision again."""
    row = await _claim(conn, claim_id)
    status = reopen(row["status"], reason)
    reasons = [{"code": "REOPENED_BY_SUPERVISOR", "message": reason}]
    await repo.set_decision(conn, claim_id, str(status), actor.subject, reason)
    await repo.add_step(conn, claim_id, "reopened", {"by": actor.subject, "reason": reason})
    common = dict(
        claim_id=claim_id,
        participant_id=row["participant_id"],
        claim_type=row["claim_type"],
        reasons=[events.Reason(**r) for r in reasons],
    )
    await emit(
        conn,
        events.ClaimReferredForReview(
            **common,
            documents_complete_on=row["documents_complete_on"],
            payment_deadline=row["sla_deadline"],
            missing_documents=list(row["missing_documents"] or ()),
            reopened_by=actor.subject,
        ),
        claim_id,
    )
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="claim.reopen",
        subject_id=claim_id,
        details={"reason": reason, "was": row["status"]},
    )
    return str(status)


# --- payout recording (consumer of ClaimApproved) --------------------------------------------------------


def make_payout_recorder(today_fn) -> Batched:
    """Records a batch's approved claims' payouts together: the claims and their participants read in
    two statements, the domain asked per claim who is paid what, the ledger lines, statuses, steps
    and events written in three (issue 17)."""

    async def on_claims_approved(conn: asyncpg.Connection, approved: list[Delivery]) -> None:
        await record_approved_payouts(
            conn,
            [event.claim_id for _, event, _ in approved],
            today_fn(),
            [str(env.event_id) for env, _, _ in approved],
            [traceparent for _, _, traceparent in approved],
        )

    return Batched(on_claims_approved)


async def record_approved_payouts(
    conn: asyncpg.Connection,
    claim_ids: list[str],
    today: date,
    causation_ids: Sequence[str | None],
    traceparents: Sequence[str | None],
) -> None:
    """Loads the claims (each once) and their participants, asks the domain who is paid what,
    records the lines, and announces them; a death claim also confirms the death (one
    transaction). `traceparents[i]`: the trace of the events written for claim_ids[i]."""
    rows = await repo.lock_claims(conn, claim_ids)
    unknown = [claim_id for claim_id in claim_ids if claim_id not in rows]
    if unknown:
        # The runner applies the batch again one claim at a time: only this one is dead-lettered.
        raise PoisonMessage(f"ClaimApproved for unknown claim {', '.join(unknown)}")
    todo = []
    for claim_id, causation_id, traceparent in zip(claim_ids, causation_ids, traceparents, strict=True):
        claim = repo.as_domain_claim(rows[claim_id])
        if claim.status is c.ClaimStatus.PAYOUT_RECORDED:
            continue  # a second approval event for a paid claim records nothing
        if claim.status is c.ClaimStatus.WITHDRAWN:
            continue  # withdrawn after its approval: nothing is owed
        todo.append((claim, record_payout(claim.status), causation_id, traceparent))
    if not todo:
        return
    participants = await repo.participant_views(conn, {claim.filing.participant_id for claim, *_ in todo})
    lines = {}
    for claim, *_ in todo:
        participant = participants.get(claim.filing.participant_id)
        if participant is None:
            raise NotYet(
                f"participant {claim.filing.participant_id} not in the claims read model yet",
                keys={claim.claim_id},  # the approval's record is keyed by its claim
            )
        lines[claim.claim_id] = payout_lines(claim, participant, today)
    recorded = await repo.record_ledgers(conn, lines)
    # A claim whose every line was already recorded has nothing new to announce.
    paid = [
        (claim, status, causation, trace) for claim, status, causation, trace in todo if recorded.get(claim.claim_id)
    ]
    await repo.set_payouts_recorded(
        conn, [(claim.claim_id, str(status), cash_of(lines[claim.claim_id])) for claim, status, *_ in paid]
    )
    envelopes, traces = [], []
    for claim, _, causation_id, traceparent in paid:
        claim_type = str(claim.filing.claim_type)
        announced: list[EventPayload] = [
            events.PayoutRecorded(
                claim_id=claim.claim_id,
                participant_id=claim.filing.participant_id,
                claim_type=claim_type,
                components=[component_of(line) for line in lines[claim.claim_id]],
                total_cash=cash_of(lines[claim.claim_id]),
            )
        ]
        if claim.filing.claim_type in c.DEATH_TYPES:
            # A death ends membership: enrollment learns it from this event, not from a call.
            announced.append(
                events.DeathConfirmed(
                    claim_id=claim.claim_id,
                    participant_id=claim.filing.participant_id,
                    claim_type=claim_type,
                    date_of_death=claim.filing.incident_date,
                )
            )
        for payload in announced:
            envelopes.append(
                new_envelope(payload, correlation_id=claim.claim_id, producer=SERVICE, causation_id=causation_id)
            )
            traces.append(traceparent)
    await add_events(conn, envelopes, SERVICE, traces)


def component_of(line: PayoutLine) -> events.PayoutComponent:
    return events.PayoutComponent(
        component=line.component,
        amount=line.amount,
        kind=line.kind,
        payee_heir_id=line.payee_heir_id,
        payee_name=line.payee_name,
        guardian_name=line.guardian_name,
    )


# --- heirs and guardians named by a reviewer (HTTP) ------------------------------------------------------


async def name_heirs(
    conn: asyncpg.Connection, claim_id: str, named: list[NamedHeir], actor: Actor, today: date, sampling: ReviewSampling
) -> list[str]:
    """Adds the heirs of the heir statement to a death claim's participant: claims' read model
    at once, enrollment by HeirsNamedOnClaim. Returns the new heir ids."""
    row = await _claim(conn, claim_id)
    errors = [error for index, heir in enumerate(named) for error in named_heir_errors(index, heir, today)]
    if not named:
        errors.append(FieldError(("heirs",), "heirs_required", "heirs_required: name at least one heir"))
    errors += _death_claim_open(row, "heirs")
    if errors:
        raise RuleViolation(errors)
    new = [
        HeirData(
            heir_id=f"H-{uuid.uuid4().hex[:12]}",
            full_name=" ".join(h.full_name.split()),
            relationship=h.relationship,
            precedence=h.precedence,
            phone=h.phone,
            email=h.email,
            language=h.language,
            birth_date=h.birth_date,
        )
        for h in named
    ]
    await repo.add_heirs(conn, row["participant_id"], new)
    everyone = [HeirData(**h) for h in await repo.heirs_of(conn, row["participant_id"])]
    await emit(
        conn,
        events.HeirsNamedOnClaim(
            claim_id=claim_id, participant_id=row["participant_id"], heirs=everyone, named_by=actor.subject
        ),
        claim_id,
    )
    ids = [h.heir_id for h in new]
    await repo.add_step(conn, claim_id, "heirs_named", {"heir_ids": ids, "by": actor.subject})
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="claim.name_heirs",
        subject_id=claim_id,
        details={"heir_ids": ids, "relationships": [h.relationship for h in new]},
    )
    await _rules_again(conn, row, today, sampling)
    return ids


async def name_guardians(
    conn: asyncpg.Connection,
    claim_id: str,
    guardians: dict[str, c.Guardian],
    actor: Actor,
    today: date,
    sampling: ReviewSampling,
) -> None:
    row = await _claim(conn, claim_id)
    participant = await repo.participant_view(conn, row["participant_id"])
    errors = _death_claim_open(row, "guardians")
    errors += guardian_errors(guardians, participant.heirs if participant else (), today)
    if not guardians:
        errors.append(FieldError(("guardians",), "guardians_required", "guardians_required: name at least one wali"))
    if errors:
        raise RuleViolation(errors)
    await repo.set_guardians(conn, claim_id, guardians)
    await repo.add_step(conn, claim_id, "guardians_named", {"heir_ids": sorted(guardians), "by": actor.subject})
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="claim.name_guardians",
        subject_id=claim_id,
        details={"heir_ids": sorted(guardians)},
    )
    await _rules_again(
        conn,
        {
            **row,
            "guardians": {
                **row["guardians"],
                **{heir_id: {"name": g.name, "relationship": g.relationship} for heir_id, g in guardians.items()},
            },
        },
        today,
        sampling,
    )


def _death_claim_open(row: dict[str, Any], field: str) -> list[FieldError]:
    if c.ClaimType(row["claim_type"]) not in c.DEATH_TYPES:
        return [
            FieldError(
                (field,),
                "not_a_death_claim",
                f"not_a_death_claim: {field} are named on a death claim (JKM, JKK_DEATH); a living "
                f"worker is paid directly",
            )
        ]
    if row["status"] not in ("filed", "needs_review"):
        return [
            FieldError(
                (field,),
                "claim_already_decided",
                f"claim_already_decided: {field} are named before the claim is decided; it is {row['status']}",
            )
        ]
    return []


async def _rules_again(conn: asyncpg.Connection, row: dict[str, Any], today: date, sampling: ReviewSampling) -> None:
    """What a reviewer added may settle what the rules referred (NO_HEIR, GUARDIAN_MISSING):
    a claim waiting for review is judged again; a filed one waits for verification."""
    if row["status"] == "needs_review":
        await verify(conn, row, today, sampling, causation_id=None)


# --- reclassification JKM <-> JKK_DEATH by a supervisor (HTTP) ---------------------------------------------


async def reclassify(
    conn: asyncpg.Connection,
    claim_id: str,
    new_type: str,
    reason: str,
    actor: Actor,
    today: date,
    sampling: ReviewSampling,
) -> dict[str, Any]:
    row = await _claim(conn, claim_id)
    old_type = row["claim_type"]
    errors = reclassification_errors(old_type, new_type, reason, row["status"])
    if errors:
        raise RuleViolation(errors)
    complete_on = row["documents_complete_on"]
    sla = deadline(new_type, complete_on) if complete_on else None
    entry = await repo.set_claim_type(conn, claim_id, new_type, complete_on, sla)
    after_payout = row["status"] == "payout_recorded"
    adjustment: list[PayoutLine] = []
    overpaid = 0
    if after_payout:
        participant = await repo.participant_view(conn, row["participant_id"])
        if participant is None:
            raise RuleViolation(
                [
                    FieldError(
                        ("claim_type",),
                        "participant_not_in_read_model",
                        "participant_not_in_read_model: try again once enrollment's events have arrived",
                    )
                ]
            )
        claim = repo.as_domain_claim({**row, "claim_type": new_type})
        paid = await repo.ledger_lines(conn, claim_id)
        adjustment, overpaid = reclassification_difference(
            paid, payout_lines(claim, participant, today), old_type, new_type
        )
        await repo.record_ledger(conn, claim_id, adjustment, entry=entry)
        if cash_of(adjustment):
            await repo.set_disbursement(conn, claim_id, "scheduled", None)  # the difference waits for its transfer
        if overpaid:
            flag = (
                f"reclassified {old_type} -> {new_type} after payout: {format_rupiah(overpaid)} was paid beyond "
                f"what {new_type} gives; nothing was clawed back or recorded negative: a supervisor settles it"
            )
            await repo.set_supervisor_flag(conn, claim_id, flag)
    detail = {
        "from": old_type,
        "to": new_type,
        "reason": reason,
        "by": actor.subject,
        "difference_paid": cash_of(adjustment),
        "overpaid": overpaid,
    }
    await repo.add_step(conn, claim_id, "reclassified", detail)
    await record_audit(
        conn, actor=actor.subject, role=actor.role, action="claim.reclassify", subject_id=claim_id, details=detail
    )
    await emit(
        conn,
        events.ClaimReclassified(
            claim_id=claim_id,
            participant_id=row["participant_id"],
            from_type=old_type,
            claim_type=new_type,
            reason=reason,
            reclassified_by=actor.subject,
            after_payout=after_payout,
            components=[component_of(line) for line in adjustment],
            total_cash=cash_of(adjustment),
            overpaid=overpaid,
        ),
        claim_id,
    )
    await _rules_again(conn, {**row, "claim_type": new_type, "sla_deadline": sla}, today, sampling)
    return {"claim_type": new_type, "difference_paid": cash_of(adjustment), "overpaid": overpaid}


# --- late payment (called where a disbursement becomes paid) ------------------------------------------------


async def record_late_charge(conn: asyncpg.Connection, claim_id: str, paid_on: date) -> list[PayoutLine]:
    """When the money is paid after the payment deadline, records the late charge (1 % of the
    benefit per day late, PP 44/2015 art. 37(3), 40(4)) as `late_charge` lines, one per payee,
    and announces it. Idempotent: a charge already recorded is not recorded or announced again.
    The bank's disbursement lifecycle calls this where a transfer is confirmed paid."""
    claim = await repo.load_domain_claim(conn, claim_id, for_update=True)
    if claim is None:
        raise ClaimNotFound(claim_id)
    if claim.payment_deadline is None:
        return []
    lines = late_charge_lines(await repo.ledger_lines(conn, claim_id), claim.payment_deadline, paid_on)
    if not lines or await repo.record_ledger(conn, claim_id, lines) == 0:
        return []
    total = cash_of(lines)
    late = days_late(claim.payment_deadline, paid_on)
    await repo.add_step(conn, claim_id, "late_charge_recorded", {"days_late": late, "total_cash": total})
    await emit(
        conn,
        events.LateChargeRecorded(
            claim_id=claim_id,
            participant_id=claim.filing.participant_id,
            claim_type=str(claim.filing.claim_type),
            payment_deadline=claim.payment_deadline,
            paid_on=paid_on,
            days_late=late,
            components=[component_of(line) for line in lines],
            total_cash=total,
        ),
        claim_id,
    )
    return lines


# --- the family's messages on the timeline (consumer of notifications' events) ---------------------------


def timeline_step(
    event: NotificationDelivered | NotificationFailed | FamilyMemberUnreachable,
) -> tuple[str, str, dict[str, Any]]:
    """The claim's step for notifications' word on a family member: (claim id, step, detail)."""
    if isinstance(event, FamilyMemberUnreachable):
        # No phone, no email: an officer tells this family member in person.
        return (
            event.claim_id,
            "family_member_unreachable",
            {"heir_id": event.heir_id, "reason": event.reason, "about": event.about_event},
        )
    step = "family_notified" if isinstance(event, NotificationDelivered) else "family_notification_failed"
    return (
        event.claim_id,
        step,
        {"heir_id": event.heir_id, "channel": event.channel, "about": event.about_event, "attempts": event.attempts},
    )


async def on_notifications(conn: asyncpg.Connection, told: list[Delivery]) -> None:
    """A batch's deliveries, failures and unreachable family members: their steps in one statement."""
    await repo.add_steps(conn, [timeline_step(event) for _, event, _ in told])


# One handler for the three types, so a batch's messages of distinct claims go in one call.
on_notification = Batched(on_notifications)


async def _claim(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any]:
    row = await repo.load_claim(conn, claim_id, for_update=True)
    if row is None:
        raise ClaimNotFound(claim_id)
    return row
