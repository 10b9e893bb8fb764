"""Notifications' SQL (schema "notifications"): read models, messages, attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from services.notifications.domain.recipients import Heir


async def upsert_participant(conn: asyncpg.Connection, participant_id: str, full_name: str, masked_nik: str,
                             as_of: datetime) -> None:
    """`as_of`: when the event happened; an event older than the one the row holds is skipped."""
    await conn.execute(
        "INSERT INTO participants (participant_id, full_name, masked_nik, details_as_of) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (participant_id) DO UPDATE SET full_name = EXCLUDED.full_name, masked_nik = EXCLUDED.masked_nik, "
        "details_as_of = EXCLUDED.details_as_of "
        "WHERE participants.details_as_of IS NULL OR participants.details_as_of <= EXCLUDED.details_as_of",
        participant_id, full_name, masked_nik, as_of)


async def replace_heirs(conn: asyncpg.Connection, participant_id: str, heirs: list[Any], as_of: datetime) -> None:
    """Skipped when the participant's heirs come from a newer event than `as_of`."""
    held = await conn.fetchval("SELECT heirs_as_of FROM participants WHERE participant_id = $1 FOR UPDATE",
                               participant_id)
    if held is not None and held > as_of:
        return
    await conn.execute("UPDATE participants SET heirs_as_of = $2 WHERE participant_id = $1", participant_id, as_of)
    await conn.execute("DELETE FROM heirs WHERE participant_id = $1", participant_id)
    await conn.executemany(
        "INSERT INTO heirs (heir_id, participant_id, position, full_name, relationship, phone, email, language) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [(h.heir_id, participant_id, i, h.full_name, h.relationship, h.phone, h.email, h.language)
         for i, h in enumerate(heirs)])


async def participant_with_heirs(conn: asyncpg.Connection, participant_id: str
                                 ) -> tuple[dict[str, Any], list[Heir]] | None:
    """The participant and their heirs (in order) in one round trip: every family event reads both."""
    row = await conn.fetchrow(
        "SELECT p.*, coalesce((SELECT json_agg(h ORDER BY h.position) FROM heirs h "
        "WHERE h.participant_id = p.participant_id), '[]') AS heirs FROM participants p WHERE p.participant_id = $1",
        participant_id)
    if row is None:
        return None
    heirs = [Heir(heir_id=h["heir_id"], full_name=h["full_name"], relationship=h["relationship"], phone=h["phone"],
                  email=h["email"], language=h["language"]) for h in row["heirs"]]
    return {k: row[k] for k in ("participant_id", "full_name", "masked_nik")}, heirs


async def claim_type(conn: asyncpg.Connection, claim_id: str) -> str | None:
    return await conn.fetchval("SELECT claim_type FROM claims WHERE claim_id = $1", claim_id)


async def upsert_claim(conn: asyncpg.Connection, claim_id: str, participant_id: str, claim_type: str) -> None:
    await conn.execute(
        "INSERT INTO claims (claim_id, participant_id, claim_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        claim_id, participant_id, claim_type)


NOTIFICATION_COLUMNS = ("notification_id", "event_id", "about_event", "claim_id", "participant_id", "heir_id",
                        "channel", "address", "language", "subject", "body")


async def insert_notifications(conn: asyncpg.Connection, rows: list[dict[str, Any]]) -> int:
    """One event's messages in one statement; returns how many are new. The unique key
    (event, heir, channel) skips any already queued."""
    if not rows:
        return 0
    columns = [[row[c] for row in rows] for c in NOTIFICATION_COLUMNS]
    return await conn.fetchval(
        "WITH queued AS (INSERT INTO notifications (" + ", ".join(NOTIFICATION_COLUMNS) + ") "
        "SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
        "$8::text[], $9::text[], $10::text[], $11::text[]) "
        "ON CONFLICT (event_id, heir_id, channel) DO NOTHING RETURNING 1) SELECT count(*) FROM queued",
        *columns)


async def lease_due(conn: asyncpg.Connection, limit: int, lease_seconds: float) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """
        UPDATE notifications SET locked_until = now() + make_interval(secs => $2)
        WHERE notification_id IN (
            SELECT notification_id FROM notifications
            WHERE status = 'pending' AND next_attempt_at <= now()
              AND (locked_until IS NULL OR locked_until < now())
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING *
        """, limit, lease_seconds)
    return [dict(r) for r in rows]


async def record_attempts(conn: asyncpg.Connection,
                          attempts: list[tuple[str, int, str, str, str, float | None, str | None]]) -> None:
    """A dispatcher batch's attempts in two statements: each row is (notification_id, attempt,
    outcome, detail, status, retry_in_seconds, provider_message_id)."""
    ids, numbers, outcomes, details, statuses, retries, provider_ids = (list(c) for c in zip(*attempts))
    details = [d[:1000] for d in details]
    await conn.execute(
        "INSERT INTO delivery_attempts (notification_id, attempt, outcome, detail) "
        "SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING",
        ids, numbers, outcomes, details)
    await conn.execute(
        """
        UPDATE notifications n SET attempts = u.attempt, status = u.status,
            last_error = CASE WHEN u.status = 'delivered' THEN NULL ELSE u.detail END,
            next_attempt_at = now() + make_interval(secs => coalesce(u.retry_in, 0)), locked_until = NULL,
            provider_message_id = coalesce(u.provider_id, n.provider_message_id),
            finished_at = CASE WHEN u.status = 'pending' THEN NULL ELSE now() END
        FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::float8[], $6::text[])
            AS u(notification_id, attempt, status, detail, retry_in, provider_id)
        WHERE n.notification_id = u.notification_id
        """, ids, numbers, statuses, details, retries, provider_ids)


async def for_claim(conn: asyncpg.Connection, claim_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT notification_id, claim_id, heir_id, channel, language, about_event AS event_type, status, attempts, "
        "last_error, created_at, finished_at, next_attempt_at FROM notifications WHERE claim_id = $1 "
        "ORDER BY created_at, heir_id, channel", claim_id)
    return [dict(r) for r in rows]


async def failed(conn: asyncpg.Connection, limit: int = 100) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT notification_id, claim_id, heir_id, channel, about_event AS event_type, attempts, last_error, "
        "finished_at FROM notifications WHERE status = 'failed' ORDER BY finished_at DESC LIMIT $1", limit)
    return [dict(r) for r in rows]
