"""Grievances' use cases: keep the read model of claims and heirs; file, comment, resolve,
reopen and escalate grievances; issue and check "Lacak Klaim" codes; answer STATUS and
ADUAN messages. Each runs in the caller's transaction (an HTTP request's, or a consumer's
with its inbox row) and queues its events in the outbox, so the change and the events commit
together."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import asyncpg

from services.grievances import repository as repo
from services.grievances.domain import grievance as g
from services.grievances.domain import lookup as lk
from services.grievances.domain.family import FamilyView, family_view
from services.grievances.domain.inbound import read_command
from services.grievances.settings import GrievancesSettings
from shared.contracts import grievances as events
from shared.contracts.claims import (
    ClaimApproved,
    ClaimFiled,
    ClaimReferredForReview,
    ClaimRejected,
    DisbursementChanged,
    PayoutRecorded,
    ProactiveClaimOpened,
)
from shared.contracts.enrollment import HeirsChanged, ParticipantEnrolled
from shared.contracts.grievances import Contact
from shared.contracts.inbound import InboundMessageReceived
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


async def emit(conn: asyncpg.Connection, payload: EventPayload, correlation_id: str,
               causation_id: str | None = None) -> None:
    await add_event(conn, new_envelope(payload, correlation_id=correlation_id, producer=SERVICE,
                                       causation_id=causation_id), SERVICE)


# --- read model (consumers of enrollment's and claims' events) ---------------------------------------------

async def on_participant_enrolled(conn: asyncpg.Connection, _env: Envelope, event: ParticipantEnrolled) -> None:
    await repo.replace_heirs(conn, event.participant_id, event.heirs)


async def on_heirs_changed(conn: asyncpg.Connection, _env: Envelope, event: HeirsChanged) -> None:
    await repo.replace_heirs(conn, event.participant_id, event.heirs)


async def on_claim_filed(conn: asyncpg.Connection, _env: Envelope, event: ClaimFiled) -> None:
    phone = lk.normalize_phone(event.reporter.phone) if event.reporter.phone else None
    await repo.upsert_claim(conn, event.claim_id, event.participant_id, event.claim_type, phone)
    await repo.family_came(conn, event.claim_id)  # a proactive claim, completed when the family came


async def on_proactive_claim_opened(conn: asyncpg.Connection, _env: Envelope, event: ProactiveClaimOpened) -> None:
    """Jaring opened a death claim from the civil registry and gave the family its number: "Lacak
    Klaim" and STATUS know it from now on, waiting for the family (docs/outreach.md)."""
    await repo.upsert_claim(conn, event.claim_id, event.participant_id, event.claim_type, None)
    await repo.set_claim_status(conn, event.claim_id, "awaiting_family", [], None)


async def on_claim_decided(conn: asyncpg.Connection, env: Envelope,
                           event: ClaimApproved | ClaimRejected | ClaimReferredForReview) -> None:
    if not await repo.claim_known(conn, event.claim_id):
        await repo.upsert_claim(conn, event.claim_id, event.participant_id, event.claim_type, None)
    status = {"ClaimApproved": "approved", "ClaimRejected": "rejected",
              "ClaimReferredForReview": "needs_review"}[env.type]
    missing = list(event.missing_documents) if isinstance(event, ClaimReferredForReview) else []
    deadline = getattr(event, "payment_deadline", None)
    await repo.set_claim_status(conn, event.claim_id, status, missing, deadline)


async def on_payout_recorded(conn: asyncpg.Connection, _env: Envelope, event: PayoutRecorded) -> None:
    shares: dict[str, int] = {}
    for component in event.components:
        if component.kind == "cash" and component.payee_heir_id:
            shares[component.payee_heir_id] = shares.get(component.payee_heir_id, 0) + component.amount
    if not await repo.claim_known(conn, event.claim_id):
        await repo.upsert_claim(conn, event.claim_id, event.participant_id, event.claim_type, None)
    await repo.record_shares(conn, event.claim_id, shares)
    await repo.set_claim_status(conn, event.claim_id, "payout_recorded", [], None)


async def on_disbursement_changed(conn: asyncpg.Connection, _env: Envelope, event: DisbursementChanged) -> None:
    await repo.set_disbursement(conn, event.claim_id, event.status)


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


