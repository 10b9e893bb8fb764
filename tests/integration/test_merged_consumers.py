"""Two consumers of one topic merged into one group, and two consumers of a topic each merged into
one group reading both, on the real broker and database: the merged consumer starts where the former
groups stopped, with their inbox and parked messages, and applies every event once: none again, none
skipped (shared/merged_groups.py, shared/migrations/0004_merged_consumers.sql)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker

from services.claims import app as claims_app
from services.claims.settings import ClaimsSettings
from services.console.consumers import index_consumers
from services.enrollment import app as enrollment_app
from services.enrollment.settings import EnrollmentSettings
from services.grievances import app as grievances_app
from services.grievances.settings import GrievancesSettings
from services.notifications import app as notifications_app
from services.notifications.settings import NotificationsSettings
from shared.consuming import Consumer, ConsumerRunner, subscribe
from shared.contracts.enrollment import ContributionRecorded, CoverageChanged
from shared.db import apply_migrations, create_pool
from shared.envelope import new_envelope
from shared.inbox import first_deliveries, first_delivery
from shared.kafka import EventProducer, OutgoingRecord, ensure_topics
from shared.merged_groups import delete_former_groups, start_where_former_groups_stopped
from shared.topics import Topic
from tests.support.kafka_tools import committed_offsets, group_caught_up, wait_until
from tests.support.schemas import migrated_pool

pytestmark = pytest.mark.integration


class Scene:
    def __init__(self, database_url: str, bootstrap: str, unique: str):
        self.database_url, self.bootstrap = database_url, bootstrap
        self.schema = f"merged_{unique}"
        self.topic = Topic(
            f"test.merged.{unique}.v1", "participant_id", ("ContributionRecorded", "CoverageChanged"), producer="test"
        )
        # A second topic, for the merge of groups that read a topic each.
        self.other = Topic(
            f"test.merged.{unique}.other.v1",
            "participant_id",
            ("ContributionRecorded", "CoverageChanged"),
            producer="test",
        )
        self.paid, self.covered, self.merged = (f"test-merged-{unique}.{n}" for n in ("paid", "covered", "both"))

    async def __aenter__(self) -> Scene:
        await apply_migrations(self.database_url, self.schema, None)
        self.pool = await create_pool(self.database_url, self.schema)
        # No unique constraint: an event applied twice shows as two rows.
        await self.pool.execute("CREATE TABLE effects (label text NOT NULL, consumer text NOT NULL)")
        await ensure_topics(self.bootstrap, [self.topic, self.other], partitions=1)
        self.producer = EventProducer(self.bootstrap, client_id="test-merged")
        await self.producer.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.producer.stop()
        await self.pool.close()

    async def publish(self, *labels: str, topic: Topic | None = None) -> None:
        """X… a contribution (read by the `paid` consumer), Y… a coverage change (the `covered` one);
        on the scene's topic unless another is named."""
        records = []
        for label in labels:
            payload = (
                ContributionRecorded(
                    participant_id="P1",
                    contribution_id=label,
                    period="2026-11",
                    amount=16_800,
                    payer="self",
                    paid_at=date(2026, 11, 24),
                )
                if label.startswith("X")
                else CoverageChanged(participant_id=label, status="active", as_of=date(2026, 11, 24))
            )
            envelope = new_envelope(payload, correlation_id="P1", producer="test")
            records.append(
                OutgoingRecord((topic or self.topic).name, "P1", envelope.to_bytes(), envelope.kafka_headers())
            )
        await self.producer.send_all(records)

    def handler(self, consumer: str):
        async def apply(conn, _envelope, payload) -> None:
            label = payload.contribution_id if isinstance(payload, ContributionRecorded) else payload.participant_id
            await conn.execute("INSERT INTO effects VALUES ($1, $2)", label, consumer)

        return apply

    def paid_consumer(self, topic: Topic | None = None) -> Consumer:
        return Consumer(self.paid, (topic or self.topic,), {"ContributionRecorded": self.handler("paid")})

    def covered_consumer(self, topic: Topic | None = None) -> Consumer:
        return Consumer(self.covered, (topic or self.topic,), {"CoverageChanged": self.handler("covered")})

    async def run_until_caught_up(self, *consumers: Consumer) -> None:
        broker = KafkaBroker(self.bootstrap, logger=None)
        for consumer in consumers:
            subscribe(broker, ConsumerRunner(consumer, self.pool, self.producer))
        await broker.start()
        try:
            for consumer in consumers:
                for topic in consumer.topic_names:
                    await wait_until(
                        lambda c=consumer, t=topic: group_caught_up(self.bootstrap, c.name, t),
                        60,
                        f"{consumer.name} to commit every offset of {topic}",
                    )
        finally:
            await broker.stop()

    async def effects(self) -> list[tuple[str, str]]:
        rows = await self.pool.fetch("SELECT label, consumer FROM effects ORDER BY label, consumer")
        return [(r["label"], r["consumer"]) for r in rows]


