"""Notifications' handlers: keep the read models, and turn claim events into messages.

A message is queued here, in the consumer's transaction (with the inbox row), one per
(event, recipient, channel). Sending happens later in the dispatcher, so a slow or failing
provider never holds up consumption, and a crash between the two loses nothing.

Who is told (issue 12.9: the person paid is the person told): after a death, the heirs;
after a living worker's accident, the worker. A family member with neither phone nor
email gets no message; claims hears it once (FamilyMemberUnreachable, for an officer to
tell them in person) and the claim's reporter, if they left a phone, gets the messages
too. A payout message shows each recipient what THEY receive (their lines and total, and
a minor's share they receive as guardian); someone paid nothing reads who is paid, not
the amounts.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.notifications import repository as repo
from services.notifications.domain.messages import (
    ADDED_MONEY_EVENTS,
    CLAIM_FILED,
    CLAIM_RECLASSIFIED,
    CLAIM_REJECTED,
    DISBURSEMENT_PAID,
    LATE_CHARGE_RECORDED,
    PAYOUT_RECORDED,
    TRANSFER_REJECTED,
    ClaimNotice,
    PayoutComponent,
    is_death,
    render,
)
from services.notifications.domain.recipients import Heir, address_for, channels_for, the_reporter, the_worker
from shared.consuming import NotYet
from shared.contracts.claims import (
    ClaimFiled,
    ClaimReclassified,
    ClaimRejected,
    ClaimWithdrawn,
    DisbursementChanged,
    LateChargeRecorded,
    PayoutRecorded,
)
from shared.contracts.disbursements import TransferStatusChanged
from shared.contracts.enrollment import HeirsChanged, ParticipantDetailsChanged, ParticipantEnrolled
from shared.contracts.notifications import FamilyMemberUnreachable
from shared.envelope import Envelope, new_envelope
from shared.outbox import add_events

DUE_CHANNEL = repo.DUE_CHANNEL  # where dispatchers listen


# --- read model of enrollment -----------------------------------------------------------------


async def on_participant_enrolled(conn: asyncpg.Connection, env: Envelope, event: ParticipantEnrolled) -> None:
    await repo.upsert_participant(
        conn,
        event.participant_id,
        event.details.full_name,
        event.details.masked_nik,
        event.details.phone,
        env.occurred_at,
    )
    await repo.replace_heirs(conn, event.participant_id, event.heirs, env.occurred_at)


async def on_details_changed(conn: asyncpg.Connection, env: Envelope, event: ParticipantDetailsChanged) -> None:
    await repo.upsert_participant(
        conn,
        event.participant_id,
        event.details.full_name,
        event.details.masked_nik,
        event.details.phone,
        env.occurred_at,
    )


async def on_heirs_changed(conn: asyncpg.Connection, env: Envelope, event: HeirsChanged) -> None:
    await repo.replace_heirs(conn, event.participant_id, event.heirs, env.occurred_at)


# --- claim events that reach families ------------------------------------------------------------


def make_claim_handlers(phone_channel: str, first_message_hold_seconds: float = 0.0):
    async def on_claim_filed(conn: asyncpg.Connection, env: Envelope, event: ClaimFiled) -> None:
        await repo.upsert_claim(
            conn, event.claim_id, event.participant_id, event.claim_type, event.reporter.name, event.reporter.phone
        )
        if (
            await queue(conn, env, CLAIM_FILED, event.claim_id, event.participant_id, event.claim_type, phone_channel)
            and first_message_hold_seconds > 0
        ):
            # The family's first message waits a little: a claim filed in error and withdrawn
            # within that time reaches no one (README, "A wrong filing reaches no family").
            await repo.hold(conn, env.event_id, first_message_hold_seconds)

    async def on_claim_withdrawn(conn: asyncpg.Connection, _env: Envelope, event: ClaimWithdrawn) -> None:
        await repo.withdraw_claim(conn, event.claim_id, event.participant_id, event.claim_type)

    async def on_claim_rejected(conn: asyncpg.Connection, env: Envelope, event: ClaimRejected) -> None:
        await queue(
            conn,
            env,
            CLAIM_REJECTED,
            event.claim_id,
            event.participant_id,
            event.claim_type,
            phone_channel,
            reasons=tuple(r.code for r in event.reasons),
        )

    async def on_payout_recorded(conn: asyncpg.Connection, env: Envelope, event: PayoutRecorded) -> None:
        payees = tuple(dict.fromkeys(c.payee_name for c in event.components if c.payee_name))
        await queue(
            conn,
            env,
            PAYOUT_RECORDED,
            event.claim_id,
            event.participant_id,
            event.claim_type,
            phone_channel,
            payout=event,
            payee_names=payees,
        )

    async def on_claim_reclassified(conn: asyncpg.Connection, env: Envelope, event: ClaimReclassified) -> None:
        # Later messages (the transfer, a receipt check) name the corrected type.
        await repo.set_claim_type(conn, event.claim_id, event.claim_type)
        if not event.after_payout or not event.total_cash:
            return  # before payout the family reads the type in the payout message; no difference, no news
        await queue(
            conn,
            env,
            CLAIM_RECLASSIFIED,
            event.claim_id,
            event.participant_id,
            event.claim_type,
            phone_channel,
            payout=event,
        )

    async def on_late_charge_recorded(conn: asyncpg.Connection, env: Envelope, event: LateChargeRecorded) -> None:
        await queue(
            conn,
            env,
            LATE_CHARGE_RECORDED,
            event.claim_id,
            event.participant_id,
            event.claim_type,
            phone_channel,
            payout=event,
            days_late=event.days_late,
        )

    async def on_disbursement_changed(conn: asyncpg.Connection, env: Envelope, event: DisbursementChanged) -> None:
        if event.status != "paid":
            return  # scheduled and failed transfers are for officers, not families
        claim_type = await repo.claim_type(conn, event.claim_id)
        if claim_type is None:
            # ClaimFiled comes on another topic; the message must name the right claim type, not a guess.
            raise NotYet(f"claim {event.claim_id} is not in the notifications read model yet")
        await queue(conn, env, DISBURSEMENT_PAID, event.claim_id, event.participant_id, claim_type, phone_channel)

    async def on_transfer_status_changed(conn: asyncpg.Connection, env: Envelope, event: TransferStatusChanged) -> None:
        if event.status != "rejected":
            return  # the family hears when the money arrives (DisbursementChanged), not each step
        claim_type = await repo.claim_type(conn, event.claim_id)
        if claim_type is None:
            raise NotYet(f"claim {event.claim_id} is not in the notifications read model yet")
        # The bank refuses an account once for all of a payee's lines: one message per payee,
        # reason and attempt, however many lines were rejected with it.
        once = uuid.uuid5(
            uuid.NAMESPACE_URL,
            f"jaring:transfer-rejected:{event.claim_id}:{event.payee_heir_id}:{event.reason_code}:{event.attempt}",
        )
        await queue(
            conn,
            env,
            TRANSFER_REJECTED,
            event.claim_id,
            event.participant_id,
            claim_type,
            phone_channel,
            message_key=once,
            reasons=(event.reason_code or "",),
            payee_names=(event.payee_name,) if event.payee_name else (),
        )

    return {
        "ClaimFiled": on_claim_filed,
        "ClaimRejected": on_claim_rejected,
        "ClaimWithdrawn": on_claim_withdrawn,
        "PayoutRecorded": on_payout_recorded,
        "DisbursementChanged": on_disbursement_changed,
        "TransferStatusChanged": on_transfer_status_changed,
        "ClaimReclassified": on_claim_reclassified,
        "LateChargeRecorded": on_late_charge_recorded,
    }


async def queue(
    conn: asyncpg.Connection,
    env: Envelope,
    event_kind: str,
    claim_id: str,
    participant_id: str,
    claim_type: str,
    phone_channel: str,
    payout: PayoutRecorded | ClaimReclassified | LateChargeRecorded | None = None,
    message_key: uuid.UUID | None = None,
    **notice_fields: Any,
) -> int:
    """Renders and stores one message per recipient and channel; returns how many are new.
    `message_key` (default: the event's id) is what makes a second message a duplicate. For
    money added to a payout (ADDED_MONEY_EVENTS) only those with lines of their own are told.
    A withdrawn claim gets none."""
    withdrawn, found = await repo.family_for(conn, claim_id, participant_id)
    if withdrawn:
        return 0
    if found is None:
        # Enrollment's events come on another topic and may not have been applied yet.
        raise NotYet(f"participant {participant_id} is not in the notifications read model yet")
    participant, heirs = found
    # Heirs are paid only for a death; a living worker's accident benefits are the worker's own.
    family = (
        heirs if is_death(claim_type) else [the_worker(participant_id, participant["full_name"], participant["phone"])]
    )
    recipients = [person for person in family if channels_for(person, phone_channel)]
    unreachable = [person for person in family if not channels_for(person, phone_channel)]
    if unreachable:
        reporter = await repo.claim_reporter(conn, claim_id)
        if reporter is None:
            # ClaimFiled comes on another topic; without it we do not know whom else to tell.
            raise NotYet(f"claim {claim_id} is not in the notifications read model yet")
        someone = the_reporter(*reporter)
        if someone is not None:
            recipients.append(someone)
        await _announce_unreachable(conn, env, claim_id, [p.heir_id for p in unreachable], event_kind)
    rows = []
    for person in recipients:
        fields = dict(notice_fields)
        if payout is not None:
            fields.update(_what_they_receive(person, payout, claim_type))
            if event_kind in ADDED_MONEY_EVENTS and not fields["components"]:
                continue
        notice = ClaimNotice(
            claim_id=claim_id,
            claim_type=claim_type,
            participant_name=participant["full_name"],
            masked_nik=participant["masked_nik"],
            **fields,
        )
        message = render(event_kind, notice, person.language)
        for channel in channels_for(person, phone_channel):
            rows.append(
                {
                    "notification_id": f"N-{uuid.uuid4().hex[:12]}",
                    "event_id": message_key or env.event_id,
                    "about_event": event_kind,
                    "claim_id": claim_id,
                    "participant_id": participant_id,
                    "heir_id": person.heir_id,
                    "channel": channel,
                    "address": address_for(person, channel),
                    "language": person.language,
                    "subject": message.subject,
                    "body": message.body,
                    "template": message.template,
                    "template_params": message.parameters,
                }
            )
    return await repo.insert_notifications(conn, rows)


def _what_they_receive(
    person: Heir, payout: PayoutRecorded | ClaimReclassified | LateChargeRecorded, claim_type: str
) -> dict[str, Any]:
    """The lines of a payout that are this person's: paid to them, or paid through them as
    a minor's guardian (wali). A living worker is paid every line of their own claim."""

    def theirs(c: Any) -> bool:
        guardian = getattr(c, "guardian_name", None)  # added to the contract by the payout work
        if guardian and guardian.strip().casefold() == person.full_name.strip().casefold():
            return True
        if not is_death(claim_type):
            return person.relationship == "self"
        return c.payee_heir_id is not None and c.payee_heir_id == person.heir_id

    lines = tuple(
        PayoutComponent(c.component, c.amount, c.kind, c.payee_name, getattr(c, "guardian_name", None))
        for c in payout.components
        if theirs(c)
    )
    return {"components": lines, "total": sum(c.amount for c in lines if c.kind == "cash") if lines else None}


async def _announce_unreachable(
    conn: asyncpg.Connection, env: Envelope, claim_id: str, heir_ids: list[str], event_kind: str
) -> None:
    """Tells claims, once per claim and person, who could not be told."""
    new = await repo.note_unreachable(conn, claim_id, heir_ids, event_kind)
    if new:
        await add_events(
            conn,
            [
                new_envelope(
                    FamilyMemberUnreachable(claim_id=claim_id, heir_id=heir_id, about_event=event_kind),
                    correlation_id=claim_id,
                    producer="notifications",
                    causation_id=str(env.event_id),
                )
                for heir_id in new
            ],
            "notifications",
        )
