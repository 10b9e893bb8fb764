"""Notifications' SQL (schema "notifications"): read models, messages, attempts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from services.notifications.domain.recipients import Heir


async def upsert_participant(
    conn: asyncpg.Connection, participant_id: str, full_name: str, masked_nik: str, phone: str | None, as_of: datetime
) -> None:
    """`as_of`: when the event happened; an event older than the one the row holds is skipped."""
    await conn.execute(
        "INSERT INTO participants (participant_id, full_name, masked_nik, phone, details_as_of) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (participant_id) DO UPDATE SET full_name = EXCLUDED.full_name, "
        "masked_nik = EXCLUDED.masked_nik, phone = EXCLUDED.phone, details_as_of = EXCLUDED.details_as_of "
        "WHERE participants.details_as_of IS NULL OR participants.details_as_of <= EXCLUDED.details_as_of",
        participant_id,
        full_name,
        masked_nik,
        phone,
        as_of,
    )


async def replace_heirs(conn: asyncpg.Connection, participant_id: str, heirs: list[Any], as_of: datetime) -> None:
    """Skipped when the participant's heirs come from a newer event than `as_of`."""
    held = await conn.fetchval(
        "SELECT heirs_as_of FROM participants WHERE participant_id = $1 FOR UPDATE", participant_id
    )
    if held is not None and held > as_of:
        return
    await conn.execute("UPDATE participants SET heirs_as_of = $2 WHERE participant_id = $1", participant_id, as_of)
    await conn.execute("DELETE FROM heirs WHERE participant_id = $1", participant_id)
    await conn.executemany(
        "INSERT INTO heirs (heir_id, participant_id, position, full_name, relationship, phone, email, language) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            (h.heir_id, participant_id, i, h.full_name, h.relationship, h.phone, h.email, h.language)
            for i, h in enumerate(heirs)
        ],
    )


async def participant_with_heirs(
    conn: asyncpg.Connection, participant_id: str
) -> tuple[dict[str, Any], list[Heir]] | None:
    """The participant and their heirs (in order) in one round trip: every family event reads both."""
    row = await conn.fetchrow(
        "SELECT p.*, coalesce((SELECT json_agg(h ORDER BY h.position) FROM heirs h "
        "WHERE h.participant_id = p.participant_id), '[]') AS heirs FROM participants p WHERE p.participant_id = $1",
        participant_id,
    )
    if row is None:
        return None
    heirs = [
        Heir(
            heir_id=h["heir_id"],
            full_name=h["full_name"],
            relationship=h["relationship"],
            phone=h["phone"],
            email=h["email"],
            language=h["language"],
        )
        for h in row["heirs"]
    ]
    return {k: row[k] for k in ("participant_id", "full_name", "masked_nik", "phone")}, heirs


async def claim_type(conn: asyncpg.Connection, claim_id: str) -> str | None:
    return await conn.fetchval("SELECT claim_type FROM claims WHERE claim_id = $1", claim_id)


async def upsert_claim(
    conn: asyncpg.Connection,
    claim_id: str,
    participant_id: str,
    claim_type: str,
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO claims (claim_id, participant_id, claim_type, reporter_name, reporter_phone) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        claim_id,
        participant_id,
        claim_type,
        reporter_name,
        reporter_phone,
    )


async def withdraw_claim(conn: asyncpg.Connection, claim_id: str, participant_id: str, claim_type: str) -> int:
    """Marks the claim withdrawn (creating its row if ClaimFiled has not arrived yet) and
    cancels its messages still waiting to be sent; returns how many were cancelled. A
    message already being sent is past recall."""
    await conn.execute(
        "INSERT INTO claims (claim_id, participant_id, claim_type, withdrawn_at) VALUES ($1, $2, $3, now()) "
        "ON CONFLICT (claim_id) DO UPDATE SET withdrawn_at = coalesce(claims.withdrawn_at, now())",
        claim_id,
        participant_id,
        claim_type,
    )
    cancelled = await conn.fetch(
        "UPDATE notifications SET status = 'cancelled', finished_at = now(), last_error = 'claim withdrawn' "
        "WHERE claim_id = $1 AND status = 'pending' RETURNING 1",
        claim_id,
    )
    return len(cancelled)