@pytest.mark.parametrize("batch_size", [1, 10], ids=["one-at-a-time", "batched"])
async def test_the_merged_group_starts_where_the_former_ones_stopped(database_url, kafka_bootstrap, unique, batch_size):
    async with Scene(database_url, kafka_bootstrap, unique) as scene:
        # Offsets 0-3, read by both former consumers.
        await scene.publish("X1", "Y1", "X2", "Y2")
        await scene.run_until_caught_up(scene.paid_consumer(), scene.covered_consumer())
        # Offsets 4-5, read by `paid` only: `covered` is two behind when the upgrade comes.
        await scene.publish("X3", "Y3")
        await scene.run_until_caught_up(scene.paid_consumer())
        # Offsets 6-7, published while both are down for the upgrade.
        await scene.publish("X4", "Y4")

        await scene.pool.execute("SELECT merge_consumers($1::text[], $2)", [scene.paid, scene.covered], scene.merged)
        merged = Consumer(
            scene.merged,
            (scene.topic,),
            {"ContributionRecorded": scene.handler("merged"), "CoverageChanged": scene.handler("merged")},
            batch_size=batch_size,
            formerly=dict.fromkeys((scene.paid, scene.covered), scene.topic),
        )
        # The lower of the two: `paid` stopped at 6, `covered` at 4.
        assert await start_where_former_groups_stopped(kafka_bootstrap, merged) == {scene.topic.name: {0: 4}}
        assert await committed_offsets(kafka_bootstrap, scene.merged, scene.topic.name) == {0: 4}
        await scene.run_until_caught_up(merged)

        assert await scene.effects() == [
            ("X1", "paid"),
            ("X2", "paid"),
            ("X3", "paid"),
            ("X4", "merged"),
            ("Y1", "covered"),
            ("Y2", "covered"),
            ("Y3", "merged"),
            ("Y4", "merged"),
        ]
        # It read from offset 4 on, not the whole topic: X3 (offset 4) was the one duplicate.
        assert merged.stats == {"applied": 3, "duplicate": 1}

        # Started again, the group has its own offsets: nothing is carried over a second time.
        assert await start_where_former_groups_stopped(kafka_bootstrap, merged) == {}
        # The former groups are deleted (their lag would grow on the console for ever).
        assert await delete_former_groups(kafka_bootstrap, merged) == []
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            groups = {group for group, _protocol in await admin.list_consumer_groups()}
        finally:
            await admin.close()
        assert scene.merged in groups
        assert not {scene.paid, scene.covered} & groups