async def file_grievance(conn: asyncpg.Connection, filing: Filing, settings: GrievancesSettings, today: date,
                         *, source_message: str | None = None, causation_id: str | None = None) -> str | None:
    """Returns the new grievance's id (None when `source_message` filed one already)."""
    g.check_filing(filing.category, filing.text, filing.claim_id, filing.participant_id)
    participant_id = filing.participant_id
    if filing.claim_id:
        participant_id = await repo.claim_participant(conn, filing.claim_id)
        if participant_id is None:
            raise RuleViolation([FieldError(("claim_id",), "claim_unknown",
                                            "claim_unknown: no claim with this number is known yet")])
    assigned = g.choose_supervisor(settings.supervisors, await repo.open_counts(conn))
    grievance = g.Grievance(
        grievance_id=f"GRV-{uuid.uuid4().hex[:10].upper()}", category=filing.category, channel=filing.channel,
        status="open", text=filing.text.strip(), filed_by=filing.filed_by, assigned_to=assigned, filed_on=today,
        due_on=g.resolution_due(filing.category, today, settings.resolution_working_days, _holidays()),
        claim_id=filing.claim_id, participant_id=participant_id, contact=filing.contact)
    if not await repo.insert_grievance(conn, grievance, source_message):
        return None
    await emit(conn, events.GrievanceFiled(
        grievance_id=grievance.grievance_id, category=grievance.category, channel=grievance.channel,
        claim_id=grievance.claim_id, participant_id=participant_id, filed_by=grievance.filed_by,
        assigned_to=assigned, due_on=grievance.due_on, contact=grievance.contact),
        grievance.grievance_id, causation_id)
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
    await repo.add_comment(conn, grievance_id, author, role, text.strip())


async def resolve(conn: asyncpg.Connection, grievance_id: str, resolution: str, author: str, role: str, today: date,
                  *, claim_reopened: bool = False) -> g.Grievance:
    current = await _grievance(conn, grievance_id)
    done = g.resolve(current, resolution, author, today)
    await repo.save_grievance(conn, done)
    await repo.add_comment(conn, grievance_id, author, role, f"resolved: {done.resolution}")
    await emit(conn, events.GrievanceResolved(
        grievance_id=grievance_id, category=done.category, claim_id=done.claim_id, participant_id=done.participant_id,
        resolved_by=author, resolution=mask_niks_in(done.resolution or "")[:500], reopen_until=g.reopen_until(today), claim_reopened=claim_reopened, contact=done.contact),
        grievance_id)
    await record_audit(conn, actor=author, role=role, action="grievance.resolve", subject_id=grievance_id,
                       details={"claim_reopened": claim_reopened})
    return done


async def reopen(conn: asyncpg.Connection, grievance_id: str, reason: str, author: str, role: str, today: date,
                 settings: GrievancesSettings) -> g.Grievance:
    current = await _grievance(conn, grievance_id)
    if not reason or not reason.strip():
        raise RuleViolation([FieldError(("reason",), "reason_required", "reason_required: say why it is reopened")])
    opened = g.reopen(current, today, settings.resolution_working_days, _holidays())
    await repo.save_grievance(conn, opened)
    await repo.add_comment(conn, grievance_id, author, role, f"reopened: {reason.strip()}")
    await emit(conn, events.GrievanceReopened(
        grievance_id=grievance_id, category=opened.category, claim_id=opened.claim_id,
        participant_id=opened.participant_id, reopened_by=author, due_on=opened.due_on, contact=opened.contact),
        grievance_id)
    await record_audit(conn, actor=author, role=role, action="grievance.reopen", subject_id=grievance_id,
                       details={"reason": reason.strip()})
    return opened


async def escalate_overdue(conn: asyncpg.Connection, today: date, settings: GrievancesSettings) -> list[str]:
    """Open grievances past their deadline, escalated once each; the family is told."""
    escalated = []
    for late in await repo.overdue_candidates(conn, today):
        if not g.is_overdue(late, today):
            continue
        await repo.save_grievance(conn, replace(late, escalated_to=settings.escalation_supervisor))
        await repo.add_comment(conn, late.grievance_id, "jaring", "system",
                               f"overdue since {late.due_on.isoformat()}: escalated to {settings.escalation_supervisor}")
        await emit(conn, events.GrievanceOverdue(
            grievance_id=late.grievance_id, category=late.category, claim_id=late.claim_id,
            participant_id=late.participant_id, due_on=late.due_on, escalated_to=settings.escalation_supervisor,
            contact=late.contact), late.grievance_id)
        escalated.append(late.grievance_id)
    return escalated


