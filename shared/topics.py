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
    "enrollment.participants.v1", "participant_id",
    ("ParticipantEnrolled", "ParticipantDetailsChanged", "HeirsChanged",
     "ContributionRecorded", "CoverageChanged"),
    producer="enrollment",
    # Read models of claims and notifications are rebuilt from this topic: keep it long.
    retention_ms=-1,
    description="Participants, their heirs, contributions and coverage.",
)
CLAIMS_FILED = Topic(
    "claims.filed.v1", "claim_id", ("ClaimFiled",), producer="claims",
    description="Claims filed by officers; verification reads it.",
)
CLAIM_DECISIONS = Topic(
    "claims.decisions.v1", "claim_id",
    ("ClaimApproved", "ClaimRejected", "ClaimReferredForReview", "DeathConfirmed", "HeirsNamedOnClaim"),
    producer="claims",
    description="Verification outcomes and officers' decisions and corrections; payout recording reads "
                "approvals, enrollment reads confirmed deaths and heirs named on a claim.",
)
PAYOUTS = Topic(
    "claims.payouts.v1", "claim_id", ("PayoutRecorded", "DisbursementChanged"), producer="claims",
    description="Benefit components recorded per claim and disbursement status.",
)
DELIVERIES = Topic(
    "notifications.deliveries.v1", "claim_id", ("NotificationDelivered", "NotificationFailed"),
    producer="notifications",
    description="What reached each family, by which channel, or failed to.",
)

CATALOGUE: tuple[Topic, ...] = (PARTICIPANTS, CLAIMS_FILED, CLAIM_DECISIONS, PAYOUTS, DELIVERIES)


def topic_for_event(event_type: str) -> Topic:
    for topic in CATALOGUE:
        if event_type in topic.events:
            return topic
    raise KeyError(f"no topic in the catalogue carries {event_type}")
