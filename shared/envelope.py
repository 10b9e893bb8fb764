"""The event envelope every Jaring service writes and reads.

One envelope for all events: consumers can route, deduplicate (event_id), trace
(correlation_id, causation_id) and dead-letter any message without knowing its payload.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from uuid_utils.compat import uuid7


class EventPayload(BaseModel):
    """Base of every event's payload: a fact, in the past tense, immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    type: str
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    # The claim or participant this event is about: how an operator follows one case
    # across topics.
    correlation_id: str
    # The event (or request) that caused this one; None for an officer's first action.
    causation_id: str | None = None
    producer: str
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        # Duplicated from the body so tools (console, DLQ replay) can route without parsing it.
        return [
            ("event_id", str(self.event_id).encode()),
            ("event_type", self.type.encode()),
            ("correlation_id", self.correlation_id.encode()),
            ("producer", self.producer.encode()),
        ]


class UnreadableMessage(Exception):
    """The bytes are not an envelope, or the payload breaks its contract. Goes to the DLQ."""


def new_envelope(
    payload: EventPayload,
    *,
    correlation_id: str,
    producer: str,
    causation_id: str | None = None,
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> Envelope:
    return Envelope(
        # Time-ordered (UUIDv7): every inbox and the console's index take new ids at their right edge,
        # so a busy consumer's index stays in memory however long the table grows (docs/benchmarks.md).
        event_id=event_id or uuid7(),
        type=payload.event_type,
        version=payload.event_version,
        occurred_at=occurred_at or datetime.now(UTC),
        correlation_id=correlation_id,
        causation_id=causation_id,
        producer=producer,
        payload=payload.model_dump(mode="json"),
    )


def read_envelope(raw: bytes) -> Envelope:
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError as exc:
        raise UnreadableMessage(f"not a Jaring envelope: {_first_errors(exc)}") from exc


def read_payload(envelope: Envelope, model: type[EventPayload]) -> EventPayload:
    if envelope.version != model.event_version:
        raise UnreadableMessage(
            f"{envelope.type} version {envelope.version} is not understood (expects {model.event_version})"
        )
    try:
        return model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise UnreadableMessage(f"{envelope.type} payload breaks its contract: {_first_errors(exc)}") from exc


def _first_errors(exc: ValidationError, limit: int = 3) -> str:
    parts = [f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:limit]]
    return "; ".join(parts)
