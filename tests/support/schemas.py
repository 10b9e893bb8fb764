"""A service's schema of its own for one test, migrated as the service migrates it at start, and a
pool on it (closed after)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from shared.db import apply_migrations, create_pool

SERVICES = Path(__file__).resolve().parents[2] / "services"


@contextlib.asynccontextmanager
async def migrated_pool(database_url: str, service: str, schema: str) -> AsyncIterator[asyncpg.Pool]:
    await apply_migrations(database_url, schema, SERVICES / service / "migrations")
    pool = await create_pool(database_url, schema)
    try:
        yield pool
    finally:
        await pool.close()


def migrations_before(service: str, first_left_out: str, directory: Path) -> Path:
    """A copy of the service's migrations numbered below `first_left_out` ("0012"), under
    `directory`, with the service's names: applied first, then the service's whole set applies only
    the rest, as an upgrade of a database that already holds data does."""
    before = directory / service / "migrations"
    before.mkdir(parents=True)
    for path in sorted((SERVICES / service / "migrations").glob("*.sql")):
        if path.name < first_left_out:
            (before / path.name).write_text(path.read_text())
    return before
