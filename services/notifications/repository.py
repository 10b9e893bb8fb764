"""Notifications' SQL (schema "notifications"): read models, messages, attempts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.notifications.domain.recipients import Heir
from shared.contracts.enrollment import ParticipantDetails


async def upsert_participants(
    conn: asyncpg.Connection, changes: Sequence[tuple[str, ParticipantDetails, datetime]]
) -> None:
    """Participants, each (participant id, their details, when the event happened), in one
    statement; the ids are distinct. An event older than the one a row holds is skipped."""
    await conn.execute(
        "INSERT INTO participants (participant_id, full_name, masked_nik, phone, details_as_of) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) "
        "ON CONFLICT (participant_id) DO UPDATE SET full_name = EXCLUDED.full_name, "
        "masked_nik = EXCLUDED.masked_nik, phone = EXCLUDED.phone, details_as_of = EXCLUDED.details_as_of "
        "WHERE participants.details_as_of IS NULL OR participants.details_as_of <= EXCLUDED.details_as_of",
        [participant_id for participant_id, _, _ in changes],
        [d.full_name for _, d, _ in changes],
        [d.masked_nik for _, d, _ in changes],
        [d.phone for _, d, _ in changes],
        [as_of for _, _, as_of in changes],
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
    return {k: row[k] for k in ("participant_id", "full_name", "masked_nik", "phone")}, _heirs(row["heirs"])


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


@dataclass(frozen=True)
class Family:
    """What the read models know for one claim's messages: its participant (None: not in the
    read model yet) with their heirs in order, and the claim's row (claim_type None: no row yet)."""

    participant: dict[str, Any] | None
    heirs: list[Heir]
    withdrawn: bool
    claim_type: str | None
    reporter: tuple[str | None, str | None] | None  # (name, phone); None: the claim is not known yet


# The families of a batch's claims, in the order asked, one row each ($1 claim ids, $2 participant ids).
_FAMILIES = (
    "SELECT c.claim_id IS NOT NULL AS claim_known, c.withdrawn_at IS NOT NULL AS withdrawn, c.claim_type, "
    "c.reporter_name, c.reporter_phone, p.participant_id, p.full_name, p.masked_nik, p.phone, "
    "coalesce((SELECT json_agg(h ORDER BY h.position) FROM heirs h WHERE h.participant_id = p.participant_id), "
    "'[]') AS heirs FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(claim_id, participant_id, i) "
    "LEFT JOIN claims c ON c.claim_id = u.claim_id LEFT JOIN participants p ON p.participant_id = u.participant_id "
    "ORDER BY u.i"
)
# The filed claims recorded ($3-$7) in the statement that reads their families: the read sees the
# claims as they were before it (a claim withdrawn before its filing arrived), the new rows not.
_FILE_AND_READ_FAMILIES = (
    "WITH filed AS (INSERT INTO claims (claim_id, participant_id, claim_type, reporter_name, reporter_phone) "
    "SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) ON CONFLICT DO NOTHING) "
    + _FAMILIES
)


async def families(
    conn: asyncpg.Connection,
    claims: list[tuple[str, str]],
    filed: list[tuple[str, str, str, str | None, str | None]] | None = None,
) -> list[Family]:
    """The families of `claims` ((claim_id, participant_id) each), in order, in one statement.
    `filed`: claims to record first, each (claim_id, participant_id, claim_type, reporter name,
    reporter phone), in the same statement; a claim of theirs not known before reads as filed."""
    claim_ids, participant_ids = [c for c, _ in claims], [p for _, p in claims]
    if filed:
        rows = await conn.fetch(_FILE_AND_READ_FAMILIES, claim_ids, participant_ids, *(list(c) for c in zip(*filed)))
        new = {claim_id: (claim_type, name, phone) for claim_id, _, claim_type, name, phone in filed}
    else:
        rows, new = await conn.fetch(_FAMILIES, claim_ids, participant_ids), {}
    found = []
    for claim_id, row in zip(claim_ids, rows, strict=True):
        if row["claim_known"]:
            claim_type, reporter = row["claim_type"], (row["reporter_name"], row["reporter_phone"])
        elif claim_id in new:
            claim_type, reporter = new[claim_id][0], new[claim_id][1:]
        else:
            claim_type, reporter = None, None
        participant = (
            None
            if row["participant_id"] is None
            else {k: row[k] for k in ("participant_id", "full_name", "masked_nik", "phone")}
        )
        found.append(Family(participant, _heirs(row["heirs"]), bool(row["withdrawn"]), claim_type, reporter))
    return found


