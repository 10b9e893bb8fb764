"""The inbox does not grow without bound (shared/pruning.py), on the real broker and database:
rows older than their topic's retention plus its dead letters' (plus a day) go, in batches;
recent rows stay, so an event replayed within the window is still a duplicate; a topic that
keeps its events for ever keeps its consumers' rows; the broker's retention, not the
catalogue's, decides."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.consuming import Consumer, ConsumerRunner
from shared.db import apply_migrations, create_pool
from shared.kafka import ensure_topics
from shared.metrics import INBOX_PRUNED
from shared.pruning import prune_inboxes
from shared.topics import DAY_MS, Topic
from tests.support.outbox import contribution

pytestmark = pytest.mark.integration


async def inbox_rows(pool, consumer: str, count: int, age: timedelta) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    await pool.execute(
        "INSERT INTO inbox (consumer, event_id, processed_at) SELECT $1, unnest($2::uuid[]), now() - $3::interval",
        consumer,
        ids,
        age,
    )
    return ids


def record_of(topic: str, event_id: uuid.UUID) -> ConsumerRecord:
    envelope = contribution(1).model_copy(update={"event_id": event_id})
    value = envelope.to_bytes()
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=0,
        timestamp=0,
        timestamp_type=0,
        key=b"P1",
        value=value,
        checksum=None,
        serialized_key_size=2,
        serialized_value_size=len(value),
        headers=(),
    )


async def test_old_rows_go_recent_ones_stay_and_a_replay_in_the_window_is_a_duplicate(
    database_url, kafka_bootstrap, unique
):
    schema = f"prune_{unique}"
    topic = Topic(
        f"test.pruning.{unique}.v1",
        "participant_id",
        ("ContributionRecorded",),
        producer="test",
        retention_ms=2 * DAY_MS,
    )
    forever = Topic(
        f"test.pruning-forever.{unique}.v1",
        "participant_id",
        ("ContributionRecorded",),
        producer="test",
        retention_ms=-1,
    )
    await ensure_topics(kafka_bootstrap, [topic, forever], partitions=1, dead_letter_retention_ms=3 * DAY_MS)
    await apply_migrations(database_url, schema, None)
    pool = await create_pool(database_url, schema)
    try:
        # Kept: 2 days in the topic + 3 days as a dead letter + 1 day's margin = 6 days.
        old = await inbox_rows(pool, "reader", 5, timedelta(days=6, hours=1))
        recent = await inbox_rows(pool, "reader", 3, timedelta(days=5, hours=23))
        ancient = await inbox_rows(pool, "keeper", 2, timedelta(days=400))  # its topic keeps events for ever
        counted = INBOX_PRUNED.labels(schema, "reader")._value.get()

        pruned = await prune_inboxes(
            pool, kafka_bootstrap, schema, [("reader", [topic.name]), ("keeper", [forever.name])], batch=2
        )

        assert pruned == {"reader": 5}  # in three statements of at most 2 rows
        left = {r["event_id"] for r in await pool.fetch("SELECT event_id FROM inbox")}
        assert left == {*recent, *ancient} and left.isdisjoint(old)
        assert INBOX_PRUNED.labels(schema, "reader")._value.get() == counted + 5

        applied: list[uuid.UUID] = []

        async def effect(_conn, envelope, _payload) -> None:
            applied.append(envelope.event_id)

        runner = ConsumerRunner(Consumer("reader", (topic,), {"ContributionRecorded": effect}), pool, producer=None)
        # Replayed within the window: the inbox still has it, no second effect.
        assert await runner.handle(record_of(topic.name, recent[0])) == "duplicate"
        assert applied == []
    finally:
        await pool.close()


async def test_a_longer_retention_on_the_broker_keeps_rows_longer(database_url, kafka_bootstrap, unique):
    schema = f"prune_{unique}"
    topic = Topic(
        f"test.pruning-longer.{unique}.v1",
        "participant_id",
        ("ContributionRecorded",),
        producer="test",
        retention_ms=2 * DAY_MS,
    )
    await ensure_topics(kafka_bootstrap, [topic], partitions=1, dead_letter_retention_ms=3 * DAY_MS)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:  # an operator keeps the topic 10 days instead of the catalogue's 2
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic.name, configs={"retention.ms": str(10 * DAY_MS)})]
        )
    finally:
        await admin.close()
    await apply_migrations(database_url, schema, None)
    pool = await create_pool(database_url, schema)
    try:
        # Kept: 10 + 3 + 1 = 14 days.
        week_old = await inbox_rows(pool, "reader", 2, timedelta(days=7))
        await inbox_rows(pool, "reader", 1, timedelta(days=15))
        assert await prune_inboxes(pool, kafka_bootstrap, schema, [("reader", [topic.name])]) == {"reader": 1}
        assert {r["event_id"] for r in await pool.fetch("SELECT event_id FROM inbox")} == set(week_old)
    finally:
        await pool.close()
