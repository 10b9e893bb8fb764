"""The link to the civil registry: subscribe to deaths, check and read its signed notifications,
and turn a registered death of a participant into DeathReported (docs/outreach.md).

One adapter class holds the agreement with one registry (where to subscribe, where it calls us
back, who we are to it, the shared secret). `DciCivilRegistry` speaks the shape of the Digital
Convergence Initiative's civil-registration API (the local stand-in,
deploy/local/standins/registry.py, speaks it too); a real registry with another shape is
another class with the same three methods, chosen in `registry_from`.

Enrollment owns the NIK, so the match happens here and the NIK goes no further: DeathReported
carries the participant id. A death of someone who is not a participant is dropped at once and
only counted (registry_counts and a metric); its notification's id is kept only for the
signature window, to refuse a replay, then deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

import asyncpg
import httpx
from prometheus_client import Counter

from services.enrollment import repository as repo
from services.enrollment.settings import EnrollmentSettings
from shared.contracts.enrollment import DeathReported
from shared.envelope import new_envelope
from shared.outbox import add_event

SIGNATURE_HEADER = "X-Registry-Signature"
TIMESTAMP_HEADER = "X-Registry-Timestamp"
WINDOW_SECONDS = 300
REG_TYPE_CIVIL = "ns:org:RegistryType:Civil"
EVENT_DEATH = "ns:org:RegistryEventType:Death"

# Outcomes of a registered death, as counted (registry_counts.outcome and the metric's label).
PARTICIPANT = "participant"
NOT_PARTICIPANT = "not_participant"
ALREADY_REPORTED = "already_reported"
REPLAY_REFUSED = "replay_refused"
OUTCOMES = (PARTICIPANT, NOT_PARTICIPANT, ALREADY_REPORTED, REPLAY_REFUSED)

REGISTERED_DEATHS = Counter(
    "jaring_registry_deaths", "Deaths the civil registry notified, by what became of them", ["outcome"]
)


@dataclass(frozen=True)
class RegisteredDeath:
    event_id: str  # the registry's id of the notification event
    nik: str
    date_of_death: date
    place: str

    def __repr__(self) -> str:  # a NIK never reaches a log line through a repr
        return f"RegisteredDeath(event_id={self.event_id!r}, date_of_death={self.date_of_death})"


class UnreadableNotification(ValueError):
    pass


class DeathRegistry(Protocol):
    name: str

    async def subscribe(self) -> str:
        """Subscribes to deaths (idempotent); returns the registry's subscription code."""

    def refusal(self, headers: dict[str, str], raw: bytes, now: float) -> str | None:
        """None when a notification is genuinely the registry's and fresh; else why not."""

    def deaths(self, raw: bytes) -> list[RegisteredDeath]:
        """The deaths a notification carries (raises UnreadableNotification)."""


