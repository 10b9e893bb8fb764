"""Asking a payee whether the money arrived, and reading the answer.

- `on_receipt_check_requested` (consumer group notifications.receipt-checks, claims'
  ReceiptCheckRequested): one question to the payee's phone, by the city's phone channel.
- `record_receipt_answer`: a reply that came through the inbound webhook (inbound.py) from a
  phone that was asked. The answer (yes / no / unclear), never the text, goes to claims as
  ReceiptReplied; "TIDAK" flags the claim for follow-up there.
"""

from __future__ import annotations

import uuid

import asyncpg

from services.notifications import repository as repo
from services.notifications.domain.messages import RECEIPT_CHECK, ClaimNotice, render
from services.notifications.domain.receipts import read_answer
from services.notifications.domain.recipients import address_for
from services.notifications.handlers import CLAIM_ARRIVES
from shared.consuming import NotYet
from shared.contracts.disbursements import ReceiptCheckRequested
from shared.contracts.notifications import ReceiptReplied
from shared.envelope import Envelope, new_envelope
from shared.outbox import add_event


def make_receipt_handler(phone_channel: str):
    async def on_receipt_check_requested(conn: asyncpg.Connection, env: Envelope, event: ReceiptCheckRequested) -> None:
        claim_type = await repo.claim_type(conn, event.claim_id)
        found = await repo.participant_with_heirs(conn, event.participant_id)
        if claim_type is None or found is None:
            raise NotYet(
                f"claim {event.claim_id} or its participant not in the notifications read model yet", CLAIM_ARRIVES
            )
        participant, heirs = found
        heir = next((h for h in heirs if h.heir_id == event.payee_heir_id), None)
        if heir is None or not (heir.phone and heir.phone.strip()):
            return  # no phone to ask on: the officer asks in person
        phone = address_for(heir, phone_channel)
        asked = await conn.fetchval(
            "INSERT INTO receipt_checks (claim_id, heir_id, participant_id, phone, amount) VALUES ($1,$2,$3,$4,$5) "
            "ON CONFLICT DO NOTHING RETURNING true",
            event.claim_id,
            heir.heir_id,
            event.participant_id,
            phone,
            event.amount,
        )
        if not asked:
            return
        notice = ClaimNotice(
            claim_id=event.claim_id,
            claim_type=claim_type,
            participant_name=participant["full_name"],
            masked_nik=participant["masked_nik"],
            total=event.amount,
        )
        message = render(RECEIPT_CHECK, notice, heir.language)
        await repo.insert_notifications(
            conn,
            [
                {
                    "notification_id": f"N-{uuid.uuid4().hex[:12]}",
                    "event_id": env.event_id,
                    "about_event": RECEIPT_CHECK,
                    "claim_id": event.claim_id,
                    "participant_id": event.participant_id,
                    "heir_id": heir.heir_id,
                    "channel": phone_channel,
                    "address": phone,
                    "language": heir.language,
                    "subject": message.subject,
                    "body": message.body,
                    "template": message.template,
                    "template_params": message.parameters,
                }
            ],
        )
        await conn.execute("SELECT pg_notify('notifications_due', '')")

    return on_receipt_check_requested


async def record_receipt_answer(conn: asyncpg.Connection, phone: str, text: str) -> str | None:
    """If `phone` was asked whether the money arrived and has not answered, records its answer
    (yes / no / unclear, never the text) and tells claims (ReceiptReplied); else None. Called by
    the inbound webhook (inbound.py) in its transaction."""
    check = await conn.fetchrow(
        "SELECT claim_id, heir_id, participant_id FROM receipt_checks WHERE phone = $1 AND answer IS NULL "
        "ORDER BY asked_at DESC LIMIT 1 FOR UPDATE",
        phone,
    )
    if check is None:
        return None  # not an answer to a question Jaring asked
    answer = read_answer(text)
    await conn.execute(
        "UPDATE receipt_checks SET answer = $3, answered_at = now() WHERE claim_id = $1 AND heir_id = $2",
        check["claim_id"],
        check["heir_id"],
        answer,
    )
    await add_event(
        conn,
        new_envelope(
            ReceiptReplied(
                claim_id=check["claim_id"],
                participant_id=check["participant_id"],
                heir_id=check["heir_id"],
                answer=answer,
            ),
            correlation_id=check["claim_id"],
            producer="notifications",
        ),
        "notifications",
    )
    return answer
