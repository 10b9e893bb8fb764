"""Grievances' SQL (schema "grievances"): read model of claims and heirs, grievances,
and the lookups' codes, locks and rate counts. Returns domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg

from services.grievances.domain.documents import HeirContact
from services.grievances.domain.family import ClaimForFamily
from services.grievances.domain.grievance import Grievance
from services.grievances.domain.lookup import PendingLookup, PhoneOnClaim
from shared.contracts.grievances import Contact

# --- read model ---------------------------------------------------------------------------------------------


async def replace_heirs(conn: asyncpg.Connection, participant_id: str, heirs: list[Any]) -> None:
    """The participant's heirs as enrolment now has them; the participant is known from here on."""
    await conn.execute(
        "WITH known AS (INSERT INTO participants (participant_id) VALUES ($1) ON CONFLICT DO NOTHING) "
        "DELETE FROM heirs WHERE participant_id = $1",
        participant_id,
    )
    await conn.executemany(
        "INSERT INTO heirs (heir_id, participant_id, full_name, precedence, phone, email, language) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (heir_id) DO UPDATE SET participant_id = "
        "EXCLUDED.participant_id, full_name = EXCLUDED.full_name, precedence = EXCLUDED.precedence, "
        "phone = EXCLUDED.phone, email = EXCLUDED.email, language = EXCLUDED.language",
        [(h.heir_id, participant_id, h.full_name, h.precedence, h.phone, h.email, h.language) for h in heirs],
    )


async def upsert_claim(
    conn: asyncpg.Connection, claim_id: str, participant_id: str, claim_type: str, reporter_phone: str | None
) -> None:
    await conn.execute(
        "INSERT INTO claims (claim_id, participant_id, claim_type, status, reporter_phone) "
        "VALUES ($1, $2, $3, 'filed', $4) "
        # A decision may arrive (another topic) before the filing: keep its status, take the phone.
        "ON CONFLICT (claim_id) DO UPDATE "
        "SET reporter_phone = coalesce(EXCLUDED.reporter_phone, claims.reporter_phone)",
        claim_id,
        participant_id,
        claim_type,
        reporter_phone,
    )


async def claims_filed(conn: asyncpg.Connection, filings: Sequence[tuple[str, str, str, str | None]]) -> None:
    """Filings (claim, participant, claim type, reporter's phone) in one statement: each claim is in
    the read model as `filed`; one already there keeps its status and takes the phone, and one Jaring
    opened waiting for its family (`awaiting_family`) is filed now that the family came."""
    await conn.execute(
        "INSERT INTO claims (claim_id, participant_id, claim_type, status, reporter_phone) "
        "SELECT f.claim_id, f.participant_id, f.claim_type, 'filed', f.phone "
        "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS f(claim_id, participant_id, claim_type, phone) "
        "ON CONFLICT (claim_id) DO UPDATE "
        "SET reporter_phone = coalesce(EXCLUDED.reporter_phone, claims.reporter_phone), "
        "status = CASE WHEN claims.status = 'awaiting_family' THEN 'filed' ELSE claims.status END, "
        "updated_at = CASE WHEN claims.status = 'awaiting_family' THEN now() ELSE claims.updated_at END",
        *map(list, zip(*filings, strict=True)),
    )


async def claims_decided(conn: asyncpg.Connection, decisions: Sequence[tuple[str, str, date | None]]) -> set[str]:
    """Decisions that leave nothing missing (claim, status, payment deadline) in one statement: each
    claim's status, and its request for documents closed. An approval read after the payout (they
    travel on different topics) does not undo it. Returns the claims the read model knows; the
    others are changed nowhere."""
    known = await conn.fetchval(
        "WITH d AS (SELECT * FROM unnest($1::text[], $2::text[], $3::date[]) AS d(claim_id, status, deadline)), "
        "changed AS (UPDATE claims c SET status = d.status, missing_documents = '[]', "
        "payment_deadline = coalesce(d.deadline, c.payment_deadline), updated_at = now() FROM d "
        "WHERE c.claim_id = d.claim_id AND NOT (c.status = 'payout_recorded' AND d.status = 'approved')), "
        "closed AS (UPDATE document_requests r SET open = false FROM d WHERE r.claim_id = d.claim_id AND r.open) "
        "SELECT coalesce(array_agg(c.claim_id), '{}') FROM claims c JOIN d ON d.claim_id = c.claim_id",
        *map(list, zip(*decisions, strict=True)),
    )
    return set(known)