def _heirs(rows: list[dict[str, Any]]) -> list[Heir]:
    return [
        Heir(
            heir_id=h["heir_id"],
            full_name=h["full_name"],
            relationship=h["relationship"],
            phone=h["phone"],
            email=h["email"],
            language=h["language"],
        )
        for h in rows
    ]


async def claim_withdrawn(conn: asyncpg.Connection, claim_id: str) -> bool:
    return bool(await conn.fetchval("SELECT withdrawn_at IS NOT NULL FROM claims WHERE claim_id = $1", claim_id))


async def set_claim_type(conn: asyncpg.Connection, claim_id: str, claim_type: str) -> None:
    """A supervisor corrected the claim's type (ClaimReclassified)."""
    await conn.execute("UPDATE claims SET claim_type = $2 WHERE claim_id = $1", claim_id, claim_type)


async def note_all_unreachable(conn: asyncpg.Connection, people: list[tuple[str, str, str]]) -> set[tuple[str, str]]:
    """Records who could not be told, each (claim_id, heir_id, about_event), in one statement;
    returns the (claim_id, heir_id) not recorded before."""
    rows = await conn.fetch(
        "INSERT INTO unreachable (claim_id, heir_id, about_event) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING RETURNING claim_id, heir_id",
        *(list(c) for c in zip(*people)),
    )
    return {(r["claim_id"], r["heir_id"]) for r in rows}


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


async def insert_notifications(conn: asyncpg.Connection, rows: list[dict[str, Any]], hold_seconds: float = 0.0) -> int:
    """Messages (of one event or of a batch's) in one statement, which also wakes a dispatcher when
    any is new; returns how many are new. The unique key (event, heir, channel) skips any already
    queued. `hold_seconds`: the new messages are due only that much later (see `hold`)."""
    if not rows:
        return 0
    columns = [[row[c] for row in rows] for c in NOTIFICATION_COLUMNS]
    return await conn.fetchval(
        "WITH queued AS (INSERT INTO notifications (" + ", ".join(NOTIFICATION_COLUMNS) + ", template_params, "
        "next_attempt_at) SELECT " + ", ".join(NOTIFICATION_COLUMNS) + ", ARRAY(SELECT p FROM "
        "jsonb_array_elements_text(params::jsonb) WITH ORDINALITY AS a(p, i) ORDER BY i), "
        "now() + make_interval(secs => $15) "
        "FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
        "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[]) "
        "AS u(" + ", ".join(NOTIFICATION_COLUMNS) + ", params) "
        "ON CONFLICT (event_id, heir_id, channel) DO NOTHING RETURNING 1), new AS (SELECT count(*) AS n FROM queued) "
        "SELECT n FROM new LEFT JOIN LATERAL (SELECT pg_notify($14, '') WHERE new.n > 0) AS woken ON true",
        *columns,
        [json.dumps(list(row["template_params"])) for row in rows],  # a text[] per row, as JSON
        DUE_CHANNEL,
        hold_seconds,
    )


async def lease_due(conn: asyncpg.Connection, limit: int, lease_seconds: float) -> list[dict[str, Any]]:
    """Marks up to `limit` due messages `sending` for a new attempt: its number, its reference
    at the provider and a fresh lease token. Committed before any provider is called."""
    # The limit is written into the statement, not passed: with LIMIT $n PostgreSQL judged its
    # generic plan dearer than a custom one and planned the statement anew at every lease, 0.5 ms
    # each (docs/benchmarks.md, round 11). An int, so nothing but a number reaches the text.
    rows = await conn.fetch(
        f"""
        UPDATE notifications SET status = 'sending', attempts = attempts + 1, lease_token = gen_random_uuid(),
            reference = notification_id || '.' || (attempts + 1),
            locked_until = now() + make_interval(secs => $1)
        WHERE notification_id IN (
            SELECT notification_id FROM notifications
            WHERE status = 'pending' AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT {int(limit)} FOR UPDATE SKIP LOCKED)
        RETURNING *
        """,
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
