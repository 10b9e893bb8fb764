"""Wiring of the notifications service."""

from __future__ import annotations

from pathlib import Path

from services.notifications import handlers, receipts
from services.notifications.api import router
from services.notifications.channels import Channel, EmailChannel, SmsChannel, WhatsAppChannel
from services.notifications.dispatcher import Dispatcher
from services.notifications.family_handlers import make_family_handlers
from services.notifications.inbound import router as inbound_router
from services.notifications.outreach import make_outreach_handlers
from services.notifications.settings import NotificationsSettings
from shared.consuming import Consumer
from shared.service import Runtime, ServiceSpec
from shared.topics import (
    CLAIM_DECISIONS,
    CLAIMS_FILED,
    DISBURSEMENTS,
    FAMILY_NOTICES,
    GRIEVANCES,
    LOOKUPS,
    PARTICIPANTS,
    PAYOUTS,
)


def consumers(settings: NotificationsSettings) -> list[Consumer]:
    claim_handlers = handlers.make_claim_handlers(settings.phone_channel, settings.first_message_hold_seconds)
    family = make_family_handlers(settings.phone_channel)
    outreach = make_outreach_handlers(settings.phone_channel)
    return [
        Consumer(
            "notifications.participants",
            (PARTICIPANTS,),
            {
                "ParticipantEnrolled": handlers.on_participant_enrolled,
                "ParticipantDetailsChanged": handlers.on_details_changed,
                "HeirsChanged": handlers.on_heirs_changed,
                # In the participant's order, after the phone it goes to (outreach.py).
                "ContributionReminderDue": outreach["ContributionReminderDue"],
            },
        ),
        # A claim's messages, from its filing to its transfer, in one group: one fetch loop and one
        # transaction a poll for the four topics (issue 17), and a claim's events in the order they came.
        Consumer(
            "notifications.claims",
            (CLAIMS_FILED, CLAIM_DECISIONS, PAYOUTS, DISBURSEMENTS),
            {
                "ClaimFiled": claim_handlers["ClaimFiled"],
                **{kind: claim_handlers[kind] for kind in ("ClaimRejected", "ClaimReclassified", "ClaimWithdrawn")},
                **{
                    kind: claim_handlers[kind]
                    for kind in ("PayoutRecorded", "DisbursementChanged", "LateChargeRecorded", "TransferStatusChanged")
                },
                "ReceiptCheckRequested": receipts.make_receipt_handler(settings.phone_channel),
            },
            formerly={
                "notifications.claims-filed": CLAIMS_FILED,
                "notifications.claim-decisions": CLAIM_DECISIONS,
                "notifications.payouts": PAYOUTS,
                "notifications.disbursements": DISBURSEMENTS,
            },
        ),
        # Jaring going to the family first (issue 19): its own group, so it can be replayed alone.
        Consumer(
            "notifications.outreach",
            (CLAIMS_FILED,),
            {kind: outreach[kind] for kind in ("ProactiveClaimOpened", "ProactiveClaimReminderDue")},
        ),
        # The family's own questions and complaints (the grievances service names whom to tell), the
        # documents they still owe, their lookup codes: one group.
        Consumer(
            "notifications.family",
            (GRIEVANCES, FAMILY_NOTICES, LOOKUPS),
            {
                kind: family[kind]
                for kind in (
                    "GrievanceFiled",
                    "GrievanceResolved",
                    "GrievanceReopened",
                    "GrievanceOverdue",
                    "MissingDocumentsNoticed",
                    "LookupCodeIssued",
                    "ClaimStatusShared",
                )
            },
            formerly={
                "notifications.grievances": GRIEVANCES,
                "notifications.family-notices": FAMILY_NOTICES,
                "notifications.lookups": LOOKUPS,
            },
            quiet=True,  # a family's complaints, notices and lookups: few, and each answered at once
        ),
    ]


def channels(settings: NotificationsSettings) -> dict[str, Channel]:
    return {
        "email": EmailChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            use_tls=settings.smtp_use_tls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.delivery_send_timeout_seconds,
        ),
        "sms": SmsChannel(
            settings.sms_base_url,
            settings.sms_token,
            settings.sms_sender_id,
            timeout=settings.delivery_send_timeout_seconds,
            connections=settings.delivery_concurrency,
        ),
        "whatsapp": WhatsAppChannel(
            settings.whatsapp_base_url,
            settings.whatsapp_token,
            settings.whatsapp_phone_number_id,
            timeout=settings.delivery_send_timeout_seconds,
            connections=settings.delivery_concurrency,
        ),
    }


async def deliver_messages(runtime: Runtime) -> None:
    by_name = channels(runtime.settings)
    try:
        await Dispatcher(
            runtime.event_pool, by_name, runtime.settings, traced_by=[c.name for c in consumers(runtime.settings)]
        ).run()
    finally:
        for channel in by_name.values():
            close = getattr(channel, "aclose", None)
            if close is not None:
                await close()


def build_spec(settings: NotificationsSettings | None = None) -> ServiceSpec:
    settings = settings or NotificationsSettings()
    if not settings.inbound_secret:
        raise RuntimeError(
            "NOTIFICATIONS_INBOUND_SECRET is required: it authenticates replies forwarded by the "
            "SMS/WhatsApp provider (`make up` generates one in .jaring/provider/inbound-secret)"
        )
    return ServiceSpec(
        name="notifications",
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[router, inbound_router],
        consumers=consumers,
        background=[deliver_messages] if settings.run_dispatcher else [],
    )
