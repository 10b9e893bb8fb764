"""Telling families before they ask (issue 19): the heirs with a contact hear that a claim was
opened for a death the civil registry reported, and once more if they have not come; a self-paid
worker hears before their cover lapses.

Queued like every family message (handlers.queue): in the consumer's transaction, one per
(event, heir, channel), sent by the dispatcher. Heirs with no contact are not written to: the
claim is on the officers' queue and, later, on the kelurahan's home-visit list."""

from __future__ import annotations

import uuid

import asyncpg

from services.notifications import repository as repo
from services.notifications.domain.outreach import render_proactive, render_reminder
from services.notifications.domain.recipients import address_for, channels_for, the_worker
from shared.consuming import NotYet
from shared.contracts.claims import ProactiveClaimOpened, ProactiveClaimReminderDue
from shared.contracts.enrollment import ContributionReminderDue
from shared.envelope import Envelope


def make_outreach_handlers(phone_channel: str):
    async def on_proactive(
        conn: asyncpg.Connection, env: Envelope, event: ProactiveClaimOpened | ProactiveClaimReminderDue
    ) -> None:
        found = await repo.participant_with_heirs(conn, event.participant_id)
        if found is None:
            raise NotYet(f"participant {event.participant_id} is not in the notifications read model yet")
        participant, heirs = found
        rows = []
        for heir in heirs:
            channels = channels_for(heir, phone_channel)
            if not channels:
                continue
            message = render_proactive(
                env.type,
                participant_name=participant["full_name"],
                claim_id=event.claim_id,
                expected_amount=event.expected_amount,
                documents=event.documents,
                office=event.office,
                lang=heir.language,
            )
            for channel in channels:
                rows.append(
                    {
                        "notification_id": f"N-{uuid.uuid4().hex[:12]}",
                        "event_id": env.event_id,
                        "about_event": env.type,
                        "claim_id": event.claim_id,
                        "participant_id": event.participant_id,
                        "heir_id": heir.heir_id,
                        "channel": channel,
                        "address": address_for(heir, channel),
                        "language": heir.language,
                        "subject": message.subject,
                        "body": message.body,
                        "template": message.template,
                        "template_params": message.parameters,
                    }
                )
        await repo.insert_notifications(conn, rows)

    async def on_contribution_reminder(conn: asyncpg.Connection, env: Envelope, event: ContributionReminderDue) -> None:
        """To the worker's own phone: the cover is theirs. Keyed by the participant (there is no claim)."""
        found = await repo.participant_with_heirs(conn, event.participant_id)
        if found is None:
            raise NotYet(f"participant {event.participant_id} is not in the notifications read model yet")
        participant, _heirs = found
        worker = the_worker(event.participant_id, participant["full_name"], participant.get("phone"))
        message = render_reminder(
            event.kind,
            worker_name=participant["full_name"],
            months=event.months,
            amount_due=event.amount_due,
            cover_ends_on=event.cover_ends_on,
        )
        rows = [
            {
                "notification_id": f"N-{uuid.uuid4().hex[:12]}",
                "event_id": env.event_id,
                "about_event": env.type,
                "claim_id": event.participant_id,
                "participant_id": event.participant_id,
                "heir_id": worker.heir_id,
                "channel": channel,
                "address": address_for(worker, channel),
                "language": message.language,
                "subject": message.subject,
                "body": message.body,
                "template": message.template,
                "template_params": message.parameters,
            }
            for channel in channels_for(worker, phone_channel)
        ]
        await repo.insert_notifications(conn, rows)

    return {
        "ProactiveClaimOpened": on_proactive,
        "ProactiveClaimReminderDue": on_proactive,
        "ContributionReminderDue": on_contribution_reminder,
    }
