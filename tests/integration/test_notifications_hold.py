"""repository.hold on the real PostgreSQL: the first message of a claim is held back, only the
event's messages still pending are moved, and it finds them through the event's own index."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from services.notifications import repository as repo
from shared.db import apply_migrations, create_pool
from tests.support.stack import REPO

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_url):
    schema = f"hold_{uuid.uuid4().hex[:8]}"
    await apply_migrations(database_url, schema, REPO / "services" / "notifications" / "migrations")
    pool = await create_pool(database_url, schema)
    yield pool
    await pool.close()
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await conn.close()


async def _message(conn, notification_id: str, event_id: uuid.UUID, heir_id: str, status: str) -> None:
    await conn.execute(
        "INSERT INTO notifications (notification_id, event_id, about_event, claim_id, participant_id, heir_id, "
        "channel, address, language, subject, body, status) "
        "VALUES ($1, $2, 'ClaimFiled', 'CL-1', 'P-1', $3, 'whatsapp', '0813', 'id', 's', 'b', $4)",
        notification_id,
        event_id,
        heir_id,
        status,
    )


async def test_only_the_events_pending_messages_are_held(pool):
    filed, other = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn:
        await _message(conn, "N-1", filed, "H-1", "pending")
        await _message(conn, "N-2", filed, "H-2", "pending")
        await _message(conn, "N-3", filed, "H-3", "delivered")
        await _message(conn, "N-4", other, "H-1", "pending")

        await repo.hold(conn, filed, 600)

        waits = dict(
            await conn.fetch(
                "SELECT notification_id, round(extract(epoch FROM next_attempt_at - now()))::int FROM notifications"
            )
        )
        # Held ten minutes from now (600 s; the statement's now() is the transaction's, so exactly 600).
        assert waits == {"N-1": 600, "N-2": 600, "N-3": 0, "N-4": 0}

        # With a backlog of pending messages the planner's statistics never saw, the event's own index
        # is still the way in (not notifications_due, which would read the whole backlog).
        for i in range(2000):
            await _message(conn, f"N-b{i}", uuid.uuid4(), "H-1", "pending")
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + repo.HOLD, filed, 600))
        assert "notifications_event_id_heir_id_channel_key" in plan, plan
        assert "notifications_due" not in plan, plan
