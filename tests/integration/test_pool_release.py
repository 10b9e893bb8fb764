"""A pooled connection goes back to the pool without asyncpg's reset round trip (shared/db.py),
and still without a transaction left open or a listener's LISTEN, on the real PostgreSQL."""

from __future__ import annotations

import asyncio

from shared.db import create_pool


async def test_releasing_a_connection_sends_nothing_and_an_open_transaction_is_still_rolled_back(database_url):
    pool = await create_pool(database_url, "public", min_size=1, max_size=1)
    sent: list[str] = []
    try:
        async with pool.acquire() as conn:
            conn.add_query_logger(lambda record: sent.append(record.query))
            await conn.fetchval("SELECT 1")
            # A transaction the caller forgot to close: the pool must not hand it to the next caller.
            await conn.execute("BEGIN")
            await conn.execute("CREATE TEMP TABLE IF NOT EXISTS left_open (n int)")
        assert sent[:1] == ["SELECT 1"]
        assert not any("RESET ALL" in q or "UNLISTEN" in q for q in sent), sent
        assert "ROLLBACK" in sent  # asyncpg's own part of the release
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            # The temp table was created in the rolled-back transaction: it is gone.
            assert await conn.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
    finally:
        await pool.close()


async def test_a_listener_removed_before_release_leaves_no_listen_behind(database_url):
    pool = await create_pool(database_url, "public", min_size=1, max_size=1)
    heard = asyncio.Event()
    try:
        async with pool.acquire() as conn:
            callback = lambda *_args: heard.set()  # noqa: E731
            await conn.add_listener("pool_release_test", callback)
            await conn.remove_listener("pool_release_test", callback)
        async with pool.acquire() as conn:
            # pg_listening_channels(): the channels this session listens on.
            assert await conn.fetch("SELECT pg_listening_channels()") == []
    finally:
        await pool.close()
