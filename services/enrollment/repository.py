"""Enrollment's SQL (schema "enrollment"): participants, heirs, contributions, coverage, imports."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from services.enrollment.domain import Heir, Payment, Period, Registration


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
    return (participant_id, reg.nik, reg.nik_masked, reg.full_name, reg.birth_date, reg.sex, reg.phone, address,
            reg.kecamatan, reg.segment, reg.monthly_income, list(reg.programs), reg.member_since, source)


HEIR_COLUMNS = ("heir_id", "participant_id", "position", "full_name", "relationship", "precedence", "phone", "email",
                "language")


# COPY writes any number of rows in one statement: the bulk import writes a chunk of
# hundreds at a time, where an INSERT per row made PostgreSQL execute each separately.
# The unique NIK is enforced by COPY as by INSERT.
async def insert_participants(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    if rows:
        await conn.copy_records_to_table("participants", columns=PARTICIPANT_COLUMNS.split(", "), records=rows)


async def insert_heirs(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    """rows: (heir_id, participant_id, position, Heir)."""
    if rows:
        await conn.copy_records_to_table(
            "heirs", columns=HEIR_COLUMNS,
            records=[(hid, pid, pos, h.full_name, h.relationship, h.precedence, h.phone, h.email, h.language)
                     for hid, pid, pos, h in rows])


async def delete_heirs(conn: asyncpg.Connection, participant_id: str) -> None:
    await conn.execute("DELETE FROM heirs WHERE participant_id = $1", participant_id)


async def load_participant(conn: asyncpg.Connection, participant_id: str, *, for_update: bool = False
                           ) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT * FROM participants WHERE participant_id = $1{lock}", participant_id)
    if row is None:
        return None
    participant = dict(row)
    participant["heirs"] = await load_heirs(conn, participant_id)
    return participant


async def load_heirs(conn: asyncpg.Connection, participant_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM heirs WHERE participant_id = $1 ORDER BY position", participant_id)
    return [dict(r) for r in rows]


async def update_participant(conn: asyncpg.Connection, participant_id: str, reg: Registration, address: str) -> None:
    await conn.execute(
        "UPDATE participants SET full_name=$2, phone=$3, address=$4, kecamatan=$5, segment=$6, monthly_income=$7, "
        "programs=$8, updated_at=now() WHERE participant_id=$1",
        participant_id, reg.full_name, reg.phone, address, reg.kecamatan, reg.segment, reg.monthly_income,
        list(reg.programs),
    )


async def paid_periods(conn: asyncpg.Connection, participant_id: str) -> dict[Period, str]:
    rows = await conn.fetch("SELECT period, contribution_id FROM contributions WHERE participant_id = $1",
                            participant_id)
    return {Period.parse(r["period"]): r["contribution_id"] for r in rows}


async def payments(conn: asyncpg.Connection, participant_id: str) -> list[Payment]:
    rows = await conn.fetch("SELECT period, paid_at FROM contributions WHERE participant_id = $1", participant_id)
    return [Payment(Period.parse(r["period"]), r["paid_at"]) for r in rows]


async def insert_contribution(conn: asyncpg.Connection, contribution_id: str, participant_id: str, period: Period,
                              amount: int, payer: str, paid_at: date, recorded_by: str) -> None:
    await conn.execute(
        "INSERT INTO contributions (contribution_id, participant_id, period, amount, payer, paid_at, recorded_by) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7)",
        contribution_id, participant_id, str(period), amount, payer, paid_at, recorded_by,
    )


async def list_contributions(conn: asyncpg.Connection, participant_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT contribution_id, period, amount, payer, paid_at FROM contributions WHERE participant_id = $1 "
        "ORDER BY period", participant_id)
    return [dict(r) for r in rows]


async def stored_coverage(conn: asyncpg.Connection, participant_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT snapshot FROM coverage WHERE participant_id = $1", participant_id)
    return row["snapshot"] if row else None


async def save_coverage(conn: asyncpg.Connection, participant_id: str, snapshot: dict[str, Any], as_of: date,
                        first_covered_on: date | None) -> None:
    await save_coverages(conn, [(participant_id, snapshot, as_of, first_covered_on)])


async def save_coverages(conn: asyncpg.Connection, items: list[tuple[str, dict[str, Any], date, date | None]]) -> None:
    """Upserts (participant_id, snapshot, as_of, first_covered_on) in one statement (arrays
    unnested), so a chunk of the bulk import is one execution, not one per participant.
    Not COPY: it cannot upsert, and the pool's jsonb codec is text-only (shared/db.py)."""
    if not items:
        return
    columns = list(zip(*[(pid, snap["status"], as_of, _day(snap.get("active_through")), _day(snap.get("grace_until")),
                          first, snap) for pid, snap, as_of, first in items]))
    await conn.execute(
        "INSERT INTO coverage (participant_id, status, as_of, active_through, grace_until, first_covered_on, snapshot) "
        "SELECT p, s, a, t, g, f, j FROM unnest($1::text[], $2::text[], $3::date[], $4::date[], $5::date[], "
        "$6::date[], $7::jsonb[]) AS u(p, s, a, t, g, f, j) "
        "ON CONFLICT (participant_id) DO UPDATE SET status=EXCLUDED.status, "
        "as_of=EXCLUDED.as_of, active_through=EXCLUDED.active_through, grace_until=EXCLUDED.grace_until, "
        "first_covered_on=EXCLUDED.first_covered_on, snapshot=EXCLUDED.snapshot",
        *map(list, columns),
    )


