"""Wiring of the claims service.

Its consumers are separate consumer groups, so verification and payout recording can be
scaled, restarted or run in their own processes (CLAIMS_CONSUMERS=verification) alone.
"""

from __future__ import annotations

from pathlib import Path

from services.claims import handlers
from services.claims.api import router
from services.claims.disbursement import handlers as disbursement
from services.claims.disbursement import worker
from services.claims.disbursement.api import router as disbursement_router
from services.claims.disbursement.bank import SnapBank
from services.claims.metrics import claims_standing
from services.claims.settings import ClaimsSettings
from shared.clock import today
from shared.consuming import Consumer
from shared.service import ServiceSpec
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, DELIVERIES, PARTICIPANTS, PAYOUTS


def consumers(settings: ClaimsSettings) -> list[Consumer]:
    return [
        Consumer("claims.participants", PARTICIPANTS, {
            "ParticipantEnrolled": handlers.on_participant_enrolled,
            "ParticipantDetailsChanged": handlers.on_details_changed,
            "HeirsChanged": handlers.on_heirs_changed,
            "CoverageChanged": handlers.on_coverage_changed,
        }),
        Consumer("claims.verification", CLAIMS_FILED, {
            "ClaimFiled": handlers.make_verifier(today, settings.review_sampling()),
        }),
        Consumer("claims.payout", CLAIM_DECISIONS, {"ClaimApproved": handlers.make_payout_recorder(today)}),
        # Every cash ledger line goes to the bank, whenever it is recorded: the payout, its late
        # charge, a reclassification's difference after payout.
        Consumer("claims.disbursement", PAYOUTS, {
            "PayoutRecorded": disbursement.on_payout_recorded,
            "LateChargeRecorded": disbursement.on_late_charge_recorded,
        }),
        Consumer("claims.disbursement_reclassified", CLAIM_DECISIONS, {
            "ClaimReclassified": disbursement.on_claim_reclassified,
        }),
        Consumer("claims.timeline", DELIVERIES, {
            "NotificationDelivered": handlers.on_notification,
            "NotificationFailed": handlers.on_notification,
            "FamilyMemberUnreachable": handlers.on_notification,
            "ReceiptReplied": disbursement.on_receipt_replied,
        }),
    ]


def build_spec(settings: ClaimsSettings | None = None) -> ServiceSpec:
    settings = settings or ClaimsSettings()
    if not settings.bank_client_secret:
        raise RuntimeError("CLAIMS_BANK_CLIENT_SECRET is required: it signs transfers and authenticates the "
                           "bank's notifications (`make up` generates one in .jaring/bank/secret)")

    def bank() -> SnapBank:
        return SnapBank(settings.bank_base_url, settings.bank_partner_id, settings.bank_client_secret,
                        settings.bank_channel_id, settings.bank_source_account, settings.bank_timeout_seconds)

    background = [worker.background(bank, settings.disbursement_poll_seconds, settings.disbursement_recheck_seconds,
                                    settings.receipt_survey_percent)] if settings.disbursement_worker else []
    return ServiceSpec(
        name="claims",
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[router, disbursement_router],
        consumers=consumers,
        background=background,
        at_scrape=[claims_standing],
    )
