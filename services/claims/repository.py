"""Claims' SQL (schema "claims"): the participant read model, claims, steps, the payout ledger."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from services.claims.domain import claim as c
from services.claims.domain.participant import HeirView, ParticipantView
from services.claims.domain.payout import PayoutLine
from shared.contracts.enrollment import CoverageChanged
from shared.outbox import queued_with

# --- read model ----------------------------------------------------------------------------------


async def upsert_participants(conn: asyncpg.Connection, changes: Sequence[tuple[str, Any, datetime]]) -> None:
    """Participants' details, each (participant id, details, when the event happened), in one
    statement; the ids are distinct. An event older than the one a row holds is skipped."""
    await conn.execute(
        "INSERT INTO participants (participant_id, masked_nik, full_name, member_since, programs, monthly_income, "
        "income_history, deceased_on, details_as_of) "
        "SELECT u.participant_id, u.masked_nik, u.full_name, u.member_since, "
        "ARRAY(SELECT jsonb_array_elements_text(u.programs::jsonb)), u.monthly_income, u.income_history::jsonb, "
        "u.deceased_on, u.as_of FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::text[], "
        "$6::integer[], $7::text[], $8::date[], $9::timestamptz[]) AS u(participant_id, masked_nik, full_name, "
        "member_since, programs, monthly_income, income_history, deceased_on, as_of) "
        "ON CONFLICT (participant_id) DO UPDATE SET masked_nik=EXCLUDED.masked_nik, "
        "full_name=EXCLUDED.full_name, member_since=EXCLUDED.member_since, programs=EXCLUDED.programs, "
        "monthly_income=EXCLUDED.monthly_income, income_history=EXCLUDED.income_history, "
        "deceased_on=EXCLUDED.deceased_on, details_as_of=EXCLUDED.details_as_of "
        "WHERE participants.details_as_of IS NULL OR participants.details_as_of <= EXCLUDED.details_as_of",
        [participant_id for participant_id, _, _ in changes],
        [d.masked_nik for _, d, _ in changes],
        [d.full_name for _, d, _ in changes],
        [d.member_since for _, d, _ in changes],
        # JSON as text: asyncpg would read a list of lists as a two-dimensional array.
        [json.dumps(list(d.programs)) for _, d, _ in changes],
        [d.monthly_income for _, d, _ in changes],
        [
            json.dumps(
                [{"effective_from": i.effective_from, "monthly_income": i.monthly_income} for i in d.income_history]
            )
            for _, d, _ in changes
        ],
        [d.deceased_on for _, d, _ in changes],
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
        "INSERT INTO heirs (heir_id, participant_id, position, full_name, relationship, precedence, phone, email, "
        "language, birth_date) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        [
            (
                h.heir_id,
                participant_id,
                i,
                h.full_name,
                h.relationship,
                h.precedence,
                h.phone,
                h.email,
                h.language,
                h.birth_date,
            )
            for i, h in enumerate(heirs)
        ],
    )


async def update_coverages(conn: asyncpg.Connection, changes: Sequence[tuple[CoverageChanged, datetime]]) -> list[str]:
    """Participants' coverage, each (its CoverageChanged, when the event happened), in one statement
    (the ids distinct); returns the ids not in the read model yet, whose change waits. An event older
    than the one a coverage comes from changes nothing."""
    rows = await conn.fetch(
        "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], "
        "$6::timestamptz[]) AS u(participant_id, status, periods, paid_months, paid_periods, as_of)), "
        "updated AS (UPDATE participants p SET coverage_status=u.status, protected_periods=u.periods::jsonb, "
        "paid_months=u.paid_months, paid_periods=ARRAY(SELECT jsonb_array_elements_text(u.paid_periods::jsonb)), "
        "coverage_as_of=u.as_of FROM u WHERE p.participant_id = u.participant_id "
        "AND (p.coverage_as_of IS NULL OR p.coverage_as_of <= u.as_of)) "
        "SELECT u.participant_id FROM u WHERE NOT EXISTS "
        "(SELECT 1 FROM participants p WHERE p.participant_id = u.participant_id)",
        [c.participant_id for c, _ in changes],
        [c.status for c, _ in changes],
        [  # JSON as text (see upsert_participants)
            json.dumps([{"start": p.start.isoformat(), "end": p.end.isoformat()} for p in c.protected_periods])
            for c, _ in changes
        ],
        [c.paid_months for c, _ in changes],
        [json.dumps(list(c.paid_periods)) for c, _ in changes],
        [as_of for _, as_of in changes],
    )
    return [r["participant_id"] for r in rows]


async def participant_name(conn: asyncpg.Connection, participant_id: str) -> str | None:
    return await conn.fetchval("SELECT full_name FROM participants WHERE participant_id = $1", participant_id)


# A participant and their heirs in one row (verification and payout read both per claim).
_PARTICIPANT_WITH_HEIRS = (
    "SELECT p.*, coalesce((SELECT json_agg(h ORDER BY h.position) FROM heirs h "
    "WHERE h.participant_id = p.participant_id), '[]') AS heirs FROM participants p "
)


async def participant_view(conn: asyncpg.Connection, participant_id: str) -> ParticipantView | None:
    row = await conn.fetchrow(_PARTICIPANT_WITH_HEIRS + "WHERE p.participant_id = $1", participant_id)
    return _participant_view(row) if row is not None else None


async def participant_views(conn: asyncpg.Connection, participant_ids: Collection[str]) -> dict[str, ParticipantView]:
    """Many participants with their heirs in one round trip (a batch of claims); the unknown are left out."""
    rows = await conn.fetch(_PARTICIPANT_WITH_HEIRS + "WHERE p.participant_id = ANY($1::text[])", list(participant_ids))
    return {row["participant_id"]: _participant_view(row) for row in rows}


def _participant_view(row: Mapping[str, Any]) -> ParticipantView:
    heirs = row["heirs"]
    return ParticipantView(
        participant_id=row["participant_id"],
        masked_nik=row["masked_nik"],
        member_since=row["member_since"],
        programs=frozenset(row["programs"]),
        monthly_income=row["monthly_income"],
        protected_periods=tuple(
            (date.fromisoformat(p["start"]), date.fromisoformat(p["end"])) for p in row["protected_periods"]
        ),
        paid_months=row["paid_months"],
        heirs=tuple(
            HeirView(
                heir_id=h["heir_id"],
                full_name=h["full_name"],
                relationship=h["relationship"],
                precedence=h["precedence"],
                phone=h["phone"],
                email=h["email"],
                language=h["language"],
                birth_date=date.fromisoformat(h["birth_date"]) if h.get("birth_date") else None,
            )
            for h in heirs
        ),
        income_history=tuple(
            (date.fromisoformat(i["effective_from"] + "-01"), i["monthly_income"]) for i in row["income_history"]
        ),
        paid_periods=tuple(row["paid_periods"]),
        deceased_on=row["deceased_on"],
        full_name=row["full_name"],
    )


async def heirs_of(conn: asyncpg.Connection, participant_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT heir_id, full_name, relationship, precedence, phone, email, language, birth_date FROM heirs "
        "WHERE participant_id = $1 ORDER BY position",
        participant_id,
    )
    return [dict(r) for r in rows]


async def add_heirs(conn: asyncpg.Connection, participant_id: str, heirs: list[Any]) -> None:
    """Heirs named on a claim join the read model after the ones enrollment sent; enrollment's
    next HeirsChanged (which keeps these heir_ids) replaces the lot."""
    start = await conn.fetchval(
        "SELECT coalesce(max(position) + 1, 0) FROM heirs WHERE participant_id = $1", participant_id
    )
    await conn.executemany(
        "INSERT INTO heirs (heir_id, participant_id, position, full_name, relationship, precedence, phone, email, "
        "language, birth_date) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        [
            (
                h.heir_id,
                participant_id,
                start + i,
                h.full_name,
                h.relationship,
                h.precedence,
                h.phone,
                h.email,
                h.language,
                h.birth_date,
            )
            for i, h in enumerate(heirs)
        ],
    )


async def search_participants(conn: asyncpg.Connection, query: str, limit: int = 20) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT participant_id, masked_nik, full_name, coverage_status FROM participants "
        "WHERE lower(full_name) LIKE '%' || lower($1) || '%' OR masked_nik = $1 ORDER BY full_name LIMIT $2",
        query,
        limit,
    )
    return [dict(r) for r in rows]


# --- claims --------------------------------------------------------------------------------------


_CLAIM_COLUMNS = (
    "claim_id, participant_id, claim_type, incident_date, incident_place, cause, traffic_accident, reporter, "
    "documents, incapacity_days, disability_percent, fingerprint, status, filed_by, filed_on, transport_costs"
)
# _claim_values, in order, each parameter typed: the statement filing a claim hands them over as the
# SELECT of an INSERT, where a parameter is not typed by the column it lands in, as one in VALUES is.
_CLAIM_PLACES = (
    "$1::text, $2::text, $3::text, $4::date, $5::text, $6::text, $7::boolean, $8::jsonb, $9::jsonb, "
    "$10::integer, $11::integer, $12::text, 'filed', $13::text, $14::date, $15::jsonb"
)
_INSERT_CLAIM = f"INSERT INTO claims ({_CLAIM_COLUMNS}) VALUES ({_CLAIM_PLACES})"


def _claim_values(claim_id: str, filing: c.ClaimFiling, filed_by: str, filed_on: date) -> tuple:
    return (
        claim_id,
        filing.participant_id,
        str(filing.claim_type),
        filing.incident_date,
        filing.incident_place,
        filing.cause,
        filing.traffic_accident,
        {"name": filing.reporter.name, "phone": filing.reporter.phone, "organisation": filing.reporter.organisation},
        dict(filing.documents),
        filing.incapacity_days,
        filing.disability_percent,
        c.incident_fingerprint(filing.participant_id, filing.claim_type, filing.incident_date),
        filed_by,
        filed_on,
        dict(filing.transport_costs),
    )


async def insert_claim(
    conn: asyncpg.Connection, claim_id: str, filing: c.ClaimFiling, filed_by: str, filed_on: date
) -> None:
    await conn.execute(_INSERT_CLAIM, *_claim_values(claim_id, filing, filed_by, filed_on))


@dataclass(frozen=True)
class FilingContext:
    """What a filing is checked against, read in one statement."""

    participant_known: bool
    standing_claim: str | None  # the claim of the incident not rejected nor withdrawn, if any
    standing_awaits_family: bool  # that claim was opened from the civil registry: the family completes it
    earlier_filing: tuple[str, str] | None  # the claim this officer's filing with the key made, and its hash


def _filing_context_sql(participant: str, fingerprint: str, filed_by: str, key: str) -> str:
    """The read a filing is checked against, its four values at these placeholders: whether the
    participant is known, the incident's standing claim (none without a fingerprint) and this
    officer's earlier filing with the Idempotency-Key (none without a key). One row."""
    return (
        f"SELECT EXISTS (SELECT 1 FROM participants WHERE participant_id = {participant}) AS participant_known, "
        "standing.claim_id AS standing_claim, standing.status = 'awaiting_family' AS standing_awaits_family, "
        "keyed.claim_id AS keyed_claim, keyed.request_hash "
        "FROM (SELECT) AS one "
        "LEFT JOIN claims AS standing "
        f"ON standing.fingerprint = {fingerprint} AND standing.status NOT IN ('rejected', 'withdrawn') "
        f"LEFT JOIN claims AS keyed ON keyed.filed_by = {filed_by} AND keyed.idempotency_key = {key}"
    )