async def family_for(
    conn: asyncpg.Connection, claim_id: str, participant_id: str
) -> tuple[bool, tuple[dict[str, Any], list[Heir]] | None]:
    """Whether the claim is withdrawn, and its participant with their heirs (participant_with_heirs),
    in one round trip."""
    row = await conn.fetchrow(
        "SELECT (SELECT withdrawn_at IS NOT NULL FROM claims WHERE claim_id = $2) AS withdrawn, p.*, "
        "coalesce((SELECT json_agg(h ORDER BY h.position) FROM heirs h WHERE h.participant_id = p.participant_id), "
        "'[]') AS heirs FROM (SELECT) AS one LEFT JOIN participants p ON p.participant_id = $1",
        participant_id,
        claim_id,
    )
    if row["participant_id"] is None:
        return bool(row["withdrawn"]), None
    heirs = [
        Heir(
            heir_id=h["heir_id"],
            full_name=h["full_name"],
            relationship=h["relationship"],
            phone=h["phone"],
            email=h["email"],
            language=h["language"],
        )
        for h in row["heirs"]
    ]
    return bool(row["withdrawn"]), ({k: row[k] for k in ("participant_id", "full_name", "masked_nik", "phone")}, heirs)


async def claim_withdrawn(conn: asyncpg.Connection, claim_id: str) -> bool:
    return bool(await conn.fetchval("SELECT withdrawn_at IS NOT NULL FROM claims WHERE claim_id = $1", claim_id))


# The event's messages by the event alone, their status checked on what that read: asked for
# `event_id AND status = 'pending'`, the planner may take notifications_due (every pending message of
# every event) when its statistics were taken while few were pending, and read the whole backlog per
# call: with 7,600 pending, 2,560 buffers and 5-27 ms instead of 29 buffers and 0.5 ms (docs/benchmarks.md,
# "Flat as the data grows"). The messages were queued in this very transaction: no one else changed them.
HOLD = (
    "WITH mine AS MATERIALIZED (SELECT notification_id, status FROM notifications WHERE event_id = $1) "
    "UPDATE notifications n SET next_attempt_at = now() + make_interval(secs => $2) FROM mine "
    "WHERE n.notification_id = mine.notification_id AND mine.status = 'pending'"
)


async def hold(conn: asyncpg.Connection, event_id: Any, seconds: float) -> None:
    """Holds an event's messages back for `seconds` (a wrong filing withdrawn meanwhile reaches no one)."""
    await conn.execute(HOLD, event_id, seconds)


async def set_claim_type(conn: asyncpg.Connection, claim_id: str, claim_type: str) -> None:
    """A supervisor corrected the claim's type (ClaimReclassified)."""
    await conn.execute("UPDATE claims SET claim_type = $2 WHERE claim_id = $1", claim_id, claim_type)


async def claim_reporter(conn: asyncpg.Connection, claim_id: str) -> tuple[str | None, str | None] | None:
    """(name, phone) of the claim's reporter; None if the claim is not in the read model yet."""
    row = await conn.fetchrow("SELECT reporter_name, reporter_phone FROM claims WHERE claim_id = $1", claim_id)
    return None if row is None else (row["reporter_name"], row["reporter_phone"])


async def note_unreachable(conn: asyncpg.Connection, claim_id: str, heir_ids: list[str], about_event: str) -> list[str]:
    """Records who could not be told about this claim; returns those not recorded before."""
    rows = await conn.fetch(
        "INSERT INTO unreachable (claim_id, heir_id, about_event) SELECT $1, h, $3 FROM unnest($2::text[]) AS h "
        "ON CONFLICT DO NOTHING RETURNING heir_id",
        claim_id,
        heir_ids,
        about_event,
    )
    return [r["heir_id"] for r in rows]


# NOTIFY on it wakes a dispatcher the moment messages are queued (delivered at commit).
DUE_CHANNEL = "notifications_due"
NOTIFICATION_COLUMNS = (
    "notification_id",
    "event_id",
    "about_event",
    "claim_id",
    "participant_id",
    "heir_id",
    "channel",
    "address",
    "language",
    "subject",
    "body",
    "template",
)


