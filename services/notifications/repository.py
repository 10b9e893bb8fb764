"""Notifications' SQL (schema "notifications"): read models, messages, attempts."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.notifications.domain.recipients import Heir


async def upsert_participant(conn: asyncpg.Connection, participant_id: str, full_name: str, masked_nik: str) -> None:
    await conn.execute(
        "INSERT INTO participants (participant_id, full_name, masked_nik) VALUES ($1, $2, $3) "
        "ON CONFLICT (participant_id) DO UPDATE SET full_name = EXCLUDED.full_name, masked_nik = EXCLUDED.masked_nik",
        participant_id, full_name, masked_nik)


async def replace_heirs(conn: asyncpg.Connection, participant_id: str, heirs: list[Any]) -> None:
    await conn.execute("DELETE FROM heirs WHERE participant_id = $1", participant_id)
    await conn.executemany(
        "INSERT INTO heirs (heir_id, participant_id, position, full_name, relationship, phone, email, language) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [(h.heir_id, participant_id, i, h.full_name, h.relationship, h.phone, h.email, h.language)
         for i, h in enumerate(heirs)])


async def participant(conn: asyncpg.Connection, participant_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM participants WHERE participant_id = $1", participant_id)
    return dict(row) if row else None


async def heirs(conn: asyncpg.Connection, participant_id: str) -> list[Heir]:
    rows = await conn.fetch("SELECT * FROM heirs WHERE participant_id = $1 ORDER BY position", participant_id)
    return [Heir(heir_id=r["heir_id"], full_name=r["full_name"], relationship=r["relationship"], phone=r["phone"],
                 email=r["email"], language=r["language"]) for r in rows]


async def upsert_claim(conn: asyncpg.Connection, claim_id: str, participant_id: str, claim_type: str) -> None:
    await conn.execute(
        "INSERT INTO claims (claim_id, participant_id, claim_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        claim_id, participant_id, claim_type)


async def insert_notification(conn: asyncpg.Connection, row: dict[str, Any]) -> bool:
    """False when this (event, heir, channel) already has its message."""
    inserted = await conn.fetchval(
        "INSERT INTO notifications (notification_id, event_id, about_event, claim_id, participant_id, heir_id, "
        "channel, address, language, subject, body) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) "
        "ON CONFLICT (event_id, heir_id, channel) DO NOTHING RETURNING 1",
        row["notification_id"], row["event_id"], row["about_event"], row["claim_id"], row["participant_id"],
        row["heir_id"], row["channel"], row["address"], row["language"], row["subject"], row["body"])
    return inserted is not None


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


async def record_attempt(conn: asyncpg.Connection, notification_id: str, attempt: int, outcome: str, detail: str,
                         status: str, retry_in_seconds: float | None, provider_message_id: str | None) -> None:
    await conn.execute(
        "INSERT INTO delivery_attempts (notification_id, attempt, outcome, detail) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING", notification_id, attempt, outcome, detail[:1000])
    await conn.execute(
        """
        UPDATE notifications SET attempts = $2, status = $3, last_error = CASE WHEN $3 = 'delivered' THEN NULL ELSE $4 END,
            next_attempt_at = now() + make_interval(secs => coalesce($5, 0)), locked_until = NULL,
            provider_message_id = coalesce($6, provider_message_id),
            finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END
        WHERE notification_id = $1
        """, notification_id, attempt, status, detail[:1000], retry_in_seconds, provider_message_id)


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