def _filing_context(row: asyncpg.Record) -> FilingContext:
    return FilingContext(
        participant_known=row["participant_known"],
        standing_claim=row["standing_claim"],
        standing_awaits_family=bool(row["standing_awaits_family"]),
        earlier_filing=(row["keyed_claim"], row["request_hash"]) if row["keyed_claim"] is not None else None,
    )


async def filing_context(
    conn: asyncpg.Connection, participant_id: str, fingerprint: str | None, filed_by: str = "", key: str | None = None
) -> FilingContext:
    """Whether the participant is known, the incident's standing claim and the earlier filing with
    this Idempotency-Key (none without a key or a fingerprint): one round trip."""
    row = await conn.fetchrow(_filing_context_sql("$1", "$2", "$3", "$4"), participant_id, fingerprint, filed_by, key)
    return _filing_context(row)


async def file_when_clear(
    conn: asyncpg.Connection,
    claim_id: str,
    filing: c.ClaimFiling,
    filed_by: str,
    role: str,
    filed_on: date,
    queued: Sequence[object],
    key: str | None = None,
    request_hash: str | None = None,
) -> tuple[bool, FilingContext]:
    """An officer's filing whose fields are valid, in one statement: the read a filing is checked
    against, and — when it finds the participant known and neither a standing claim of the incident
    nor an earlier filing with the key, the only context in which the filing is admitted — the claim
    with its Idempotency-Key, its `filed` step, the officer's audit row and the ClaimFiled event
    (`queued`: shared.outbox's `queued_values`). Returns whether the claim was written, and what the
    read found (as it stood when the statement began). It needs no transaction. A filing of the same
    incident or with the same key that committed after the read makes the insert write nothing (it
    waits for it on the unique indexes), with a read that found nothing in the way."""
    row = await conn.fetchrow(
        f"WITH context AS ({_filing_context_sql('$2', '$12', '$13', '$19')}), "
        f"filed AS (INSERT INTO claims ({_CLAIM_COLUMNS}, idempotency_key, request_hash) "
        f"SELECT {_CLAIM_PLACES}, $19::text, $20::text FROM context "
        "WHERE participant_known AND standing_claim IS NULL AND keyed_claim IS NULL "
        "ON CONFLICT DO NOTHING RETURNING claim_id), "
        "step AS (INSERT INTO claim_steps (claim_id, step, detail) SELECT claim_id, 'filed', $16 FROM filed), "
        "audited AS (INSERT INTO audit_log (actor, role, action, subject_id, details) "
        "SELECT $13, $17, 'claim.file', claim_id, $18 FROM filed), "
        f"{queued_with('filed', 21)} "
        "SELECT EXISTS (SELECT FROM filed) AS written, context.* FROM context",
        *_claim_values(claim_id, filing, filed_by, filed_on),
        {"by": filed_by},
        role,
        {"participant_id": filing.participant_id, "claim_type": str(filing.claim_type)},
        key,
        request_hash,
        *queued,
    )
    return row["written"], _filing_context(row)


