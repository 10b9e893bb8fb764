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