async def payouts_recorded(
    conn: asyncpg.Connection, claim_ids: Sequence[str], shares: Sequence[tuple[str, str, int]]
) -> set[str]:
    """Payouts in one statement: each known claim's cash per heir (`shares`: claim, heir, amount)
    replaces what it had, its status is payout_recorded and its request for documents closed.
    Returns the claims the read model knows; the others are changed nowhere."""
    known = await conn.fetchval(
        "WITH known AS (SELECT claim_id FROM claims WHERE claim_id = ANY($1::text[])), "
        "s AS (SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[]) AS s(claim_id, heir_id, amount) "
        "WHERE s.claim_id IN (SELECT claim_id FROM known)), "
        "dropped AS (DELETE FROM payout_shares o WHERE o.claim_id IN (SELECT claim_id FROM known) "
        "AND NOT EXISTS (SELECT FROM s WHERE s.claim_id = o.claim_id AND s.heir_id = o.heir_id)), "
        "kept AS (INSERT INTO payout_shares (claim_id, heir_id, amount) SELECT claim_id, heir_id, amount FROM s "
        "ON CONFLICT (claim_id, heir_id) DO UPDATE SET amount = EXCLUDED.amount), "
        "paid AS (UPDATE claims SET status = 'payout_recorded', missing_documents = '[]', updated_at = now() "
        "WHERE claim_id IN (SELECT claim_id FROM known)), "
        "closed AS (UPDATE document_requests SET open = false WHERE claim_id IN (SELECT claim_id FROM known) AND open) "
        "SELECT coalesce(array_agg(claim_id), '{}') FROM known",
        list(claim_ids),
        *(map(list, zip(*shares, strict=True)) if shares else ([], [], [])),
    )
    return set(known)


async def disbursements_changed(conn: asyncpg.Connection, changes: Sequence[tuple[str, str]]) -> None:
    """Each claim's disbursement status (claim, status), in one statement."""
    await conn.execute(
        "UPDATE claims c SET disbursement_status = d.status, updated_at = now() "
        "FROM unnest($1::text[], $2::text[]) AS d(claim_id, status) WHERE c.claim_id = d.claim_id",
        *map(list, zip(*changes, strict=True)),
    )


async def claims_participant(conn: asyncpg.Connection, claim_id: str) -> tuple[str, bool] | None:
    """The claim's participant and whether their enrolment (with the heirs) has been read; None for a
    claim not read yet."""
    row = await conn.fetchrow(
        "SELECT c.participant_id, p.participant_id IS NOT NULL AS enrolled FROM claims c "
        "LEFT JOIN participants p ON p.participant_id = c.participant_id WHERE c.claim_id = $1",
        claim_id,
    )
    return (row["participant_id"], row["enrolled"]) if row else None


async def set_claim_status(
    conn: asyncpg.Connection, claim_id: str, status: str, missing: list[str] | None, payment_deadline: date | None
) -> None:
    await conn.execute(
        "UPDATE claims SET status = $2, missing_documents = coalesce($3, missing_documents), "
        "payment_deadline = coalesce($4, payment_deadline), updated_at = now() WHERE claim_id = $1",
        claim_id,
        status,
        missing,
        payment_deadline,
    )


async def claim_for_family(conn: asyncpg.Connection, claim_id: str) -> ClaimForFamily | None:
    row = await conn.fetchrow(
        "SELECT c.*, coalesce((SELECT json_object_agg(heir_id, amount) FROM payout_shares s "
        "WHERE s.claim_id = c.claim_id), '{}') AS shares FROM claims c WHERE c.claim_id = $1",
        claim_id,
    )
    if row is None:
        return None
    return ClaimForFamily(
        row["claim_id"],
        row["claim_type"],
        row["status"],
        tuple(row["missing_documents"]),
        row["payment_deadline"],
        {k: int(v) for k, v in row["shares"].items()},
        row["disbursement_status"],
    )


async def claim_participant(conn: asyncpg.Connection, claim_id: str) -> str | None:
    return await conn.fetchval("SELECT participant_id FROM claims WHERE claim_id = $1", claim_id)


async def phones_on_claim(conn: asyncpg.Connection, claim_id: str) -> list[PhoneOnClaim]:
    """The participant's heirs with a phone, and the reporter's phone."""
    rows = await conn.fetch(
        "SELECT h.heir_id, h.phone, h.language FROM claims c JOIN heirs h ON h.participant_id = c.participant_id "
        "WHERE c.claim_id = $1 AND h.phone IS NOT NULL "
        "UNION ALL SELECT 'reporter', reporter_phone, 'id' FROM claims "
        "WHERE claim_id = $1 AND reporter_phone IS NOT NULL",
        claim_id,
    )
    return [PhoneOnClaim(r["heir_id"], r["phone"], r["language"]) for r in rows]


