"""bench/seed.py on the real PostgreSQL: the shapes bench/data_scale.py measures against, written
set-based into schemas of this test's own, and read by the services' own queries."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from bench.seed import seed
from services.claims import repository as claims_repository
from shared.db import apply_migrations, create_pool
from tests.support.stack import REPO

pytestmark = pytest.mark.integration

ROWS = 100


@pytest.fixture
async def schemas(database_url):
    unique = uuid.uuid4().hex[:8]
    names = {service: f"seed_{service}_{unique}" for service in ("enrollment", "claims", "notifications")}
    for service, schema in names.items():
        await apply_migrations(database_url, schema, REPO / "services" / service / "migrations")
    yield names
    conn = await asyncpg.connect(database_url)
    try:
        for schema in names.values():
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await conn.close()


async def test_seeded_rows_have_the_shapes_the_benchmark_describes(database_url, schemas):
    _, written = await seed(database_url, ROWS, progress=lambda _line: None, schemas=schemas)

    conn = await asyncpg.connect(database_url)
    try:

        async def count(service: str, sql: str) -> int:
            return await conn.fetchval(sql.replace("{s}", schemas[service]))

        assert await count("enrollment", "SELECT count(*) FROM {s}.participants") == 100
        # A spouse each, and a child where i % 5 < 3: i = 1..100 gives 60 of them.
        assert await count("enrollment", "SELECT count(*) FROM {s}.heirs") == 100 + 60
        assert await count("claims", "SELECT count(*) FROM {s}.heirs") == 100 + 60
        assert await count("enrollment", "SELECT count(*) FROM {s}.contributions") == 100 * 3
        # NIKs: unique, sixteen digits, masked after the first four.
        assert (
            await count(
                "enrollment",
                "SELECT count(DISTINCT nik) FROM {s}.participants WHERE nik ~ '^[0-9]{16}$' "
                "AND nik_masked = left(nik, 4) || '************'",
            )
            == 100
        )
        # The status is decided by i * 7 % 100, which runs through 0..99 once for i = 1..100 (7 and 100
        # are coprime): payout recorded below 75 and from 93 (75 + 7), rejected 75-86 (12), needs_review
        # 87-89 (3), approved 90-91 (2), withdrawn 92 (1).
        statuses = dict(await conn.fetch(f"SELECT status, count(*) FROM {schemas['claims']}.claims GROUP BY 1"))
        assert statuses == {"payout_recorded": 82, "rejected": 12, "needs_review": 3, "approved": 2, "withdrawn": 1}
        # Two messages per claim (claim filed, final event) to the spouse, and a third to the child after a
        # death (i % 10 < 5) when there is a child (i % 5 < 3): i % 10 in {0, 1, 2}, 30 of 100.
        assert await count("notifications", "SELECT count(*) FROM {s}.notifications") == 100 * 2 + 30
        assert await count("notifications", "SELECT count(*) FROM {s}.delivery_attempts") == 100 * 2 + 30
        assert written["notifications"]["notifications"][0] == 230
        # Ids the services never make: their own are a prefix and twelve hex digits.
        assert await count("claims", "SELECT count(*) FROM {s}.claims WHERE claim_id ~ '^CL-[0-9a-f]{12}$'") == 0
        assert await count("claims", "SELECT count(*) FROM {s}.outbox") == 0

    finally:
        await conn.close()

    # Claims reads a seeded participant as it reads one it was told about: participant 1 has a child.
    pool = await create_pool(database_url, schemas["claims"])
    try:
        async with pool.acquire() as claims_conn:
            view = await claims_repository.participant_view(claims_conn, "P-s0000000001")
    finally:
        await pool.close()
    assert view is not None
    assert [h.relationship for h in view.heirs] == ["spouse", "child"]
    assert view.paid_months == 3
