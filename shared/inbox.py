"""Inbox: a consumer's record of the events it has already applied.

Called inside the transaction that applies the event's effect, so the effect and the
record commit together: a redelivered event finds its row and has no second effect.
The row keeps the event's `traceparent`, so work done later because of it joins its trace.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg


async def first_delivery(
    conn: asyncpg.Connection, consumer: str, event_id: uuid.UUID, traceparent: str | None = None
) -> bool:
    row = await conn.fetchrow(
        "INSERT INTO inbox (consumer, event_id, traceparent) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1",
        consumer,
        event_id,
        traceparent,
    )
    return row is not None


async def first_deliveries(
    conn: asyncpg.Connection,
    consumer: str,
    event_ids: list[uuid.UUID],
    traceparents: Sequence[str | None] | None = None,
) -> set[uuid.UUID]:
    """The ids among `event_ids` not applied before, recorded in one statement (batches)."""
    rows = await conn.fetch(
        "INSERT INTO inbox (consumer, event_id, traceparent) SELECT $1, e, t FROM unnest($2::uuid[], $3::text[]) "
        "AS u(e, t) ON CONFLICT DO NOTHING RETURNING event_id",
        consumer,
        event_ids,
        list(traceparents) if traceparents is not None else [None] * len(event_ids),
    )
    return {r["event_id"] for r in rows}


async def traces_of(
    conn: asyncpg.Connection, consumers: Sequence[str], event_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The `traceparent` each event came with, as `consumers` (this service's) recorded it; by the
    inbox's primary key, so the lookup stays cheap however long the inbox grows."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (event_id) event_id, traceparent FROM inbox "
        "WHERE consumer = ANY($1::text[]) AND event_id = ANY($2::uuid[]) AND traceparent IS NOT NULL",
        list(consumers),
        list(event_ids),
    )
    return {r["event_id"]: r["traceparent"] for r in rows}
