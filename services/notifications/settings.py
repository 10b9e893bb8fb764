from __future__ import annotations

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    http_port: int = 8103
    # Email over SMTP; the local stack's sink stores what it receives under .jaring/mail.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_sender: str = "Jaring BPJS Ketenagakerjaan Makassar <noreply@jaring.local>"
    smtp_use_tls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    # SMS gateway and WhatsApp Cloud API; locally both go to the provider stand-in.
    sms_base_url: str = "http://127.0.0.1:8104"
    sms_token: str = "local-sms-token"
    sms_sender_id: str = "JARING"
    whatsapp_base_url: str = "http://127.0.0.1:8104"
    whatsapp_token: str = "local-whatsapp-token"
    whatsapp_phone_number_id: str = "100000000000001"
    # The channel an heir with a phone is reached on: "whatsapp" (most families use it) or "sms".
    phone_channel: str = "whatsapp"
    run_dispatcher: bool = True
    # "Claim received" waits this long before it goes out, so a claim filed in error and
    # withdrawn within minutes reaches no family; 0 sends at once (tests that need speed).
    first_message_hold_seconds: float = 600.0
    delivery_max_attempts: int = 5
    delivery_retry_base_seconds: float = 2.0
    delivery_retry_cap_seconds: float = 300.0
    delivery_batch_size: int = 50
    # Sends in flight at once in one process: a whole leased batch (measured: 10 left messages
    # queueing for seconds at 100 claims/s). Lower it to what a contracted provider allows.
    delivery_concurrency: int = 50
    # Batches leased and sent side by side in one process (each commits its results in one transaction).
    delivery_workers: int = 4
    # A message being sent is leased for this long; past it, the message is settled by the
    # recovery rule (dispatcher.py). A send must fit inside it: the channels give up after
    # `delivery_send_timeout_seconds`, which must be shorter.
    delivery_lease_seconds: float = 60.0
    delivery_send_timeout_seconds: float = 10.0
    # From a round's first answer, how long the dispatcher waits for the rest before writing them
    # together (one transaction for the round, not one per answer): at most this much is added to
    # the window in which a crash leaves a sent message for the recovery rule (dispatcher.py).
    delivery_record_window_seconds: float = 0.05
    # Families' messages are forwarded by the provider, signed with this key (shared/snap.py);
    # no default: the service refuses to start without it (`make up` generates one).
    inbound_secret: str = ""

    @model_validator(mode="after")
    def _a_send_fits_in_its_lease(self) -> NotificationsSettings:
        if not 0 < self.delivery_send_timeout_seconds < self.delivery_lease_seconds:
            raise ValueError(
                "NOTIFICATIONS_DELIVERY_SEND_TIMEOUT_SECONDS must be positive and shorter than "
                "NOTIFICATIONS_DELIVERY_LEASE_SECONDS: a send must end inside its lease"
            )
        return self