async def claims_with_phone(conn: asyncpg.Connection, phone: str) -> list[str]:
    """Claims on which this phone is recorded (an heir's or the reporter's), the most recently
    changed first: the one a family writing in is most likely about."""
    rows = await conn.fetch(
        "SELECT c.claim_id FROM claims c WHERE c.reporter_phone = $1 OR EXISTS (SELECT 1 FROM heirs h "
        "WHERE h.participant_id = c.participant_id AND h.phone = $1) ORDER BY c.updated_at DESC, c.claim_id",
        phone,
    )
    return [r["claim_id"] for r in rows]


async def claim_row(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM claims WHERE claim_id = $1", claim_id)
    return dict(row) if row else None


async def heir_contacts(conn: asyncpg.Connection, participant_id: str) -> list[HeirContact]:
    rows = await conn.fetch(
        "SELECT heir_id, precedence, phone, email, language FROM heirs WHERE participant_id = $1", participant_id
    )
    return [HeirContact(r["heir_id"], r["precedence"], r["phone"], r["email"], r["language"]) for r in rows]


# --- what a family must bring ---------------------------------------------------------------------------------


async def open_request(conn: asyncpg.Connection, claim_id: str) -> list[str] | None:
    return await conn.fetchval(
        "SELECT missing FROM document_requests WHERE claim_id = $1 AND open FOR UPDATE", claim_id
    )


async def save_request(
    conn: asyncpg.Connection, claim_id: str, missing: list[str], requested_on: date, remind_on: date
) -> None:
    await conn.execute(
        "INSERT INTO document_requests (claim_id, missing, requested_on, remind_on) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (claim_id) DO UPDATE SET missing = EXCLUDED.missing, requested_on = EXCLUDED.requested_on, "
        "remind_on = EXCLUDED.remind_on, reminded_at = NULL, open = true",
        claim_id,
        missing,
        requested_on,
        remind_on,
    )


async def close_request(conn: asyncpg.Connection, claim_id: str) -> None:
    await conn.execute("UPDATE document_requests SET open = false WHERE claim_id = $1 AND open", claim_id)


async def due_reminders(conn: asyncpg.Connection, today: date, limit: int = 500) -> list[str]:
    rows = await conn.fetch(
        "SELECT claim_id FROM document_requests WHERE open AND reminded_at IS NULL AND remind_on <= $1 "
        "ORDER BY remind_on LIMIT $2 FOR UPDATE SKIP LOCKED",
        today,
        limit,
    )
    return [r["claim_id"] for r in rows]


async def mark_reminded(conn: asyncpg.Connection, claim_id: str) -> None:
    await conn.execute("UPDATE document_requests SET reminded_at = now() WHERE claim_id = $1", claim_id)


# --- grievances ------------------------------------------------------------------------------------------------

GRIEVANCE_FIELDS = (
    "grievance_id",
    "category",
    "channel",
    "status",
    "text",
    "filed_by",
    "assigned_to",
    "filed_on",
    "due_on",
    "claim_id",
    "participant_id",
    "escalated_to",
    "resolution",
    "resolved_by",
    "resolved_on",
    "reopen_count",
)


def _grievance(row: asyncpg.Record) -> Grievance:
    contact = Contact.model_validate(row["contact"]) if row["contact"] else None
    return Grievance(**{f: row[f] for f in GRIEVANCE_FIELDS}, contact=contact)


async def open_counts(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT assigned_to, count(*) AS n FROM grievances WHERE status = 'open' GROUP BY 1")
    return {r["assigned_to"]: r["n"] for r in rows}


async def insert_grievance(conn: asyncpg.Connection, g: Grievance, source_message: str | None = None) -> bool:
    """False when the message that files it has filed it already."""
    inserted = await conn.fetchval(
        "INSERT INTO grievances (grievance_id, category, channel, status, claim_id, participant_id, text, filed_by, "
        "assigned_to, filed_on, due_on, contact, source_message) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
        "ON CONFLICT (source_message) DO NOTHING RETURNING true",
        g.grievance_id,
        g.category,
        g.channel,
        g.status,
        g.claim_id,
        g.participant_id,
        g.text,
        g.filed_by,
        g.assigned_to,
        g.filed_on,
        g.due_on,
        g.contact.model_dump() if g.contact else None,
        source_message,
    )
    return bool(inserted)


async def load_grievance(conn: asyncpg.Connection, grievance_id: str, *, for_update: bool = False) -> Grievance | None:
    row = await conn.fetchrow(
        "SELECT * FROM grievances WHERE grievance_id = $1" + (" FOR UPDATE" if for_update else ""), grievance_id
    )
    return _grievance(row) if row else None


async def save_grievance(conn: asyncpg.Connection, g: Grievance) -> None:
    await conn.execute(
        "UPDATE grievances SET status = $2, due_on = $3, escalated_to = $4, "
        "escalated_at = CASE WHEN $4::text IS NULL THEN NULL ELSE coalesce(escalated_at, now()) END, "
        "resolution = $5, resolved_by = $6, resolved_on = $7, reopen_count = $8, updated_at = now() "
        "WHERE grievance_id = $1",
        g.grievance_id,
        g.status,
        g.due_on,
        g.escalated_to,
        g.resolution,
        g.resolved_by,
        g.resolved_on,
        g.reopen_count,
    )


async def add_comment(conn: asyncpg.Connection, grievance_id: str, author: str, role: str, text: str) -> None:
    await conn.execute(
        "INSERT INTO grievance_comments (grievance_id, author, role, text) VALUES ($1, $2, $3, $4)",
        grievance_id,
        author,
        role,
        text,
    )


async def comments(conn: asyncpg.Connection, grievance_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT author, role, text, at FROM grievance_comments WHERE grievance_id = $1 ORDER BY at, id", grievance_id
    )
    return [dict(r) for r in rows]


async def overdue_candidates(conn: asyncpg.Connection, today: date, limit: int = 500) -> list[Grievance]:
    rows = await conn.fetch(
        "SELECT * FROM grievances WHERE status = 'open' AND escalated_to IS NULL AND due_on < $1 "
        "ORDER BY due_on LIMIT $2 FOR UPDATE SKIP LOCKED",
        today,
        limit,
    )
    return [_grievance(r) for r in rows]


async def list_grievances(
    conn: asyncpg.Connection,
    *,
    claim_id: str | None,
    status: str | None,
    assigned_to: str | None,
    overdue_on: date | None,
    limit: int,
) -> list[Grievance]:
    rows = await conn.fetch(
        "SELECT * FROM grievances WHERE ($1::text IS NULL OR claim_id = $1) AND ($2::text IS NULL OR status = $2) "
        "AND ($3::text IS NULL OR assigned_to = $3 OR escalated_to = $3) "
        "AND ($4::date IS NULL OR (status = 'open' AND due_on < $4)) ORDER BY due_on, created_at LIMIT $5",
        claim_id,
        status,
        assigned_to,
        overdue_on,
        limit,
    )
    return [_grievance(r) for r in rows]


# --- lookups ------------------------------------------------------------------------------------------------------


async def count_recent(conn: asyncpg.Connection, scope: str, key: str, minutes: int) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM rate_hits WHERE scope = $1 AND key = $2 AND at > now() - make_interval(mins => $3)",
        scope,
        key,
        minutes,
    )


async def hit(conn: asyncpg.Connection, scope: str, key: str) -> None:
    await conn.execute("INSERT INTO rate_hits (scope, key) VALUES ($1, $2)", scope, key)


async def forget_old_hits(conn: asyncpg.Connection) -> None:
    await conn.execute("DELETE FROM rate_hits WHERE at < now() - interval '1 day'")
    await conn.execute("DELETE FROM lookups WHERE created_at < now() - interval '1 day'")


async def insert_lookup(
    conn: asyncpg.Connection,
    lookup_id: str,
    claim_number: str,
    phone: str,
    client: str,
    heir_id: str | None,
    code_hash: str | None,
    expires_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO lookups (lookup_id, claim_number, phone, client, heir_id, code_hash, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        lookup_id,
        claim_number,
        phone,
        client,
        heir_id,
        code_hash,
        expires_at,
    )


async def pending_lookup(conn: asyncpg.Connection, lookup_id: str) -> PendingLookup | None:
    row = await conn.fetchrow("SELECT * FROM lookups WHERE lookup_id = $1 FOR UPDATE", lookup_id)
    if row is None:
        return None
    return PendingLookup(row["lookup_id"], row["claim_number"], row["code_hash"], row["expires_at"], row["used"])


async def lookup_row(conn: asyncpg.Connection, lookup_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM lookups WHERE lookup_id = $1", lookup_id)
    return dict(row) if row else None


async def mark_verified(conn: asyncpg.Connection, lookup_id: str, at: datetime) -> None:
    await conn.execute("UPDATE lookups SET used = true, verified_at = $2 WHERE lookup_id = $1", lookup_id, at)


async def lock_of(conn: asyncpg.Connection, claim_number: str) -> tuple[int, datetime | None]:
    await conn.execute("INSERT INTO lookup_locks (claim_number) VALUES ($1) ON CONFLICT DO NOTHING", claim_number)
    row = await conn.fetchrow(
        "SELECT wrong_codes, locked_until FROM lookup_locks WHERE claim_number = $1 FOR UPDATE", claim_number
    )
    return row["wrong_codes"], row["locked_until"]


async def set_lock(
    conn: asyncpg.Connection, claim_number: str, wrong_codes: int, locked_until: datetime | None
) -> None:
    await conn.execute(
        "UPDATE lookup_locks SET wrong_codes = $2, locked_until = coalesce($3, locked_until) WHERE claim_number = $1",
        claim_number,
        wrong_codes,
        locked_until,
    )
