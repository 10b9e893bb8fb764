"""The console's event index as sets (issue 17), on real PostgreSQL: a batch's events of several
topics and keys are indexed in one statement, each row as the index has always kept it (where the
record sits, what the event was); the same records delivered again, or the same events replayed at
new offsets, add nothing; a record applied alone (the runner's other paths) is indexed too."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from services.console import handlers
from services.console.consumers import index_consumers
from shared.consuming import ConsumerRunner, Delivery
from shared.contracts.enrollment import CoverageChanged
from shared.contracts.notifications import NotificationDelivered
from shared.db import apply_migrations, create_pool
from shared.envelope import Envelope, new_envelope
from shared.topics import DELIVERIES, PARTICIPANTS
from tests.support.schemas import SERVICES, migrated_pool, migrations_before
from tests.support.statements import statements_run

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
# The broker's timestamp of the records, in milliseconds: 2026-11-20 01:00:05 UTC.
LOGGED_MS = int(T0.timestamp() * 1000) + 5_000
LOGGED = datetime(2026, 11, 20, 1, 0, 5, tzinfo=UTC)

COLUMNS = (
    "topic, kafka_partition, kafka_offset, event_id, type, version, correlation_id, causation_id, participant_id, "
    "producer, key, occurred_at, logged_at, summary"
)


@pytest.fixture
async def pool(database_url, unique):
    async with migrated_pool(database_url, "console", f"console_set_{unique}") as pool:
        yield pool


def record(
    topic: str, partition: int, offset: int, key: str | None, envelope: Envelope, timestamp: int
) -> ConsumerRecord:
    value = envelope.to_bytes()
    raw_key = key.encode() if key is not None else None
    return ConsumerRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp=timestamp,
        timestamp_type=0,
        key=raw_key,
        value=value,
        checksum=None,
        serialized_key_size=len(raw_key or b""),
        serialized_value_size=len(value),
        headers=tuple(envelope.kafka_headers()),
    )


def event_id(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def covered(participant_id: str, status: str, paid_months: int, n: int) -> Envelope:
    payload = CoverageChanged(
        participant_id=participant_id, status=status, as_of=date(2026, 11, 20), paid_months=paid_months
    )
    return new_envelope(
        payload, correlation_id=participant_id, producer="enrollment", occurred_at=T0, event_id=event_id(n)
    )


def told(claim_id: str, heir_id: str, channel: str, n: int, caused_by: uuid.UUID) -> Envelope:
    payload = NotificationDelivered(
        notification_id=f"N-{claim_id}-{heir_id}",
        claim_id=claim_id,
        heir_id=heir_id,
        channel=channel,
        about_event="ClaimFiled",
        attempts=2,
    )
    return new_envelope(
        payload,
        correlation_id=claim_id,
        producer="notifications",
        occurred_at=T0,
        causation_id=str(caused_by),
        event_id=event_id(n),
    )


async def indexed(conn: asyncpg.Connection) -> list[dict]:
    rows = await conn.fetch(f"SELECT {COLUMNS} FROM events ORDER BY topic, kafka_partition, kafka_offset")
    return [dict(r) for r in rows]


async def test_a_batch_of_several_topics_and_keys_is_indexed_in_one_statement_and_again_adds_nothing(pool):
    deliveries = [
        Delivery(e, None, None, record(topic, partition, offset, key, e, timestamp))
        for topic, partition, offset, key, e, timestamp in [
            (PARTICIPANTS.name, 2, 40, "P-SITTI", covered("P-SITTI", "active", 3, 1), LOGGED_MS),
            (DELIVERIES.name, 1, 12, "CLM-1", told("CLM-1", "H-1", "sms", 2, event_id(90)), LOGGED_MS),
            (PARTICIPANTS.name, 0, 7, "P-DAENG", covered("P-DAENG", "lapsed", 0, 3), LOGGED_MS),
            # No key and no broker timestamp: kept as nothing, as one at a time did.
            (DELIVERIES.name, 1, 13, None, told("CLM-2", "H-7", "whatsapp", 4, event_id(91)), 0),
        ]
    ]
    async with pool.acquire() as conn:
        async with conn.transaction():
            with statements_run(conn) as statements:
                await handlers.index_events(conn, deliveries)
        first = await indexed(conn)
        first_indexed_at = await conn.fetch(
            "SELECT indexed_at FROM events ORDER BY topic, kafka_partition, kafka_offset"
        )

        # The same records delivered again (the process died before their offsets were committed).
        async with conn.transaction():
            with statements_run(conn) as again:
                await handlers.index_events(conn, deliveries)
        second = await indexed(conn)
        second_indexed_at = await conn.fetch(
            "SELECT indexed_at FROM events ORDER BY topic, kafka_partition, kafka_offset"
        )

    handled = statements
    assert len(handled) == 1, handled
    assert handled[0].startswith("INSERT INTO events"), handled
    assert first == [
        {
            "topic": "enrollment.participants.v1",
            "kafka_partition": 0,
            "kafka_offset": 7,
            "event_id": uuid.UUID("00000000-0000-0000-0000-000000000003"),
            "type": "CoverageChanged",
            "version": 1,
            "correlation_id": "P-DAENG",
            "causation_id": None,
            "participant_id": "P-DAENG",
            "producer": "enrollment",
            "key": "P-DAENG",
            "occurred_at": T0,
            "logged_at": LOGGED,
            "summary": {"status": "lapsed", "paid_months": 0},
        },
        {
            "topic": "enrollment.participants.v1",
            "kafka_partition": 2,
            "kafka_offset": 40,
            "event_id": uuid.UUID("00000000-0000-0000-0000-000000000001"),
            "type": "CoverageChanged",
            "version": 1,
            "correlation_id": "P-SITTI",
            "causation_id": None,
            "participant_id": "P-SITTI",
            "producer": "enrollment",
            "key": "P-SITTI",
            "occurred_at": T0,
            "logged_at": LOGGED,
            "summary": {"status": "active", "paid_months": 3},
        },
        {
            "topic": "notifications.deliveries.v1",
            "kafka_partition": 1,
            "kafka_offset": 12,
            "event_id": uuid.UUID("00000000-0000-0000-0000-000000000002"),
            "type": "NotificationDelivered",
            "version": 1,
            "correlation_id": "CLM-1",
            "causation_id": "00000000-0000-0000-0000-00000000005a",  # event 90
            "participant_id": None,
            "producer": "notifications",
            "key": "CLM-1",
            "occurred_at": T0,
            "logged_at": LOGGED,
            "summary": {"channel": "sms", "heir_id": "H-1", "about": "ClaimFiled", "attempts": 2},
        },
        {
            "topic": "notifications.deliveries.v1",
            "kafka_partition": 1,
            "kafka_offset": 13,
            "event_id": uuid.UUID("00000000-0000-0000-0000-000000000004"),
            "type": "NotificationDelivered",
            "version": 1,
            "correlation_id": "CLM-2",
            "causation_id": "00000000-0000-0000-0000-00000000005b",  # event 91
            "participant_id": None,
            "producer": "notifications",
            "key": None,
            "occurred_at": T0,
            "logged_at": None,
            "summary": {"channel": "whatsapp", "heir_id": "H-7", "about": "ClaimFiled", "attempts": 2},
        },
    ]
    # Delivered again: one statement, and not a row added or touched (indexed_at is the first transaction's).
    assert len(again) == 1
    assert second == first
    assert second_indexed_at == first_indexed_at


async def test_the_runner_hands_each_record_over_and_a_replayed_event_is_not_indexed_twice(pool, monkeypatch):
    """Through the index's own consumer: a batch (a key twice, still one call), the same events
    replayed at new offsets (a dead letter sent again), and one record applied alone."""
    calls: list[int] = []
    together = handlers.index_event.together

    async def counted(conn, deliveries):
        calls.append(len(deliveries))
        await together(conn, deliveries)

    monkeypatch.setattr(handlers.index_event, "together", counted)
    consumer = next(c for c in index_consumers("console-set") if PARTICIPANTS in c.topics)
    runner = ConsumerRunner(consumer, pool, producer=None)  # an observer: it never dead-letters
    events = [
        covered("P-SITTI", "grace", 3, 11),
        covered("P-DAENG", "active", 1, 12),
        covered("P-SITTI", "lapsed", 3, 13),
    ]
    await runner.apply_batch(
        [record(PARTICIPANTS.name, 0, offset, e.correlation_id, e, LOGGED_MS) for offset, e in enumerate(events, 100)]
    )
    await runner.apply_batch(
        [record(PARTICIPANTS.name, 0, offset, e.correlation_id, e, LOGGED_MS) for offset, e in enumerate(events, 200)]
    )
    alone = covered("P-DAENG", "grace", 1, 14)
    assert await runner.handle(record(PARTICIPANTS.name, 3, 5, "P-DAENG", alone, LOGGED_MS)) == "applied"

    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT kafka_partition, kafka_offset, event_id, key, summary->>'status' AS status FROM events "
            "ORDER BY kafka_partition, kafka_offset"
        )
    assert [tuple(r) for r in rows] == [
        (0, 100, uuid.UUID(int=11), "P-SITTI", "grace"),
        (0, 101, uuid.UUID(int=12), "P-DAENG", "active"),
        (0, 102, uuid.UUID(int=13), "P-SITTI", "lapsed"),
        # Offsets 200-202 held the same events again: keyed by the event id, nothing indexed.
        (3, 5, uuid.UUID(int=14), "P-DAENG", "grace"),
    ]
    # The index is its own inbox: the replay goes to the handler (one call), which writes nothing.
    assert consumer.stats == {"applied": 7}
    # The batch of three in one call, P-SITTI's two events with it; the replay; the one alone.
    assert calls == [3, 3, 1]
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM inbox") == 0


async def test_the_trace_page_reads_the_trace_from_the_index_and_from_the_inbox_for_events_indexed_before(pool):
    """The index keeps the traceparent each event came with. An event indexed before it did (migration
    0009) has none there: the inbox row its group wrote then still gives it."""
    now_traced = "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"
    before_traced = "00-fedcba9876543210fedcba9876543210-fedcba9876543210-01"
    first = told("CLM-9", "H-1", "sms", 21, event_id(95))
    carried = record(DELIVERIES.name, 0, 30, "CLM-9", first, LOGGED_MS)
    carried = dataclasses.replace(carried, headers=(*carried.headers, ("traceparent", now_traced.encode())))
    consumer = next(c for c in index_consumers("console-set") if DELIVERIES in c.topics)
    await ConsumerRunner(consumer, pool, producer=None).apply_batch([carried])
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT traceparent FROM events WHERE event_id = $1", event_id(21)) == now_traced
        # Indexed before the index kept traces: the row without one, its group's inbox row with it.
        await conn.execute(
            f"INSERT INTO events ({COLUMNS}) SELECT topic, kafka_partition, kafka_offset + 1, $1, type, version, "
            "correlation_id, causation_id, participant_id, producer, key, occurred_at, logged_at, summary "
            "FROM events WHERE event_id = $2",
            event_id(22),
            event_id(21),
        )
        await conn.execute(
            "INSERT INTO inbox (consumer, event_id, traceparent) VALUES ($1, $2, $3)",
            consumer.name,
            event_id(22),
            before_traced,
        )
        found = await handlers.trace(conn, "CLM-9", [consumer.name])
    assert found.trace_ids == {"CLM-9": ["0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"]}


async def test_the_migration_to_an_index_keyed_by_event_keeps_the_first_copy_of_an_event_indexed_twice(
    database_url, unique, tmp_path
):
    """An index built before migration 0009 may hold one event at two offsets (it should not: the
    inbox kept the first): the migration keeps the lowest (topic, partition, offset) and keys by event."""
    schema = f"console_0009_{unique}"
    await apply_migrations(database_url, schema, migrations_before("console", "0009", tmp_path))
    pool = await create_pool(database_url, schema)
    try:
        copies = [(DELIVERIES.name, 1, 30), (DELIVERIES.name, 0, 90), (DELIVERIES.name, 0, 12)]
        for topic, partition, offset in copies:
            await pool.execute(
                "INSERT INTO events (topic, kafka_partition, kafka_offset, event_id, type, version, correlation_id, "
                "producer, occurred_at) VALUES ($1, $2, $3, $4, 'NotificationDelivered', 1, 'CLM-7', 'notifications', "
                "$5)",
                topic,
                partition,
                offset,
                event_id(31),
                T0,
            )
        await pool.execute(
            "INSERT INTO events (topic, kafka_partition, kafka_offset, event_id, type, version, correlation_id, "
            "producer, occurred_at) VALUES ($1, 2, 5, $2, 'ClaimFiled', 1, 'CLM-7', 'claims', $3)",
            "claims.filed.v1",
            event_id(32),
            T0,
        )
        await apply_migrations(database_url, schema, SERVICES / "console" / "migrations")
        rows = await pool.fetch("SELECT event_id, topic, kafka_partition, kafka_offset FROM events ORDER BY event_id")
        assert [tuple(r) for r in rows] == [
            (event_id(31), DELIVERIES.name, 0, 12),
            (event_id(32), "claims.filed.v1", 2, 5),
        ]
        with pytest.raises(asyncpg.UniqueViolationError):
            await pool.execute(
                "INSERT INTO events (topic, kafka_partition, kafka_offset, event_id, type, version, correlation_id, "
                "producer, occurred_at) VALUES ($1, 0, 13, $2, 'NotificationDelivered', 1, 'CLM-7', 'notifications', "
                "$3)",
                DELIVERIES.name,
                event_id(31),
                T0,
            )
    finally:
        await pool.close()
