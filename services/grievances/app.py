"""Wiring of the grievances service: read model consumers, the message reader, the overdue
sweep, the officers' API and the public "Lacak Klaim" pages."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.grievances import handlers, lookups
from services.grievances import repository as repo
from services.grievances.api import router
from services.grievances.pages import router as pages
from services.grievances.settings import GrievancesSettings
from shared.clock import today
from shared.consuming import Consumer
from shared.logs import get_logger
from shared.service import Runtime, ServiceSpec
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, INBOUND, PARTICIPANTS, PAYOUTS

log = get_logger("grievances")


def consumers(settings: GrievancesSettings) -> list[Consumer]:
    decided = handlers.make_decision_handler(today)
    return [
        Consumer(
            "grievances.participants",
            (PARTICIPANTS,),
            {
                "ParticipantEnrolled": handlers.on_participant_enrolled,
                "HeirsChanged": handlers.on_heirs_changed,
            },
            # What the family's pages read. A referral asking for documents waits for its participant
            # here (handlers._not_enrolled_yet), but an enrolment comes long before a claim's decision.
            background=True,
        ),
        # What grievances learns of claims, in one group: one fetch loop and one transaction a poll for
        # the three topics (issue 17).
        Consumer(
            "grievances.claims",
            (CLAIMS_FILED, CLAIM_DECISIONS, PAYOUTS),
            {
                "ClaimFiled": handlers.on_claim_filed,
                "ProactiveClaimOpened": handlers.on_proactive_claim_opened,
                # Set-based handlers (shared.consuming.Batched): one handler object for a topic's
                # decisions, so a poll applies them in one run, whatever their types.
                "ClaimApproved": decided,
                "ClaimRejected": decided,
                "ClaimReferredForReview": decided,
                "PayoutRecorded": handlers.on_payout_event,
                "DisbursementChanged": handlers.on_payout_event,
            },
            formerly={
                "grievances.claims-filed": CLAIMS_FILED,
                "grievances.claim-decisions": CLAIM_DECISIONS,
                "grievances.payouts": PAYOUTS,
            },
            background=True,  # what the family's pages and the officers' grievances read
        ),
        Consumer(
            "grievances.inbound",
            (INBOUND,),
            {
                "InboundMessageReceived": lookups.make_inbound_handler(settings, today),
            },
            quiet=True,  # a family's texts: few, and each answered at once
        ),
    ]


async def sweep_overdue(runtime: Runtime) -> None:
    """Escalates late grievances, and reminds families of documents still missing, every
    `overdue_sweep_seconds` (several instances may run it: the rows are taken FOR UPDATE SKIP
    LOCKED, each escalated or reminded once)."""
    settings: GrievancesSettings = runtime.settings
    while True:
        try:
            async with runtime.pool.acquire() as conn, conn.transaction():
                escalated = await handlers.escalate_overdue(conn, today(), settings)
                await handlers.remind_missing_documents(conn, today())
                await repo.forget_old_hits(conn)
            if escalated:
                log.info("grievances.escalated", count=len(escalated))
        except Exception as exc:  # noqa: BLE001 - the sweep outlives a database hiccup
            log.warning("grievances.sweep_failed", error=repr(exc))
        await asyncio.sleep(settings.overdue_sweep_seconds)


def build_spec(settings: GrievancesSettings | None = None) -> ServiceSpec:
    settings = settings or GrievancesSettings()
    return ServiceSpec(
        name="grievances",
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[router, pages],
        consumers=consumers,
        background=[sweep_overdue] if settings.overdue_sweep_seconds > 0 else [],
    )
