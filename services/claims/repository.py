"""Claims' SQL (schema "claims"): the participant read model, claims, steps, the payout ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from services.claims.domain import claim as c
from services.claims.domain.participant import HeirView, ParticipantView

# --- read model ----------------------------------------------------------------------------------


async def upsert_participant(conn: asyncpg.Connection, participant_id: str, details: Any, as_of: datetime) -> None:
    """`as_of`: when the event happened; an event older than the one the row holds is skipped."""
    await conn.execute(
        "INSERT INTO participants (participant_id, masked_nik, full_name, member_since, programs, monthly_income, "
        "details_as_of) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (participant_id) DO UPDATE SET "
        "masked_nik=EXCLUDED.masked_nik, full_name=EXCLUDED.full_name, member_since=EXCLUDED.member_since, "
        "programs=EXCLUDED.programs, monthly_income=EXCLUDED.monthly_income, details_as_of=EXCLUDED.details_as_of "
        "WHERE participants.details_as_of IS NULL OR participants.details_as_of <= EXCLUDED.details_as_of",
        participant_id, details.masked_nik, details.full_name, details.member_since, list(details.programs),
        details.monthly_income, as_of)


async def replace_heirs(conn: asyncpg.Connection, participant_id: str, heirs: list[Any], as_of: datetime) -> None:
    """Skipped when the participant's heirs come from a newer event than `as_of`."""
    held = await conn.fetchval("SELECT heirs_as_of FROM participants WHERE participant_id = $1 FOR UPDATE",
                               participant_id)
    if held is not None and held > as_of:
        return
    await conn.execute("UPDATE participants SET heirs_as_of = $2 WHERE participant_id = $1", participant_id, as_of)
    await conn.execute("DELETE FROM heirs WHERE participant_id = $1", participant_id)
    await conn.executemany(
        "INSERT INTO heirs (heir_id, participant_id, position, full_name, relationship, precedence, phone, email, "
        "language) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        [(h.heir_id, participant_id, i, h.full_name, h.relationship, h.precedence, h.phone, h.email, h.language)
         for i, h in enumerate(heirs)])


async def update_coverage(conn: asyncpg.Connection, participant_id: str, status: str,
                          periods: list[dict[str, str]], paid_months: int, as_of: datetime) -> bool:
    """False when the participant is not in the read model yet. An event older than the one the
    coverage comes from changes nothing."""
    result = await conn.execute(
        "UPDATE participants SET coverage_status=$2, protected_periods=$3, paid_months=$4, coverage_as_of=$5 "
        "WHERE participant_id=$1 AND (coverage_as_of IS NULL OR coverage_as_of <= $5)",
        participant_id, status, periods, paid_months, as_of)
    return result != "UPDATE 0" or await participant_known(conn, participant_id)


async def participant_known(conn: asyncpg.Connection, participant_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM participants WHERE participant_id = $1", participant_id))


async def participant_view(conn: asyncpg.Connection, participant_id: str) -> ParticipantView | None:
    # The participant and their heirs in one round trip (verification and payout read both per claim).
    row = await conn.fetchrow(
        "SELECT p.*, coalesce((SELECT json_agg(h ORDER BY h.position) FROM heirs h "
        "WHERE h.participant_id = p.participant_id), '[]') AS heirs FROM participants p WHERE p.participant_id = $1",
        participant_id)
    if row is None:
        return None
    heirs = row["heirs"]
    return ParticipantView(
        participant_id=participant_id, masked_nik=row["masked_nik"], member_since=row["member_since"],
        programs=frozenset(row["programs"]), monthly_income=row["monthly_income"],
        protected_periods=tuple((date.fromisoformat(p["start"]), date.fromisoformat(p["end"]))
                                for p in row["protected_periods"]),
        paid_months=row["paid_months"],
        heirs=tuple(HeirView(heir_id=h["heir_id"], full_name=h["full_name"], relationship=h["relationship"],
                             precedence=h["precedence"], phone=h["phone"], email=h["email"], language=h["language"])
                    for h in heirs),
    )


async def participant_name(conn: asyncpg.Connection, participant_id: str) -> str | None:
    return await conn.fetchval("SELECT full_name FROM participants WHERE participant_id = $1", participant_id)


async def search_participants(conn: asyncpg.Connection, query: str, limit: int = 20) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT participant_id, masked_nik, full_name, coverage_status FROM participants "
        "WHERE lower(full_name) LIKE '%' || lower($1) || '%' OR masked_nik = $1 ORDER BY full_name LIMIT $2",
        query, limit)
    return [dict(r) for r in rows]


# --- claims --------------------------------------------------------------------------------------


async def insert_claim(conn: asyncpg.Connection, claim_id: str, filing: c.ClaimFiling, filed_by: str,
                       filed_on: date) -> None:
    await conn.execute(
        "INSERT INTO claims (claim_id, participant_id, claim_type, incident_date, incident_place, cause, "
        "traffic_accident, reporter, documents, incapacity_days, disability_percent, fingerprint, status, filed_by, "
        "filed_on) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'filed',$13,$14)",
        claim_id, filing.participant_id, str(filing.claim_type), filing.incident_date, filing.incident_place,
        filing.cause, filing.traffic_accident,
        {"name": filing.reporter.name, "phone": filing.reporter.phone, "organisation": filing.reporter.organisation},
        dict(filing.documents), filing.incapacity_days, filing.disability_percent,
        c.incident_fingerprint(filing.participant_id, filing.claim_type, filing.incident_date), filed_by, filed_on)


