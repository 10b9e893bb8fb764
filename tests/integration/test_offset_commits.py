"""A consumer group's offsets go to Kafka at most once an interval, only for records whose
transaction committed, and before a rebalance takes their partitions away (shared/offsets.py), on
the real broker and database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from faststream.kafka import KafkaBroker

from shared.consuming import Consumer, ConsumerRunner, subscribe
from shared.kafka import OutgoingRecord
from tests.support.kafka_tools import committed_offsets, end_offsets, wait_until
from tests.support.outbox import OutboxScene, contribution, outbox_scene

pytestmark = pytest.mark.integration


class Scene:
    """A topic of two partitions, a group reading it, and a table of what the group applied."""

    def __init__(self, outbox: OutboxScene, bootstrap: str):
        self.topic, self.pool, self.producer, self.bootstrap = outbox.topic, outbox.pool, outbox.producer, bootstrap
        self.group = f"test-{outbox.schema}"

    async def publish(self, first: int, count: int) -> None:
        events = [contribution(n % 7, f"C{n}") for n in range(first, first + count)]  # keys on both partitions
        await self.producer.send_all(
            [OutgoingRecord(self.topic.name, e.correlation_id, e.to_bytes(), e.kafka_headers()) for e in events]
        )

    def runner(self, interval: float) -> ConsumerRunner:
        async def apply(conn, _envelope, payload) -> None:
            await conn.execute("INSERT INTO effects VALUES ($1)", payload.contribution_id)

        consumer = Consumer(
            self.group,
            (self.topic,),
            {"ContributionRecorded": apply},
            batch_size=20,
            fetch_max_wait_ms=50,
            commit_interval_seconds=interval,
        )
        return ConsumerRunner(consumer, self.pool, self.producer)

    async def member(self, runner: ConsumerRunner) -> KafkaBroker:
        broker = KafkaBroker(self.bootstrap, logger=None)
        subscribe(broker, runner)
        await broker.start()
        return broker

    async def applied(self) -> int:
        return await self.pool.fetchval("SELECT count(*) FROM effects")

    async def committed(self) -> int:
        return sum((await committed_offsets(self.bootstrap, self.group, self.topic.name)).values())


@contextlib.asynccontextmanager
async def scene_of(database_url: str, bootstrap: str, unique: str) -> AsyncIterator[Scene]:
    async with outbox_scene(database_url, bootstrap, f"offsets_{unique}", partitions=2) as outbox:
        # No unique constraint: an event applied twice would show as two rows.
        await outbox.pool.execute("CREATE TABLE effects (contribution_id text NOT NULL)")
        yield Scene(outbox, bootstrap)


async def test_offsets_wait_for_the_interval_then_go_together(database_url, kafka_bootstrap, unique):
    async with scene_of(database_url, kafka_bootstrap, unique) as scene:
        runner = scene.runner(interval=3.0)
        broker = await scene.member(runner)
        try:
            # One record (one poll); nothing committed for an interval before it: its offset goes at once.
            await scene.publish(0, 1)
            await wait_until(lambda: _equals(scene.committed, 1), 2, "the first record committed at once")
            await scene.publish(1, 4)
            await wait_until(lambda: _equals(scene.committed, 5), 10, "the first five committed")
            requests = runner.offsets.requests

            # Eight more polls' worth within the interval: applied, but their offsets wait.
            for n in range(5, 45, 5):
                await scene.publish(n, 5)
                await asyncio.sleep(0.15)
            await wait_until(lambda: _equals(scene.applied, 45), 30, "all 45 applied")
            assert await scene.committed() == 5
            assert runner.offsets.requests == requests

            # The interval over, one request commits them all: every partition's end.
            await wait_until(lambda: _equals(scene.committed, 45), 10, "the other forty committed")
            assert runner.offsets.requests == requests + 1
            assert await committed_offsets(kafka_bootstrap, scene.group, scene.topic.name) == await end_offsets(
                kafka_bootstrap, scene.topic.name
            )
        finally:
            await runner.offsets.close()
            await broker.stop()


async def test_a_clean_stop_commits_what_waits(database_url, kafka_bootstrap, unique):
    async with scene_of(database_url, kafka_bootstrap, unique) as scene:
        runner = scene.runner(interval=60.0)
        broker = await scene.member(runner)
        await scene.publish(0, 1)
        await wait_until(lambda: _equals(scene.committed, 1), 30, "the first record committed at once")
        await scene.publish(1, 14)
        await wait_until(lambda: _equals(scene.applied, 15), 30, "all fifteen applied")
        assert await scene.committed() == 1  # the next fourteen wait for the interval
        await runner.offsets.close()  # as the service's lifespan does, before the broker stops
        await broker.stop()
        assert await scene.committed() == 15


async def test_a_rebalance_commits_the_partitions_it_takes_away(database_url, kafka_bootstrap, unique):
    async with scene_of(database_url, kafka_bootstrap, unique) as scene:
        first = scene.runner(interval=60.0)
        brokers = [await scene.member(first)]
        try:
            await scene.publish(0, 1)
            await wait_until(lambda: _equals(scene.committed, 1), 30, "the first record committed at once")
            await scene.publish(1, 29)
            await wait_until(lambda: _equals(scene.applied, 30), 30, "all thirty applied")
            assert await scene.committed() == 1  # 29 applied and waiting for an interval of a minute

            # A second member joins: the group rebalances and one partition moves to it. Without the
            # revoked partitions' offsets committed first, it would read that partition from where
            # the group last committed and meet up to 29 records the first member had applied.
            second = scene.runner(interval=60.0)
            brokers.append(await scene.member(second))
            await wait_until(lambda: _equals(scene.committed, 30), 30, "the revoked partitions' offsets committed")
            await scene.publish(30, 20)
            await wait_until(lambda: _equals(scene.applied, 50), 30, "the next twenty applied")
            await wait_until(
                lambda: _true(lambda: second.consumer.stats.get("applied", 0) > 0), 30, "the second member applying"
            )
            assert second.consumer.stats.get("duplicate", 0) == 0
            assert first.consumer.stats.get("duplicate", 0) == 0
            assert await scene.pool.fetchval("SELECT count(DISTINCT contribution_id) FROM effects") == 50
        finally:
            for runner, broker in zip((first, *([second] if len(brokers) > 1 else [])), brokers, strict=False):
                await runner.offsets.close()
                await broker.stop()


async def _equals(read, expected: int) -> bool:
    return await read() == expected


async def _true(check) -> bool:
    return check()
