"""PostgreSQL killed with SIGKILL and restarted under a running service's loops (the chaos run's
fault): what was woken by NOTIFY is woken by NOTIFY again, not left to its slow poll.

Each test runs its own PostgreSQL (the session's is shared by every other test and must not die)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from deploy.local.postgres import PostgresNode
from shared.contracts.enrollment import ContributionRecorded
from shared.db import apply_migrations, create_pool, keep_listening
from shared.envelope import new_envelope
from shared.kafka import EventProducer, ensure_topics
from shared.outbox import OutboxRelay, add_event
from shared.topics import Topic
from tests.support.kafka_tools import read_all, wait_until
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

# Far longer than any wait below: a loop that is only polled again after this did not hear the NOTIFY.
SLOW_POLL_SECONDS = 300.0


@pytest.fixture
async def postgres() -> AsyncIterator[PostgresNode]:
    # Not under pytest's tmp_path: another pytest run starting meanwhile sets its root back to 0700,
    # and PostgreSQL's own user could no longer reach its data (as deploy.local.postgres.temporary_cluster).
    with tempfile.TemporaryDirectory(prefix="jaring-pgkill-") as tmp:
        # Durable (fast=False): with synchronous_commit off a SIGKILL loses the last commits, and the
        # relay's deletion of a published row with them (the row would be published again).
        node = PostgresNode(Path(tmp) / "data", free_port(), fast=False)
        await asyncio.to_thread(node.init)
        await asyncio.to_thread(node.start, Path(tmp) / "pg.log")
        try:
            await node.wait_ready(60)
            await node.ensure_database("jaring")
            yield node
        finally:
            await asyncio.to_thread(node.stop)


async def _kill_and_restart(node: PostgresNode) -> None:
    assert await asyncio.to_thread(node.kill), "PostgreSQL should have been running"
    await asyncio.to_thread(node.start, node.log_file)
    await node.wait_ready(60)


async def _until_written(pool: asyncpg.Pool, write) -> None:
    """Right after a restart the pool may still hand out a connection that died with the server."""
    deadline = time.monotonic() + 30
    while True:
        try:
            async with pool.acquire() as conn, conn.transaction():
                await write(conn)
            return
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_a_listener_hears_notify_again_after_postgres_is_killed(postgres: PostgresNode) -> None:
    pool = await create_pool(postgres.url("jaring"), "public")
    calls: list[tuple[object, ...]] = []

    def called(count: int):
        async def check() -> bool:
            return len(calls) >= count

        return check

    def on_notify(*args: object) -> None:
        calls.append(args)

    listening = asyncio.create_task(keep_listening(pool, "jaring_test_due", on_notify, retry_seconds=0.2))
    try:
        await wait_until(called(1), 30, "the first LISTEN")
        await _until_written(pool, lambda conn: conn.execute("SELECT pg_notify('jaring_test_due', 'before')"))
        await wait_until(called(2), 10, "the NOTIFY before the kill")
        assert [c[2:] for c in calls] == [(), ("jaring_test_due", "before")], "the catch-up call, then the NOTIFY"

        await _kill_and_restart(postgres)
        await wait_until(called(3), 30, "the LISTEN after the restart (its catch-up call)")
        await _until_written(pool, lambda conn: conn.execute("SELECT pg_notify('jaring_test_due', 'after')"))
        await wait_until(called(4), 10, "the NOTIFY after the restart")
        assert [c[2:] for c in calls[2:]] == [(), ("jaring_test_due", "after")], "heard again after the restart"
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await pool.close()


async def test_the_outbox_relay_is_woken_by_notify_after_postgres_is_killed(
    postgres: PostgresNode, kafka_bootstrap: str, unique: str
) -> None:
    schema = f"pgkill_{unique}"
    topic = Topic(f"test.pgkill.{unique}.v1", "participant_id", ("ContributionRecorded",), producer="test")
    await apply_migrations(postgres.url("jaring"), schema, None)
    await ensure_topics(kafka_bootstrap, [topic], partitions=1)
    pool = await create_pool(postgres.url("jaring"), schema)
    producer = EventProducer(kafka_bootstrap, client_id="test-producer")
    await producer.start()
    # Polled only every 300 s: an event published within the waits below was woken by its NOTIFY.
    relay = OutboxRelay(pool, producer, schema, poll_seconds=SLOW_POLL_SECONDS)
    task = asyncio.create_task(relay.run())

    def event(n: int):
        payload = ContributionRecorded(
            participant_id="P1",
            contribution_id=f"C{n}",
            period="2026-11",
            amount=16_800,
            payer="self",
            paid_at=date(2026, 11, 24),
        )
        return new_envelope(payload, correlation_id="P1", producer="test")

    async def outbox_empty() -> bool:
        try:
            return await pool.fetchval("SELECT count(*) FROM outbox") == 0
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
            return False

    async def started() -> bool:
        return relay.running

    try:
        await wait_until(started, 30, "the relay to start")
        await _until_written(pool, lambda conn: add_event(conn, event(1), schema, topic=topic))
        await wait_until(outbox_empty, 20, "the relay to publish the event it was notified of")

        await _kill_and_restart(postgres)
        await _until_written(pool, lambda conn: add_event(conn, event(2), schema, topic=topic))
        await wait_until(outbox_empty, 20, "the relay to publish the first event written after the restart")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop()
        await pool.close()
    published = await read_all(kafka_bootstrap, topic.name)
    assert len(published) == 2, "one event before the kill and one after, each published once"
