"""Grievances' use cases: keep the read model of claims and heirs; tell families what is
missing; file, comment, resolve, reopen and escalate grievances ("Lacak Klaim" and families'
messages are in lookups.py). Each runs in the caller's transaction (an HTTP request's, or a
consumer's with its inbox row) and queues its events in the outbox, so the change and the
events commit together."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import asyncpg

from services.grievances import repository as repo
from services.grievances.domain import documents as docs
from services.grievances.domain import grievance as g
from services.grievances.domain import lookup as lk
from services.grievances.settings import GrievancesSettings
from shared.consuming import Batched, Delivery, NotYet
from shared.contracts import grievances as events
from shared.contracts.claims import (
    ClaimReferredForReview,
    DisbursementChanged,
    PayoutRecorded,
    ProactiveClaimOpened,
)
from shared.contracts.enrollment import HeirsChanged, ParticipantEnrolled
from shared.contracts.grievances import Contact
from shared.db import record_audit
from shared.envelope import Envelope, EventPayload, new_envelope
from shared.errors import FieldError, RuleViolation
from shared.logs import get_logger
from shared.outbox import add_event
from shared.privacy import mask_niks_in

SERVICE = "grievances"
log = get_logger("grievances")


class GrievanceNotFound(LookupError):
    pass


async def emit(
    conn: asyncpg.Connection, payload: EventPayload, correlation_id: str, causation_id: str | None = None
) -> None:
    await add_event(
        conn, new_envelope(payload, correlation_id=correlation_id, producer=SERVICE, causation_id=causation_id), SERVICE
    )


# --- read model (consumers of enrollment's and claims' events) ---------------------------------------------


async def on_participant_enrolled(conn: asyncpg.Connection, _env: Envelope, event: ParticipantEnrolled) -> None:
    await repo.replace_heirs(conn, event.participant_id, event.heirs)


async def on_heirs_changed(conn: asyncpg.Connection, _env: Envelope, event: HeirsChanged) -> None:
    await repo.replace_heirs(conn, event.participant_id, event.heirs)


async def on_claims_filed(conn: asyncpg.Connection, deliveries: list[Delivery]) -> None:
    """A batch's filings in one statement; a proactive claim is completed when the family came."""
    filings = []
    for _env, event, _trace in deliveries:
        phone = lk.normalize_phone(event.reporter.phone) if event.reporter.phone else None
        filings.append((event.claim_id, event.participant_id, str(event.claim_type), phone))
    await repo.claims_filed(conn, filings)


on_claim_filed = Batched(on_claims_filed)


async def on_proactive_claim_opened(conn: asyncpg.Connection, _env: Envelope, event: ProactiveClaimOpened) -> None:
    """Jaring opened a death claim from the civil registry and gave the family its number: "Lacak
    Klaim" and STATUS know it from now on, waiting for the family (docs/outreach.md)."""
    await repo.upsert_claim(conn, event.claim_id, event.participant_id, event.claim_type, None)
    await repo.set_claim_status(conn, event.claim_id, "awaiting_family", [], None)


# The events that bring a claim into the read model. They come on another topic than a decision or a
# payout, read by the same consumer (services/grievances/app.py): a waiting event names them, so they
# are applied ahead of it instead of waiting behind it (shared/consuming.NotYet).
CLAIM_ARRIVES = ("ClaimFiled", "ProactiveClaimOpened")


def _not_known_yet(claim_ids: Collection[str]) -> NotYet:
    # ClaimFiled (another topic) brings the reporter's phone: wait for it. A claim's topics are keyed
    # by its id, so the ids are the keys that wait: the batch's other claims are applied without them.
    return NotYet(
        f"claims {', '.join(sorted(claim_ids))} not in the grievances read model yet", CLAIM_ARRIVES, keys=claim_ids
    )


def _not_enrolled_yet(participant_id: str) -> NotYet:
    # The heirs come with the enrolment, on another topic read by another group: asked without them,
    # only the reporter would be told. Parked; the periodic retry applies it once they are read.
    return NotYet(f"participant {participant_id} not in the grievances read model yet")


