"""Wiring of the claims service.

Its consumers are separate consumer groups, one per topic, so verification and payout recording
can be scaled, restarted or run in their own processes (CLAIMS_CONSUMERS=verification) alone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.claims import handlers, proactive
from services.claims.api import router
from services.claims.disbursement import handlers as disbursement
from services.claims.disbursement import worker
from services.claims.disbursement.api import router as disbursement_router
from services.claims.disbursement.bank import SnapBank
from services.claims.metrics import claims_standing
from services.claims.proactive_api import router as proactive_router
from services.claims.settings import ClaimsSettings
from shared.clock import today
from shared.consuming import Consumer
from shared.logs import get_logger
from shared.service import Runtime, ServiceSpec
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, DELIVERIES, PARTICIPANTS, PAYOUTS

log = get_logger("claims")


def consumers(settings: ClaimsSettings) -> list[Consumer]:
    return [
        Consumer(
            "claims.participants",
            (PARTICIPANTS,),
            {
                "ParticipantEnrolled": handlers.on_participant_enrolled,
                "ParticipantDetailsChanged": handlers.on_details_changed,
                "HeirsChanged": handlers.on_heirs_changed,
                "CoverageChanged": handlers.on_coverage_changed,
                # In the participant's order, after the coverage it is judged on (claims/proactive.py).
                "DeathReported": proactive.make_death_reported_handler(today, settings.family_office),
            },
        ),
        Consumer(
            "claims.verification",
            (CLAIMS_FILED,),
            {
                "ClaimFiled": handlers.make_verifier(today, settings.review_sampling()),
            },
        ),
        # What claims does with its own decisions, in one group (a claim's decisions are applied
        # in their order, whichever handler takes them): the payout recorded for an approval; a
        # reclassification's difference after payout sent to the bank.
        Consumer(
            "claims.decisions",
            (CLAIM_DECISIONS,),
            {
                "ClaimApproved": handlers.make_payout_recorder(today),
                "ClaimReclassified": disbursement.on_claim_reclassified,
            },
            formerly=dict.fromkeys(("claims.payout", "claims.disbursement_reclassified"), CLAIM_DECISIONS),
        ),
        # Every cash ledger line goes to the bank, whenever it is recorded: the payout, its late
        # charge, a reclassification's difference after payout.
        Consumer(
            "claims.disbursement",
            (PAYOUTS,),
            {
                "PayoutRecorded": disbursement.on_payout_recorded,
                "LateChargeRecorded": disbursement.on_late_charge_recorded,
            },
        ),
        Consumer(
            "claims.timeline",
            (DELIVERIES,),
            {
                "NotificationDelivered": handlers.on_notification,
                "NotificationFailed": handlers.on_notification,
                "FamilyMemberUnreachable": handlers.on_notification,
                "ReceiptReplied": disbursement.on_receipt_replied,
            },
            background=True,  # the claim's timeline and the payees' answers: nobody waits on them
        ),
    ]


async def family_reminders(runtime: Runtime) -> None:
    """Reminds families who have not come for a proactive claim (domain/proactive.py)."""
    every = runtime.settings.proactive_sweep_seconds
    while every > 0:
        try:
            await proactive.remind_families(runtime.pool, today(), runtime.settings.family_office)
        except Exception as exc:  # noqa: BLE001 - the next sweep tries again
            log.warning("proactive.sweep_failed", error=repr(exc))
        await asyncio.sleep(every)


def build_spec(settings: ClaimsSettings | None = None) -> ServiceSpec:
    settings = settings or ClaimsSettings()
    if not settings.bank_client_secret:
        raise RuntimeError(
            "CLAIMS_BANK_CLIENT_SECRET is required: it signs transfers and authenticates the "
            "bank's notifications (`make up` generates one in .jaring/bank/secret)"
        )

    def bank() -> SnapBank:
        return SnapBank(
            settings.bank_base_url,
            settings.bank_partner_id,
            settings.bank_client_secret,
            settings.bank_channel_id,
            settings.bank_source_account,
            settings.bank_timeout_seconds,
            settings.disbursement_concurrency,
        )

    background = (
        [
            worker.background(
                bank,
                settings.disbursement_poll_seconds,
                settings.disbursement_recheck_seconds,
                settings.receipt_survey_percent,
                settings.disbursement_concurrency,
            )
        ]
        if settings.disbursement_worker
        else []
    )
    background.append(family_reminders)
    background.append(worker.forgetting_seen_notifications(settings.inbox_prune_seconds, settings.inbox_prune_batch))
    return ServiceSpec(
        name="claims",
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[router, disbursement_router, proactive_router],
        consumers=consumers,
        background=background,
        at_scrape=[claims_standing],
    )