async def insert_notifications(conn: asyncpg.Connection, rows: list[dict[str, Any]]) -> int:
    """One event's messages in one statement, which also wakes a dispatcher when any is new;
    returns how many are new. The unique key (event, heir, channel) skips any already queued."""
    if not rows:
        return 0
    columns = [[row[c] for row in rows] for c in NOTIFICATION_COLUMNS]
    return await conn.fetchval(
        "WITH queued AS (INSERT INTO notifications (" + ", ".join(NOTIFICATION_COLUMNS) + ", template_params) "
        "SELECT " + ", ".join(NOTIFICATION_COLUMNS) + ", ARRAY(SELECT p FROM jsonb_array_elements_text(params::jsonb) "
        "WITH ORDINALITY AS a(p, i) ORDER BY i) "
        "FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
        "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[]) "
        "AS u(" + ", ".join(NOTIFICATION_COLUMNS) + ", params) "
        "ON CONFLICT (event_id, heir_id, channel) DO NOTHING RETURNING 1), new AS (SELECT count(*) AS n FROM queued) "
        "SELECT n FROM new LEFT JOIN LATERAL (SELECT pg_notify($14, '') WHERE new.n > 0) AS woken ON true",
        *columns,
        [json.dumps(list(row["template_params"])) for row in rows],  # a text[] per row, as JSON
        DUE_CHANNEL,
    )


async def lease_due(conn: asyncpg.Connection, limit: int, lease_seconds: float) -> list[dict[str, Any]]:
    """Marks up to `limit` due messages `sending` for a new attempt: its number, its reference
    at the provider and a fresh lease token. Committed before any provider is called."""
    rows = await conn.fetch(
        """
        UPDATE notifications SET status = 'sending', attempts = attempts + 1, lease_token = gen_random_uuid(),
            reference = notification_id || '.' || (attempts + 1),
            locked_until = now() + make_interval(secs => $2)
        WHERE notification_id IN (
            SELECT notification_id FROM notifications
            WHERE status = 'pending' AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING *
        """,
        limit,
        lease_seconds,
    )
    return [dict(r) for r in rows]


async def lease_lost(conn: asyncpg.Connection, limit: int, lease_seconds: float) -> list[dict[str, Any]]:
    """Messages left `sending` past their lease (the sender died or lost the answer), with a
    new lease token: the old holder can no longer write their result."""
    rows = await conn.fetch(
        """
        UPDATE notifications SET lease_token = gen_random_uuid(), locked_until = now() + make_interval(secs => $2)
        WHERE notification_id IN (
            SELECT notification_id FROM notifications
            WHERE status = 'sending' AND locked_until < now()
            ORDER BY locked_until LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING *
        """,
        limit,
        lease_seconds,
    )
    return [dict(r) for r in rows]


# The attempts of the rows the CTE {written} wrote, logged (a second word on the same attempt,
# a late answer, is appended to the first).
_LOG_ATTEMPTS = (
    "logged AS (INSERT INTO delivery_attempts (notification_id, attempt, outcome, detail) "
    "SELECT a.notification_id, a.attempt, a.outcome, a.detail "
    "FROM unnest({ids}::text[], {numbers}::int[], {outcomes}::text[], {details}::text[]) "
    "AS a(notification_id, attempt, outcome, detail) JOIN {written} USING (notification_id) "
    "ON CONFLICT (notification_id, attempt) DO UPDATE SET outcome = EXCLUDED.outcome, "
    "detail = delivery_attempts.detail || ' / ' || EXCLUDED.detail)"
)