_DECIDED_STATUS = {"ClaimApproved": "approved", "ClaimRejected": "rejected", "ClaimReferredForReview": "needs_review"}


def make_decision_handler(today_fn):
    async def on_claims_decided(conn: asyncpg.Connection, deliveries: list[Delivery]) -> None:
        """A batch's decisions: those that leave nothing missing in one statement; a referral that asks
        the family for documents one by one (the request and its notice are per claim)."""
        plain, asking = [], []
        for env, event, _trace in deliveries:
            missing = list(event.missing_documents) if isinstance(event, ClaimReferredForReview) else []
            (asking if missing else plain).append((env, event, missing))
        if plain:
            decisions = [
                (e.claim_id, _DECIDED_STATUS[env.type], getattr(e, "payment_deadline", None)) for env, e, _ in plain
            ]
            unknown = {e.claim_id for _, e, _ in plain} - await repo.claims_decided(conn, decisions)
            if unknown:
                raise _not_known_yet(unknown)
        for env, event, missing in asking:
            read = await repo.claims_participant(conn, event.claim_id)
            if read is None:
                raise _not_known_yet({event.claim_id})
            participant_id, enrolled = read
            if not enrolled:
                raise _not_enrolled_yet(participant_id)
            deadline = getattr(event, "payment_deadline", None)
            await repo.set_claim_status(conn, event.claim_id, "needs_review", missing, deadline)
            await request_documents(conn, env, event.claim_id, missing, today_fn())

    return Batched(on_claims_decided)


async def on_payout_events(conn: asyncpg.Connection, deliveries: list[Delivery]) -> None:
    """A batch's payouts and disbursement changes (one handler: they come interleaved on one topic),
    distinct claims, a statement for each kind. A payout gives each heir their cash share."""
    paid = [event for _env, event, _trace in deliveries if isinstance(event, PayoutRecorded)]
    if paid:
        shares: dict[tuple[str, str], int] = {}
        for event in paid:
            for component in event.components:
                if component.kind == "cash" and component.payee_heir_id:
                    at = (event.claim_id, component.payee_heir_id)
                    shares[at] = shares.get(at, 0) + component.amount
        claim_ids = [event.claim_id for event in paid]
        known = await repo.payouts_recorded(conn, claim_ids, [(c, h, amount) for (c, h), amount in shares.items()])
        if unknown := set(claim_ids) - known:
            raise _not_known_yet(unknown)
    changed = [(e.claim_id, e.status) for _env, e, _trace in deliveries if isinstance(e, DisbursementChanged)]
    if changed:
        await repo.disbursements_changed(conn, changed)


on_payout_event = Batched(on_payout_events)


# --- what is missing (told once per list, reminded once) ------------------------------------------------------


async def _notice(
    conn: asyncpg.Connection, claim_id: str, missing: list[str], reminder: bool, causation_id: str | None
) -> bool:
    claim = await repo.claim_row(conn, claim_id)
    if claim is None:
        return False
    told = docs.recipients(await repo.heir_contacts(conn, claim["participant_id"]), claim["reporter_phone"])
    if not told:
        return False  # nobody has a contact: the officer tells the family in person
    await emit(
        conn,
        events.MissingDocumentsNoticed(
            claim_id=claim_id,
            participant_id=claim["participant_id"],
            claim_type=claim["claim_type"],
            missing_documents=missing,
            reminder=reminder,
            recipients=told,
        ),
        claim_id,
        causation_id,
    )
    return True


async def request_documents(
    conn: asyncpg.Connection, env: Envelope, claim_id: str, missing: list[str], today: date
) -> None:
    if not docs.is_new_request(await repo.open_request(conn, claim_id), missing):
        return
    await repo.save_request(conn, claim_id, missing, today, docs.reminder_on(today, _holidays()))
    await _notice(conn, claim_id, missing, False, str(env.event_id))


