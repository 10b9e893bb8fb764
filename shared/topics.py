"""The topic catalogue: every topic Jaring uses, in code, created at start-up.

Keys are chosen for ordering: all events of one participant (or one claim) land on
one partition, so a consumer sees them in the order they happened.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 3600 * 1000
# Dead letters carry whole events (names, masked NIKs, amounts): kept long enough for an operator
# to replay or discard them, not forever. KAFKA_DEAD_LETTER_RETENTION_MS overrides it.
DEAD_LETTER_RETENTION_MS = 30 * DAY_MS


@dataclass(frozen=True)
class Topic:
    name: str
    key: str  # which payload field is the Kafka key
    events: tuple[str, ...]  # event types published on it
    producer: str
    retention_ms: int = 30 * DAY_MS
    description: str = ""

    @property
    def dlq(self) -> str:
        return dead_letter_topic(self.name)


def dead_letter_topic(name: str) -> str:
    return f"{name}.dlq"


PARTICIPANTS = Topic(
    "enrollment.participants.v1",
    "participant_id",
    (
        "ParticipantEnrolled",
        "ParticipantDetailsChanged",
        "HeirsChanged",
        "ContributionRecorded",
        "CoverageChanged",
        "DeathReported",
        "ContributionReminderDue",
    ),
    producer="enrollment",
    # Read models of claims and notifications are rebuilt from this topic: keep it long.
    retention_ms=-1,
    description="Participants, their heirs, contributions and coverage, deaths the civil registry reported, and "
    "reminders before cover lapses.",
)
CLAIMS_FILED = Topic(
    "claims.filed.v1",
    "claim_id",
    ("ClaimFiled", "ProactiveClaimOpened", "ProactiveClaimReminderDue"),
    producer="claims",
    description="Claims filed by officers, and death claims Jaring opened itself from the civil registry "
    "(waiting for the family); verification reads ClaimFiled, notifications tells the family.",
)
CLAIM_DECISIONS = Topic(
    "claims.decisions.v1",
    "claim_id",
    (
        "ClaimApproved",
        "ClaimRejected",
        "ClaimReferredForReview",
        "DeathConfirmed",
        "HeirsNamedOnClaim",
        "ClaimReclassified",
        "ClaimWithdrawn",
    ),
    producer="claims",
    description="Verification outcomes and officers' decisions and corrections; payout recording reads "
    "approvals, enrollment reads confirmed deaths and heirs named on a claim.",
)
PAYOUTS = Topic(
    "claims.payouts.v1",
    "claim_id",
    ("PayoutRecorded", "DisbursementChanged", "LateChargeRecorded"),
    producer="claims",
    description="Benefit components recorded per claim and disbursement status.",
)
DISBURSEMENTS = Topic(
    "claims.disbursements.v1",
    "claim_id",
    ("TransferStatusChanged", "TransferReversed", "ReceiptCheckRequested"),
    producer="claims",
    description="Each ledger line's transfer to its payee: received, pending, succeeded or rejected with an "
    "ISO 20022 reason, reversals, and payees to ask whether the money arrived.",
)
DELIVERIES = Topic(
    "notifications.deliveries.v1",
    "claim_id",
    ("NotificationDelivered", "NotificationFailed", "FamilyMemberUnreachable", "ReceiptReplied"),
    producer="notifications",
    description="What reached each family, by which channel, or failed to; payees' answers to whether the "
    "money arrived.",
)

INBOUND = Topic(
    "notifications.inbound.v1",
    "sender",
    ("InboundMessageReceived",),
    producer="notifications",
    # Free text and phone numbers from the public: kept a week, long enough to replay an outage.
    retention_ms=7 * DAY_MS,
    description="Messages families sent to the city's SMS number or WhatsApp account; grievances reads "
    "STATUS and ADUAN from it, enrollment reads STOP (no more contribution reminders).",
)
GRIEVANCES = Topic(
    "grievances.grievances.v1",
    "grievance_id",
    ("GrievanceFiled", "GrievanceResolved", "GrievanceReopened", "GrievanceOverdue"),
    producer="grievances",
    description="Pengaduan: filed, resolved, reopened, overdue; notifications tells the family.",
)
FAMILY_NOTICES = Topic(
    "grievances.family-notices.v1",
    "claim_id",
    ("MissingDocumentsNoticed",),
    producer="grievances",
    description="What a family must do for a claim (documents still missing, a reminder); notifications sends it.",
)
LOOKUPS = Topic(
    "grievances.lookups.v1",
    "claim_id",
    ("LookupCodeIssued", "ClaimStatusShared"),
    producer="grievances",
    # One-time codes (valid 5 minutes) and one person's share: kept an hour, enough for notifications
    # to catch up after a short outage and no longer (docs/security.md).
    retention_ms=3600 * 1000,
    description='"Lacak Klaim": one-time codes to send and claim status shared with a recorded phone.',
)

CATALOGUE: tuple[Topic, ...] = (
    PARTICIPANTS,
    CLAIMS_FILED,
    CLAIM_DECISIONS,
    PAYOUTS,
    DISBURSEMENTS,
    DELIVERIES,
    INBOUND,
    GRIEVANCES,
    FAMILY_NOTICES,
    LOOKUPS,
)


def topic_for_event(event_type: str) -> Topic:
    for topic in CATALOGUE:
        if event_type in topic.events:
            return topic
    raise KeyError(f"no topic in the catalogue carries {event_type}")
