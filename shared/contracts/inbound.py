"""Messages families send to the city's SMS number or WhatsApp account.

Notifications owns the channels, so it receives the provider's signed webhook and publishes
what came in on `notifications.inbound.v1` (key: sender). Grievances reads "STATUS <claim>"
and "ADUAN <text>" from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.envelope import EventPayload


class InboundMessageReceived(EventPayload):
    event_type = "InboundMessageReceived"

    message_id: str  # the provider's id: a webhook delivered twice is one message
    channel: Literal["sms", "whatsapp"]
    sender: str  # E.164
    text: str
    received_at: datetime