def grievance_view(item: g.Grievance, today: date) -> dict[str, Any]:
    return {
        "grievance_id": item.grievance_id, "category": item.category, "channel": item.channel,
        "status": item.status, "claim_id": item.claim_id, "participant_id": item.participant_id, "text": item.text,
        "filed_by": item.filed_by, "assigned_to": item.assigned_to, "filed_on": item.filed_on,
        "due_on": item.due_on, "overdue": item.status == "open" and today > item.due_on,
        "escalated_to": item.escalated_to, "resolution": item.resolution, "resolved_by": item.resolved_by,
        "resolved_on": item.resolved_on, "reopen_count": item.reopen_count,
        "reopen_until": g.reopen_until(item.resolved_on) if item.resolved_on else None,
        "contact": ({"heir_id": item.contact.heir_id, "phone": lk.mask_phone(item.contact.phone)}
                    if item.contact else None),
    }


# --- "Lacak Klaim" ---------------------------------------------------------------------------------------------

class RateLimited(Exception):
    pass


def _rate_key(value: str) -> str:
    # Counted by hash: the table of requests is not a list of who looked what up.
    return hashlib.sha256(value.encode()).hexdigest()


async def request_code(conn: asyncpg.Connection, claim_number: str, phone: str, client: str, now: datetime,
                       settings: GrievancesSettings, secret: str) -> str:
    """Records the request and, when the phone is on the claim, queues a code for it. The
    caller learns only the lookup id, the same whether or not a code was sent."""
    per_phone = lk.RateLimit(settings.lookup_per_phone, settings.lookup_per_phone_minutes)
    per_client = lk.RateLimit(settings.lookup_per_client, settings.lookup_per_client_minutes)
    phone_key, client_key = _rate_key(phone), _rate_key(client)
    recent_phone = await repo.count_recent(conn, "phone", phone_key, settings.lookup_per_phone_minutes)
    recent_client = await repo.count_recent(conn, "client", client_key, settings.lookup_per_client_minutes)
    if not per_phone.allows(recent_phone) or not per_client.allows(recent_client):
        raise RateLimited()
    await repo.hit(conn, "phone", phone_key)
    await repo.hit(conn, "client", client_key)
    lookup_id = uuid.uuid4().hex
    person = lk.person_with_phone(phone, await repo.phones_on_claim(conn, claim_number))
    code = lk.new_code()
    stored = lk.code_hash(secret, lookup_id, code)  # computed either way: the same work
    expires_at = now + lk.CODE_TTL
    if person is None:
        await repo.insert_lookup(conn, lookup_id, claim_number, phone, client, None, None, expires_at)
        return lookup_id
    await repo.insert_lookup(conn, lookup_id, claim_number, phone, client, person.heir_id, stored, expires_at)
    contact = Contact(heir_id=person.heir_id, phone=phone, language=person.language)  # type: ignore[arg-type]
    await emit(conn, events.LookupCodeIssued(lookup_id=lookup_id, claim_id=claim_number, contact=contact, code=code,
                                             expires_at=expires_at), claim_number)
    return lookup_id


async def check_code(conn: asyncpg.Connection, lookup_id: str, code: str, now: datetime,
                     secret: str) -> tuple[lk.CodeCheck, FamilyView | None]:
    pending = await repo.pending_lookup(conn, lookup_id)
    if pending is None:
        return lk.CodeCheck.WRONG, None
    wrong_so_far, locked_until = await repo.lock_of(conn, pending.claim_number)
    outcome = lk.check_code(pending, code, secret, locked_until, now)
    if outcome is lk.CodeCheck.WRONG:
        wrong, lock = lk.after_wrong_code(wrong_so_far, now)
        await repo.set_lock(conn, pending.claim_number, wrong, lock)
        if lock is not None:
            log.warning("lookup.locked", claim_id=pending.claim_number)
            return lk.CodeCheck.LOCKED, None
        return outcome, None
    if outcome is not lk.CodeCheck.OK:
        return outcome, None
    await repo.mark_verified(conn, lookup_id, now)
    await repo.set_lock(conn, pending.claim_number, 0, None)
    row = await repo.lookup_row(conn, lookup_id)
    claim = await repo.claim_for_family(conn, pending.claim_number)
    if claim is None or row is None:  # the code was sent, so the claim was known: kept for safety
        return lk.CodeCheck.EXPIRED, None
    return outcome, family_view(claim, row["heir_id"])


