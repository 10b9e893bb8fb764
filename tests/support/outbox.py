"""An outbox of its own for a test of the relay: a schema with the plumbing tables, a topic, a pool and
a producer, and the events it carries."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date
from typing import NamedTuple

import asyncpg

from shared.contracts.enrollment import ContributionRecorded
from shared.db import apply_migrations, create_pool
from shared.envelope import Envelope, new_envelope
from shared.kafka import EventProducer, ensure_topics
from shared.topics import Topic


class OutboxScene(NamedTuple):
    schema: str
    topic: Topic
    pool: asyncpg.Pool
    producer: EventProducer


@contextlib.asynccontextmanager
async def outbox_scene(
    database_url: str, kafka_bootstrap: str, name: str, *, pool_size: int = 10, partitions: int = 1
) -> AsyncIterator[OutboxScene]:
    """Schema `name` with the plumbing tables only, topic `test.<name, dotted>.v1` (`partitions` of them), a
    pool of up to `pool_size` connections in the schema and a started producer; closed on the way out."""
    topic = Topic(f"test.{name.replace('_', '.')}.v1", "participant_id", ("ContributionRecorded",), producer="test")
    await apply_migrations(database_url, name, None)
    await ensure_topics(kafka_bootstrap, [topic], partitions=partitions)
    pool = await create_pool(database_url, name, min_size=1, max_size=pool_size)
    producer = EventProducer(kafka_bootstrap, client_id=f"test-{name}")
    await producer.start()
    try:
        yield OutboxScene(name, topic, pool, producer)
    finally:
        await producer.stop()
        await pool.close()


def contribution(n: int, contribution_id: str | None = None) -> Envelope:
    """Participant P<n>'s contribution for November 2026 (C<n> unless `contribution_id`)."""
    payload = ContributionRecorded(
        participant_id=f"P{n}",
        contribution_id=contribution_id or f"C{n}",
        period="2026-11",
        amount=16_800,
        payer="self",
        paid_at=date(2026, 11, 24),
    )
    return new_envelope(payload, correlation_id=f"P{n}", producer="test")
