"""PostgreSQL access: one pool per service, pinned to the service's own schema.

No service reads another's tables: each pool's search_path is its schema only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import asyncpg

from shared.logs import get_logger

PLUMBING_MIGRATIONS = Path(__file__).parent / "migrations"

# PostgreSQL refusing for now, not for good: the same transaction run again later may well pass.
TRANSIENT_DATABASE_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.exceptions.InsufficientResourcesError,  # 53xxx: too many connections, out of memory, disk full
    asyncpg.exceptions.TransactionRollbackError,  # 40xxx: deadlock detected, serialization failure
    asyncpg.exceptions.LockNotAvailableError,  # 55P03: lock_timeout, NOWAIT
)
# PostgreSQL away: stopped, restarting, unreachable, shut down or killed under a statement. Not the
# work's fault: what was not committed was not written, and the same work may pass once it is back.
# With TRANSIENT_DATABASE_ERRORS it makes shared.consuming.INFRASTRUCTURE_ERRORS.
DATABASE_AWAY_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # refused, reset, timed out (TimeoutError, asyncio's too, is one)
    asyncpg.PostgresConnectionError,  # 08xxx
    asyncpg.InterfaceError,  # the connection closed under the call
    # asyncpg's protocol when the server is killed under a statement (the chaos run saw it at
    # PostgreSQL's SIGKILL): the connection is gone, as with the errors above.
    asyncpg.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,  # 57xxx: shut down, starting up, statement cancelled
)
log = get_logger("db")

# Whose work the statements running now are: the id of the claim, participant or transfer that a
# request, a worker's step or a bank notification is for (an event's is the key of
# shared.consuming.current_record). None for polls and for batches of many. Lets the statement
# budget (tests/e2e/test_statement_budget.py) count what one claim costs, whatever runs beside it.
work_subject: ContextVar[str | None] = ContextVar("work_subject", default=None)


@contextmanager
def working_for(subject: str) -> Iterator[None]:
    token = work_subject.set(subject)
    try:
        yield
    finally:
        work_subject.reset(token)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(typename, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection goes through when it returns to the pool, besides asyncpg's own rollback
    of a transaction left open and its dropping of listener callbacks. asyncpg's default also sends
    "SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL": a round trip (and four
    statements for PostgreSQL) on every release, a dozen per claim. Jaring's code leaves no session
    state on a pooled connection: the search path is set at connect, the one session
    advisory lock (the disbursement worker's) is released before its connection goes back, or the
    connection is closed, no cursor outlives its transaction, and a
    listener's UNLISTEN is sent by remove_listener. So there is nothing to reset."""


async def create_pool(
    database_url: str, schema: str, *, min_size: int = 1, max_size: int = 10, generic_plans: bool = False
) -> asyncpg.Pool:
    """The service's connections, pinned to its schema. `generic_plans`: for the event side (consumers and
    the notifications dispatcher), whose statements are the same every time, keyed by
    ids and arrays of ids. PostgreSQL plans a prepared statement for its parameters until a generic plan
    looks no dearer; for a poll's small arrays it never did, and planned the event side's set-based
    statements anew at every call (0.35 ms of its CPU a claim: docs/benchmarks.md, round 14). With
    `plan_cache_mode = force_generic_plan` each is planned once a connection. Requests keep PostgreSQL's
    choice: an officer's or operator's search with optional filters needs a plan for the filters given."""
    server_settings = {"search_path": schema, "application_name": f"jaring-{schema}"}
    if generic_plans:
        server_settings["plan_cache_mode"] = "force_generic_plan"
    return await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        server_settings=server_settings,
        init=_init_connection,
        reset=_keep_session,
    )


async def keep_listening(
    pool: asyncpg.Pool, channel: str, callback: Callable[..., object], *, retry_seconds: float = 1.0
) -> None:
    """Until cancelled: LISTEN on `channel` on a connection of the pool, `callback` called for each
    NOTIFY. A LISTEN lives on one connection: when PostgreSQL restarts, the connection dies and its
    NOTIFYs stop for good, and a loop woken by them falls back to its slow poll (the chaos run's
    families notified late after PostgreSQL's SIGKILL). So a lost connection is replaced, and
    `callback` is called once (with no arguments) on each LISTEN, for what was notified while no
    one listened."""
    while True:
        try:
            await _listen_until_lost(pool, channel, callback)
        except Exception as exc:  # noqa: BLE001 - PostgreSQL away or starting: listen again shortly
            log.debug("listener.failed", channel=channel, error=repr(exc))
        await asyncio.sleep(retry_seconds)


async def _listen_until_lost(pool: asyncpg.Pool, channel: str, callback: Callable[..., object]) -> None:
    lost = asyncio.Event()
    conn = await pool.acquire()
    try:
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(channel, callback)
        callback()
        await lost.wait()
        log.warning("listener.lost", channel=channel)
    finally:
        if not lost.is_set():  # cancelled (shutdown): the connection is alive and goes back clean
            with contextlib.suppress(Exception):
                await conn.remove_listener(channel, callback)
        with contextlib.suppress(Exception):
            await pool.release(conn)


async def apply_migrations(database_url: str, schema: str, service_migrations: Path | None) -> list[str]:
    """Creates the schema and applies the plumbing migrations, then the service's own,
    each numbered SQL file once, in order. Safe when several instances start together."""
    files = sorted(PLUMBING_MIGRATIONS.glob("*.sql"))
    if service_migrations is not None:
        files += sorted(service_migrations.glob("*.sql"))
    applied: list[str] = []
    conn = await asyncpg.connect(database_url)
    try:
        # One lock per schema: a second instance waits here instead of racing the DDL.
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", f"migrations:{schema}")
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(f'SET search_path TO "{schema}"')
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for path in files:
            name = f"{path.parent.parent.name}/{path.name}"
            if name in done:
                continue
            log.info("migration.apply", schema=schema, migration=name)
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied.append(name)
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", f"migrations:{schema}")
    finally:
        await conn.close()
    return applied


async def record_audit(
    conn: asyncpg.Connection,
    *,
    actor: str,
    role: str,
    action: str,
    subject_id: str,
    details: Mapping[str, object] | None = None,
) -> None:
    """Officer actions are audited in the transaction that performs them."""
    await conn.execute(
        "INSERT INTO audit_log (actor, role, action, subject_id, details) VALUES ($1, $2, $3, $4, $5)",
        actor,
        role,
        action,
        subject_id,
        details or {},
    )
