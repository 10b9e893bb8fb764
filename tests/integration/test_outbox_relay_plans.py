"""The relay reads and deletes by the outbox's index however empty the outbox was when its statements
were first planned: after a burst leaves thousands of deleted rows not yet vacuumed, a round reads a
tenth of the outbox's pages or fewer, not all of them (shared.outbox.OutboxRelay.publish_pending) — on
the real database."""

from __future__ import annotations

import pytest

from shared.outbox import OutboxRelay, add_event
from tests.support.outbox import contribution, outbox_scene

pytestmark = pytest.mark.integration

DELETED_ROWS = 30_000


async def pages_read(conn, schema: str) -> int:
    """Pages of the outbox and its indexes read so far, as PostgreSQL counts them."""
    await conn.execute("SELECT pg_stat_force_next_flush()")  # this session's counts, reported now
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    return await conn.fetchval(
        "SELECT heap_blks_hit + heap_blks_read + coalesce(idx_blks_hit, 0) + coalesce(idx_blks_read, 0) "
        "FROM pg_statio_user_tables WHERE schemaname = $1 AND relname = 'outbox'",
        schema,
    )


async def test_a_round_after_a_burst_reads_a_few_pages_of_the_outbox(database_url, kafka_bootstrap, unique):
    # One connection: the relay's statements are planned and cached on it, and its page counts are read there.
    async with outbox_scene(database_url, kafka_bootstrap, f"relayplans_{unique}", pool_size=1) as scene:
        schema, topic, pool, producer = scene
        relay = OutboxRelay(pool, producer, schema, batch_size=500)
        await pool.execute("ALTER TABLE outbox SET (autovacuum_enabled = false)")  # the deleted rows stay
        await pool.execute("ANALYZE outbox")  # what PostgreSQL knows of it: empty
        n = 0
        for _ in range(8):  # quiet rounds, an event each: the statements are planned for a small outbox
            n += 1
            async with pool.acquire() as conn, conn.transaction():
                await add_event(conn, contribution(n), schema, topic=topic)
            assert await relay.publish_pending() == 1
        # A burst the relay published and deleted: thousands of dead rows, vacuum not yet come.
        async with pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO outbox (event_id, topic, key, event_type, headers, body) "
                "SELECT gen_random_uuid(), $1, 'P0', 'ContributionRecorded', '{}'::jsonb, "
                "convert_to(repeat('x', 400), 'UTF8') FROM generate_series(1, $2)",
                topic.name,
                DELETED_ROWS,
            )
            await conn.execute("DELETE FROM outbox")
            outbox_pages = await conn.fetchval("SELECT pg_relation_size('outbox') / current_setting('block_size')::int")
        assert outbox_pages > 1_000
        read = []
        for _ in range(3):
            n += 1
            async with pool.acquire() as conn, conn.transaction():
                await add_event(conn, contribution(n), schema, topic=topic)
            async with pool.acquire() as conn:
                before = await pages_read(conn, schema)
            assert await relay.publish_pending() == 1
            async with pool.acquire() as conn:
                read.append(await pages_read(conn, schema) - before)
        # The first round after the burst walks the dead rows once (the index learns they are dead);
        # the next ones read the index's leaf pages of dead entries (~90 here) and a few more. With the
        # plan cached for an empty outbox, a sequential scan, every round read every page (2,089 here).
        assert all(pages < outbox_pages / 10 for pages in read[1:]), (read, outbox_pages)
