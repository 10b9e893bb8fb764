"""An event Kafka refuses does not stop the outbox: it is quarantined with its reason and the
events after it flow — on the real broker and database."""

from __future__ import annotations

import pytest
from aiokafka.errors import KafkaTimeoutError
from faststream.kafka import KafkaBroker

from shared.consuming import Consumer, ConsumerRunner, subscribe
from shared.envelope import read_envelope
from shared.kafka import EventProducer
from shared.metrics import OUTBOX_QUARANTINED
from shared.outbox import OutboxRelay, PublishFailed, add_event
from tests.support.kafka_tools import group_caught_up, read_all, wait_until
from tests.support.outbox import contribution
from tests.support.outbox import outbox_scene as scene_of

pytestmark = pytest.mark.integration


@pytest.fixture
async def outbox_scene(database_url, kafka_bootstrap, unique):
    async with scene_of(database_url, kafka_bootstrap, f"quarantine_{unique}") as scene:
        yield scene


async def test_an_oversized_event_is_quarantined_and_the_next_one_reaches_a_consumer(
    outbox_scene, kafka_bootstrap, unique
):
    schema, topic, pool, producer = outbox_scene
    before, after = contribution(1), contribution(3)
    # 1.2 MB in one field: Kafka's limit for one record is 1 MiB (1,048,576 bytes).
    oversized = contribution(2, contribution_id="C" * 1_200_000)
    async with pool.acquire() as conn, conn.transaction():
        for envelope in (before, oversized, after):
            await add_event(conn, envelope, schema, topic=topic)

    relay = OutboxRelay(pool, producer, schema, batch_size=10)
    assert await relay.publish_pending() == 2
    assert await relay.publish_pending() == 0, "nothing is left behind to retry forever"

    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    held = await pool.fetch("SELECT event_id, reason, attempts, octet_length(body) AS size FROM outbox_quarantine")
    assert [r["event_id"] for r in held] == [oversized.event_id]
    assert held[0]["reason"].startswith("refused by Kafka: MessageSizeTooLargeError")
    assert held[0]["attempts"] == 1 and held[0]["size"] > 1_200_000
    assert OUTBOX_QUARANTINED.labels(schema)._value.get() == 1

    # A consumer downstream gets the events on either side of the poison, in order.
    applied: list[str] = []

    async def apply(_conn, envelope, _payload) -> None:
        applied.append(envelope.payload["contribution_id"])

    group = f"test-quarantine-{unique}"
    broker = KafkaBroker(kafka_bootstrap, logger=None)
    subscribe(broker, ConsumerRunner(Consumer(group, (topic,), {"ContributionRecorded": apply}), pool, producer))
    await broker.start()
    try:
        await wait_until(lambda: group_caught_up(kafka_bootstrap, group, topic.name), 60, "the consumer to catch up")
    finally:
        await broker.stop()
    assert applied == ["C1", "C3"]
    assert [read_envelope(r.value).event_id for r in await read_all(kafka_bootstrap, topic.name)] == [
        before.event_id,
        after.event_id,
    ]


class RefusesOneKey(EventProducer):
    """The real producer, except that one key's records time out (a partition whose leader is
    gone, say); `outage` makes every record time out, as when the broker is away."""

    def __init__(self, bootstrap: str, bad_key: str):
        super().__init__(bootstrap, client_id="test-refuses-one-key")
        self.bad_key, self.outage = bad_key, False

    async def send_each(self, records):
        if self.outage:
            return [KafkaTimeoutError() for _ in records]
        good = [r for r in records if r.key != self.bad_key]
        outcomes = iter(await super().send_each(good))
        return [KafkaTimeoutError() if r.key == self.bad_key else next(outcomes) for r in records]


async def test_an_event_failing_while_others_pass_is_quarantined_after_max_attempts_but_an_outage_counts_nothing(
    outbox_scene, kafka_bootstrap
):
    schema, topic, pool, _ = outbox_scene
    producer = RefusesOneKey(kafka_bootstrap, bad_key="P9")
    await producer.start()
    try:
        relay = OutboxRelay(pool, producer, schema, batch_size=10, max_attempts=3)
        stuck = contribution(9)
        async with pool.acquire() as conn, conn.transaction():
            await add_event(conn, stuck, schema, topic=topic)

        producer.outage = True
        for _ in range(5):  # the broker is away: no event's fault, nothing counted, nothing moved
            async with pool.acquire() as conn, conn.transaction():
                await add_event(conn, contribution(1), schema, topic=topic)
            with pytest.raises(PublishFailed):
                await relay.publish_pending()
        assert await pool.fetchval("SELECT max(attempts) FROM outbox") == 0

        producer.outage = False
        for attempt in (1, 2):  # others pass, P9 fails: counted, still retried
            with pytest.raises(PublishFailed):
                await relay.publish_pending()
            assert await pool.fetchval("SELECT attempts FROM outbox WHERE event_id = $1", stuck.event_id) == attempt
            async with pool.acquire() as conn, conn.transaction():
                await add_event(conn, contribution(attempt + 10), schema, topic=topic)
        assert await relay.publish_pending() == 1  # third failure: moved aside, the other one published
        reason = await pool.fetchval("SELECT reason FROM outbox_quarantine WHERE event_id = $1", stuck.event_id)
        assert reason.startswith("failed 3 times while other events went through: KafkaTimeoutError")
        assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    finally:
        await producer.stop()