async def record_attempts(
    conn: asyncpg.Connection, attempts: list[tuple[str, Any, int, str, str, str, float | None, str | None]]
) -> set[str]:
    """Results of attempts, each (notification_id, lease_token, attempt, outcome, detail,
    status, retry_in_seconds, provider_message_id). A result is written only if its lease
    token is still the message's (fenced: a sender whose lease ran out writes nothing), or
    if it is a "delivered" that settles the same attempt left `unknown`; returns the
    notification ids written. A message left `sending` is asked about after `retry_in`."""
    ids, tokens, numbers, outcomes, details, statuses, retries, provider_ids = (list(c) for c in zip(*attempts))
    details = [d[:1000] for d in details]
    # Each result's attempt is logged in the statement that writes it, for the rows it wrote.
    written = await conn.fetch(
        f"""
        WITH written AS (
            UPDATE notifications n SET status = u.status,
                last_error = CASE WHEN u.status = 'delivered' THEN NULL ELSE u.detail END,
                next_attempt_at = now() + make_interval(secs => coalesce(u.retry_in, 0)),
                locked_until = CASE WHEN u.status = 'sending'
                    THEN now() + make_interval(secs => coalesce(u.retry_in, 0)) END,
                lease_token = CASE WHEN u.status = 'sending' THEN n.lease_token END,
                provider_message_id = coalesce(u.provider_id, n.provider_message_id),
                finished_at = CASE WHEN u.status IN ('pending', 'sending') THEN NULL ELSE now() END
            FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::float8[], $6::text[])
                AS u(notification_id, token, status, detail, retry_in, provider_id)
            WHERE n.notification_id = u.notification_id AND n.lease_token = u.token AND n.status = 'sending'
            RETURNING n.notification_id
        ), {_LOG_ATTEMPTS.format(written="written", ids="$1", numbers="$7", outcomes="$8", details="$4")}
        SELECT notification_id FROM written
        """,
        ids,
        tokens,
        statuses,
        details,
        retries,
        provider_ids,
        numbers,
        outcomes,
    )
    done = {r["notification_id"] for r in written}
    # A late "delivered" for a message the recovery rule already settled as `unknown` (its sender
    # lost the database, not the answer): the family has it, so it is delivered after all.
    late = [
        (i, n, p, o, d)
        for i, n, st, p, o, d in zip(ids, numbers, statuses, provider_ids, outcomes, details)
        if i not in done and st == "delivered"
    ]
    if late:
        resolved = await conn.fetch(
            f"""
            WITH resolved AS (
                UPDATE notifications n SET status = 'delivered', last_error = NULL, finished_at = now(),
                    provider_message_id = coalesce(u.provider_id, n.provider_message_id)
                FROM unnest($1::text[], $2::int[], $3::text[]) AS u(notification_id, attempt, provider_id)
                WHERE n.notification_id = u.notification_id AND n.status = 'unknown' AND n.attempts = u.attempt
                RETURNING n.notification_id
            ), {_LOG_ATTEMPTS.format(written="resolved", ids="$1", numbers="$2", outcomes="$4", details="$5")}
            SELECT notification_id FROM resolved
            """,
            *(list(c) for c in zip(*late)),
        )
        done |= {r["notification_id"] for r in resolved}
    return done


async def put_back(conn: asyncpg.Connection, unsent: list[tuple[str, Any]]) -> None:
    """Messages leased for an attempt that was never made (the dispatcher stopped first):
    `pending` again, as if never leased. Each (notification_id, lease_token); fenced."""
    ids, tokens = (list(c) for c in zip(*unsent))
    await conn.execute(
        "UPDATE notifications n SET status = 'pending', attempts = n.attempts - 1, lease_token = NULL, "
        "locked_until = NULL, reference = NULL FROM unnest($1::text[], $2::uuid[]) AS u(notification_id, token) "
        "WHERE n.notification_id = u.notification_id AND n.lease_token = u.token AND n.status = 'sending'",
        ids,
        tokens,
    )


async def confirm_arrived(conn: asyncpg.Connection, notification_id: str) -> dict[str, Any] | None:
    """An officer heard from the family that an `unknown` message arrived: `delivered`."""
    row = await conn.fetchrow(
        "UPDATE notifications SET status = 'delivered', finished_at = now(), last_error = NULL "
        "WHERE notification_id = $1 AND status = 'unknown' RETURNING *",
        notification_id,
    )
    return None if row is None else dict(row)


async def resend(conn: asyncpg.Connection, notification_id: str) -> bool:
    """An operator checked with the family: send an `unknown` or `failed` message again."""
    return (
        await conn.fetchval(
            "UPDATE notifications SET status = 'pending', next_attempt_at = now(), finished_at = NULL "
            "WHERE notification_id = $1 AND status IN ('unknown', 'failed') RETURNING true",
            notification_id,
        )
        or False
    )


async def for_claim(conn: asyncpg.Connection, claim_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT notification_id, claim_id, heir_id, channel, language, about_event AS event_type, status, attempts, "
        "last_error, created_at, finished_at, next_attempt_at FROM notifications WHERE claim_id = $1 "
        "ORDER BY created_at, heir_id, channel",
        claim_id,
    )
    return [dict(r) for r in rows]


async def failed(conn: asyncpg.Connection, limit: int = 100, status: str = "failed") -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT notification_id, claim_id, heir_id, channel, about_event AS event_type, status, attempts, "
        "last_error, finished_at FROM notifications WHERE status = $2 ORDER BY finished_at DESC LIMIT $1",
        limit,
        status,
    )
    return [dict(r) for r in rows]
