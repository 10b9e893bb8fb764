"""The console's SQL (schema "console"): the event index, the dead letters, the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg

from services.console.domain.dead_letters import DeadLetter
from services.console.domain.index import Summary
from services.console.domain.story import CLAIM_EVENT_TYPES, OUTCOMES, IndexedEvent

CLAIM_TYPES = sorted(CLAIM_EVENT_TYPES)
# A claim is finished once rejected or paid: nothing more is expected of it.
_FINISHED = (
    "bool_or(type IN ('ClaimRejected', 'ClaimWithdrawn') "
    "OR (type = 'DisbursementChanged' AND summary->>'status' = 'paid'))"
)


# --- the event index ---------------------------------------------------------------------------------


class IndexRow(NamedTuple):
    """One event as the index keeps it: where the record sits and what it was."""

    topic: str
    partition: int
    offset: int
    event_id: uuid.UUID
    type: str
    version: int
    correlation_id: str
    causation_id: str | None
    participant_id: str | None
    producer: str
    key: str | None
    occurred_at: datetime
    logged_at: datetime | None
    summary: Summary
    traceparent: str | None  # the trace the event came with (W3C), for the trace page


async def index_events(conn: asyncpg.Connection, rows: Sequence[IndexRow]) -> None:
    """Many events in one statement (arrays unnested, as shared.outbox.add_events). Keyed by the
    event id, so indexing an event twice (a redelivery, the same event at a new offset) changes nothing."""
    if not rows:
        return
    await conn.execute(
        "INSERT INTO events (topic, kafka_partition, kafka_offset, event_id, type, version, correlation_id, "
        "causation_id, participant_id, producer, key, occurred_at, logged_at, summary, traceparent) "
        "SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::uuid[], $5::text[], $6::integer[], "
        "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::timestamptz[], "
        "$14::jsonb[], $15::text[]) ON CONFLICT DO NOTHING",
        *map(list, zip(*rows, strict=True)),
    )


async def traceparents(conn: asyncpg.Connection, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The traceparent each event came with, for those indexed with one."""
    rows = await conn.fetch(
        "SELECT event_id, traceparent FROM events WHERE event_id = ANY($1::uuid[]) AND traceparent IS NOT NULL",
        list(event_ids),
    )
    return {r["event_id"]: r["traceparent"] for r in rows}


def _event(row: asyncpg.Record) -> IndexedEvent:
    return IndexedEvent(
        type=row["type"],
        topic=row["topic"],
        occurred_at=row["occurred_at"],
        producer=row["producer"],
        correlation_id=row["correlation_id"],
        summary=row["summary"],
        partition=row["kafka_partition"],
        offset=row["kafka_offset"],
        event_id=str(row["event_id"]),
        participant_id=row["participant_id"],
    )


_EVENT_COLUMNS = (
    "type, topic, occurred_at, producer, correlation_id, summary, kafka_partition, kafka_offset, "
    "event_id, participant_id"
)


async def trace(conn: asyncpg.Connection, correlation_id: str, limit: int = 2000) -> list[IndexedEvent]:
    """Every event about this claim or participant; for a participant, their claims' events too."""
    rows = await conn.fetch(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE correlation_id = $1 OR correlation_id IN "
        "(SELECT DISTINCT correlation_id FROM events WHERE participant_id = $1) "
        "ORDER BY occurred_at, topic, kafka_partition, kafka_offset LIMIT $2",
        correlation_id,
        limit,
    )
    return [_event(r) for r in rows]


async def events_of(conn: asyncpg.Connection, correlation_ids: Sequence[str]) -> dict[str, list[IndexedEvent]]:
    rows = await conn.fetch(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE correlation_id = ANY($1::text[]) AND type = ANY($2::text[]) "
        "ORDER BY occurred_at",
        list(correlation_ids),
        CLAIM_TYPES,
    )
    found: dict[str, list[IndexedEvent]] = {cid: [] for cid in correlation_ids}
    for row in rows:
        found[row["correlation_id"]].append(_event(row))
    return found


async def quiet_unfinished_claims(conn: asyncpg.Connection, quiet_since: datetime, limit: int = 500) -> list[str]:
    """Claims not finished whose last event is older than `quiet_since`, oldest first."""
    rows = await conn.fetch(
        "SELECT correlation_id FROM events WHERE type = ANY($1::text[]) GROUP BY correlation_id "
        f"HAVING max(occurred_at) < $2 AND NOT {_FINISHED} ORDER BY max(occurred_at) LIMIT $3",
        CLAIM_TYPES,
        quiet_since,
        limit,
    )
    return [r["correlation_id"] for r in rows]