async def standing_claim_for(conn: asyncpg.Connection, fingerprint: str) -> str | None:
    return await conn.fetchval(
        "SELECT claim_id FROM claims WHERE fingerprint = $1 AND status <> 'rejected'", fingerprint)


async def load_claim(conn: asyncpg.Connection, claim_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT * FROM claims WHERE claim_id = $1{lock}", claim_id)
    return dict(row) if row else None


def as_domain_claim(row: dict[str, Any]) -> c.Claim:
    reporter = row["reporter"]
    filing = c.ClaimFiling(
        participant_id=row["participant_id"], claim_type=c.ClaimType(row["claim_type"]),
        incident_date=row["incident_date"], incident_place=row["incident_place"], cause=row["cause"],
        reporter=c.Reporter(reporter["name"], reporter.get("phone"), reporter.get("organisation")),
        documents=row["documents"], traffic_accident=row["traffic_accident"],
        incapacity_days=row["incapacity_days"], disability_percent=row["disability_percent"])
    return c.Claim(claim_id=row["claim_id"], filing=filing, filed_on=row["filed_on"],
                   status=c.ClaimStatus(row["status"]))


async def other_standing_fingerprints(conn: asyncpg.Connection, participant_id: str, claim_id: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT fingerprint FROM claims WHERE participant_id = $1 AND claim_id <> $2 AND status <> 'rejected'",
        participant_id, claim_id)
    return {r["fingerprint"] for r in rows}


async def set_verification(conn: asyncpg.Connection, claim_id: str, status: str, reasons: list[dict],
                           missing: list[str], documents_complete_on: date | None, sla_deadline: date | None,
                           decided_by: str | None) -> None:
    await conn.execute(
        "UPDATE claims SET status=$2, reasons=$3, missing_documents=$4, "
        "documents_complete_on=coalesce(documents_complete_on, $5), sla_deadline=coalesce(sla_deadline, $6), "
        "decided_by=$7, updated_at=now() WHERE claim_id=$1",
        claim_id, status, reasons, missing, documents_complete_on, sla_deadline, decided_by)


async def set_decision(conn: asyncpg.Connection, claim_id: str, status: str, decided_by: str, note: str) -> None:
    await conn.execute(
        "UPDATE claims SET status=$2, decided_by=$3, decision_note=$4, updated_at=now() WHERE claim_id=$1",
        claim_id, status, decided_by, note)


async def set_documents(conn: asyncpg.Connection, claim_id: str, documents: dict[str, str]) -> None:
    await conn.execute("UPDATE claims SET documents=$2, updated_at=now() WHERE claim_id=$1", claim_id, documents)


async def set_status(conn: asyncpg.Connection, claim_id: str, status: str) -> None:
    await conn.execute("UPDATE claims SET status=$2, updated_at=now() WHERE claim_id=$1", claim_id, status)


async def set_disbursement(conn: asyncpg.Connection, claim_id: str, status: str, reference: str | None) -> None:
    await conn.execute(
        "UPDATE claims SET disbursement_status=$2, disbursement_reference=coalesce($3, disbursement_reference), "
        "updated_at=now() WHERE claim_id=$1", claim_id, status, reference)


async def list_claims(conn: asyncpg.Connection, status: str | None, participant_id: str | None,
                      limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT claim_id, participant_id, claim_type, incident_date, status, filed_at, sla_deadline, reasons "
        "FROM claims WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR participant_id = $2) "
        "ORDER BY filed_at LIMIT $3", status, participant_id, limit)
    return [dict(r) for r in rows]


async def add_step(conn: asyncpg.Connection, claim_id: str, step: str, detail: dict[str, Any] | None = None) -> None:
    await conn.execute("INSERT INTO claim_steps (claim_id, step, detail) VALUES ($1, $2, $3)",
                       claim_id, step, detail or {})


async def steps(conn: asyncpg.Connection, claim_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT step, at, detail FROM claim_steps WHERE claim_id = $1 ORDER BY at, id", claim_id)
    return [dict(r) for r in rows]


# --- payout ledger -------------------------------------------------------------------------------


async def record_ledger(conn: asyncpg.Connection, claim_id: str, rows: list[tuple[str, str, str | None, int, str, str]]
                        ) -> int:
    """rows: (component, payee_heir_id, payee_name, amount, kind, note). Returns how many were new.
    One statement for all of a claim's lines; the primary key still refuses a line recorded before."""
    if not rows:
        return 0
    components, heir_ids, names, amounts, kinds, notes = (list(c) for c in zip(*rows))
    return await conn.fetchval(
        "WITH recorded AS (INSERT INTO payout_ledger (claim_id, component, payee_heir_id, payee_name, amount, kind, "
        "note) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[]) "
        "ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM recorded",
        claim_id, components, heir_ids, names, amounts, kinds, notes)


async def ledger(conn: asyncpg.Connection, claim_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT component, payee_heir_id, payee_name, amount, kind, note FROM payout_ledger WHERE claim_id = $1 "
        "ORDER BY recorded_at, component, payee_heir_id", claim_id)
    return [dict(r) for r in rows]
