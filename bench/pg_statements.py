"""pg_stat_statements for the benchmarks (bench.e2e --pg-statements, bench.data_scale): what each
statement costs PostgreSQL, read from a server that preloads the extension."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


async def execute(database_url: str, *sql: str) -> None:
    """Statements run one after the other on a connection of their own."""
    conn = await asyncpg.connect(database_url)
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


async def reset(database_url: str) -> None:
    """Counting starts now (the extension created if this database has none yet)."""
    await execute(
        database_url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", "SELECT pg_stat_statements_reset()"
    )


@dataclass
class Statement:
    queryid: int
    query: str  # its whitespace folded
    calls: int
    mean_ms: float
    blocks_per_call: float  # shared buffers hit + read
    rows_per_call: float
    plan_ms: float = 0.0  # all its plannings together (pg_stat_statements.track_planning on; else 0)
    plans: int = 0
    wal_bytes_per_call: float = 0.0  # the WAL its executions wrote (row changes, index entries, full pages)
    wal_fpi_per_call: float = 0.0  # of which full-page images: a page's first change after a checkpoint

    @property
    def total_ms(self) -> float:
        return self.mean_ms * self.calls


async def statements(database_url: str) -> dict[int, Statement]:
    """Every statement this database ran since the last reset, by query id."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT queryid, query, calls, mean_exec_time, "
            "(shared_blks_hit + shared_blks_read)::float8 / calls AS blks, "
            "rows::float8 / calls AS rows, total_plan_time, plans, "
            "wal_bytes::float8 / calls AS wal, wal_fpi::float8 / calls AS fpi "
            "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = current_database() AND calls > 0"
        )
    finally:
        await conn.close()
    return {
        r["queryid"]: Statement(
            r["queryid"],
            " ".join(r["query"].split()),
            r["calls"],
            r["mean_exec_time"],
            r["blks"],
            r["rows"],
            r["total_plan_time"],
            r["plans"],
            r["wal"],
            r["fpi"],
        )
        for r in rows
    }
