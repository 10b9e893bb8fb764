"""What a dead letter says about itself, and what a replay sends.

shared.consuming dead-letters a message with its original headers plus `dlq_*` headers
(reason, consumer, original topic/partition/offset, when). A replay sends the original
bytes with the original headers — the `dlq_*` ones removed — to the original topic, so
every consumer sees the message as it was first published; the inbox of each consumer
that had already applied it keeps that from having a second effect.

A dead letter can hold anything, a full NIK too (ClaimFiled's KTP numbers are NIKs), so
what the console keeps and shows of it is masked text, cut short.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.privacy import mask_niks_in

DLQ_PREFIX = "dlq_"
PAYLOAD_LIMIT = 20_000


@dataclass(frozen=True)
class DeadLetter:
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    consumer: str
    reason: str
    dead_lettered_at: datetime | None
    event_id: str | None
    event_type: str | None
    correlation_id: str | None
    headers: dict[str, str]  # masked text
    payload: str  # masked text


def _text(value: bytes | None) -> str:
    # PostgreSQL text holds no NUL character: a dead letter with one must still be recorded.
    return (value or b"").decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _instant(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def read_dead_letter(dlq_topic: str, headers: Sequence[tuple[str, bytes]], value: bytes | None) -> DeadLetter:
    """Reads headers and bytes without trusting either: a dead letter is there because
    something about it was wrong."""
    named = {name: mask_niks_in(_text(raw)) for name, raw in headers}
    original = named.get("dlq_original_topic") or dlq_topic.removesuffix(".dlq")
    payload = mask_niks_in(_text(value))
    if len(payload) > PAYLOAD_LIMIT:
        payload = payload[:PAYLOAD_LIMIT] + "…"
    return DeadLetter(
        original_topic=original,
        original_partition=_int(named.get("dlq_original_partition")),
        original_offset=_int(named.get("dlq_original_offset")),
        consumer=named.get("dlq_consumer", ""),
        reason=named.get("dlq_reason", ""),
        dead_lettered_at=_instant(named.get("dlq_at")),
        event_id=named.get("event_id"),
        event_type=named.get("event_type"),
        correlation_id=named.get("correlation_id"),
        headers=named,
        payload=payload,
    )


def replay_headers(headers: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The original headers: everything but what dead-lettering added."""
    return [(name, value) for name, value in headers if not name.startswith(DLQ_PREFIX)]


def pretty_payload(payload: str) -> str:
    """Indented JSON when the payload is JSON, else the text as it is."""
    try:
        return json.dumps(json.loads(payload), indent=2, ensure_ascii=False)
    except ValueError:
        return payload


_PHONE = re.compile(r"(\+?62|0)(8\d)(\d{6,11})(?!\d)")


def masked_text(text: str) -> str:
    """Text as an operator may read it: NIKs (KTP and KK numbers too) and phone numbers masked."""
    return _PHONE.sub(lambda m: m.group(1) + m.group(2) + "*" * len(m.group(3)), mask_niks_in(text))


def masked_payload(payload: bytes | None) -> str:
    """A record's payload as an operator may read it: masked, indented when it is JSON."""
    return pretty_payload(masked_text((payload or b"").decode("utf-8", errors="replace")))
