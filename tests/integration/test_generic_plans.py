"""The event side's pool keeps one generic plan of each statement (shared.db.create_pool); the pool
of requests leaves the choice to PostgreSQL, which plans a poll's set-based statement anew at every
call. Counted by PostgreSQL itself (pg_prepared_statements: the plans a session's prepared
statement got), on the real server."""

from __future__ import annotations

import asyncpg

from shared.db import create_pool

# A statement of the kind consumers run: a poll's ids as an array, joined to a table by its key.
SET_BASED = (
    "SELECT c.claim_id, c.status FROM plan_test_claims c "
    "JOIN unnest($1::text[], $2::text[]) AS u(claim_id, status) USING (claim_id) WHERE c.status <> u.status"
)


async def plans_of(conn: asyncpg.Connection, statement: str) -> tuple[int, int]:
    row = await conn.fetchrow(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1", statement
    )
    return row["generic_plans"], row["custom_plans"]


async def test_the_event_pool_plans_a_set_based_statement_once_and_the_request_pool_at_every_call(database_url):
    setup = await asyncpg.connect(database_url)
    await setup.execute(
        "DROP TABLE IF EXISTS public.plan_test_claims; "
        "CREATE TABLE public.plan_test_claims (claim_id text PRIMARY KEY, status text NOT NULL); "
        "INSERT INTO public.plan_test_claims SELECT 'CL-' || g, 'filed' FROM generate_series(1, 20000) g; "
        "ANALYZE public.plan_test_claims"
    )
    events = await create_pool(database_url, "public", min_size=1, max_size=1, generic_plans=True)
    requests = await create_pool(database_url, "public", min_size=1, max_size=1)
    try:
        counted = {}
        for name, pool in (("events", events), ("requests", requests)):
            async with pool.acquire() as conn:
                assert await conn.fetchval("SHOW plan_cache_mode") == (
                    "force_generic_plan" if name == "events" else "auto"
                )
                for n in range(12):  # a poll of one or two claims, as at 100 claims/s
                    ids = [f"CL-{n + 1}", f"CL-{n + 2}"][: 1 + n % 2]
                    rows = await conn.fetch(SET_BASED, ids, ["verified"] * len(ids))
                    assert sorted(r["claim_id"] for r in rows) == sorted(ids)
                counted[name] = await plans_of(conn, SET_BASED)
        assert counted["events"] == (12, 0)
        # PostgreSQL's own choice: five custom plans, then a custom plan whenever the generic one
        # looks dearer, which for a one- or two-element array it always does.
        assert counted["requests"] == (0, 12)
    finally:
        await events.close()
        await requests.close()
        await setup.execute("DROP TABLE IF EXISTS public.plan_test_claims")
        await setup.close()