async def participants_due_for_coverage_change(conn: asyncpg.Connection, as_of: date) -> list[str]:
    """Those whose announced status may have moved on by `as_of` (active past its month, grace past its end)."""
    rows = await conn.fetch(
        "SELECT participant_id FROM coverage WHERE (status = 'active' AND active_through < $1) "
        "OR (status = 'grace' AND grace_until < $1)", as_of)
    return [r["participant_id"] for r in rows]


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


async def campaign_summary(conn: asyncpg.Connection, year: int) -> list[dict[str, Any]]:
    """Per kecamatan and segment: newly covered in `year`, active, grace, lapsed."""
    rows = await conn.fetch(
        """
        SELECT p.kecamatan, p.segment,
               count(*) FILTER (WHERE extract(year FROM c.first_covered_on) = $1) AS newly_covered,
               count(*) FILTER (WHERE c.status = 'active') AS active,
               count(*) FILTER (WHERE c.status = 'grace') AS grace,
               count(*) FILTER (WHERE c.status = 'lapsed') AS lapsed,
               count(*) FILTER (WHERE c.status IS NULL OR c.status = 'not_started') AS not_started
        FROM participants p LEFT JOIN coverage c USING (participant_id)
        GROUP BY p.kecamatan, p.segment ORDER BY p.kecamatan, p.segment
        """, year)
    return [dict(r) for r in rows]


# --- imports ---------------------------------------------------------------------------------

async def import_by_hash(conn: asyncpg.Connection, file_sha256: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM imports WHERE file_sha256 = $1", file_sha256)
    return dict(row) if row else None


async def create_import(conn: asyncpg.Connection, import_id: str, file_sha256: str, filename: str, rows_total: int,
                        started_by: str, content: bytes) -> None:
    """`content`: the file, kept until the import ends so a restart can resume it."""
    await conn.execute(
        "INSERT INTO imports (import_id, file_sha256, filename, rows_total, started_by, content) "
        "VALUES ($1,$2,$3,$4,$5,$6)",
        import_id, file_sha256, filename, rows_total, started_by, content)


async def advance_import(conn: asyncpg.Connection, import_id: str, done: int, enrolled: int, rejected: int,
                         existing: int, rejections: list[tuple[int, list[dict]]]) -> None:
    await conn.execute(
        "UPDATE imports SET rows_done = rows_done + $2, rows_enrolled = rows_enrolled + $3, "
        "rows_rejected = rows_rejected + $4, rows_existing = rows_existing + $5, heartbeat_at = now() "
        "WHERE import_id = $1",
        import_id, done, enrolled, rejected, existing)
    if rejections:
        await conn.executemany(
            "INSERT INTO import_rejections (import_id, row_number, errors) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING", [(import_id, n, errs) for n, errs in rejections])


async def finish_import(conn: asyncpg.Connection, import_id: str, status: str, reason: str | None = None) -> None:
    await conn.execute("UPDATE imports SET status = $2, finished_at = now(), failure_reason = $3, content = NULL "
                       "WHERE import_id = $1", import_id, status, reason)


async def release_import(conn: asyncpg.Connection, import_id: str) -> None:
    """The process stops mid-import: the next start may resume it at once (no heartbeat to wait out)."""
    await conn.execute("UPDATE imports SET heartbeat_at = '-infinity' WHERE import_id = $1 AND status = 'running'",
                       import_id)


async def claim_interrupted_imports(conn: asyncpg.Connection, stale_seconds: float) -> list[dict[str, Any]]:
    """Running imports whose process is gone (no heartbeat for `stale_seconds`), claimed for this
    process in one statement, so two instances starting together do not both resume one."""
    rows = await conn.fetch(
        "UPDATE imports SET heartbeat_at = now(), resumed = resumed + 1 WHERE status = 'running' "
        "AND heartbeat_at < now() - make_interval(secs => $1) RETURNING import_id, content, rows_done, rows_total",
        stale_seconds)
    return [dict(r) for r in rows]


async def load_import(conn: asyncpg.Connection, import_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM imports WHERE import_id = $1", import_id)
    if row is None:
        return None
    result = dict(row)
    rejected = await conn.fetch(
        "SELECT row_number, errors FROM import_rejections WHERE import_id = $1 ORDER BY row_number", import_id)
    result["rejections"] = [{"row": r["row_number"], "errors": r["errors"]} for r in rejected]
    return result


async def search_participants(conn: asyncpg.Connection, query: str, limit: int = 20) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT participant_id, nik_masked, full_name, kecamatan, segment FROM participants "
        "WHERE lower(full_name) LIKE '%' || lower($1) || '%' OR nik_masked = $1 ORDER BY full_name LIMIT $2",
        query, limit)
    return [dict(r) for r in rows]


def heir_view(heir_id: str, heir: Heir) -> dict[str, Any]:
    return {"heir_id": heir_id, "full_name": heir.full_name, "relationship": heir.relationship,
            "precedence": heir.precedence, "phone": heir.phone, "email": heir.email, "language": heir.language}
