"""`bank_notifications_seen` does not grow without bound, on the real database: X-EXTERNAL-IDs taken
longer ago than SNAP's timestamp window plus a day go, in batches; recent ones stay, so a notification
replayed within the window is still refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import services.claims
from services.claims.disbursement import repository as repo
from services.claims.disbursement.worker import SEEN_NOTIFICATIONS_KEPT
from shared.db import apply_migrations, create_pool

pytestmark = pytest.mark.integration


async def test_ids_older_than_the_window_and_a_day_are_forgotten_recent_ones_still_refuse_a_replay(
    database_url, unique
):
    schema = f"bank_seen_{unique}"
    await apply_migrations(database_url, schema, Path(services.claims.__file__).parent / "migrations")
    pool = await create_pool(database_url, schema)
    try:
        # SNAP's window is 5 minutes; a day's margin: kept for 1 day and 5 minutes.
        assert timedelta(days=1, minutes=5) == SEEN_NOTIFICATIONS_KEPT
        await pool.execute(
            "INSERT INTO bank_notifications_seen (external_id, received_at) "
            "SELECT 'old-' || i, now() - interval '1 day 6 minutes' FROM generate_series(1, 5) i "
            "UNION ALL SELECT 'recent-' || i, now() - interval '1 day 4 minutes' FROM generate_series(1, 3) i"
        )

        forgotten = await repo.forget_bank_notifications(pool, SEEN_NOTIFICATIONS_KEPT, batch=2)

        assert forgotten == 5  # in three statements of at most 2 rows
        left = {r["external_id"] for r in await pool.fetch("SELECT external_id FROM bank_notifications_seen")}
        assert left == {"recent-1", "recent-2", "recent-3"}
        async with pool.acquire() as conn:
            assert not await repo.notification_first_seen(conn, "recent-2")  # a replay is still refused
            assert await repo.notification_first_seen(conn, "old-2")  # its X-TIMESTAMP refuses it now
    finally:
        await pool.close()