async def verified_contact(conn: asyncpg.Connection, lookup_id: str, now: datetime) -> tuple[str, Contact] | None:
    """(claim, contact) of a lookup verified in the last 30 minutes: whom a grievance from
    the page is filed for."""
    row = await repo.lookup_row(conn, lookup_id)
    if row is None or row["verified_at"] is None or now - row["verified_at"] > lk.VERIFIED_FOR:
        return None
    return row["claim_number"], Contact(heir_id=row["heir_id"], phone=row["phone"])


# --- messages from families (consumer of notifications.inbound.v1) ---------------------------------------------

def make_inbound_handler(settings: GrievancesSettings, today_fn):
    async def on_inbound_message(conn: asyncpg.Connection, env: Envelope, event: InboundMessageReceived) -> None:
        command = read_command(event.text)
        if command is None:
            return
        phone = lk.normalize_phone(event.sender)
        if phone is None:
            return
        if command.kind == "status":
            claim_number = lk.clean_claim_number(command.argument)
            if claim_number is not None:
                await answer_status(conn, env, event, phone, claim_number)
        else:
            await grievance_by_message(conn, env, event, phone, command.argument, settings, today_fn())

    return on_inbound_message


async def answer_status(conn: asyncpg.Connection, env: Envelope, event: InboundMessageReceived, phone: str,
                        claim_number: str) -> None:
    person = lk.person_with_phone(phone, await repo.phones_on_claim(conn, claim_number))
    claim = await repo.claim_for_family(conn, claim_number) if person else None
    if person is None or claim is None:
        # No answer to a phone that is not on the claim: an answer would tell it the claim exists.
        log.info("inbound.status_not_answered", sender=lk.mask_phone(phone))
        return
    view = family_view(claim, person.heir_id)
    contact = Contact(heir_id=person.heir_id, phone=phone, language=person.language,  # type: ignore[arg-type]
                      channel=event.channel)
    await emit(conn, events.ClaimStatusShared(
        claim_id=view.claim_id, claim_type=view.claim_type, contact=contact, status=view.status,
        missing_documents=list(view.missing_documents), payment_deadline=view.payment_deadline, amount=view.amount,
        payment_status=view.payment_status), claim_number, str(env.event_id))  # type: ignore[arg-type]


async def grievance_by_message(conn: asyncpg.Connection, env: Envelope, event: InboundMessageReceived, phone: str,
                               text: str, settings: GrievancesSettings, today: date) -> None:
    """ADUAN from a phone recorded on a claim files a grievance on its newest claim
    (category "other": an officer recategorises it). From a phone Jaring does not know, it is
    logged and not filed: a public number would otherwise take complaints from anyone."""
    claims = await repo.claims_with_phone(conn, phone)
    if not claims:
        log.info("inbound.grievance_from_unknown_phone", sender=lk.mask_phone(phone))
        return
    person = lk.person_with_phone(phone, await repo.phones_on_claim(conn, claims[0]))
    heir_id = person.heir_id if person else "family"
    language = person.language if person else "id"
    contact = Contact(heir_id=heir_id, phone=phone, language=language, channel=event.channel)  # type: ignore[arg-type]
    filing = Filing(category="other", text=text[: g.TEXT_MAX], channel=event.channel, filed_by="family",
                    claim_id=claims[0], contact=contact)
    try:
        await file_grievance(conn, filing, settings, today, source_message=f"{event.channel}:{event.message_id}",
                             causation_id=str(env.event_id))
    except RuleViolation as exc:  # too short to act on: nothing to file
        log.info("inbound.grievance_not_filed", sender=lk.mask_phone(phone), rules=[e.rule for e in exc.errors])
