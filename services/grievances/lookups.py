"""What families ask by themselves: "Lacak Klaim" codes on the public page, and the messages
they send ("STATUS <claim>", "ADUAN <text>"). Like handlers.py, each runs in the caller's
transaction and queues its events in the outbox."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime

import asyncpg

from services.grievances import repository as repo
from services.grievances.domain import grievance as g
from services.grievances.domain import lookup as lk
from services.grievances.domain.family import FamilyView, family_view
from services.grievances.domain.inbound import read_command
from services.grievances.handlers import Filing, emit, file_grievance
from services.grievances.settings import GrievancesSettings
from shared.contracts import grievances as events
from shared.contracts.grievances import Contact
from shared.contracts.inbound import InboundMessageReceived
from shared.envelope import Envelope
from shared.errors import RuleViolation
from shared.logs import get_logger

log = get_logger("grievances.lookups")


# --- "Lacak Klaim" ---------------------------------------------------------------------------------------------


class RateLimited(Exception):
    pass


def _rate_key(value: str) -> str:
    # Counted by hash: the table of requests is not a list of who looked what up.
    return hashlib.sha256(value.encode()).hexdigest()


async def request_code(
    conn: asyncpg.Connection,
    claim_number: str,
    phone: str,
    client: str,
    now: datetime,
    settings: GrievancesSettings,
    secret: str,
) -> str:
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
    await emit(
        conn,
        events.LookupCodeIssued(
            lookup_id=lookup_id, claim_id=claim_number, contact=contact, code=code, expires_at=expires_at
        ),
        claim_number,
    )
    return lookup_id


async def check_code(
    conn: asyncpg.Connection, lookup_id: str, code: str, now: datetime, secret: str
) -> tuple[lk.CodeCheck, FamilyView | None]:
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


async def answer_status(
    conn: asyncpg.Connection, env: Envelope, event: InboundMessageReceived, phone: str, claim_number: str
) -> None:
    person = lk.person_with_phone(phone, await repo.phones_on_claim(conn, claim_number))
    claim = await repo.claim_for_family(conn, claim_number) if person else None
    if person is None or claim is None:
        # No answer to a phone that is not on the claim: an answer would tell it the claim exists.
        log.info("inbound.status_not_answered", sender=lk.mask_phone(phone))
        return
    view = family_view(claim, person.heir_id)
    contact = Contact(
        heir_id=person.heir_id,
        phone=phone,
        language=person.language,  # type: ignore[arg-type]
        channel=event.channel,
    )
    await emit(
        conn,
        events.ClaimStatusShared(
            claim_id=view.claim_id,
            claim_type=view.claim_type,
            contact=contact,
            status=view.status,
            missing_documents=list(view.missing_documents),
            payment_deadline=view.payment_deadline,
            amount=view.amount,
            payment_status=view.payment_status,
        ),
        claim_number,
        str(env.event_id),
    )  # type: ignore[arg-type]


async def grievance_by_message(
    conn: asyncpg.Connection,
    env: Envelope,
    event: InboundMessageReceived,
    phone: str,
    text: str,
    settings: GrievancesSettings,
    today: date,
) -> None:
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
    filing = Filing(
        category="other",
        text=text[: g.TEXT_MAX],
        channel=event.channel,
        filed_by="family",
        claim_id=claims[0],
        contact=contact,
    )
    try:
        await file_grievance(
            conn,
            filing,
            settings,
            today,
            source_message=f"{event.channel}:{event.message_id}",
            causation_id=str(env.event_id),
        )
    except RuleViolation as exc:  # too short to act on: nothing to file
        log.info("inbound.grievance_not_filed", sender=lk.mask_phone(phone), rules=[e.rule for e in exc.errors])