async def remind_missing_documents(conn: asyncpg.Connection, today: date) -> list[str]:
    """Claims still missing documents 3 working days after the family was told: one reminder each."""
    reminded = []
    for claim_id in await repo.due_reminders(conn, today):
        claim = await repo.claim_for_family(conn, claim_id)
        if claim is None or claim.status not in ("filed", "needs_review") or not claim.missing_documents:
            await repo.close_request(conn, claim_id)
            continue
        await repo.mark_reminded(conn, claim_id)
        if await _notice(conn, claim_id, list(claim.missing_documents), True, None):
            reminded.append(claim_id)
    return reminded


# --- grievances ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filing:
    category: str
    text: str
    channel: str  # web, sms, whatsapp, officer
    filed_by: str  # officer subject or "family"
    claim_id: str | None = None
    participant_id: str | None = None
    contact: Contact | None = None


def _holidays() -> Collection[date]:
    # No national holiday calendar in Jaring yet (claims' payment clock has none either); the
    # domain takes one as soon as there is a table of the SKB 3 Menteri decree.
    return frozenset()


async def file_grievance(
    conn: asyncpg.Connection,
    filing: Filing,
    settings: GrievancesSettings,
    today: date,
    *,
    source_message: str | None = None,
    causation_id: str | None = None,
) -> str | None:
    """Returns the new grievance's id (None when `source_message` filed one already)."""
    g.check_filing(filing.category, filing.text, filing.claim_id, filing.participant_id)
    participant_id = filing.participant_id
    if filing.claim_id:
        participant_id = await repo.claim_participant(conn, filing.claim_id)
        if participant_id is None:
            raise RuleViolation(
                [FieldError(("claim_id",), "claim_unknown", "claim_unknown: no claim with this number is known yet")]
            )
    assigned = g.choose_supervisor(settings.supervisors, await repo.open_counts(conn))
    grievance = g.Grievance(
        grievance_id=f"GRV-{uuid.uuid4().hex[:10].upper()}",
        category=filing.category,
        channel=filing.channel,
        # A family may type a NIK or a KTP number into a complaint: it is never kept in full.
        status="open",
        text=mask_niks_in(filing.text.strip()),
        filed_by=filing.filed_by,
        assigned_to=assigned,
        filed_on=today,
        due_on=g.resolution_due(filing.category, today, settings.resolution_working_days, _holidays()),
        claim_id=filing.claim_id,
        participant_id=participant_id,
        contact=filing.contact,
    )
    if not await repo.insert_grievance(conn, grievance, source_message):
        return None
    await emit(
        conn,
        events.GrievanceFiled(
            grievance_id=grievance.grievance_id,
            category=grievance.category,
            channel=grievance.channel,
            claim_id=grievance.claim_id,
            participant_id=participant_id,
            filed_by=grievance.filed_by,
            assigned_to=assigned,
            due_on=grievance.due_on,
            contact=grievance.contact,
        ),
        grievance.grievance_id,
        causation_id,
    )
    return grievance.grievance_id


async def _grievance(conn: asyncpg.Connection, grievance_id: str) -> g.Grievance:
    found = await repo.load_grievance(conn, grievance_id, for_update=True)
    if found is None:
        raise GrievanceNotFound(grievance_id)
    return found


async def comment(conn: asyncpg.Connection, grievance_id: str, text: str, author: str, role: str) -> None:
    await _grievance(conn, grievance_id)
    if not text or not text.strip():
        raise RuleViolation([FieldError(("text",), "text_required", "text_required: a comment says something")])
    await repo.add_comment(conn, grievance_id, author, role, mask_niks_in(text.strip()))


