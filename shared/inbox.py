"""Inbox: a consumer's record of the events it has already applied.

Called inside the transaction that applies the event's effect, so the effect and the
record commit together: a redelivered event finds its row and has no second effect.
"""

from __future__ import annotations

import uuid

import asyncpg


async def first_delivery(conn: asyncpg.Connection, consumer: str, event_id: uuid.UUID) -> bool:
    row = await conn.fetchrow(
        "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
        consumer, event_id,
    )
    return row is not None


async def first_deliveries(conn: asyncpg.Connection, consumer: str, event_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The ids among `event_ids` not applied before, recorded in one statement (batches)."""
    rows = await conn.fetch(
        "INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[]) "
        "ON CONFLICT DO NOTHING RETURNING event_id",
        consumer, event_ids,
    )
    return {r["event_id"] for r in rows}
