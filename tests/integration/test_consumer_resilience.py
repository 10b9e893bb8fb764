"""Consumers on the real broker and database: transient PostgreSQL refusals are retried, not
dead-lettered."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest
from faststream.kafka import KafkaBroker

from shared.consuming import Consumer, ConsumerRunner, subscribe
from shared.contracts.enrollment import ContributionRecorded
from shared.db import apply_migrations, create_pool
from shared.envelope import new_envelope
from shared.kafka import EventProducer, OutgoingRecord, ensure_topics
from shared.topics import Topic
from tests.support.kafka_tools import end_offsets, group_caught_up, wait_until

pytestmark = pytest.mark.integration


class Scene:
    def __init__(self, database_url: str, bootstrap: str, unique: str):
        self.database_url, self.bootstrap = database_url, bootstrap
        self.schema = f"resil_{unique}"
        self.topic = Topic(f"test.resilience.{unique}.v1", "participant_id", ("ContributionRecorded",),
                           producer="test")
        self.group = f"test-resilience-{unique}"

    async def __aenter__(self) -> "Scene":
        await apply_migrations(self.database_url, self.schema, None)
        self.pool = await create_pool(self.database_url, self.schema)
        await self.pool.execute("CREATE TABLE effects (contribution_id text PRIMARY KEY)")
        await ensure_topics(self.bootstrap, [self.topic], partitions=1)
        self.producer = EventProducer(self.bootstrap, client_id="test-resilience")
        await self.producer.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.producer.stop()
        await self.pool.close()

    async def publish(self, *contribution_ids: str) -> None:
        records = []
        for cid in contribution_ids:
            payload = ContributionRecorded(participant_id="P1", contribution_id=cid, period="2026-11", amount=16_800,
                                           payer="self", paid_at=date(2026, 11, 24))
            envelope = new_envelope(payload, correlation_id="P1", producer="test")
            records.append(OutgoingRecord(self.topic.name, "P1", envelope.to_bytes(), envelope.kafka_headers()))
        await self.producer.send_all(records)

    async def run_until_caught_up(self, consumer: Consumer) -> None:
        broker = KafkaBroker(self.bootstrap, logger=None)
        subscribe(broker, ConsumerRunner(consumer, self.pool, self.producer))
        await broker.start()
        try:
            await wait_until(lambda: group_caught_up(self.bootstrap, self.group, self.topic.name), 60,
                             "the consumer to commit every offset")
        finally:
            await broker.stop()

    async def effects(self) -> list[str]:
        return [r["contribution_id"] for r in await self.pool.fetch("SELECT contribution_id FROM effects ORDER BY 1")]

    async def dead_letters(self) -> int:
        return sum((await end_offsets(self.bootstrap, self.topic.dlq)).values())


@pytest.mark.parametrize("refusal", [
    asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
    asyncpg.exceptions.SerializationError("could not serialize access due to concurrent update"),
    asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
], ids=["deadlock", "serialization", "too-many-connections"])
async def test_a_transient_postgresql_refusal_is_retried_not_dead_lettered(database_url, kafka_bootstrap, unique,
                                                                           refusal):
    async with Scene(database_url, kafka_bootstrap, unique) as scene:
        refusals = [refusal] * 4  # more than max_attempts: a handler failure this would dead-letter

        async def apply(conn, _envelope, payload) -> None:
            if refusals:
                raise refusals.pop()
            await conn.execute("INSERT INTO effects VALUES ($1)", payload.contribution_id)

        await scene.publish("C1", "C2")
        consumer = Consumer(scene.group, scene.topic, {"ContributionRecorded": apply}, max_attempts=3,
                            backoff_seconds=0.01)
        await scene.run_until_caught_up(consumer)
        assert await scene.effects() == ["C1", "C2"]
        assert await scene.dead_letters() == 0
        assert consumer.stats == {"applied": 2}


async def test_a_real_lock_timeout_is_retried_until_the_lock_is_free(database_url, kafka_bootstrap, unique):
    async with Scene(database_url, kafka_bootstrap, unique) as scene:
        await scene.pool.execute("CREATE TABLE ledger (id int PRIMARY KEY, total int NOT NULL)")
        await scene.pool.execute("INSERT INTO ledger VALUES (1, 0)")
        holder = await asyncpg.connect(database_url)
        holding = holder.transaction()
        await holding.start()
        await holder.execute(f'SELECT 1 FROM "{scene.schema}".ledger WHERE id = 1 FOR UPDATE')
        timeouts = 0

        async def apply(conn, _envelope, payload) -> None:
            nonlocal timeouts
            await conn.execute("SET LOCAL lock_timeout = '50ms'")
            try:
                await conn.execute("UPDATE ledger SET total = total + $1 WHERE id = 1", payload.amount)
            except asyncpg.exceptions.LockNotAvailableError:
                timeouts += 1
                if timeouts == 5:  # the other transaction ends; the next try gets the lock
                    await holding.rollback()
                raise
            await conn.execute("INSERT INTO effects VALUES ($1)", payload.contribution_id)

        try:
            await scene.publish("C1")
            consumer = Consumer(scene.group, scene.topic, {"ContributionRecorded": apply}, max_attempts=3,
                                backoff_seconds=0.01)
            await scene.run_until_caught_up(consumer)
        finally:
            await holder.close()
        assert timeouts == 5
        assert await scene.effects() == ["C1"]
        assert await scene.pool.fetchval("SELECT total FROM ledger") == 16_800
        assert await scene.dead_letters() == 0
