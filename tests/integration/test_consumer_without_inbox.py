"""A consumer whose handler is its own inbox (shared.consuming.Consumer.inbox=False, the console's
index), on real PostgreSQL: it writes no inbox row, so a redelivered record goes to the handler
again and the handler's own key keeps it from doubling; a handler of it that waits is passed over,
never parked (nothing would hold its key's later records behind it)."""

from __future__ import annotations

import pytest

from shared.consuming import Batched, Consumer, ConsumerRunner, NotYet
from shared.db import apply_migrations, create_pool
from shared.topics import Topic
from tests.support.kafka_tools import contribution_paid, record_carrying

pytestmark = pytest.mark.integration

TOPIC = Topic("test.no-inbox.v1", "participant_id", ("ContributionRecorded",), producer="test")
WAITS = 7  # a contribution of this amount waits (a handler that should never)


@pytest.fixture
async def pool(database_url, unique):
    schema = f"no_inbox_{unique}"
    await apply_migrations(database_url, schema, None)
    pool = await create_pool(database_url, schema)
    await pool.execute("CREATE TABLE effects (contribution_id text PRIMARY KEY, calls integer NOT NULL DEFAULT 1)")
    yield pool
    await pool.close()


async def test_a_consumer_without_an_inbox_hands_a_redelivery_to_its_handler_and_writes_no_inbox_row(pool):
    calls: list[list[str]] = []

    async def together(conn, deliveries) -> None:
        calls.append([d.payload.contribution_id for d in deliveries])
        for d in deliveries:
            if d.payload.amount == WAITS:
                raise NotYet("a prerequisite", waiting_for=("CoverageChanged",))
        # Keyed by the contribution: a second delivery counts a call and adds no row.
        await record_effects(conn, [d.payload.contribution_id for d in deliveries])

    async def record_effects(conn, ids: list[str]) -> None:
        await conn.execute(
            "INSERT INTO effects (contribution_id) SELECT unnest($1::text[]) "
            "ON CONFLICT (contribution_id) DO UPDATE SET calls = effects.calls + 1",
            ids,
        )

    consumer = Consumer(
        "test.no-inbox", (TOPIC,), {"ContributionRecorded": Batched(together)}, dead_letters=False, inbox=False
    )
    runner = ConsumerRunner(consumer, pool, producer=None)
    records = [record_carrying(TOPIC.name, n, contribution_paid(f"C{n}", f"P{n}"), f"P{n}") for n in range(3)]
    await runner.apply_batch(records)
    await runner.apply_batch(records)  # the same records again: the process died before its offset commit

    assert calls == [["C0", "C1", "C2"], ["C0", "C1", "C2"]]
    assert consumer.stats == {"applied": 6}
    rows = await pool.fetch("SELECT contribution_id, calls FROM effects ORDER BY contribution_id")
    assert [tuple(r) for r in rows] == [("C0", 2), ("C1", 2), ("C2", 2)]
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 0

    # A handler that waits: the batch falls back to one record at a time, and the waiting one is
    # passed over (logged and counted: an observer dead-letters nothing), not parked.
    waiting = record_carrying(TOPIC.name, 3, contribution_paid("C3", "P3", amount=WAITS), "P3")
    after = record_carrying(TOPIC.name, 4, contribution_paid("C4", "P3"), "P3")
    await runner.apply_batch([waiting, after])
    assert await pool.fetchval("SELECT count(*) FROM waiting") == 0
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 0
    assert [r["contribution_id"] for r in await pool.fetch("SELECT contribution_id FROM effects ORDER BY 1")] == [
        "C0",
        "C1",
        "C2",
        "C4",
    ]
    assert consumer.stats == {"applied": 7, "dead_lettered": 1}
