"""Events the notifications service publishes on `notifications.deliveries.v1` (key: claim_id)."""

from __future__ import annotations

from typing import Literal

from shared.envelope import EventPayload

Channel = Literal["email", "sms", "whatsapp"]


class NotificationDelivered(EventPayload):
    event_type = "NotificationDelivered"

    notification_id: str
    claim_id: str
    heir_id: str
    channel: Channel
    about_event: str  # the claim event type the family was told about
    attempts: int


class NotificationFailed(EventPayload):
    event_type = "NotificationFailed"

    notification_id: str
    claim_id: str
    heir_id: str
    channel: Channel
    about_event: str
    attempts: int
    last_error: str


class FamilyMemberUnreachable(EventPayload):
    """A family member of a claim could not be told anything: no phone and no email on
    record (elderly parents, small children). Published once per claim and person, so an
    officer can tell them in person; the other family members and the claim's reporter
    (when they have a phone) still get the messages."""

    event_type = "FamilyMemberUnreachable"

    claim_id: str
    heir_id: str  # the heir, or the participant for a living worker's own claim
    reason: Literal["no_contact"] = "no_contact"
    about_event: str | None = None  # the first claim event that could not reach them


ReceiptAnswer = Literal["yes", "no", "unclear"]


class ReceiptReplied(EventPayload):
    """A payee answered "did you receive the money?" (by SMS/WhatsApp). Only the answer travels,
    never the text they wrote."""

    event_type = "ReceiptReplied"

    claim_id: str
    participant_id: str
    heir_id: str
    answer: ReceiptAnswer
