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


ReceiptAnswer = Literal["yes", "no", "unclear"]


class ReceiptReplied(EventPayload):
    """A payee answered "did you receive the money?" (by SMS/WhatsApp). Only the answer travels,
    never the text they wrote."""

    event_type = "ReceiptReplied"

    claim_id: str
    participant_id: str
    heir_id: str
    answer: ReceiptAnswer
