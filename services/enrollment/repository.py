"""Enrollment's SQL (schema "enrollment"): participants, heirs, contributions, coverage, imports."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from services.enrollment.domain import Heir, Period, Registration
from services.enrollment.domain.balances import Paid
from services.enrollment.domain.duplicates import Match, Person
from services.enrollment.domain.income import IncomeChange


async def participant_id_for_nik(conn: asyncpg.Connection, nik: str) -> str | None:
    return await conn.fetchval("SELECT participant_id FROM participants WHERE nik = $1", nik)


async def existing_niks(conn: asyncpg.Connection, niks: list[str]) -> dict[str, str]:
    rows = await conn.fetch("SELECT nik, participant_id FROM participants WHERE nik = ANY($1::text[])", niks)
    return {r["nik"]: r["participant_id"] for r in rows}


PARTICIPANT_COLUMNS = (
    "participant_id, nik, nik_masked, full_name, birth_date, sex, phone, address, kecamatan, segment, "
    "monthly_income, programs, member_since, source"
)


def participant_row(participant_id: str, reg: Registration, address: str, source: str) -> tuple:
    return (
        participant_id,
        reg.nik,
        reg.nik_masked,
        reg.full_name,
        reg.birth_date,
        reg.sex,
        reg.phone,
        address,
        reg.kecamatan,
        reg.segment,
        reg.monthly_income,
        list(reg.programs),
        reg.member_since,
        source,
    )


HEIR_COLUMNS = (
    "heir_id",
    "participant_id",
    "position",
    "full_name",
    "relationship",
    "precedence",
    "phone",
    "email",
    "language",
    "birth_date",
)


# COPY writes any number of rows in one statement: the bulk import writes a chunk of
# hundreds at a time, where an INSERT per row made PostgreSQL execute each separately.
# The unique NIK is enforced by COPY as by INSERT.
async def insert_participants(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    if rows:
        await conn.copy_records_to_table("participants", columns=PARTICIPANT_COLUMNS.split(", "), records=rows)


async def insert_heirs(conn: asyncpg.Connection, rows: list[tuple]) -> list[dict[str, Any]]:
    """rows: (heir_id, participant_id, position, Heir). Answers the heirs as stored, each the dict
    `SELECT * FROM heirs` gives, so a caller need not read back what it wrote."""
    records = [
        (hid, pid, pos, h.full_name, h.relationship, h.precedence, h.phone, h.email, h.language, h.birth_date)
        for hid, pid, pos, h in rows
    ]
    if records:
        await conn.copy_records_to_table("heirs", columns=HEIR_COLUMNS, records=records)
    return [dict(zip(HEIR_COLUMNS, record)) for record in records]


async def delete_heirs(conn: asyncpg.Connection, participant_id: str) -> None:
    await conn.execute("DELETE FROM heirs WHERE participant_id = $1", participant_id)


# Participants with their heirs and declared incomes in one statement (a death applied read them
# three times in three statements each). Arrays of the tables' own row types, not json_agg: asyncpg
# decodes them with their column types, so a heir is the same dict `SELECT * FROM heirs` gives.
_PARTICIPANTS = (
    "SELECT p.*, "
    "array(SELECT h FROM heirs h WHERE h.participant_id = p.participant_id ORDER BY h.position) AS heirs, "
    "array(SELECT i FROM income_history i WHERE i.participant_id = p.participant_id ORDER BY i.effective_from) "
    "AS income_history FROM participants p "
)


async def load_participant(
    conn: asyncpg.Connection, participant_id: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        _PARTICIPANTS + "WHERE p.participant_id = $1" + (" FOR UPDATE OF p" if for_update else ""), participant_id
    )
    return _participant(row) if row is not None else None


async def load_participants(
    conn: asyncpg.Connection, participant_ids: list[str], *, for_update: bool = False
) -> dict[str, dict[str, Any]]:
    """Many participants by id, the unknown left out; locked in id order, the same in every
    transaction that locks several, so two never wait for each other."""
    rows = await conn.fetch(
        _PARTICIPANTS
        + "WHERE p.participant_id = ANY($1::text[]) ORDER BY p.participant_id"
        + (" FOR UPDATE OF p" if for_update else ""),
        participant_ids,
    )
    return {row["participant_id"]: _participant(row) for row in rows}


def _participant(row: asyncpg.Record) -> dict[str, Any]:
    participant = dict(row)
    participant["heirs"] = [dict(h) for h in row["heirs"]]
    participant["income_history"] = [
        IncomeChange(Period.parse(i["effective_from"]), i["monthly_income"]) for i in row["income_history"]
    ]
    return participant


async def update_participant(conn: asyncpg.Connection, participant_id: str, reg: Registration, address: str) -> None:
    await conn.execute(
        "UPDATE participants SET full_name=$2, phone=$3, address=$4, kecamatan=$5, segment=$6, monthly_income=$7, "
        "programs=$8, updated_at=now() WHERE participant_id=$1",
        participant_id,
        reg.full_name,
        reg.phone,
        address,
        reg.kecamatan,
        reg.segment,
        reg.monthly_income,
        list(reg.programs),
    )


# --- declared income, dated -------------------------------------------------------------------


async def insert_income_changes(conn: asyncpg.Connection, rows: list[tuple[str, IncomeChange, str]]) -> None:
    """rows: (participant_id, change, recorded_by). A second change for the same month replaces the first."""
    if rows:
        # One statement for any number of rows (arrays unnested): the bulk import writes a chunk at once.
        await conn.execute(
            "INSERT INTO income_history (participant_id, effective_from, monthly_income, recorded_by) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[]) "
            "ON CONFLICT (participant_id, effective_from) DO UPDATE SET "
            "monthly_income = EXCLUDED.monthly_income, recorded_by = EXCLUDED.recorded_by, recorded_at = now()",
            [pid for pid, _, _ in rows],
            [str(c.effective_from) for _, c, _ in rows],
            [c.monthly_income for _, c, _ in rows],
            [by for _, _, by in rows],
        )


async def set_monthly_income(conn: asyncpg.Connection, participant_id: str, monthly_income: int) -> None:
    await conn.execute(
        "UPDATE participants SET monthly_income = $2, updated_at = now() WHERE participant_id = $1",
        participant_id,
        monthly_income,
    )


# --- deaths ---------------------------------------------------------------------------------------


async def record_deaths(conn: asyncpg.Connection, deaths: list[tuple[str, date, str]]) -> None:
    """deaths: (participant_id, deceased_on, claim_id), in one statement (arrays unnested)."""
    await conn.execute(
        "UPDATE participants p SET deceased_on = u.deceased_on, death_claim_id = u.claim_id, updated_at = now() "
        "FROM unnest($1::text[], $2::date[], $3::text[]) AS u(participant_id, deceased_on, claim_id) "
        "WHERE p.participant_id = u.participant_id",
        *map(list, zip(*deaths)),
    )


async def heir_owners(conn: asyncpg.Connection, heir_ids: list[str]) -> dict[str, str]:
    rows = await conn.fetch("SELECT heir_id, participant_id FROM heirs WHERE heir_id = ANY($1::text[])", heir_ids)
    return {r["heir_id"]: r["participant_id"] for r in rows}


async def record_audits(conn: asyncpg.Connection, rows: list[tuple[str, str, str, str, dict[str, Any]]]) -> None:
    """rows: (actor, role, action, subject_id, details), as shared.db.record_audit writes one, in one
    statement (arrays unnested): a batch of deaths audited at once, in the order of `rows`."""
    await conn.execute(
        "INSERT INTO audit_log (actor, role, action, subject_id, details) SELECT a, r, x, s, d "
        "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[]) WITH ORDINALITY "
        "AS u(a, r, x, s, d, n) ORDER BY n",
        *map(list, zip(*rows)),
    )


# --- contributions --------------------------------------------------------------------------------


async def contributions_paid(conn: asyncpg.Connection, participant_id: str) -> list[tuple[Paid, str]]:
    """Every recorded contribution with its payer, in the order the money arrived."""
    rows = await conn.fetch(
        "SELECT contribution_id, period, amount, amount_due, paid_at, payer FROM contributions "
        "WHERE participant_id = $1 ORDER BY paid_at, recorded_at",
        participant_id,
    )
    return [_paid_by(r) for r in rows]


async def contributions_paid_by(
    conn: asyncpg.Connection, participant_ids: list[str]
) -> dict[str, list[tuple[Paid, str]]]:
    """contributions_paid for many participants in one statement; one with none is left out."""
    rows = await conn.fetch(
        "SELECT participant_id, contribution_id, period, amount, amount_due, paid_at, payer FROM contributions "
        "WHERE participant_id = ANY($1::text[]) ORDER BY paid_at, recorded_at",
        participant_ids,
    )
    paid: dict[str, list[tuple[Paid, str]]] = {}
    for r in rows:
        paid.setdefault(r["participant_id"], []).append(_paid_by(r))
    return paid


def _paid_by(r: asyncpg.Record) -> tuple[Paid, str]:
    return Paid(r["contribution_id"], Period.parse(r["period"]), r["amount"], r["amount_due"], r["paid_at"]), r["payer"]


async def insert_contribution(
    conn: asyncpg.Connection,
    contribution_id: str,
    participant_id: str,
    period: Period,
    amount: int,
    amount_due: int,
    payer: str,
    paid_at: date,
    recorded_by: str,
) -> None:
    await conn.execute(
        "INSERT INTO contributions (contribution_id, participant_id, period, amount, amount_due, payer, paid_at, "
        "recorded_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        contribution_id,
        participant_id,
        str(period),
        amount,
        amount_due,
        payer,
        paid_at,
        recorded_by,
    )


async def list_contributions(conn: asyncpg.Connection, participant_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT contribution_id, period, amount, amount_due, payer, paid_at FROM contributions "
        "WHERE participant_id = $1 ORDER BY period, paid_at, recorded_at",
        participant_id,
    )
    return [dict(r) for r in rows]


async def store_coverages(
    conn: asyncpg.Connection, items: list[tuple[str, dict[str, Any], date, date | None]]
) -> dict[str, dict[str, Any]]:
    """Stores (participant_id, snapshot, as_of, first_covered_on) where the stored snapshot differs
    (jsonb equality, which is the dicts' equality for JSON), in one statement; answers the snapshots
    stored before, by participant (none: nothing was stored), for the caller to tell what changed.
    One statement, where reading the snapshot to compare it in Python took one more."""
    # The data-modifying CTE runs whether or not it is read; `before` sees the rows as they were.
    rows = await conn.fetch(
        "WITH before AS (SELECT participant_id, snapshot FROM coverage WHERE participant_id = ANY($1::text[])), "
        "saved AS (INSERT INTO coverage (participant_id, status, as_of, active_through, grace_until, "
        "first_covered_on, snapshot) SELECT p, s, a, t, g, f, j FROM unnest($1::text[], $2::text[], $3::date[], "
        "$4::date[], $5::date[], $6::date[], $7::jsonb[]) AS u(p, s, a, t, g, f, j) "
        "ON CONFLICT (participant_id) DO UPDATE SET status=EXCLUDED.status, as_of=EXCLUDED.as_of, "
        "active_through=EXCLUDED.active_through, grace_until=EXCLUDED.grace_until, "
        "first_covered_on=EXCLUDED.first_covered_on, snapshot=EXCLUDED.snapshot "
        "WHERE coverage.snapshot IS DISTINCT FROM EXCLUDED.snapshot) "
        "SELECT participant_id, snapshot FROM before",
        *map(list, _coverage_columns(items)),
    )
    return {r["participant_id"]: r["snapshot"] for r in rows}


def _coverage_columns(items: list[tuple[str, dict[str, Any], date, date | None]]) -> list[tuple]:
    return list(
        zip(
            *[
                (pid, s["status"], as_of, _day(s.get("active_through")), _day(s.get("grace_until")), first, s)
                for pid, s, as_of, first in items
            ]
        )
    )


async def save_coverages(conn: asyncpg.Connection, items: list[tuple[str, dict[str, Any], date, date | None]]) -> None:
    """Upserts (participant_id, snapshot, as_of, first_covered_on) in one statement (arrays
    unnested), so a chunk of the bulk import is one execution, not one per participant.
    Not COPY: it cannot upsert, and the pool's jsonb codec is text-only (shared/db.py)."""
    if not items:
        return
    await conn.execute(
        "INSERT INTO coverage (participant_id, status, as_of, active_through, grace_until, first_covered_on, snapshot) "
        "SELECT p, s, a, t, g, f, j FROM unnest($1::text[], $2::text[], $3::date[], $4::date[], $5::date[], "
        "$6::date[], $7::jsonb[]) AS u(p, s, a, t, g, f, j) "
        "ON CONFLICT (participant_id) DO UPDATE SET status=EXCLUDED.status, "
        "as_of=EXCLUDED.as_of, active_through=EXCLUDED.active_through, grace_until=EXCLUDED.grace_until, "
        "first_covered_on=EXCLUDED.first_covered_on, snapshot=EXCLUDED.snapshot",
        *map(list, _coverage_columns(items)),
    )


async def participants_due_for_coverage_change(conn: asyncpg.Connection, as_of: date) -> list[str]:
    """Those whose announced status may have moved on by `as_of` (active past its month, grace past its end)."""
    # The deceased's coverage was fixed at the death (coverage_at_death): nothing moves it on.
    rows = await conn.fetch(
        "SELECT c.participant_id FROM coverage c JOIN participants p USING (participant_id) "
        "WHERE p.deceased_on IS NULL AND ((c.status = 'active' AND c.active_through < $1) "
        "OR (c.status = 'grace' AND c.grace_until < $1))",
        as_of,
    )
    return [r["participant_id"] for r in rows]


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


async def campaign_summary(conn: asyncpg.Connection, year: int) -> list[dict[str, Any]]:
    """Per kecamatan and segment: newly covered in `year`, active, grace, lapsed; the deceased apart."""
    rows = await conn.fetch(
        """
        SELECT p.kecamatan, p.segment,
               count(*) FILTER (WHERE extract(year FROM c.first_covered_on) = $1) AS newly_covered,
               count(*) FILTER (WHERE p.deceased_on IS NULL AND c.status = 'active') AS active,
               count(*) FILTER (WHERE p.deceased_on IS NULL AND c.status = 'grace') AS grace,
               count(*) FILTER (WHERE p.deceased_on IS NULL AND c.status = 'lapsed') AS lapsed,
               count(*) FILTER (WHERE p.deceased_on IS NULL AND (c.status IS NULL OR c.status = 'not_started'))
                   AS not_started,
               count(*) FILTER (WHERE p.deceased_on IS NOT NULL) AS deceased
        FROM participants p LEFT JOIN coverage c USING (participant_id)
        GROUP BY p.kecamatan, p.segment ORDER BY p.kecamatan, p.segment
        """,
        year,
    )
    return [dict(r) for r in rows]


# --- imports ---------------------------------------------------------------------------------


async def import_by_hash(conn: asyncpg.Connection, file_sha256: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM imports WHERE file_sha256 = $1", file_sha256)
    return dict(row) if row else None


async def create_import(
    conn: asyncpg.Connection,
    import_id: str,
    file_sha256: str,
    filename: str,
    rows_total: int,
    started_by: str,
    content: bytes,
) -> None:
    """`content`: the file, kept until the import ends so a restart can resume it."""
    await conn.execute(
        "INSERT INTO imports (import_id, file_sha256, filename, rows_total, started_by, content) "
        "VALUES ($1,$2,$3,$4,$5,$6)",
        import_id,
        file_sha256,
        filename,
        rows_total,
        started_by,
        content,
    )


async def advance_import(
    conn: asyncpg.Connection,
    import_id: str,
    done: int,
    enrolled: int,
    rejected: int,
    existing: int,
    rejections: list[tuple[int, list[dict]]],
) -> None:
    await conn.execute(
        "UPDATE imports SET rows_done = rows_done + $2, rows_enrolled = rows_enrolled + $3, "
        "rows_rejected = rows_rejected + $4, rows_existing = rows_existing + $5, heartbeat_at = now() "
        "WHERE import_id = $1",
        import_id,
        done,
        enrolled,
        rejected,
        existing,
    )
    if rejections:
        await conn.executemany(
            "INSERT INTO import_rejections (import_id, row_number, errors) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [(import_id, n, errs) for n, errs in rejections],
        )


async def finish_import(conn: asyncpg.Connection, import_id: str, status: str, reason: str | None = None) -> None:
    await conn.execute(
        "UPDATE imports SET status = $2, finished_at = now(), failure_reason = $3, content = NULL WHERE import_id = $1",
        import_id,
        status,
        reason,
    )


async def release_import(conn: asyncpg.Connection, import_id: str) -> None:
    """The process stops mid-import: the next start may resume it at once (no heartbeat to wait out)."""
    await conn.execute(
        "UPDATE imports SET heartbeat_at = '-infinity' WHERE import_id = $1 AND status = 'running'", import_id
    )


async def claim_interrupted_imports(conn: asyncpg.Connection, stale_seconds: float) -> list[dict[str, Any]]:
    """Running imports whose process is gone (no heartbeat for `stale_seconds`), claimed for this
    process in one statement, so two instances starting together do not both resume one."""
    rows = await conn.fetch(
        "UPDATE imports SET heartbeat_at = now(), resumed = resumed + 1 WHERE status = 'running' "
        "AND heartbeat_at < now() - make_interval(secs => $1) RETURNING import_id, content, rows_done, rows_total",
        stale_seconds,
    )
    return [dict(r) for r in rows]


async def load_import(conn: asyncpg.Connection, import_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM imports WHERE import_id = $1", import_id)
    if row is None:
        return None
    result = dict(row)
    rejected = await conn.fetch(
        "SELECT row_number, errors FROM import_rejections WHERE import_id = $1 ORDER BY row_number", import_id
    )
    result["rejections"] = [{"row": r["row_number"], "errors": r["errors"]} for r in rejected]
    return result


async def search_participants(conn: asyncpg.Connection, query: str, limit: int = 20) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT participant_id, nik_masked, full_name, kecamatan, segment FROM participants "
        "WHERE lower(full_name) LIKE '%' || lower($1) || '%' OR nik_masked = $1 ORDER BY full_name LIMIT $2",
        query,
        limit,
    )
    return [dict(r) for r in rows]


async def find_participants(
    conn: asyncpg.Connection, nik: str | None, phone: str | None, limit: int = 20
) -> list[dict[str, Any]]:
    """By full NIK, or by phone (the participant's own, or an heir's: a family calls from theirs)."""
    rows = await conn.fetch(
        "SELECT participant_id, nik_masked, full_name, kecamatan, segment FROM participants p "
        "WHERE ($1::text IS NOT NULL AND nik = $1) OR ($2::text IS NOT NULL AND (phone = $2 OR EXISTS "
        "(SELECT 1 FROM heirs h WHERE h.participant_id = p.participant_id AND h.phone = $2))) "
        "ORDER BY full_name LIMIT $3",
        nik,
        phone,
        limit,
    )
    return [dict(r) for r in rows]


def heir_view(heir_id: str, heir: Heir) -> dict[str, Any]:
    return {
        "heir_id": heir_id,
        "full_name": heir.full_name,
        "relationship": heir.relationship,
        "precedence": heir.precedence,
        "phone": heir.phone,
        "email": heir.email,
        "language": heir.language,
        "birth_date": heir.birth_date,
    }


# --- likely duplicate people ----------------------------------------------------------------------


async def people(conn: asyncpg.Connection, participant_ids: list[str]) -> list[Person]:
    """The people with these ids, in the order given."""
    rows = await conn.fetch(
        "SELECT participant_id, full_name, birth_date, kecamatan, address FROM participants "
        "WHERE participant_id = ANY($1::text[])",
        participant_ids,
    )
    by_id = {r["participant_id"]: Person(**dict(r)) for r in rows}
    return [by_id[pid] for pid in participant_ids if pid in by_id]


async def people_born_on(conn: asyncpg.Connection, days: list[date], excluding: list[str]) -> list[Person]:
    rows = await conn.fetch(
        "SELECT participant_id, full_name, birth_date, kecamatan, address FROM participants "
        "WHERE birth_date = ANY($1::date[]) AND participant_id <> ALL($2::text[]) ORDER BY created_at",
        days,
        excluding,
    )
    return [Person(**dict(r)) for r in rows]


async def insert_duplicate_candidates(conn: asyncpg.Connection, rows: list[tuple[str, Match]]) -> None:
    """rows: (candidate_id, match); a pair already flagged is left as it is."""
    if rows:
        await conn.executemany(
            "INSERT INTO duplicate_candidates (candidate_id, participant_id, duplicate_of, score, reasons) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (participant_id, duplicate_of) DO NOTHING",
            [(cid, m.participant_id, m.duplicate_of, m.score, list(m.reasons)) for cid, m in rows],
        )


_CANDIDATE_VIEW = """
    SELECT d.candidate_id, d.score, d.reasons, d.status, d.decided_by, d.decided_at, d.decision_reason, d.created_at,
           a.participant_id AS a_id, a.full_name AS a_name, a.nik_masked AS a_nik, a.birth_date AS a_birth,
           a.kecamatan AS a_kecamatan, a.address AS a_address, a.created_at AS a_enrolled,
           b.participant_id AS b_id, b.full_name AS b_name, b.nik_masked AS b_nik, b.birth_date AS b_birth,
           b.kecamatan AS b_kecamatan, b.address AS b_address, b.created_at AS b_enrolled
    FROM duplicate_candidates d JOIN participants a ON a.participant_id = d.participant_id
                                JOIN participants b ON b.participant_id = d.duplicate_of
"""


def _candidate(row: asyncpg.Record) -> dict[str, Any]:
    def side(p: str) -> dict[str, Any]:
        return {
            "participant_id": row[f"{p}_id"],
            "full_name": row[f"{p}_name"],
            "nik_masked": row[f"{p}_nik"],
            "birth_date": row[f"{p}_birth"],
            "kecamatan": row[f"{p}_kecamatan"],
            "address": row[f"{p}_address"],
            "enrolled_at": row[f"{p}_enrolled"],
        }

    return {
        "candidate_id": row["candidate_id"],
        "score": round(row["score"], 4),
        "reasons": row["reasons"],
        "status": row["status"],
        "decided_by": row["decided_by"],
        "decided_at": row["decided_at"],
        "decision_reason": row["decision_reason"],
        "flagged_at": row["created_at"],
        "participant": side("a"),
        "duplicate_of": side("b"),
    }


async def list_duplicate_candidates(conn: asyncpg.Connection, status: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        _CANDIDATE_VIEW + " WHERE d.status = $1 ORDER BY d.created_at, d.candidate_id LIMIT $2", status, limit
    )
    return [_candidate(r) for r in rows]


async def load_duplicate_candidate(
    conn: asyncpg.Connection, candidate_id: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    lock = " FOR UPDATE OF d" if for_update else ""
    row = await conn.fetchrow(_CANDIDATE_VIEW + f" WHERE d.candidate_id = $1{lock}", candidate_id)
    return _candidate(row) if row else None


async def decide_duplicate_candidate(
    conn: asyncpg.Connection, candidate_id: str, status: str, decided_by: str, reason: str | None
) -> None:
    await conn.execute(
        "UPDATE duplicate_candidates SET status = $2, decided_by = $3, decided_at = now(), "
        "decision_reason = $4 WHERE candidate_id = $1",
        candidate_id,
        status,
        decided_by,
        reason,
    )


async def mark_duplicate_of(conn: asyncpg.Connection, participant_id: str, duplicate_of: str) -> None:
    await conn.execute(
        "UPDATE participants SET duplicate_of = $2, updated_at = now() WHERE participant_id = $1",
        participant_id,
        duplicate_of,
    )


async def open_duplicate_ids(conn: asyncpg.Connection, participant_id: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT candidate_id FROM duplicate_candidates WHERE status = 'open' AND "
        "(participant_id = $1 OR duplicate_of = $1) ORDER BY created_at",
        participant_id,
    )
    return [r["candidate_id"] for r in rows]


# --- the civil registry (services/enrollment/registry.py) ------------------------------------------


async def note_registry_notification(conn: asyncpg.Connection, event_id: str, *, participant: bool) -> bool:
    """False when this event id was received before (a replay)."""
    return bool(
        await conn.fetchval(
            "INSERT INTO registry_notifications (event_id, participant) VALUES ($1, $2) ON CONFLICT DO NOTHING "
            "RETURNING true",
            event_id,
            participant,
        )
    )


async def forget_other_registry_notifications(conn: asyncpg.Connection, older_than_seconds: int) -> None:
    await conn.execute(
        "DELETE FROM registry_notifications WHERE NOT participant AND received_at < now() - make_interval(secs => $1)",
        float(older_than_seconds),
    )


async def mark_death_reported(conn: asyncpg.Connection, participant_id: str, on: date) -> bool:
    """False when the participant's death was reported (or confirmed) before."""
    return (
        await conn.fetchval(
            "UPDATE participants SET death_reported_on = $2 WHERE participant_id = $1 AND death_reported_on IS NULL "
            "AND deceased_on IS NULL RETURNING true",
            participant_id,
            on,
        )
        is not None
    )


async def count_registry_outcome(conn: asyncpg.Connection, outcome: str) -> None:
    await conn.execute(
        "INSERT INTO registry_counts (outcome, count) VALUES ($1, 1) "
        "ON CONFLICT (outcome) DO UPDATE SET count = registry_counts.count + 1",
        outcome,
    )


async def registry_counts(conn: asyncpg.Connection) -> dict[str, int]:
    return {r["outcome"]: r["count"] for r in await conn.fetch("SELECT outcome, count FROM registry_counts")}


async def save_registry_subscription(conn: asyncpg.Connection, registry: str, reg_event_type: str, code: str) -> None:
    await conn.execute(
        "INSERT INTO registry_subscriptions (registry, reg_event_type, code) VALUES ($1, $2, $3) "
        "ON CONFLICT (registry, reg_event_type) DO UPDATE SET code = EXCLUDED.code, subscribed_at = now()",
        registry,
        reg_event_type,
        code,
    )


async def registry_subscriptions(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT registry, reg_event_type, code, subscribed_at FROM registry_subscriptions")
    return [dict(r) for r in rows]


# --- reminders before cover lapses (services/enrollment/reminders.py) --------------------------------


async def reminder_candidates(conn: asyncpg.Connection, as_of: date) -> list[dict[str, Any]]:
    """Living participants in grace on `as_of` (as the last sweep left coverage) who did not answer STOP."""
    rows = await conn.fetch(
        "SELECT c.participant_id, c.snapshot->>'last_paid_period' AS last_paid_period, c.grace_until "
        "FROM coverage c JOIN participants p USING (participant_id) "
        "WHERE c.status = 'grace' AND c.grace_until >= $1 AND p.deceased_on IS NULL AND p.death_reported_on IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM reminder_stops s WHERE s.participant_id = c.participant_id) "
        "ORDER BY c.participant_id",
        as_of,
    )
    return [dict(r) for r in rows]


async def reminders_sent(conn: asyncpg.Connection, participant_id: str, last_paid_period: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT kind FROM contribution_reminders WHERE participant_id = $1 AND last_paid_period = $2",
        participant_id,
        last_paid_period,
    )
    return {r["kind"] for r in rows}


async def insert_reminder(
    conn: asyncpg.Connection,
    participant_id: str,
    last_paid_period: str,
    kind: str,
    sent_on: date,
    amount_due: int,
    cover_ends_on: date,
    kecamatan: str,
) -> bool:
    return bool(
        await conn.fetchval(
            "INSERT INTO contribution_reminders (participant_id, last_paid_period, kind, sent_on, amount_due, "
            "cover_ends_on, kecamatan) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING RETURNING true",
            participant_id,
            last_paid_period,
            kind,
            sent_on,
            amount_due,
            cover_ends_on,
            kecamatan,
        )
    )


async def reminders_by_kecamatan(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT kecamatan, kind, count(*) AS reminders FROM contribution_reminders "
        "GROUP BY kecamatan, kind ORDER BY kecamatan, kind"
    )
    return [dict(r) for r in rows]


async def participants_with_phone(conn: asyncpg.Connection, phone: str) -> list[str]:
    rows = await conn.fetch("SELECT participant_id FROM participants WHERE phone = $1", phone)
    return [r["participant_id"] for r in rows]


async def stop_reminders(conn: asyncpg.Connection, participant_id: str, stopped_at: Any, channel: str) -> bool:
    return bool(
        await conn.fetchval(
            "INSERT INTO reminder_stops (participant_id, stopped_at, channel) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING "
            "RETURNING true",
            participant_id,
            stopped_at,
            channel,
        )
    )


async def city_payments_missing(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Living participants in grace or lapsed whose last contribution the city paid."""
    rows = await conn.fetch(
        "SELECT p.participant_id, p.nik_masked AS masked_nik, p.full_name, p.kecamatan, p.segment, c.status, "
        "c.snapshot->>'last_paid_period' AS last_paid_period, c.grace_until "
        "FROM coverage c JOIN participants p USING (participant_id) "
        "WHERE c.status IN ('grace', 'lapsed') AND p.deceased_on IS NULL AND p.death_reported_on IS NULL "
        "AND (SELECT payer FROM contributions k WHERE k.participant_id = p.participant_id "
        "     ORDER BY k.period DESC, k.paid_at DESC LIMIT 1) = 'city' "
        "ORDER BY p.kecamatan, p.full_name"
    )
    return [dict(r) for r in rows]


async def reminders_stopped(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM reminder_stops")


# --- the campaign's retention and lapses prevented (domain/campaign.py) ------------------------------


async def self_paid_histories(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Living self-paid participants (every contribution the worker's own) with their payments and
    incomes, in three queries whatever their number."""
    people = await conn.fetch(
        "SELECT p.participant_id, p.member_since, p.programs, p.segment FROM participants p "
        "WHERE p.deceased_on IS NULL AND p.death_reported_on IS NULL "
        "AND EXISTS (SELECT 1 FROM contributions k WHERE k.participant_id = p.participant_id) "
        "AND NOT EXISTS (SELECT 1 FROM contributions k WHERE k.participant_id = p.participant_id "
        "AND k.payer <> 'self')"
    )
    ids = [r["participant_id"] for r in people]
    paid: dict[str, list[Paid]] = {}
    for r in await conn.fetch(
        "SELECT participant_id, contribution_id, period, amount, amount_due, paid_at FROM contributions "
        "WHERE participant_id = ANY($1::text[]) ORDER BY paid_at, recorded_at",
        ids,
    ):
        paid.setdefault(r["participant_id"], []).append(
            Paid(r["contribution_id"], Period.parse(r["period"]), r["amount"], r["amount_due"], r["paid_at"])
        )
    incomes: dict[str, list[IncomeChange]] = {}
    for r in await conn.fetch(
        "SELECT participant_id, effective_from, monthly_income FROM income_history "
        "WHERE participant_id = ANY($1::text[]) ORDER BY effective_from",
        ids,
    ):
        incomes.setdefault(r["participant_id"], []).append(
            IncomeChange(Period.parse(r["effective_from"]), r["monthly_income"])
        )
    return [
        {**dict(r), "paid": paid.get(r["participant_id"], []), "income_history": incomes.get(r["participant_id"], [])}
        for r in people
    ]


async def lapses_prevented(conn: asyncpg.Connection, as_of: date) -> int:
    """Unpaid runs with a reminder after which the first missed month was paid within grace."""
    return await conn.fetchval(
        "SELECT count(*) FROM (SELECT DISTINCT r.participant_id, r.last_paid_period FROM contribution_reminders r "
        "JOIN contributions k ON k.participant_id = r.participant_id "
        "AND k.period = to_char(to_date(r.last_paid_period || '-01', 'YYYY-MM-DD') + interval '1 month', 'YYYY-MM') "
        "AND k.paid_at >= r.sent_on AND k.paid_at <= r.cover_ends_on AND k.paid_at <= $1) AS prevented",
        as_of,
    )


async def reminded_runs(conn: asyncpg.Connection) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM (SELECT DISTINCT participant_id, last_paid_period FROM contribution_reminders) AS runs"
    )
