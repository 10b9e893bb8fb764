"""Telling families before they ask (issue 19): the heirs with a contact hear that a claim was
opened for a death the civil registry reported, and once more if they have not come.

Queued like every family message (handlers.queue): in the consumer's transaction, one per
(event, heir, channel), sent by the dispatcher. Heirs with no contact are not written to: the
claim is on the officers' queue and, later, on the kelurahan's home-visit list."""

from __future__ import annotations

import uuid

import asyncpg

from services.notifications import repository as repo
from services.notifications.domain.outreach import render_proactive
from services.notifications.domain.recipients import address_for, channels_for
from services.notifications.handlers import DUE_CHANNEL
from shared.consuming import NotYet
from shared.contracts.claims import ProactiveClaimOpened, ProactiveClaimReminderDue
from shared.envelope import Envelope


def make_outreach_handlers(phone_channel: str):
    async def on_proactive(conn: asyncpg.Connection, env: Envelope,
                           event: ProactiveClaimOpened | ProactiveClaimReminderDue) -> None:
        found = await repo.participant_with_heirs(conn, event.participant_id)
        if found is None:
            raise NotYet(f"participant {event.participant_id} is not in the notifications read model yet")
        participant, heirs = found
        rows = []
        for heir in heirs:
            channels = channels_for(heir, phone_channel)
            if not channels:
                continue
            message = render_proactive(env.type, participant_name=participant["full_name"], claim_id=event.claim_id,
                                       expected_amount=event.expected_amount, documents=event.documents,
                                       office=event.office, lang=heir.language)
            for channel in channels:
                rows.append({
                    "notification_id": f"N-{uuid.uuid4().hex[:12]}", "event_id": env.event_id,
                    "about_event": env.type, "claim_id": event.claim_id, "participant_id": event.participant_id,
                    "heir_id": heir.heir_id, "channel": channel, "address": address_for(heir, channel),
                    "language": heir.language, "subject": message.subject, "body": message.body,
                    "template": message.template, "template_params": message.parameters,
                })
        if await repo.insert_notifications(conn, rows):
            await conn.execute("SELECT pg_notify($1, '')", DUE_CHANNEL)

    return {"ProactiveClaimOpened": on_proactive, "ProactiveClaimReminderDue": on_proactive}