async def test_without_former_offsets_the_merged_group_starts_from_the_earliest(database_url, kafka_bootstrap, unique):
    async with Scene(database_url, kafka_bootstrap, unique) as scene:
        await scene.publish("X1", "Y1")
        # Only `paid` ever ran: `covered` would have read the topic from its beginning.
        await scene.run_until_caught_up(scene.paid_consumer())
        await scene.pool.execute("SELECT merge_consumers($1::text[], $2)", [scene.paid, scene.covered], scene.merged)
        merged = Consumer(
            scene.merged,
            (scene.topic,),
            {"ContributionRecorded": scene.handler("merged"), "CoverageChanged": scene.handler("merged")},
            formerly=dict.fromkeys((scene.paid, scene.covered), scene.topic),
        )
        assert await start_where_former_groups_stopped(kafka_bootstrap, merged) == {}
        await scene.run_until_caught_up(merged)
        assert await scene.effects() == [("X1", "paid"), ("Y1", "merged")]
        assert merged.stats == {"applied": 1, "duplicate": 1}


async def test_groups_that_read_a_topic_each_merge_into_one_group_reading_both(database_url, kafka_bootstrap, unique):
    async with Scene(database_url, kafka_bootstrap, unique) as scene:
        # `paid` reads the scene's topic, `covered` the other one.
        await scene.publish("X1", "X2")
        await scene.publish("Y1", topic=scene.other)
        await scene.run_until_caught_up(scene.paid_consumer(), scene.covered_consumer(scene.other))
        # Published while both are down for the upgrade: X3 at offset 2 of the first topic, Y2 at
        # offset 1 of the other.
        await scene.publish("X3")
        await scene.publish("Y2", topic=scene.other)
        # And a third topic neither former group read: the merged group reads it from its start.
        third = Topic(f"test.merged.{unique}.third.v1", "participant_id", ("ContributionRecorded",), producer="test")
        await ensure_topics(kafka_bootstrap, [third], partitions=1)
        await scene.publish("X9", topic=third)

        await scene.pool.execute("SELECT merge_consumers($1::text[], $2)", [scene.paid, scene.covered], scene.merged)
        merged = Consumer(
            scene.merged,
            (scene.topic, scene.other, third),
            {"ContributionRecorded": scene.handler("merged"), "CoverageChanged": scene.handler("merged")},
            batch_size=10,
            formerly={scene.paid: scene.topic, scene.covered: scene.other},
        )
        # Each topic where its own former reader stopped; the third is not named (earliest).
        assert await start_where_former_groups_stopped(kafka_bootstrap, merged) == {
            scene.topic.name: {0: 2},
            scene.other.name: {0: 1},
        }
        await scene.run_until_caught_up(merged)

        assert await scene.effects() == [
            ("X1", "paid"),
            ("X2", "paid"),
            ("X3", "merged"),
            ("X9", "merged"),
            ("Y1", "covered"),
            ("Y2", "merged"),
        ]
        # Nothing read twice: the two former groups' offsets were carried over exactly.
        assert merged.stats == {"applied": 3}
        assert await delete_former_groups(kafka_bootstrap, merged) == []


def test_a_consumer_cannot_take_the_place_of_a_group_on_a_topic_it_does_not_read():
    topic = Topic("test.merged.a.v1", "participant_id", ("ContributionRecorded",), producer="test")
    other = Topic("test.merged.b.v1", "participant_id", ("ContributionRecorded",), producer="test")
    with pytest.raises(ValueError, match="test.merged.b.v1"):
        Consumer("merged", (topic,), {}, formerly={"former": other})
    with pytest.raises(ValueError, match="reads no topic"):
        Consumer("merged", (), {})


