"""Notifications' handlers: keep the read models, and turn claim events into messages.

A message is queued here, in the consumer's transaction (with the inbox row), one per
(event, heir, channel). Sending happens later in the dispatcher, so a slow or failing
provider never holds up consumption, and a crash between the two loses nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.notifications import repository as repo
from services.notifications.domain.messages import (
    CLAIM_FILED,
    CLAIM_REJECTED,
    DISBURSEMENT_PAID,
    PAYOUT_RECORDED,
    ClaimNotice,
    PayoutComponent,
    render,
)
from services.notifications.domain.recipients import address_for, channels_for
from shared.consuming import NotYet
from shared.contracts.claims import ClaimFiled, ClaimRejected, DisbursementChanged, PayoutRecorded
from shared.contracts.enrollment import HeirsChanged, ParticipantDetailsChanged, ParticipantEnrolled
from shared.envelope import Envelope

DUE_CHANNEL = "notifications_due"


# --- read model of enrollment -----------------------------------------------------------------

async def on_participant_enrolled(conn: asyncpg.Connection, env: Envelope, event: ParticipantEnrolled) -> None:
    await repo.upsert_participant(conn, event.participant_id, event.details.full_name, event.details.masked_nik,
                                  env.occurred_at)
    await repo.replace_heirs(conn, event.participant_id, event.heirs, env.occurred_at)


async def on_details_changed(conn: asyncpg.Connection, env: Envelope, event: ParticipantDetailsChanged) -> None:
    await repo.upsert_participant(conn, event.participant_id, event.details.full_name, event.details.masked_nik,
                                  env.occurred_at)


async def on_heirs_changed(conn: asyncpg.Connection, env: Envelope, event: HeirsChanged) -> None:
    await repo.replace_heirs(conn, event.participant_id, event.heirs, env.occurred_at)


# --- claim events that reach families ------------------------------------------------------------

def make_claim_handlers(phone_channel: str):
    async def on_claim_filed(conn: asyncpg.Connection, env: Envelope, event: ClaimFiled) -> None:
        await repo.upsert_claim(conn, event.claim_id, event.participant_id, event.claim_type)
        await queue(conn, env, CLAIM_FILED, event.claim_id, event.participant_id, event.claim_type, phone_channel)

    async def on_claim_rejected(conn: asyncpg.Connection, env: Envelope, event: ClaimRejected) -> None:
        await queue(conn, env, CLAIM_REJECTED, event.claim_id, event.participant_id, event.claim_type,
                    phone_channel, reasons=tuple(r.code for r in event.reasons))

    async def on_payout_recorded(conn: asyncpg.Connection, env: Envelope, event: PayoutRecorded) -> None:
        components = tuple(PayoutComponent(c.component, c.amount, c.kind, c.payee_name) for c in event.components)
        payees = tuple(dict.fromkeys(c.payee_name for c in event.components if c.payee_name))
        await queue(conn, env, PAYOUT_RECORDED, event.claim_id, event.participant_id, event.claim_type,
                    phone_channel, components=components, payee_names=payees, total=event.total_cash)

    async def on_disbursement_changed(conn: asyncpg.Connection, env: Envelope, event: DisbursementChanged) -> None:
        if event.status != "paid":
            return  # scheduled and failed transfers are for officers, not families
        claim_type = await repo.claim_type(conn, event.claim_id)
        if claim_type is None:
            # ClaimFiled comes on another topic; the message must name the right claim type, not a guess.
            raise NotYet(f"claim {event.claim_id} is not in the notifications read model yet")
        await queue(conn, env, DISBURSEMENT_PAID, event.claim_id, event.participant_id, claim_type, phone_channel)

    return {
        "ClaimFiled": on_claim_filed,
        "ClaimRejected": on_claim_rejected,
        "PayoutRecorded": on_payout_recorded,
        "DisbursementChanged": on_disbursement_changed,
    }


async def queue(conn: asyncpg.Connection, env: Envelope, event_kind: str, claim_id: str, participant_id: str,
                claim_type: str, phone_channel: str, **notice_fields: Any) -> int:
    """Renders and stores one message per heir and channel; returns how many are new."""
    found = await repo.participant_with_heirs(conn, participant_id)
    if found is None:
        # Enrollment's events come on another topic and may not have been applied yet.
        raise NotYet(f"participant {participant_id} is not in the notifications read model yet")
    participant, heirs = found
    notice = ClaimNotice(claim_id=claim_id, claim_type=claim_type, participant_name=participant["full_name"],
                         masked_nik=participant["masked_nik"], **notice_fields)
    rows = []
    for heir in heirs:
        for channel in channels_for(heir, phone_channel):
            message = render(event_kind, notice, heir.language)
            rows.append({
                "notification_id": f"N-{uuid.uuid4().hex[:12]}", "event_id": env.event_id,
                "about_event": event_kind, "claim_id": claim_id, "participant_id": participant_id,
                "heir_id": heir.heir_id, "channel": channel, "address": address_for(heir, channel),
                "language": heir.language, "subject": message.subject, "body": message.body,
            })
    queued = await repo.insert_notifications(conn, rows)
    if queued:
        await conn.execute("SELECT pg_notify($1, '')", DUE_CHANNEL)
    return queued
