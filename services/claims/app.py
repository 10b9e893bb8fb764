"""Wiring of the claims service.

Its consumers are separate consumer groups, so verification and payout recording can be
scaled, restarted or run in their own processes (CLAIMS_CONSUMERS=verification) alone.
"""

from __future__ import annotations

from pathlib import Path

from services.claims import handlers
from services.claims.api import router
from services.claims.metrics import claims_standing
from services.claims.settings import ClaimsSettings
from shared.clock import today
from shared.consuming import Consumer
from shared.service import ServiceSpec
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, DELIVERIES, PARTICIPANTS


def consumers(_settings: ClaimsSettings) -> list[Consumer]:
    return [
        Consumer("claims.participants", PARTICIPANTS, {
            "ParticipantEnrolled": handlers.on_participant_enrolled,
            "ParticipantDetailsChanged": handlers.on_details_changed,
            "HeirsChanged": handlers.on_heirs_changed,
            "CoverageChanged": handlers.on_coverage_changed,
        }),
        Consumer("claims.verification", CLAIMS_FILED, {"ClaimFiled": handlers.make_verifier(today)}),
        Consumer("claims.payout", CLAIM_DECISIONS, {"ClaimApproved": handlers.on_claim_approved}),
        Consumer("claims.timeline", DELIVERIES, {
            "NotificationDelivered": handlers.on_notification,
            "NotificationFailed": handlers.on_notification,
        }),
    ]


def build_spec(settings: ClaimsSettings | None = None) -> ServiceSpec:
    settings = settings or ClaimsSettings()
    return ServiceSpec(
        name="claims",
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[router],
        consumers=consumers,
        at_scrape=[claims_standing],
    )
