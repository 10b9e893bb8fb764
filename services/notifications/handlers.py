"""Notifications' handlers: keep the read models, and turn claim events into messages.

A message is queued here, in the consumer's transaction (with the inbox row), one per
(event, recipient, channel). Sending happens later in the dispatcher, so a slow or failing
provider never holds up consumption, and a crash between the two loses nothing. Filings and
the payouts topic's events come as sets (shared.consuming.Batched, issue 17): a batch's messages
cost the statements of one event's (queue_all); the other events are queued one at a time.

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
from dataclasses import dataclass, field
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
    render,
    what_they_receive,
    who_is_told,
)
from services.notifications.domain.recipients import Heir, address_for, channels_for, the_reporter
from shared.consuming import Batched, Delivery, Handler, NotYet
from shared.contracts.claims import (
    ClaimReclassified,
    ClaimWithdrawn,
    LateChargeRecorded,
    PayoutRecorded,
)
from shared.contracts.disbursements import TransferStatusChanged
from shared.contracts.enrollment import HeirsChanged, ParticipantEnrolled
from shared.contracts.notifications import FamilyMemberUnreachable
from shared.envelope import Envelope, new_envelope
from shared.outbox import add_events

DUE_CHANNEL = repo.DUE_CHANNEL  # where dispatchers listen


# --- read model of enrollment -----------------------------------------------------------------


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


# --- claim events that reach families ------------------------------------------------------------


@dataclass(frozen=True)
class Telling:
    """One event's messages to queue: what happened (`event_kind`) to which claim, for whom the
    read models say. `claim_type` None: the read model's (the event does not carry it).
    `message_key` (default: the event's id) is what makes a second message a duplicate.
    `traceparent`: the trace of the events written on its behalf (None: the current span's)."""

    env: Envelope
    event_kind: str
    claim_id: str
    participant_id: str
    claim_type: str | None
    payout: PayoutRecorded | ClaimReclassified | LateChargeRecorded | None = None
    message_key: uuid.UUID | None = None
    notice_fields: dict[str, Any] = field(default_factory=dict)
    traceparent: str | None = None


# The event that brings a claim into the read model: what a claim's later event waits for. The same
# consumer reads it, so a waiting event names it and it is applied ahead (shared/consuming.NotYet).
CLAIM_ARRIVES = ("ClaimFiled",)


def make_claim_handlers(phone_channel: str, first_message_hold_seconds: float = 0.0) -> dict[str, Handler]:
    async def on_claims_filed(conn: asyncpg.Connection, filed: list[Delivery]) -> None:
        # The family's first message waits a little: a claim filed in error and withdrawn
        # within that time reaches no one (README, "A wrong filing reaches no family").
        await queue_all(
            conn,
            [
                Telling(env, CLAIM_FILED, event.claim_id, event.participant_id, event.claim_type, traceparent=trace)
                for env, event, trace in filed
            ],
            phone_channel,
            hold_seconds=first_message_hold_seconds,
            filed=[
                (event.claim_id, event.participant_id, event.claim_type, event.reporter.name, event.reporter.phone)
                for _, event, _ in filed
            ],
        )

    async def on_claim_withdrawn(conn: asyncpg.Connection, _env: Envelope, event: ClaimWithdrawn) -> None:
        await repo.withdraw_claim(conn, event.claim_id, event.participant_id, event.claim_type)

    async def on_claims_rejected(conn: asyncpg.Connection, rejected: list[Delivery]) -> None:
        await queue_all(
            conn,
            [
                Telling(
                    env,
                    CLAIM_REJECTED,
                    event.claim_id,
                    event.participant_id,
                    event.claim_type,
                    notice_fields={"reasons": tuple(r.code for r in event.reasons)},
                    traceparent=trace,
                )
                for env, event, trace in rejected
            ],
            phone_channel,
        )

    def transfer_rejected_telling(delivery: Delivery) -> Telling | None:
        env, event, trace = delivery
        if event.status != "rejected":
            return None  # the family hears when the money arrives (DisbursementChanged), not each step
        # The bank refuses an account once for all of a payee's lines: one message per payee,
        # reason and attempt, however many lines were rejected with it.
        once = uuid.uuid5(
            uuid.NAMESPACE_URL,
            f"jaring:transfer-rejected:{event.claim_id}:{event.payee_heir_id}:{event.reason_code}:{event.attempt}",
        )
        return Telling(
            env,
            TRANSFER_REJECTED,
            event.claim_id,
            event.participant_id,
            None,
            message_key=once,
            notice_fields={
                "reasons": (event.reason_code or "",),
                "payee_names": (event.payee_name,) if event.payee_name else (),
            },
            traceparent=trace,
        )

    def payout_telling(delivery: Delivery) -> Telling | None:
        """The messages one event of the payouts or disbursements topic brings, if any."""
        env, event, trace = delivery
        if isinstance(event, PayoutRecorded):
            payees = tuple(dict.fromkeys(c.payee_name for c in event.components if c.payee_name))
            return Telling(
                env,
                PAYOUT_RECORDED,
                event.claim_id,
                event.participant_id,
                event.claim_type,
                payout=event,
                notice_fields={"payee_names": payees},
                traceparent=trace,
            )
        if isinstance(event, LateChargeRecorded):
            return Telling(
                env,
                LATE_CHARGE_RECORDED,
                event.claim_id,
                event.participant_id,
                event.claim_type,
                payout=event,
                notice_fields={"days_late": event.days_late},
                traceparent=trace,
            )
        if isinstance(event, TransferStatusChanged):
            return transfer_rejected_telling(delivery)
        if event.status != "paid":
            return None  # scheduled and failed transfers are for officers, not families
        # The claim's type from the read model: the message must name the right type, not a guess.
        return Telling(env, DISBURSEMENT_PAID, event.claim_id, event.participant_id, None, traceparent=trace)

    async def on_payout_events(conn: asyncpg.Connection, deliveries: list[Delivery]) -> None:
        """PayoutRecorded, LateChargeRecorded, DisbursementChanged and TransferStatusChanged as one
        set: a poll of the payouts and disbursements topics interleaves them across claims, and the
        transfers' steps, of which families hear only a rejection, were a record applied alone each."""
        tellings = [telling for telling in map(payout_telling, deliveries) if telling is not None]
        await queue_all(conn, tellings, phone_channel)

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

    payouts = Batched(on_payout_events)
    return {
        "ClaimFiled": Batched(on_claims_filed),
        "ClaimRejected": Batched(on_claims_rejected),
        "ClaimWithdrawn": on_claim_withdrawn,
        # One set-based handler for the payouts topic's three types and the transfers' steps: they
        # come interleaved, and a run of a poll takes one handler.
        "PayoutRecorded": payouts,
        "DisbursementChanged": payouts,
        "TransferStatusChanged": payouts,
        "ClaimReclassified": on_claim_reclassified,
        "LateChargeRecorded": payouts,
    }


async def queue(
    conn: asyncpg.Connection,
    env: Envelope,
    event_kind: str,
    claim_id: str,
    participant_id: str,
    claim_type: str | None,
    phone_channel: str,
    payout: PayoutRecorded | ClaimReclassified | LateChargeRecorded | None = None,
    message_key: uuid.UUID | None = None,
    **notice_fields: Any,
) -> int:
    """One event's messages (queue_all of one)."""
    telling = Telling(env, event_kind, claim_id, participant_id, claim_type, payout, message_key, notice_fields)
    return await queue_all(conn, [telling], phone_channel)


def _waits(telling: Telling, what: str, waiting_for: tuple[str, ...] = ()) -> NotYet:
    """The telling waits for `what` to reach the read model. Named by its claim, the key of the
    claim's topics: only that claim's records of a batch wait, the others are applied together."""
    return NotYet(f"{what} is not in the notifications read model yet", waiting_for, keys={telling.claim_id})


async def queue_all(
    conn: asyncpg.Connection,
    tellings: list[Telling],
    phone_channel: str,
    hold_seconds: float = 0.0,
    filed: list[tuple[str, str, str, str | None, str | None]] | None = None,
) -> int:
    """Renders and stores one message per event, recipient and channel; returns how many are new.
    The families read in one statement (and `filed` claims recorded in it, repository.families),
    the unreachable noted in one, the messages queued in one, whatever the number of events.
    For money added to a payout (ADDED_MONEY_EVENTS) only those with lines of their own are told.
    A withdrawn claim gets none. Raises NotYet when one event's participant or claim is not in
    the read model yet, naming its claim: the runner parks that claim's records and applies the
    batch's others together again."""
    if not tellings:
        return 0
    families = await repo.families(conn, [(t.claim_id, t.participant_id) for t in tellings], filed)
    rows: list[dict[str, Any]] = []
    unreachable: list[tuple[Telling, list[str]]] = []
    for telling, family in zip(tellings, families, strict=True):
        if family.withdrawn:
            continue
        if family.participant is None:
            # Enrollment's events come on another topic and may not have been applied yet.
            raise _waits(telling, f"participant {telling.participant_id}")
        claim_type = telling.claim_type or family.claim_type
        if claim_type is None:
            # ClaimFiled comes on another topic; the message must name the right claim type, not a guess.
            # It is read by the same consumer (services/notifications/app.py): named, it goes ahead of
            # this event when it comes, instead of waiting behind it.
            raise _waits(telling, f"claim {telling.claim_id}", CLAIM_ARRIVES)
        participant = family.participant
        recipients, nobody = who_is_told(
            claim_type,
            telling.participant_id,
            participant["full_name"],
            participant["phone"],
            family.heirs,
            phone_channel,
        )
        if nobody:
            if family.reporter is None:
                # ClaimFiled comes on another topic; without it we do not know whom else to tell.
                raise _waits(telling, f"claim {telling.claim_id}", CLAIM_ARRIVES)
            someone = the_reporter(*family.reporter)
            if someone is not None:
                recipients.append(someone)
            unreachable.append((telling, [p.heir_id for p in nobody]))
        rows += _messages(telling, claim_type, participant, recipients, phone_channel)
    if unreachable:
        await _announce_unreachable(conn, unreachable)
    return await repo.insert_notifications(conn, rows, hold_seconds)


def _messages(
    telling: Telling, claim_type: str, participant: dict[str, Any], recipients: list[Heir], phone_channel: str
) -> list[dict[str, Any]]:
    """The rows of one event's messages, one per recipient and channel."""
    rows = []
    for person in recipients:
        fields = dict(telling.notice_fields)
        if telling.payout is not None:
            fields.update(what_they_receive(person, telling.payout.components, claim_type))
            if telling.event_kind in ADDED_MONEY_EVENTS and not fields["components"]:
                continue
        notice = ClaimNotice(
            claim_id=telling.claim_id,
            claim_type=claim_type,
            participant_name=participant["full_name"],
            masked_nik=participant["masked_nik"],
            **fields,
        )
        message = render(telling.event_kind, notice, person.language)
        for channel in channels_for(person, phone_channel):
            rows.append(
                {
                    "notification_id": f"N-{uuid.uuid4().hex[:12]}",
                    "event_id": telling.message_key or telling.env.event_id,
                    "about_event": telling.event_kind,
                    "claim_id": telling.claim_id,
                    "participant_id": telling.participant_id,
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
    return rows


async def _announce_unreachable(conn: asyncpg.Connection, unreachable: list[tuple[Telling, list[str]]]) -> None:
    """Tells claims, once per claim and person, who could not be told (each telling's event in its
    own trace)."""
    new = await repo.note_all_unreachable(
        conn, [(t.claim_id, heir_id, t.event_kind) for t, heir_ids in unreachable for heir_id in heir_ids]
    )
    announced = [
        (
            new_envelope(
                FamilyMemberUnreachable(claim_id=t.claim_id, heir_id=heir_id, about_event=t.event_kind),
                correlation_id=t.claim_id,
                producer="notifications",
                causation_id=str(t.env.event_id),
            ),
            t.traceparent,
        )
        for t, heir_ids in unreachable
        for heir_id in heir_ids
        if (t.claim_id, heir_id) in new
    ]
    if announced:
        await add_events(conn, [e for e, _ in announced], "notifications", [trace for _, trace in announced])