async def decided_unfinished_claims(conn: asyncpg.Connection, limit: int = 1000) -> list[str]:
    """Claims the rules (or an officer) have judged and that are not paid or rejected yet:
    the ones a payment clock may be running for."""
    rows = await conn.fetch(
        "SELECT correlation_id FROM events WHERE type = ANY($1::text[]) GROUP BY correlation_id "
        f"HAVING bool_or(type = ANY($2::text[])) AND NOT {_FINISHED} ORDER BY min(occurred_at) LIMIT $3",
        CLAIM_TYPES,
        sorted(OUTCOMES),
        limit,
    )
    return [r["correlation_id"] for r in rows]


async def index_counts(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT topic, count(*) AS n FROM events GROUP BY topic")
    return {r["topic"]: r["n"] for r in rows}


# --- dead letters ----------------------------------------------------------------------------------------


async def record_dead_letter(
    conn: asyncpg.Connection, topic: str, partition: int, offset: int, key: str | None, letter: DeadLetter
) -> bool:
    """Keyed by (topic, partition, offset): a redelivered dead letter is recorded once. True if new."""
    done = await conn.fetchval(
        "INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, original_topic, original_partition, "
        "original_offset, consumer, reason, key, event_id, event_type, correlation_id, headers, payload, "
        "dead_lettered_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) "
        "ON CONFLICT DO NOTHING RETURNING 1",
        topic,
        partition,
        offset,
        letter.original_topic,
        letter.original_partition,
        letter.original_offset,
        letter.consumer,
        letter.reason,
        key,
        letter.event_id,
        letter.event_type,
        letter.correlation_id,
        letter.headers,
        letter.payload,
        letter.dead_lettered_at,
    )
    return bool(done)


async def dead_letter_counts(conn: asyncpg.Connection) -> dict[str, dict[str, int]]:
    rows = await conn.fetch("SELECT topic, status, count(*) AS n FROM dead_letters GROUP BY topic, status")
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["topic"], {})[row["status"]] = row["n"]
    return counts


async def dead_letters(
    conn: asyncpg.Connection, topic: str, status: str | None = "waiting", limit: int = 200
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT * FROM dead_letters WHERE topic = $1 AND ($2::text IS NULL OR status = $2) "
        "ORDER BY kafka_partition, kafka_offset LIMIT $3",
        topic,
        status,
        limit,
    )
    return [dict(r) for r in rows]


async def earlier_attempts(conn: asyncpg.Connection, event_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Dead letters of the same events already resolved: a replayed event that failed again
    shows its earlier attempts."""
    rows = await conn.fetch(
        "SELECT topic, kafka_partition, kafka_offset, event_id, status, resolved_by, resolved_at, dead_lettered_at "
        "FROM dead_letters WHERE event_id = ANY($1::text[]) AND status <> 'waiting' "
        "ORDER BY dead_lettered_at, kafka_offset",
        [e for e in event_ids if e],
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["event_id"], []).append(dict(row))
    return found


async def dead_letter(
    conn: asyncpg.Connection, topic: str, partition: int, offset: int, *, for_update: bool = False
) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT * FROM dead_letters WHERE topic = $1 AND kafka_partition = $2 AND kafka_offset = $3{lock}",
        topic,
        partition,
        offset,
    )
    return dict(row) if row else None


async def same_message(conn: asyncpg.Connection, letter: dict[str, Any]) -> list[dict[str, Any]]:
    """Waiting dead letters of the same original record (several consumers may have
    dead-lettered it), the letter itself included, locked."""
    if letter["original_partition"] is None or letter["original_offset"] is None:
        return [letter]
    rows = await conn.fetch(
        "SELECT * FROM dead_letters WHERE original_topic = $1 AND original_partition = $2 AND original_offset = $3 "
        "AND status = 'waiting' ORDER BY topic, kafka_partition, kafka_offset FOR UPDATE",
        letter["original_topic"],
        letter["original_partition"],
        letter["original_offset"],
    )
    return [dict(r) for r in rows] or [letter]


async def resolve(
    conn: asyncpg.Connection, letters: Sequence[dict[str, Any]], status: str, by: str, resolution: str
) -> None:
    for letter in letters:
        await conn.execute(
            "UPDATE dead_letters SET status = $4, resolved_by = $5, resolved_at = now(), resolution = $6 "
            "WHERE topic = $1 AND kafka_partition = $2 AND kafka_offset = $3",
            letter["topic"],
            letter["kafka_partition"],
            letter["kafka_offset"],
            status,
            by,
            resolution,
        )


async def audit_trail(conn: asyncpg.Connection, action_prefix: str, limit: int = 50) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT actor, role, action, subject_id, details, at FROM audit_log WHERE action LIKE $1 || '%' "
        "ORDER BY id DESC LIMIT $2",
        action_prefix,
        limit,
    )
    return [dict(r) for r in rows]
