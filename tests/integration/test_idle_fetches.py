"""A batching consumer on the real broker: idle, it sends quiet fetch requests (answered at the first
record, an empty one held longer); its first poll with records sets batching fetches back, and the
record is applied (shared/fetch_pace.py). The requests are the ones aiokafka builds and sends."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka.consumer import fetcher as aiokafka_fetcher
from faststream.kafka import KafkaBroker

from shared.consuming import Consumer, ConsumerRunner, subscribe
from shared.kafka import OutgoingRecord
from tests.support.kafka_tools import wait_until
from tests.support.outbox import contribution, outbox_scene

pytestmark = pytest.mark.integration

BATCHING = (100, 65536)
QUIET = (400, 1)


async def test_an_idle_consumer_fetches_quietly_and_batches_again_when_records_come(
    database_url, kafka_bootstrap, unique, monkeypatch
):
    built: list[tuple[float, tuple[int, int]]] = []  # (when, (max wait ms, min bytes)) of this test's topic
    original = aiokafka_fetcher.FetchRequest

    async with outbox_scene(database_url, kafka_bootstrap, f"pace_{unique}", partitions=1) as scene:
        topic = scene.topic.name

        def recording(max_wait_ms, min_bytes, *args, **kwargs):
            topics = args[2] if len(args) > 2 else kwargs.get("topics", [])
            if any(name == topic for name, _ in topics):
                built.append((time.monotonic(), (max_wait_ms, min_bytes)))
            return original(max_wait_ms, min_bytes, *args, **kwargs)

        monkeypatch.setattr(aiokafka_fetcher, "FetchRequest", recording)
        await scene.pool.execute("CREATE TABLE effects (contribution_id text NOT NULL)")

        async def apply(conn, _envelope, payload) -> None:
            await conn.execute("INSERT INTO effects VALUES ($1)", payload.contribution_id)

        consumer = Consumer(
            f"test-{scene.schema}",
            (scene.topic,),
            {"ContributionRecorded": apply},
            batch_size=20,
            fetch_max_wait_ms=BATCHING[0],
            fetch_min_bytes=BATCHING[1],
            idle_after_seconds=0.5,
            idle_fetch_max_wait_ms=QUIET[0],
        )
        runner = ConsumerRunner(consumer, scene.pool, scene.producer)
        broker = KafkaBroker(kafka_bootstrap, logger=None)
        subscribe(broker, runner)
        assert runner.pace is not None
        await broker.start()
        pacing = asyncio.create_task(runner.pace.run())
        try:
            await wait_until(lambda: _some(built, BATCHING), 30, "the consumer's first fetches, batching")
            await wait_until(lambda: _some(built, QUIET), 10, "quiet fetches once idle")
            quiet_from = next(at for at, fetch in built if fetch == QUIET)
            # Idle: every request after the first quiet one is quiet, and they come no faster than the
            # broker holds them (a batching consumer would have sent one every 100 ms).
            await asyncio.sleep(2.0)
            idle = [fetch for at, fetch in built if at >= quiet_from]
            assert set(idle) == {QUIET}, idle
            assert len(idle) <= 2.0 / (QUIET[0] / 1000) + 2, len(idle)

            event = contribution(1, "C-pace-1")
            arrived = time.monotonic()
            await scene.producer.send_all(
                [OutgoingRecord(topic, event.correlation_id, event.to_bytes(), event.kafka_headers())]
            )
            await wait_until(_applied(scene.pool, 1), 10, "the record applied")
            # Batching again once the poll with the record was handled.
            await wait_until(
                lambda: _some([(at, f) for at, f in built if at > arrived], BATCHING),
                10,
                "batching fetches after the record",
            )
        finally:
            pacing.cancel()
            await broker.stop()
        assert await scene.pool.fetchval("SELECT count(*) FROM effects") == 1


async def _some(built: list[tuple[float, tuple[int, int]]], fetch: tuple[int, int]) -> bool:
    return any(f == fetch for _, f in built)


def _applied(pool, count: int):
    async def check() -> bool:
        return await pool.fetchval("SELECT count(*) FROM effects") == count

    return check
