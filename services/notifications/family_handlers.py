"""Messages a family asked for or is owed about their own questions: grievances (filed,
resolved, reopened, late), "Lacak Klaim" codes and STATUS answers. The grievances service
names the contact on each event, so these need no read model: one message per event, to
that phone, on the channel the family used (or the city's usual phone channel). Each is a
catalogue template but the STATUS answer, which is free text inside WhatsApp's 24-hour window
(domain/family_replies.py says why).

Queued like the claim messages (handlers.queue): in the consumer's transaction, unique per
(event, person, channel), sent by the dispatcher."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.notifications import repository as repo
from services.notifications.domain import family_replies as replies
from services.notifications.domain.messages import RenderedMessage
from services.notifications.domain.recipients import Heir, address_for, channels_for
from shared.consuming import Batched, Delivery
from shared.contracts.grievances import (
    ClaimStatusShared,
    Contact,
    GrievanceFiled,
    GrievanceOverdue,
    GrievanceReopened,
    GrievanceResolved,
    LookupCodeIssued,
    MissingDocumentsNoticed,
)
from shared.envelope import Envelope


async def tell(
    conn: asyncpg.Connection,
    env: Envelope,
    contact: Contact,
    message: RenderedMessage,
    *,
    claim_id: str,
    participant_id: str | None,
    phone_channel: str,
) -> None:
    channel = contact.channel or phone_channel
    await repo.insert_notifications(
        conn,
        [
            {
                "notification_id": f"N-{uuid.uuid4().hex[:12]}",
                "event_id": env.event_id,
                "about_event": env.type,
                "claim_id": claim_id,
                "participant_id": participant_id or "",
                "heir_id": contact.heir_id,
                "channel": channel,
                "address": contact.phone,
                "language": contact.language,
                "subject": message.subject,
                "body": message.body,
                "template": message.template,
                "template_params": message.parameters,
            }
        ],
    )


def make_family_handlers(phone_channel: str):
    async def on_grievance(
        conn: asyncpg.Connection,
        env: Envelope,
        event: GrievanceFiled | GrievanceResolved | GrievanceReopened | GrievanceOverdue,
    ) -> None:
        if event.contact is None:
            return  # filed by an officer with no phone to tell: the officer tells the family
        lang = event.contact.language
        if isinstance(event, GrievanceFiled):
            message = replies.grievance_filed(event.grievance_id, event.category, event.due_on, lang)
        elif isinstance(event, GrievanceResolved):
            message = replies.grievance_resolved(
                event.grievance_id, event.resolution, event.reopen_until, event.claim_id, event.claim_reopened, lang
            )
        elif isinstance(event, GrievanceReopened):
            message = replies.grievance_reopened(event.grievance_id, event.due_on, lang)
        else:
            message = replies.grievance_overdue(event.grievance_id, event.due_on, lang)
        # A grievance about a participant only has no claim: its own id keys the message.
        await tell(
            conn,
            env,
            event.contact,
            message,
            claim_id=event.claim_id or event.grievance_id,
            participant_id=event.participant_id,
            phone_channel=phone_channel,
        )

    async def on_lookup_code(conn: asyncpg.Connection, env: Envelope, event: LookupCodeIssued) -> None:
        if datetime.now(UTC) >= event.expires_at:
            return  # read after an outage longer than the code lives: sending it would only confuse
        await tell(
            conn,
            env,
            event.contact,
            replies.lookup_code(event.code, event.contact.language),
            claim_id=event.claim_id,
            participant_id=None,
            phone_channel=phone_channel,
        )

    async def on_status_shared(conn: asyncpg.Connection, env: Envelope, event: ClaimStatusShared) -> None:
        message = replies.claim_status(
            event.claim_id,
            event.status,
            event.missing_documents,
            event.payment_deadline,
            event.amount,
            event.payment_status,
            event.contact.language,
        )
        await tell(
            conn, env, event.contact, message, claim_id=event.claim_id, participant_id=None, phone_channel=phone_channel
        )

    def missing_documents_rows(env: Envelope, event: MissingDocumentsNoticed) -> list[dict[str, Any]]:
        rows = []
        for person in event.recipients:
            heir = Heir(person.heir_id, "", "", phone=person.phone, email=person.email, language=person.language)
            message = replies.missing_documents(
                event.claim_id, event.claim_type, event.missing_documents, event.reminder, person.language
            )
            for channel in channels_for(heir, phone_channel):
                rows.append(
                    {
                        "notification_id": f"N-{uuid.uuid4().hex[:12]}",
                        "event_id": env.event_id,
                        "about_event": "MissingDocumentsReminder" if event.reminder else env.type,
                        "claim_id": event.claim_id,
                        "participant_id": event.participant_id,
                        "heir_id": person.heir_id,
                        "channel": channel,
                        "address": address_for(heir, channel),
                        "language": person.language,
                        "subject": message.subject,
                        "body": message.body,
                        "template": message.template,
                        "template_params": message.parameters,
                    }
                )
        return rows

    async def on_missing_documents(conn: asyncpg.Connection, noticed: list[Delivery]) -> None:
        # A notice a claim referred for review brings (a tenth of claims): a poll's in one statement.
        await repo.insert_notifications(
            conn, [row for env, event, _ in noticed for row in missing_documents_rows(env, event)]
        )

    return {
        "MissingDocumentsNoticed": Batched(on_missing_documents),
        "GrievanceFiled": on_grievance,
        "GrievanceResolved": on_grievance,
        "GrievanceReopened": on_grievance,
        "GrievanceOverdue": on_grievance,
        "LookupCodeIssued": on_lookup_code,
        "ClaimStatusShared": on_status_shared,
    }