async def test_merging_carries_the_inbox_and_the_parked_messages_over(database_url, unique):
    schema = f"merged_db_{unique}"
    await apply_migrations(database_url, schema, None)
    pool = await create_pool(database_url, schema)
    try:
        e1, e2, e3, e4 = (uuid.uuid4() for _ in range(4))
        await pool.execute(
            "INSERT INTO inbox (consumer, event_id, traceparent) VALUES ('a', $1, 't1'), ('a', $2, NULL), "
            "('b', $3, NULL), ('other', $4, NULL)",
            e1,
            e2,
            e3,
            e4,
        )
        # Parked by the two consumers, the later offset first: the merged consumer's ids follow the offsets.
        for consumer, offset in (("a", 5), ("b", 3), ("a", 8)):
            await pool.execute(
                'INSERT INTO waiting (consumer, key, topic, "partition", "offset", timestamp_ms, headers, value, '
                "event_type, reason) VALUES ($1, 'K', 't', 0, $2, 0, '[]'::jsonb, '\\x00'::bytea, 'T', 'r')",
                consumer,
                offset,
            )
        for _ in range(2):  # a second run changes nothing
            await pool.execute("SELECT merge_consumers(ARRAY['a', 'b'], 'ab')")
        inbox = await pool.fetch("SELECT consumer, event_id, traceparent FROM inbox ORDER BY consumer, traceparent")
        assert sorted((r["consumer"], r["event_id"], r["traceparent"]) for r in inbox) == sorted(
            [("ab", e1, "t1"), ("ab", e2, None), ("ab", e3, None), ("other", e4, None)]
        )
        parked = await pool.fetch('SELECT consumer, "offset" FROM waiting ORDER BY id')
        assert [(r["consumer"], r["offset"]) for r in parked] == [("ab", 3), ("ab", 5), ("ab", 8)]
    finally:
        await pool.close()


async def test_a_former_consumer_still_running_applies_nothing_the_merged_one_applied(database_url, unique):
    """A rolling upgrade (or a rollback): a process of the former version beside the merged one."""
    schema = f"merged_roll_{unique}"
    await apply_migrations(database_url, schema, None)
    pool = await create_pool(database_url, schema)
    try:
        await pool.execute("SELECT merge_consumers(ARRAY['a', 'b'], 'ab')")
        by_former, by_merged, in_batch = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        async with pool.acquire() as conn:
            assert await first_delivery(conn, "a", by_former)
            assert not await first_delivery(conn, "ab", by_former)  # the merged one finds it applied
            assert not await first_delivery(conn, "a", by_former)  # and so does a redelivery to the former
            assert await first_delivery(conn, "ab", by_merged)
            assert not await first_delivery(conn, "b", by_merged)  # the former one finds it applied
            assert await first_deliveries(conn, "b", [by_merged, in_batch]) == {in_batch}
            assert not await first_delivery(conn, "ab", in_batch)
            assert await first_delivery(conn, "other", by_merged)  # other consumers are not concerned
            # A message the former one parks is the merged one's to apply too (it may start past it).
            await conn.execute(
                'INSERT INTO waiting (consumer, key, topic, "partition", "offset", timestamp_ms, headers, value, '
                "event_type, reason) VALUES ('a', 'K', 't', 0, 9, 0, '[]'::jsonb, '\\x00'::bytea, 'T', 'r')"
            )
            parked = await conn.fetch('SELECT consumer, "offset" FROM waiting ORDER BY consumer')
        assert [(r["consumer"], r["offset"]) for r in parked] == [("a", 9), ("ab", 9)]
    finally:
        await pool.close()


@pytest.mark.parametrize(
    ("service", "consumers"),
    [
        ("claims", lambda _schema: claims_app.consumers(ClaimsSettings())),
        ("enrollment", lambda _schema: enrollment_app.consumers(EnrollmentSettings())),
        ("notifications", lambda _schema: notifications_app.consumers(NotificationsSettings())),
        ("grievances", lambda _schema: grievances_app.consumers(GrievancesSettings())),
        # The console's groups are named after its schema.
        ("console", index_consumers),
    ],
)
async def test_each_service_migration_merges_what_its_consumers_were(database_url, unique, service, consumers):
    schema = f"{service}_merge_{unique}"
    async with migrated_pool(database_url, service, schema) as pool:
        rows = await pool.fetch("SELECT former, merged FROM merged_consumers ORDER BY former")
    formerly = sorted((former, c.name) for c in consumers(schema) for former in c.formerly)
    assert [(r["former"], r["merged"]) for r in rows] == formerly
    assert formerly  # each of these services merged consumers
