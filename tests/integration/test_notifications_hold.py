"""The first message of a claim held back, on the real PostgreSQL: queued with a later due time in
the statement that queues it, only the messages it queues (one already queued is left as it was)."""

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


def _row(notification_id: str, event_id: uuid.UUID, heir_id: str) -> dict:
    return {
        "notification_id": notification_id,
        "event_id": event_id,
        "about_event": "ClaimFiled",
        "claim_id": "CL-1",
        "participant_id": "P-1",
        "heir_id": heir_id,
        "channel": "whatsapp",
        "address": "+6281300000001",
        "language": "id",
        "subject": "s",
        "body": "b",
        "template": None,
        "template_params": (),
    }


async def test_only_the_messages_queued_held_are_held(pool):
    filed, other = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn:
        assert await repo.insert_notifications(conn, [_row("N-1", filed, "H-1")]) == 1
        # The same event again (a redelivery) with a second heir, held: only the new message waits.
        new = await repo.insert_notifications(
            conn, [_row("N-1b", filed, "H-1"), _row("N-2", filed, "H-2")], hold_seconds=600
        )
        assert await repo.insert_notifications(conn, [_row("N-3", other, "H-1")]) == 1
        waits = dict(
            await conn.fetch(
                "SELECT notification_id, round(extract(epoch FROM next_attempt_at - now()))::int FROM notifications"
            )
        )
    assert new == 1  # N-1b is N-1's (event, heir, channel): skipped
    # Held ten minutes from now (600 s; the statement's now() is the transaction's, so exactly 600).
    assert waits == {"N-1": 0, "N-2": 600, "N-3": 0}
