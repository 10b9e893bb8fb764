"""Filing in few statements (issue 17), on real PostgreSQL through the handler: one statement that
reads what every check needs (the participant, the incident's standing claim, the Idempotency-Key's
earlier filing) and, when nothing is in the way, writes the claim with its key, step, audit row and
ClaimFiled event (the outbox row), with no transaction around it; the answers the same as when each
check was a statement of its own."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import date

import pytest

from services.claims import handlers, repository
from services.claims.handlers import claim_filed
from shared.auth import Actor
from shared.db import apply_migrations, create_pool
from shared.envelope import new_envelope
from shared.errors import Conflict, RuleViolation
from shared.outbox import notify_channel, queued_values
from tests.integration.test_claims_handled_as_sets import (
    OFFICER,
    TODAY,
    participant,
)
from tests.support.claimants import JKK_DOCUMENTS, JKM_DEATH_DOCUMENTS, MARRIAGE_BOOK, claim_form
from tests.support.schemas import SERVICES, migrated_pool, migrations_before
from tests.support.statements import statements_run

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_url, unique):
    async with migrated_pool(database_url, "claims", f"claims_filing_{unique}") as pool:
        yield pool


def death_form(participant_id: str) -> dict:
    form = claim_form(participant_id, "JKM", date(2026, 11, 17), {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    return {**form, "incident_date": date(2026, 11, 17)}  # as the API hands it over: a date


@contextlib.asynccontextmanager
async def counted(conn) -> AsyncIterator[list[str]]:
    """The statements `conn` runs inside the block, asyncpg's type introspection left out, the last
    one's logger call awaited."""
    with statements_run(conn) as statements:
        try:
            yield statements
        finally:
            await asyncio.sleep(0)  # asyncpg calls its query loggers soon after a statement, not in it


async def file(conn, form: dict, key: str | None = None, actor: Actor = OFFICER) -> tuple[str, list[str]]:
    """The claim filed, and the statements filing it ran."""
    async with counted(conn) as statements:
        claim_id = await handlers.file_claim(conn, form, actor, TODAY, key)
    return claim_id, statements