async def filing_for_key(conn: asyncpg.Connection, filed_by: str, key: str) -> tuple[str, str] | None:
    """The claim an officer's earlier filing with this Idempotency-Key made, and that filing's hash."""
    row = await conn.fetchrow(
        "SELECT claim_id, request_hash FROM claims WHERE filed_by = $1 AND idempotency_key = $2", filed_by, key
    )
    return (row["claim_id"], row["request_hash"]) if row else None


async def standing_claim_for(conn: asyncpg.Connection, fingerprint: str) -> str | None:
    return await conn.fetchval(
        "SELECT claim_id FROM claims WHERE fingerprint = $1 AND status NOT IN ('rejected', 'withdrawn')", fingerprint
    )


async def load_claim(conn: asyncpg.Connection, claim_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT * FROM claims WHERE claim_id = $1{lock}", claim_id)
    return dict(row) if row else None


async def lock_claims(conn: asyncpg.Connection, claim_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """Many claims, locked for update, by id; the unknown are left out. Locked in id order, the
    same in every transaction that locks several, so two never wait for each other."""
    rows = await conn.fetch(
        "SELECT * FROM claims WHERE claim_id = ANY($1::text[]) ORDER BY claim_id FOR UPDATE", list(claim_ids)
    )
    return {row["claim_id"]: dict(row) for row in rows}


def as_domain_claim(row: dict[str, Any]) -> c.Claim:
    reporter = row["reporter"]
    filing = c.ClaimFiling(
        participant_id=row["participant_id"],
        claim_type=c.ClaimType(row["claim_type"]),
        incident_date=row["incident_date"],
        incident_place=row["incident_place"],
        cause=row["cause"],
        reporter=c.Reporter(reporter["name"], reporter.get("phone"), reporter.get("organisation")),
        documents=row["documents"],
        traffic_accident=row["traffic_accident"],
        incapacity_days=row["incapacity_days"],
        disability_percent=row["disability_percent"],
        transport_costs=row.get("transport_costs") or {},
    )
    guardians = {
        heir_id: c.Guardian(g["name"], g["relationship"]) for heir_id, g in (row.get("guardians") or {}).items()
    }
    return c.Claim(
        claim_id=row["claim_id"],
        filing=filing,
        filed_on=row["filed_on"],
        status=c.ClaimStatus(row["status"]),
        guardians=guardians,
        payment_deadline=row.get("sla_deadline"),
    )


async def load_domain_claim(conn: asyncpg.Connection, claim_id: str, *, for_update: bool = False) -> c.Claim | None:
    row = await load_claim(conn, claim_id, for_update=for_update)
    return as_domain_claim(row) if row else None


async def set_guardians(conn: asyncpg.Connection, claim_id: str, guardians: dict[str, c.Guardian]) -> None:
    await conn.execute(
        "UPDATE claims SET guardians = guardians || $2::jsonb, updated_at=now() WHERE claim_id=$1",
        claim_id,
        {heir_id: {"name": g.name, "relationship": g.relationship} for heir_id, g in guardians.items()},
    )


async def set_claim_type(
    conn: asyncpg.Connection,
    claim_id: str,
    claim_type: str,
    documents_complete_on: date | None,
    sla_deadline: date | None,
) -> int:
    """The new type, and the payment deadline recomputed for it; returns the reclassification's number."""
    return await conn.fetchval(
        "UPDATE claims SET claim_type=$2, documents_complete_on=$3, sla_deadline=$4, reclassified=reclassified+1, "
        "updated_at=now() WHERE claim_id=$1 RETURNING reclassified",
        claim_id,
        claim_type,
        documents_complete_on,
        sla_deadline,
    )


async def set_supervisor_flag(conn: asyncpg.Connection, claim_id: str, flag: str | None) -> None:
    await conn.execute("UPDATE claims SET supervisor_flag=$2, updated_at=now() WHERE claim_id=$1", claim_id, flag)


async def standing_fingerprints(
    conn: asyncpg.Connection, participant_ids: Collection[str]
) -> dict[str, dict[str, str]]:
    """The participants' claims that still stand (neither rejected nor withdrawn): participant id ->
    {claim id: fingerprint}."""
    rows = await conn.fetch(
        "SELECT participant_id, claim_id, fingerprint FROM claims WHERE participant_id = ANY($1::text[]) "
        "AND status NOT IN ('rejected', 'withdrawn')",
        list(participant_ids),
    )
    standing: dict[str, dict[str, str]] = {}
    for row in rows:
        standing.setdefault(row["participant_id"], {})[row["claim_id"]] = row["fingerprint"]
    return standing


@dataclass(frozen=True)
class Verified:
    """The rules' outcome on one claim, as it is written."""

    claim_id: str
    status: str
    reasons: list[dict[str, str]]
    missing_documents: list[str]
    documents_complete_on: date | None
    sla_deadline: date | None
    decided_by: str | None
    sampled: bool


async def set_verifications(conn: asyncpg.Connection, outcomes: list[Verified]) -> None:
    """The rules' outcomes on the claims (status, reasons, the first day the documents were complete
    and its deadline, a draw for review) and each claim's `verified` step, in one statement."""
    if not outcomes:
        return
    await conn.execute(
        "WITH outcome AS (SELECT claim_id, status, reasons::jsonb, missing::jsonb, complete_on, deadline, decided_by, "
        "sampled FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::date[], $7::text[], "
        "$8::bool[]) AS u(claim_id, status, reasons, missing, complete_on, deadline, decided_by, sampled)), "
        "verified AS (UPDATE claims c SET status=o.status, reasons=o.reasons, missing_documents=o.missing, "
        "documents_complete_on=coalesce(c.documents_complete_on, o.complete_on), "
        "sla_deadline=coalesce(c.sla_deadline, o.deadline), decided_by=o.decided_by, sampled=c.sampled OR o.sampled, "
        "updated_at=now() FROM outcome o WHERE c.claim_id = o.claim_id RETURNING c.claim_id, o.status, o.reasons) "
        "INSERT INTO claim_steps (claim_id, step, detail) SELECT claim_id, 'verified', "
        "jsonb_build_object('outcome', status, 'reasons', reasons) FROM verified",
        [o.claim_id for o in outcomes],
        [o.status for o in outcomes],
        # As JSON text: asyncpg would take a list inside the array for another dimension.
        [json.dumps(o.reasons) for o in outcomes],
        [json.dumps(o.missing_documents) for o in outcomes],
        [o.documents_complete_on for o in outcomes],
        [o.sla_deadline for o in outcomes],
        [o.decided_by for o in outcomes],
        [o.sampled for o in outcomes],
    )


async def set_decision(conn: asyncpg.Connection, claim_id: str, status: str, decided_by: str, note: str) -> None:
    await conn.execute(
        "UPDATE claims SET status=$2, decided_by=$3, decision_note=$4, updated_at=now() WHERE claim_id=$1",
        claim_id,
        status,
        decided_by,
        note,
    )


@dataclass(frozen=True)
class Decision:
    """A person's decision on a claim, as it is written: the claim's new status, who and with what
    role, the reason (the claim's note and the audit row's), the audited action."""

    claim_id: str
    status: str
    decided_by: str
    role: str
    reason: str
    action: str


async def record_decision(
    conn: asyncpg.Connection, decision: Decision, step_detail: dict[str, Any], queued: Sequence[object]
) -> None:
    """The decision on the claim, its `decided` step, its audit row and its event (`queued`:
    shared.outbox's `queued_values`) in one statement."""
    await conn.execute(
        "WITH decided AS (UPDATE claims SET status=$2, decided_by=$3, decision_note=$4, updated_at=now() "
        "WHERE claim_id=$1 RETURNING claim_id), "
        "step AS (INSERT INTO claim_steps (claim_id, step, detail) SELECT claim_id, 'decided', $5 FROM decided), "
        "audited AS (INSERT INTO audit_log (actor, role, action, subject_id, details) "
        "SELECT $3, $6, $7, claim_id, $8 FROM decided), "
        f"{queued_with('decided', 9)} "
        "SELECT EXISTS (SELECT FROM decided)",
        decision.claim_id,
        decision.status,
        decision.decided_by,
        decision.reason,
        step_detail,
        decision.role,
        decision.action,
        {"reason": decision.reason},
        *queued,
    )


async def set_documents(conn: asyncpg.Connection, claim_id: str, documents: dict[str, str], *, added_by: str) -> None:
    await conn.execute(
        "UPDATE claims SET documents=$2, updated_at=now(), documents_added_by = CASE WHEN $3 = ANY(documents_added_by) "
        "THEN documents_added_by ELSE array_append(documents_added_by, $3) END WHERE claim_id=$1",
        claim_id,
        documents,
        added_by,
    )


async def set_status(conn: asyncpg.Connection, claim_id: str, status: str) -> None:
    await conn.execute("UPDATE claims SET status=$2, updated_at=now() WHERE claim_id=$1", claim_id, status)


async def set_disbursement_paid(conn: asyncpg.Connection, claim_id: str, total: int) -> None:
    """The claim's disbursement paid and its `disbursement_paid` step, in one statement."""
    await conn.execute(
        "WITH paid AS (UPDATE claims SET disbursement_status='paid', updated_at=now() WHERE claim_id=$1 "
        "RETURNING claim_id) "
        "INSERT INTO claim_steps (claim_id, step, detail) SELECT claim_id, 'disbursement_paid', $2 FROM paid",
        claim_id,
        {"total": total},
    )


async def set_disbursement(conn: asyncpg.Connection, claim_id: str, status: str, reference: str | None) -> None:
    await conn.execute(
        "UPDATE claims SET disbursement_status=$2, disbursement_reference=coalesce($3, disbursement_reference), "
        "updated_at=now() WHERE claim_id=$1",
        claim_id,
        status,
        reference,
    )


async def list_claims(
    conn: asyncpg.Connection,
    status: str | None,
    participant_id: str | None,
    limit: int,
    filed_by: str | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    # The participant's name from claims' own read model, so a work list names whom each claim is for.
    rows = await conn.fetch(
        "SELECT c.claim_id, c.participant_id, p.full_name AS participant_name, c.claim_type, c.incident_date, "
        "c.status, c.filed_at, c.filed_by, c.sla_deadline, c.disbursement_status, c.reasons, c.missing_documents, "
        "c.sampled "
        "FROM claims c LEFT JOIN participants p ON p.participant_id = c.participant_id "
        "WHERE ($1::text IS NULL OR c.status = $1) AND ($2::text IS NULL OR c.participant_id = $2) "
        "AND ($4::text IS NULL OR c.filed_by = $4) "
        "ORDER BY c.filed_at, c.claim_id LIMIT $3 OFFSET $5",
        status,
        participant_id,
        limit,
        filed_by,
        offset,
    )
    return [dict(r) for r in rows]


async def add_step(conn: asyncpg.Connection, claim_id: str, step: str, detail: dict[str, Any] | None = None) -> None:
    await conn.execute(
        "INSERT INTO claim_steps (claim_id, step, detail) VALUES ($1, $2, $3)", claim_id, step, detail or {}
    )


async def add_steps(conn: asyncpg.Connection, steps: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
    """Steps of several claims, (claim id, step, detail) each, in one statement, in their order."""
    if not steps:
        return
    await conn.execute(
        "INSERT INTO claim_steps (claim_id, step, detail) SELECT claim_id, step, detail::jsonb "
        "FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(claim_id, step, detail, n) ORDER BY n",
        [claim_id for claim_id, _, _ in steps],
        [step for _, step, _ in steps],
        # As JSON text: asyncpg would take a list inside the array for another dimension.
        [json.dumps(detail) for _, _, detail in steps],
    )


async def decided_at(conn: asyncpg.Connection, claim_id: str) -> datetime | None:
    """When the claim was last decided, by a person or by the rules."""
    return await conn.fetchval(
        "SELECT max(at) FROM claim_steps WHERE claim_id = $1 AND step IN ('decided', 'verified')", claim_id
    )


async def steps(conn: asyncpg.Connection, claim_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT step, at, detail FROM claim_steps WHERE claim_id = $1 ORDER BY at, id", claim_id)
    return [dict(r) for r in rows]


# --- payout ledger -------------------------------------------------------------------------------


async def record_ledger(conn: asyncpg.Connection, claim_id: str, lines: list[PayoutLine], entry: int = 0) -> int:
    """Records the lines under `entry` (0: the payout; n: the n-th reclassification); returns how
    many were new. One statement for all of a claim's lines; the primary key still refuses a line
    recorded before."""
    if not lines:
        return 0
    return await conn.fetchval(
        "WITH recorded AS (INSERT INTO payout_ledger (claim_id, entry, component, payee_heir_id, payee_name, amount, "
        "kind, note, guardian_name) SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], "
        "$7::text[], $8::text[], $9::text[]) ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM recorded",
        claim_id,
        entry,
        [x.component for x in lines],
        [x.payee_heir_id or "" for x in lines],
        [x.payee_name for x in lines],
        [x.amount for x in lines],
        [x.kind for x in lines],
        [x.note for x in lines],
        [x.guardian_name for x in lines],
    )


async def record_ledgers(conn: asyncpg.Connection, lines: Mapping[str, list[PayoutLine]]) -> dict[str, int]:
    """Records each claim's payout lines (entry 0) in one statement; returns how many were new, by
    claim (a claim with none new is left out). The primary key still refuses a line recorded before."""
    flat = [(claim_id, line) for claim_id, claim_lines in lines.items() for line in claim_lines]
    if not flat:
        return {}
    rows = await conn.fetch(
        "WITH recorded AS (INSERT INTO payout_ledger (claim_id, entry, component, payee_heir_id, payee_name, amount, "
        "kind, note, guardian_name) SELECT c, 0, co, p, pn, a, k, n, g FROM unnest($1::text[], $2::text[], "
        "$3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[]) AS u(c, co, p, pn, a, k, n, g) "
        "ON CONFLICT DO NOTHING RETURNING claim_id) SELECT claim_id, count(*) AS n FROM recorded GROUP BY claim_id",
        [claim_id for claim_id, _ in flat],
        [x.component for _, x in flat],
        [x.payee_heir_id or "" for _, x in flat],
        [x.payee_name for _, x in flat],
        [x.amount for _, x in flat],
        [x.kind for _, x in flat],
        [x.note for _, x in flat],
        [x.guardian_name for _, x in flat],
    )
    return {row["claim_id"]: row["n"] for row in rows}


async def set_payouts_recorded(conn: asyncpg.Connection, recorded: list[tuple[str, str, int]]) -> None:
    """Each claim's status after its payout, its disbursement scheduled and its `payout_recorded`
    step, for (claim id, status, total cash) each, in one statement."""
    if not recorded:
        return
    claim_ids, statuses, totals = (list(column) for column in zip(*recorded, strict=True))
    await conn.execute(
        "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(claim_id, status, total)), "
        "recorded AS (UPDATE claims c SET status=u.status, disbursement_status='scheduled', updated_at=now() "
        "FROM u WHERE c.claim_id = u.claim_id RETURNING c.claim_id, u.total) "
        "INSERT INTO claim_steps (claim_id, step, detail) SELECT claim_id, 'payout_recorded', "
        "jsonb_build_object('total_cash', total) FROM recorded",
        claim_ids,
        statuses,
        totals,
    )


async def ledger(conn: asyncpg.Connection, claim_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT component, payee_heir_id, payee_name, guardian_name, amount, kind, note, entry FROM payout_ledger "
        "WHERE claim_id = $1 ORDER BY entry, recorded_at, component, payee_heir_id",
        claim_id,
    )
    return [dict(r) for r in rows]


async def ledger_lines(conn: asyncpg.Connection, claim_id: str) -> list[PayoutLine]:
    return [
        PayoutLine(
            r["component"],
            r["amount"],
            r["kind"],
            r["payee_heir_id"] or None,
            r["payee_name"],
            r["guardian_name"],
            r["note"],
        )
        for r in await ledger(conn, claim_id)
    ]


async def count_by_status(conn: asyncpg.Connection) -> dict[str, int]:
    return {r["status"]: r["n"] for r in await conn.fetch("SELECT status, count(*) AS n FROM claims GROUP BY status")}


async def count_payment_deadlines_breached(conn: asyncpg.Connection, today: date) -> dict[str, int]:
    """Claims past their payment deadline and not paid, by claim type: lateness is owed for each
    of those days (services/claims/domain/sla.py)."""
    rows = await conn.fetch(
        "SELECT claim_type, count(*) AS n FROM claims WHERE sla_deadline < $1 "
        "AND status NOT IN ('rejected', 'withdrawn') AND disbursement_status IS DISTINCT FROM 'paid' "
        "GROUP BY claim_type",
        today,
    )
    return {r["claim_type"]: r["n"] for r in rows}


# --- proactive claims (services/claims/proactive.py) --------------------------------------------------


async def note_reported_death(
    conn: asyncpg.Connection,
    registry_event_id: str,
    participant_id: str,
    date_of_death: date,
    outcome: str,
    claim_id: str | None,
    received_on: date,
) -> bool:
    """False when this registry event was seen before."""
    return bool(
        await conn.fetchval(
            "INSERT INTO reported_deaths (registry_event_id, participant_id, date_of_death, outcome, claim_id, "
            "received_on) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING RETURNING true",
            registry_event_id,
            participant_id,
            date_of_death,
            outcome,
            claim_id,
            received_on,
        )
    )


async def reported_death_outcomes(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT outcome, count(*) AS n FROM reported_deaths GROUP BY outcome")
    return {r["outcome"]: r["n"] for r in rows}


async def insert_proactive_claim(
    conn: asyncpg.Connection,
    claim_id: str,
    filing: c.ClaimFiling,
    opened_on: date,
    expected_amount: int,
    documents: list[str],
) -> None:
    await insert_claim(conn, claim_id, filing, "civil_registry", opened_on)
    await conn.execute(
        "UPDATE claims SET status='awaiting_family', proactive=true, expected_amount=$2, documents_to_bring=$3 "
        "WHERE claim_id=$1",
        claim_id,
        expected_amount,
        documents,
    )


async def awaiting_family(conn: asyncpg.Connection, limit: int = 500) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT c.claim_id, c.participant_id, c.claim_type, c.incident_date, c.incident_place, c.filed_on, "
        "c.expected_amount, c.documents_to_bring, c.family_reminded_on, p.full_name, p.masked_nik "
        "FROM claims c LEFT JOIN participants p USING (participant_id) "
        "WHERE c.status = 'awaiting_family' ORDER BY c.filed_on, c.claim_id LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]


async def mark_family_reminded(conn: asyncpg.Connection, claim_id: str, on: date) -> bool:
    return (
        await conn.fetchval(
            "UPDATE claims SET family_reminded_on=$2, updated_at=now() WHERE claim_id=$1 AND status='awaiting_family' "
            "AND family_reminded_on IS NULL RETURNING true",
            claim_id,
            on,
        )
        is not None
    )


async def complete_proactive_claim(
    conn: asyncpg.Connection, claim_id: str, filing: c.ClaimFiling, completed_by: str, on: date
) -> None:
    """The family's filing replaces the registry's placeholder; the claim is filed from now on, by the
    officer who completed it (so that officer cannot also decide it: domain/duties.py)."""
    await conn.execute(
        "UPDATE claims SET claim_type=$2, incident_place=$3, cause=$4, traffic_accident=$5, reporter=$6, documents=$7, "
        "fingerprint=$8, status='filed', filed_by=$9, family_came_on=$10, updated_at=now() WHERE claim_id=$1",
        claim_id,
        str(filing.claim_type),
        filing.incident_place,
        filing.cause,
        filing.traffic_accident,
        {"name": filing.reporter.name, "phone": filing.reporter.phone, "organisation": filing.reporter.organisation},
        dict(filing.documents),
        c.incident_fingerprint(filing.participant_id, filing.claim_type, filing.incident_date),
        completed_by,
        on,
    )


async def proactive_totals(conn: asyncpg.Connection) -> dict[str, int]:
    row = await conn.fetchrow(
        "SELECT count(*) AS opened, count(*) FILTER (WHERE family_came_on IS NOT NULL) AS completed, "
        "count(*) FILTER (WHERE status = 'awaiting_family') AS awaiting_family, "
        "count(*) FILTER (WHERE status = 'payout_recorded') AS payout_recorded, "
        "count(*) FILTER (WHERE disbursement_status = 'paid') AS paid FROM claims WHERE proactive"
    )
    return dict(row)