async def resolve(
    conn: asyncpg.Connection,
    grievance_id: str,
    resolution: str,
    author: str,
    role: str,
    today: date,
    *,
    claim_reopened: bool = False,
) -> g.Grievance:
    current = await _grievance(conn, grievance_id)
    done = g.resolve(current, mask_niks_in(resolution or ""), author, today)
    await repo.save_grievance(conn, done)
    await repo.add_comment(conn, grievance_id, author, role, f"resolved: {done.resolution}")
    await emit(
        conn,
        events.GrievanceResolved(
            grievance_id=grievance_id,
            category=done.category,
            claim_id=done.claim_id,
            participant_id=done.participant_id,
            resolved_by=author,
            resolution=(done.resolution or "")[:500],
            reopen_until=g.reopen_until(today),
            claim_reopened=claim_reopened,
            contact=done.contact,
        ),
        grievance_id,
    )
    await record_audit(
        conn,
        actor=author,
        role=role,
        action="grievance.resolve",
        subject_id=grievance_id,
        details={"claim_reopened": claim_reopened},
    )
    return done


async def reopen(
    conn: asyncpg.Connection,
    grievance_id: str,
    reason: str,
    author: str,
    role: str,
    today: date,
    settings: GrievancesSettings,
) -> g.Grievance:
    current = await _grievance(conn, grievance_id)
    if not reason or not reason.strip():
        raise RuleViolation([FieldError(("reason",), "reason_required", "reason_required: say why it is reopened")])
    opened = g.reopen(current, today, settings.resolution_working_days, _holidays())
    await repo.save_grievance(conn, opened)
    await repo.add_comment(conn, grievance_id, author, role, f"reopened: {mask_niks_in(reason.strip())}")
    await emit(
        conn,
        events.GrievanceReopened(
            grievance_id=grievance_id,
            category=opened.category,
            claim_id=opened.claim_id,
            participant_id=opened.participant_id,
            reopened_by=author,
            due_on=opened.due_on,
            contact=opened.contact,
        ),
        grievance_id,
    )
    await record_audit(
        conn,
        actor=author,
        role=role,
        action="grievance.reopen",
        subject_id=grievance_id,
        details={"reason": reason.strip()},
    )
    return opened


async def escalate_overdue(conn: asyncpg.Connection, today: date, settings: GrievancesSettings) -> list[str]:
    """Open grievances past their deadline, escalated once each; the family is told."""
    escalated = []
    for late in await repo.overdue_candidates(conn, today):
        if not g.is_overdue(late, today):
            continue
        await repo.save_grievance(conn, replace(late, escalated_to=settings.escalation_supervisor))
        await repo.add_comment(
            conn,
            late.grievance_id,
            "jaring",
            "system",
            f"overdue since {late.due_on.isoformat()}: escalated to {settings.escalation_supervisor}",
        )
        await emit(
            conn,
            events.GrievanceOverdue(
                grievance_id=late.grievance_id,
                category=late.category,
                claim_id=late.claim_id,
                participant_id=late.participant_id,
                due_on=late.due_on,
                escalated_to=settings.escalation_supervisor,
                contact=late.contact,
            ),
            late.grievance_id,
        )
        escalated.append(late.grievance_id)
    return escalated


def grievance_view(item: g.Grievance, today: date) -> dict[str, Any]:
    return {
        "grievance_id": item.grievance_id,
        "category": item.category,
        "channel": item.channel,
        "status": item.status,
        "claim_id": item.claim_id,
        "participant_id": item.participant_id,
        "text": item.text,
        "filed_by": item.filed_by,
        "assigned_to": item.assigned_to,
        "filed_on": item.filed_on,
        "due_on": item.due_on,
        "overdue": item.status == "open" and today > item.due_on,
        "escalated_to": item.escalated_to,
        "resolution": item.resolution,
        "resolved_by": item.resolved_by,
        "resolved_on": item.resolved_on,
        "reopen_count": item.reopen_count,
        "reopen_until": g.reopen_until(item.resolved_on) if item.resolved_on else None,
        "contact": (
            {"heir_id": item.contact.heir_id, "phone": lk.mask_phone(item.contact.phone)} if item.contact else None
        ),
    }