async def outbox_count(conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM outbox")


@pytest.mark.parametrize("key", [None, "filing-1"], ids=["without a key", "with a key"])
async def test_a_filing_costs_one_statement_with_or_without_a_key(pool, key):
    async with pool.acquire() as conn:
        await participant(conn, "P1", covered=True)
        claim_id, statements = await file(conn, death_form("P1"), key)
        # The checks' read, the claim (key, step, audit row) and its event in one statement, with no
        # BEGIN nor COMMIT.
        assert len(statements) == 1, statements
        assert statements[0].startswith("WITH context AS (SELECT EXISTS (SELECT 1 FROM participants")
        assert "INSERT INTO claims" in statements[0] and "INSERT INTO outbox" in statements[0]
        assert await conn.fetchval("SELECT status FROM claims WHERE claim_id = $1", claim_id) == "filed"
        assert await conn.fetchval("SELECT count(*) FROM claim_steps WHERE claim_id = $1", claim_id) == 1
        assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE subject_id = $1", claim_id) == 1
        keys = await conn.fetch("SELECT filed_by, idempotency_key, claim_id FROM claims WHERE idempotency_key > ''")
        assert [tuple(k) for k in keys] == ([] if key is None else [(OFFICER.subject, key, claim_id)])
        queued = await conn.fetchrow("SELECT topic, key, event_type, body FROM outbox")
        assert (queued["topic"], queued["key"], queued["event_type"]) == ("claims.filed.v1", claim_id, "ClaimFiled")
        assert json.loads(queued["body"])["payload"]["claim_id"] == claim_id


async def test_a_retry_with_its_key_is_answered_from_the_one_read_writing_nothing(pool):
    async with pool.acquire() as conn:
        await participant(conn, "P1", covered=True)
        first, _ = await file(conn, death_form("P1"), "filing-1")
        again, statements = await file(conn, death_form("P1"), "filing-1")
        assert again == first and len(statements) == 1
        assert await conn.fetchval("SELECT count(*) FROM claims") == 1 and await outbox_count(conn) == 1


async def test_the_key_reused_for_another_filing_is_refused_from_the_one_read(pool):
    async with pool.acquire() as conn:
        await participant(conn, "P1", covered=True)
        await participant(conn, "P2", covered=True)
        await file(conn, death_form("P1"), "filing-1")
        async with counted(conn) as statements:
            with pytest.raises(RuleViolation) as refused:
                await handlers.file_claim(conn, death_form("P2"), OFFICER, TODAY, "filing-1")
        ((loc, rule),) = [(e.loc, e.rule) for e in refused.value.errors]
        assert (loc, rule) == (("header", "Idempotency-Key"), "idempotency_key_reused")
        assert len(statements) == 1
        assert await conn.fetchval("SELECT count(*) FROM claims WHERE participant_id = 'P2'") == 0


async def test_another_officers_key_of_the_same_name_says_nothing_about_this_filing(pool):
    async with pool.acquire() as conn:
        await participant(conn, "P1", covered=True)
        await participant(conn, "P2", covered=True)
        mine, _ = await file(conn, death_form("P1"), "filing-1")
        theirs, _ = await file(conn, death_form("P2"), "filing-1", Actor("officer-andi", "officer"))
        assert theirs != mine
        assert await conn.fetchval("SELECT count(*) FROM claims WHERE idempotency_key = 'filing-1'") == 2


async def test_an_unknown_participant_is_refused_naming_the_field_from_the_one_read(pool):
    async with pool.acquire() as conn:
        async with counted(conn) as statements:
            with pytest.raises(RuleViolation) as refused:
                await handlers.file_claim(conn, death_form("P-nobody"), OFFICER, TODAY, "filing-1")
        assert [(e.loc, e.rule) for e in refused.value.errors] == [(("participant_id",), "participant_unknown")]
        assert len(statements) == 1
        assert await conn.fetchval("SELECT count(*) FROM claims") == 0 and await outbox_count(conn) == 0


async def test_a_second_filing_of_the_incident_is_a_409_naming_the_standing_claim_from_the_one_read(pool):
    async with pool.acquire() as conn:
        await participant(conn, "P1", covered=True)
        first, _ = await file(conn, death_form("P1"))
        jkk = claim_form("P1", "JKK_DEATH", date(2026, 11, 16), JKK_DOCUMENTS)  # a person dies once
        async with counted(conn) as statements:
            with pytest.raises(Conflict) as conflict:
                await handlers.file_claim(conn, {**jkk, "incident_date": date(2026, 11, 16)}, OFFICER, TODAY)
        assert (conflict.value.existing_id, conflict.value.rule) == (first, "incident_already_claimed")
        assert f"supervisor reclassifies claim {first}" in conflict.value.msg
        assert len(statements) == 1


async def test_a_death_jaring_opened_from_the_registry_points_to_its_completion_from_the_one_read(pool):
    async with pool.acquire() as conn:
        await participant(conn, "P1", covered=True)
        opened, _ = await file(conn, death_form("P1"))
        await conn.execute("UPDATE claims SET status = 'awaiting_family' WHERE claim_id = $1", opened)
        async with counted(conn) as statements:
            with pytest.raises(Conflict) as conflict:
                await handlers.file_claim(conn, death_form("P1"), OFFICER, TODAY)
        assert conflict.value.existing_id == opened
        assert f"POST /v1/claims/{opened}/completion" in conflict.value.msg
        assert len(statements) == 1


async def filed_while_another_waits(
    pool, later_form: dict, key: str, later_key: str | None = None
) -> tuple[str, asyncio.Task]:
    """The first filing with `key` written but not committed; the later one (with `later_key`, `key`
    unless given), filed as the API does (no transaction around it), waiting for it in its insert, then
    the first committed. Returns the first claim and the later filing's task."""
    async with pool.acquire() as first_conn:
        first_tx = first_conn.transaction()
        await first_tx.start()
        first, _ = await file(first_conn, death_form("P1"), key)  # not committed yet

        async def later() -> str:
            async with pool.acquire() as later_conn:
                pids.put_nowait(later_conn.get_server_pid())
                return await handlers.file_claim(later_conn, later_form, OFFICER, TODAY, later_key or key)

        pids: asyncio.Queue[int] = asyncio.Queue()
        waiting = asyncio.create_task(later())
        later_pid = await asyncio.wait_for(pids.get(), 30)
        deadline = asyncio.get_running_loop().time() + 30
        while not await first_conn.fetchval(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", later_pid
        ):
            assert asyncio.get_running_loop().time() < deadline, "the later filing never waited for the first"
            await asyncio.sleep(0.05)
        await first_tx.commit()
    return first, waiting


async def test_a_filing_whose_key_another_filing_took_meanwhile_is_a_409_and_writes_nothing(pool):
    """Two different filings sent at once with the same key: the later one's read finds neither the key
    nor a standing claim; its insert waits for the earlier's on the key's unique index and, that one
    committed, writes nothing."""
    async with pool.acquire() as conn:
        await participant(conn, "P1", covered=True)
        await participant(conn, "P2", covered=True)
    first, waiting = await filed_while_another_waits(pool, death_form("P2"), "filing-1")

    with pytest.raises(Conflict) as conflict:
        await waiting
    assert (conflict.value.existing_id, conflict.value.rule) == (first, "idempotency_key_in_flight")
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM claims WHERE participant_id = 'P2'") == 0
        keyed = await conn.fetch("SELECT claim_id FROM claims WHERE idempotency_key IS NOT NULL")
        assert [r["claim_id"] for r in keyed] == [first]
        assert await outbox_count(conn) == 1
        assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'claim.file'") == 1


async def test_the_same_filing_sent_twice_at_once_with_its_key_answers_the_first_claim_and_writes_nothing(pool):
    async with pool.acquire() as conn:
        await participant(conn, "P1", covered=True)
    first, waiting = await filed_while_another_waits(pool, death_form("P1"), "filing-1")

    assert await waiting == first
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM claims") == 1
        assert await outbox_count(conn) == 1
        assert await conn.fetchval("SELECT count(*) FROM claim_steps") == 1


async def test_two_filings_of_one_incident_sent_at_once_the_later_is_a_409_naming_the_first_and_writes_nothing(
    pool,
):
    """Two officers file the same death at once, each with a key of their own: the later one's read
    finds nothing standing, its insert waits for the first on the incident's unique index and, that one
    committed, writes nothing; the answer names the claim standing now."""
    async with pool.acquire() as conn:
        await participant(conn, "P1", covered=True)
    first, waiting = await filed_while_another_waits(pool, death_form("P1"), "filing-1", later_key="filing-2")

    with pytest.raises(Conflict) as conflict:
        await waiting
    assert (conflict.value.existing_id, conflict.value.rule) == (first, "incident_already_claimed")
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM claims") == 1
        assert await outbox_count(conn) == 1
        assert await conn.fetchval("SELECT count(*) FROM claim_steps") == 1


@pytest.mark.parametrize("in_the_way", ["a standing claim", "an unknown participant", "the key's earlier filing"])
async def test_a_filing_whose_read_finds_something_in_the_way_writes_nothing_and_queues_no_event(pool, in_the_way):
    """The statement writes the claim, its step, its audit row and its event only when its read finds
    the participant known and neither a standing claim of the incident nor an earlier filing with the
    key; otherwise none of them, and it returns what it read."""
    async with pool.acquire() as conn:
        await participant(conn, "P1", covered=True)
        await participant(conn, "P2", covered=True)
        first, _ = await file(conn, death_form("P1"), "filing-1")
        participant_id, key = {
            "a standing claim": ("P1", "filing-2"),
            "an unknown participant": ("P-nobody", "filing-2"),
            "the key's earlier filing": ("P2", "filing-1"),
        }[in_the_way]
        filing = handlers.filing_from(death_form(participant_id))
        event = new_envelope(
            claim_filed("CL-later", filing, OFFICER.subject), correlation_id="CL-later", producer="claims"
        )
        written, context = await repository.file_when_clear(
            conn, "CL-later", filing, OFFICER.subject, OFFICER.role, TODAY, queued_values(event, "claims"), key, "h"
        )
        assert written is False
        first_hash = await conn.fetchval("SELECT request_hash FROM claims WHERE claim_id = $1", first)
        expected = {
            "a standing claim": repository.FilingContext(True, first, False, None),
            "an unknown participant": repository.FilingContext(False, None, False, None),
            "the key's earlier filing": repository.FilingContext(True, None, False, (first, first_hash)),
        }[in_the_way]
        assert context == expected
        assert [r["key"] for r in await conn.fetch("SELECT key FROM outbox")] == [first]
        assert await conn.fetchval("SELECT count(*) FROM claims") == 1
        assert await conn.fetchval("SELECT count(*) FROM claim_steps") == 1  # the first's only
        assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'claim.file'") == 1


async def test_a_filing_whose_fields_are_refused_is_answered_from_the_read_alone_naming_every_field(pool):
    """Fields the rules refuse are not written at all: the read alone, and a 422 naming every broken
    field, the unknown participant with them."""
    async with pool.acquire() as conn:
        form = {**death_form("P-nobody"), "incident_place": ""}
        async with counted(conn) as statements:
            with pytest.raises(RuleViolation) as refused:
                await handlers.file_claim(conn, form, OFFICER, TODAY, "filing-1")
        rules = {(e.loc, e.rule) for e in refused.value.errors}
        assert (("participant_id",), "participant_unknown") in rules
        assert any(loc == ("incident_place",) for loc, _ in rules), rules
        assert len(statements) == 1 and statements[0].startswith("SELECT EXISTS (SELECT 1 FROM participants")
        assert await conn.fetchval("SELECT count(*) FROM claims") == 0 and await outbox_count(conn) == 0


async def test_a_filing_wakes_the_relay_at_commit(pool):
    """The event's NOTIFY rides in the filing's statement too: the relay hears of it at commit, not
    at its next poll."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    async with pool.acquire() as listener, pool.acquire() as conn:
        channel = notify_channel("claims")

        def hear(*args: object) -> None:
            heard.put_nowait(str(args[2]))

        await listener.add_listener(channel, hear)
        try:
            await participant(conn, "P1", covered=True)
            async with conn.transaction():
                await file(conn, death_form("P1"))
                await asyncio.sleep(0.2)
                assert heard.empty(), "notified before commit"
            assert await asyncio.wait_for(heard.get(), timeout=10) == channel
        finally:
            await listener.remove_listener(channel, hear)


async def test_the_migration_moves_each_key_onto_its_claim_and_a_retry_still_finds_it(database_url, unique, tmp_path):
    """Keys written before migration 0012 (table filing_keys) move onto their claims: a retry sent
    after the upgrade gets the claim its first attempt made, and the table is gone."""
    schema = f"claims_0012_{unique}"
    await apply_migrations(database_url, schema, migrations_before("claims", "0012", tmp_path))
    pool = await create_pool(database_url, schema)
    try:
        async with pool.acquire() as conn:
            await participant(conn, "P1", covered=True)
            form = death_form("P1")
            await repository.insert_claim(conn, "CL-old", handlers.filing_from(form), OFFICER.subject, TODAY)
            await conn.execute(
                "INSERT INTO filing_keys (filed_by, idempotency_key, claim_id, request_hash) VALUES ($1, $2, $3, $4)",
                OFFICER.subject,
                "filing-1",
                "CL-old",
                handlers._request_hash(form),
            )
        await apply_migrations(database_url, schema, SERVICES / "claims" / "migrations")
        async with pool.acquire() as conn:
            assert await handlers.file_claim(conn, form, OFFICER, TODAY, "filing-1") == "CL-old"
            keyed = await conn.fetch("SELECT claim_id, filed_by, idempotency_key FROM claims")
            assert [tuple(r) for r in keyed] == [("CL-old", OFFICER.subject, "filing-1")]
            assert await conn.fetchval("SELECT to_regclass('filing_keys')") is None
    finally:
        await pool.close()