class DciCivilRegistry:
    """The DCI CRVS subscribe/notify shape, with callbacks signed as HMAC-SHA256 over
    "<timestamp>.<raw body>" and a 5-minute window."""

    name = "dci-crvs"

    def __init__(
        self,
        base_url: str,
        callback_url: str,
        subscriber_id: str,
        secret: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.callback_url = callback_url
        self.subscriber_id = subscriber_id
        self._secret = secret
        self._transport = transport

    async def subscribe(self) -> str:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        body = {
            "header": {
                "version": "1.0.0",
                "message_id": str(uuid.uuid4()),
                "message_ts": now,
                "action": "subscribe",
                "sender_id": self.subscriber_id,
                "sender_uri": self.callback_url,
            },
            "message": {
                "transaction_id": str(uuid.uuid4()),
                "subscribe_request": [
                    {
                        "reference_id": str(uuid.uuid4()),
                        "timestamp": now,
                        "subscribe_criteria": {"reg_type": REG_TYPE_CIVIL, "reg_event_type": EVENT_DEATH},
                    }
                ],
            },
        }
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10, transport=self._transport) as client:
            response = await client.post("/registry/subscribe", json=body)
        response.raise_for_status()
        answers = response.json()["message"]["subscribe_response"]
        accepted = [a for a in answers if a.get("status") == "succ"]
        if not accepted:
            raise RuntimeError(f"the registry refused the subscription: {answers}")
        return accepted[0]["subscriptions"][0]["code"]

    def refusal(self, headers: dict[str, str], raw: bytes, now: float) -> str | None:
        if not self._secret:
            return "no registry secret is configured"
        stamp, signature = headers.get(TIMESTAMP_HEADER.lower()), headers.get(SIGNATURE_HEADER.lower())
        if not stamp or not signature:
            return f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required"
        try:
            sent_at = int(stamp)
        except ValueError:
            return "the timestamp is not a whole number of seconds"
        if abs(now - sent_at) > WINDOW_SECONDS:
            return "the timestamp is outside the 5-minute window"
        expected = "sha256=" + hmac.new(self._secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "the signature does not match"
        return None

    def deaths(self, raw: bytes) -> list[RegisteredDeath]:
        try:
            body = json.loads(raw)
            found = []
            for event in body["message"]["notify_event"]:
                data = event["data"]
                if data.get("reg_event_type") != EVENT_DEATH:
                    continue
                for record in data["reg_records"]:
                    nik = next(i["identifier_value"] for i in record["identifier"] if i["identifier_type"] == "NIK")
                    found.append(
                        RegisteredDeath(
                            str(event["reference_id"]),
                            str(nik),
                            date.fromisoformat(record["death_date"]),
                            str(record.get("death_place") or "")[:200],
                        )
                    )
            return found
        except (ValueError, KeyError, TypeError, StopIteration) as exc:
            # The exception's text may quote the body (a NIK): say only that it did not parse.
            raise UnreadableNotification("not a DCI death notification") from exc


def registry_from(settings: EnrollmentSettings) -> DeathRegistry | None:
    """The registry this deployment has an agreement with, or None when the link is off."""
    if not settings.registry_base_url or not settings.registry_secret:
        return None
    return DciCivilRegistry(
        settings.registry_base_url,
        settings.registry_callback_url,
        settings.registry_subscriber_id,
        settings.registry_secret,
    )


# --- the use case: a registered death ----------------------------------------------------------------


async def record_registered_death(conn: asyncpg.Connection, death: RegisteredDeath, today: date) -> str:
    """In the caller's transaction: the outcome (one of OUTCOMES). A participant's death becomes
    DeathReported in the outbox; anyone else's is only counted."""
    await repo.forget_other_registry_notifications(conn, WINDOW_SECONDS * 2)
    participant_id = await repo.participant_id_for_nik(conn, death.nik)
    if not await repo.note_registry_notification(conn, death.event_id, participant=participant_id is not None):
        outcome = REPLAY_REFUSED
    elif participant_id is None:
        outcome = NOT_PARTICIPANT
    elif not await repo.mark_death_reported(conn, participant_id, today):
        outcome = ALREADY_REPORTED
    else:
        outcome = PARTICIPANT
        await add_event(
            conn,
            new_envelope(
                DeathReported(
                    participant_id=participant_id,
                    date_of_death=death.date_of_death,
                    place=death.place,
                    registry_event_id=death.event_id,
                ),
                correlation_id=participant_id,
                producer="enrollment",
            ),
            "enrollment",
        )
    await repo.count_registry_outcome(conn, outcome)
    return outcome


def counted(outcome: str) -> None:
    """The metric moves only once the transaction committed."""
    REGISTERED_DEATHS.labels(outcome).inc()


def status_view(
    counts: dict[str, int], subscriptions: list[dict[str, Any]], registry: DeathRegistry | None
) -> dict[str, Any]:
    return {
        "linked": registry is not None,
        "registry": registry.name if registry is not None else None,
        "subscriptions": subscriptions,
        "deaths": {outcome: counts.get(outcome, 0) for outcome in OUTCOMES},
    }
