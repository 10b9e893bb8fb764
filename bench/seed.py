"""N participants and N past claims in every service's own schema, set-based (INSERT … SELECT
FROM generate_series), for bench/data_scale.py: what a few years of Makassar's claims leave behind.

    seconds = await seed(database_url, rows=1_000_000)   # per schema, side by side

Shapes, per participant i (deterministic in i, no random generator):
- enrollment: the participant (NIK in districts 737120-737199, which the load's city lists never
  use), a spouse and for 60 % a child as heirs, three paid months, coverage, income history;
- claims: the read model (participant, heirs), claim i (40 % JKM, 10 % JKK death, 50 % JKK
  accident; 75 % payout recorded, 12 % rejected, 3 % in review, 2 % approved, 1 % withdrawn, 7 %
  payout recorded after a review), its steps (filed, verified, payout recorded, a family_notified
  per message), its ledger lines (JKM: lump sum, funeral, periodic benefit; JKK: incapacity and
  transport), a disbursement line paid for each cash line, the filing's audit row, and the inbox
  rows its consumers left (verification, decisions, disbursement, timeline, participants);
- notifications: the read model (participant, heirs, claim), the messages (ClaimFiled and the final
  event, to the spouse by WhatsApp and the child by email), one delivery attempt each, and the
  inbox rows of its consumers.
Published events left each outbox long ago (the relay deletes them), so the outboxes stay empty.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from services.enrollment.domain.places import KECAMATAN
from tests.support.city_lists import SEGMENT_WEIGHTS

# One statement per line: a table and its INSERT … SELECT; $1 is N. Ids are hex of i, prefixed as
# the services prefix theirs (P-, H-, CL-, C-) but never of the length uuid4()[:12] gives.
_PID = "'P-s' || lpad(to_hex(i), 10, '0')"
_CID = "'CL-s' || lpad(to_hex(i), 10, '0')"
_SPOUSE = "'H-s' || lpad(to_hex(i), 10, '0') || 'a'"
_CHILD = "'H-s' || lpad(to_hex(i), 10, '0') || 'b'"
_HAS_CHILD = "i % 5 < 3"
_BIRTH = "(date '1955-01-01' + (i * 37 % 15000))"
_SINCE = "(date '2022-01-01' + (i % 1000))"
_NAME = (
    "(ARRAY['Andi','Daeng','Sitti','Muhammad','Nurhayati','Abdul','Rahmawati','Syamsul','Fatimah','Haerul'])"
    "[1 + i % 10] || ' ' || (ARRAY['Tompo','Sompa','Rahman','Baso','Tika','Lallo','Bandu','Sila','Ngalle',"
    "'Mappa'])[1 + (i / 10) % 10]"
)
_TYPE = "(CASE WHEN i % 10 < 4 THEN 'JKM' WHEN i % 10 = 4 THEN 'JKK_DEATH' ELSE 'JKK' END)"
_DEATH = "i % 10 < 5"
# i * 7 % 100 decorrelates the status from the type (i % 10).
_STATUS = (
    "(CASE WHEN i * 7 % 100 < 75 THEN 'payout_recorded' WHEN i * 7 % 100 < 87 THEN 'rejected' "
    "WHEN i * 7 % 100 < 90 THEN 'needs_review' WHEN i * 7 % 100 < 92 THEN 'approved' "
    "WHEN i * 7 % 100 < 93 THEN 'withdrawn' ELSE 'payout_recorded' END)"
)
_PAID = "(i * 7 % 100 < 75 OR i * 7 % 100 >= 93)"
_FILED_AT = "(now() - interval '1 day' * (1 + i % 1000) - interval '1 second' * (i % 86400))"
_UUID = "md5('{salt}' || i)::uuid"  # an event id per (salt, i): stable, unique per salt

_ENROLLMENT = [
    (
        "participants",
        f"""
INSERT INTO participants (participant_id, nik, nik_masked, full_name, birth_date, sex, phone, address, kecamatan,
                          segment, monthly_income, programs, member_since, source, created_at, updated_at)
SELECT {_PID}, nik, left(nik, 4) || repeat('*', 12), {_NAME}, {_BIRTH}, CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END,
       '0812' || lpad((i % 100000000)::text, 8, '0'), 'Jl. Pasar ' || (i % 300),
       ($2::text[])[1 + i % cardinality($2::text[])], ($3::text[])[1 + i % cardinality($3::text[])],
       1000000 + (i % 40) * 100000, ARRAY['JKK', 'JKM'], {_SINCE}, 'import',
       {_SINCE}::timestamptz, {_SINCE}::timestamptz
FROM (SELECT i, '7371' || lpad((20 + i % 80)::text, 2, '0') || to_char({_BIRTH}, 'DDMMYY')
                || lpad((i / 80 % 10000)::text, 4, '0') AS nik
      FROM generate_series(1, $1) i) s""",
    ),
    (
        "heirs",
        f"""
INSERT INTO heirs (heir_id, participant_id, position, full_name, relationship, precedence, phone, email, language)
SELECT {_SPOUSE}, {_PID}, 0, 'Daeng ' || i, 'spouse', 1, '0813' || lpad((i % 100000000)::text, 8, '0'), NULL, 'id'
FROM generate_series(1, $1) i
UNION ALL
SELECT {_CHILD}, {_PID}, 1, 'Andi ' || i, 'child', 1, NULL, 'andi.' || i || '@example.id', 'id'
FROM generate_series(1, $1) i WHERE {_HAS_CHILD}""",
    ),
    (
        "contributions",
        f"""
INSERT INTO contributions (contribution_id, participant_id, period, amount, amount_due, payer, paid_at, recorded_by,
                           recorded_at)
SELECT 'C-s' || lpad(to_hex(i * 4 + m), 10, '0'), {_PID}, to_char({_SINCE} + m * 31, 'YYYY-MM'), 16800, 16800,
       CASE WHEN i % 3 = 0 THEN 'city' ELSE 'self' END, {_SINCE} + m * 31, 'bench-seed', now()
FROM generate_series(1, $1) i, generate_series(0, 2) m""",
    ),
    (
        "coverage",
        f"""
INSERT INTO coverage (participant_id, status, as_of, active_through, grace_until, first_covered_on, snapshot)
SELECT {_PID}, CASE WHEN i % 4 = 0 THEN 'lapsed' ELSE 'active' END, current_date, {_SINCE} + 93, {_SINCE} + 123,
       {_SINCE}, jsonb_build_object('status', CASE WHEN i % 4 = 0 THEN 'lapsed' ELSE 'active' END,
                                    'as_of', current_date, 'first_covered_on', {_SINCE})
FROM generate_series(1, $1) i""",
    ),
    (
        "income_history",
        f"""
INSERT INTO income_history (participant_id, effective_from, monthly_income, recorded_by)
SELECT {_PID}, to_char({_SINCE}, 'YYYY-MM'), 1000000 + (i % 40) * 100000, 'bench-seed' FROM generate_series(1, $1) i""",
    ),
    (
        "inbox",
        f"""
INSERT INTO inbox (consumer, event_id, processed_at)
SELECT 'enrollment.claim_decisions', {_UUID.format(salt="death")}, {_FILED_AT} FROM generate_series(1, $1) i
WHERE {_DEATH} AND {_PAID}""",
    ),
]

_CLAIMS = [
    (
        "participants",
        f"""
INSERT INTO participants (participant_id, masked_nik, full_name, member_since, programs, monthly_income, paid_months,
                          coverage_status, income_history, paid_periods, details_as_of, heirs_as_of, coverage_as_of)
SELECT {_PID}, '7371************', {_NAME}, {_SINCE}, ARRAY['JKK', 'JKM'], 1000000 + (i % 40) * 100000, 3,
       CASE WHEN i % 4 = 0 THEN 'lapsed' ELSE 'active' END,
       jsonb_build_array(jsonb_build_object('effective_from', to_char({_SINCE}, 'YYYY-MM'),
                                            'monthly_income', 1000000 + (i % 40) * 100000)),
       ARRAY[to_char({_SINCE}, 'YYYY-MM'), to_char({_SINCE} + 31, 'YYYY-MM'), to_char({_SINCE} + 62, 'YYYY-MM')],
       now(), now(), now()
FROM generate_series(1, $1) i""",
    ),
    (
        "heirs",
        f"""
INSERT INTO heirs (heir_id, participant_id, position, full_name, relationship, precedence, phone, email, language)
SELECT {_SPOUSE}, {_PID}, 0, 'Daeng ' || i, 'spouse', 1, '0813' || lpad((i % 100000000)::text, 8, '0'), NULL, 'id'
FROM generate_series(1, $1) i
UNION ALL
SELECT {_CHILD}, {_PID}, 1, 'Andi ' || i, 'child', 1, NULL, 'andi.' || i || '@example.id', 'id'
FROM generate_series(1, $1) i WHERE {_HAS_CHILD}""",
    ),
    (
        "claims",
        f"""
INSERT INTO claims (claim_id, participant_id, claim_type, incident_date, incident_place, cause, traffic_accident,
                    reporter, documents, incapacity_days, fingerprint, status, reasons, documents_complete_on,
                    sla_deadline, decided_by, filed_by, filed_on, filed_at, updated_at)
SELECT {_CID}, {_PID}, {_TYPE}, {_FILED_AT}::date - 3, 'Pasar Sentral, Makassar',
       CASE WHEN {_DEATH} THEN 'died at home after an illness' ELSE 'fire at the market' END, i % 20 = 0,
       jsonb_build_object('name', 'Daeng ' || i, 'phone', '+62813' || lpad((i % 100000000)::text, 8, '0'),
                          'organisation', 'keluarga'),
       jsonb_build_object('participant_card', 'PAR-' || lpad((i % 1000000)::text, 6, '0'),
                          'bank_account', 'BAN-' || lpad((i % 1000000)::text, 6, '0')),
       CASE WHEN {_DEATH} THEN NULL ELSE 3 + i % 20 END, md5('incident' || i), {_STATUS},
       CASE WHEN i * 7 % 100 BETWEEN 75 AND 86 THEN '["NOT_COVERED_ON_INCIDENT_DATE"]'::jsonb
            WHEN i * 7 % 100 BETWEEN 87 AND 89 THEN '["DOCUMENTS_INCOMPLETE"]'::jsonb ELSE '[]'::jsonb END,
       {_FILED_AT}::date, {_FILED_AT}::date + 7, CASE WHEN i * 7 % 100 >= 93 THEN 'bench-supervisor' END,
       'bench-officer', {_FILED_AT}::date, {_FILED_AT}, {_FILED_AT} + interval '2 minutes'
FROM generate_series(1, $1) i""",
    ),
    (
        "claim_steps",
        f"""
INSERT INTO claim_steps (claim_id, step, at, detail)
SELECT {_CID}, step, {_FILED_AT} + interval '1 second' * n, '{{}}'::jsonb
FROM generate_series(1, $1) i,
     LATERAL (VALUES (0, 'filed'), (1, 'verified'), (2, 'family_notified'), (3, 'payout_recorded'),
                     (4, 'family_notified'), (5, 'family_notified')) AS s (n, step)
WHERE n < 2 OR (n = 2) OR (n = 3 AND {_PAID}) OR (n = 4 AND ({_PAID} OR i * 7 % 100 BETWEEN 75 AND 86))
   OR (n = 5 AND {_HAS_CHILD} AND {_DEATH})""",
    ),
    (
        "payout_ledger",
        f"""
INSERT INTO payout_ledger (claim_id, component, payee_heir_id, payee_name, amount, kind, note, recorded_at)
SELECT {_CID}, component, CASE WHEN {_DEATH} THEN {_SPOUSE} ELSE '' END, 'Daeng ' || i, amount, kind, '',
       {_FILED_AT} + interval '3 seconds'
FROM generate_series(1, $1) i,
     LATERAL (VALUES ('lump_sum', 42000000, 'cash', true), ('funeral', 10000000, 'cash', true),
                     ('periodic_benefit', 12000000, 'cash', true),
                     ('temporary_incapacity', 50000 * (3 + i % 20), 'cash', false),
                     ('transport', 1000000, 'cash', false)) AS l (component, amount, kind, death)
WHERE {_PAID} AND death = ({_DEATH})""",
    ),
    (
        "disbursement_lines",
        """
INSERT INTO disbursement_lines (claim_id, component, payee_heir_id, payee_name, participant_id, amount, status,
                                attempts, updated_at)
SELECT claim_id, component, payee_heir_id, payee_name, 'P-s' || substr(claim_id, 5), amount, 'succeeded', 1,
       recorded_at + interval '1 day'
FROM payout_ledger WHERE claim_id LIKE 'CL-s%' AND kind = 'cash'""",
    ),
    (
        "audit_log",
        f"""
INSERT INTO audit_log (actor, role, action, subject_id, details, at)
SELECT 'bench-officer', 'officer', 'claim.filed', {_CID}, '{{}}'::jsonb, {_FILED_AT} FROM generate_series(1, $1) i""",
    ),
    (
        "inbox",
        f"""
INSERT INTO inbox (consumer, event_id, processed_at)
SELECT 'claims.verification', {_UUID.format(salt="filed")}, {_FILED_AT} FROM generate_series(1, $1) i
UNION ALL SELECT 'claims.decisions', {_UUID.format(salt="approved")}, {_FILED_AT} FROM generate_series(1, $1) i
    WHERE {_PAID}
UNION ALL SELECT 'claims.disbursement', {_UUID.format(salt="payout")}, {_FILED_AT} FROM generate_series(1, $1) i
    WHERE {_PAID}
UNION ALL SELECT 'claims.participants', {_UUID.format(salt="enrolled")}, {_FILED_AT} FROM generate_series(1, $1) i
UNION ALL SELECT 'claims.participants', {_UUID.format(salt="coverage")}, {_FILED_AT} FROM generate_series(1, $1) i
UNION ALL SELECT 'claims.timeline', md5('delivered' || i || '-' || m)::uuid, {_FILED_AT}
    FROM generate_series(1, $1) i, generate_series(1, 3) m WHERE m < 3 OR ({_HAS_CHILD} AND {_DEATH})""",
    ),
]

_NOTIFICATIONS = [
    (
        "participants",
        f"""
INSERT INTO participants (participant_id, full_name, masked_nik, phone, details_as_of, heirs_as_of)
SELECT {_PID}, {_NAME}, '7371************', '0812' || lpad((i % 100000000)::text, 8, '0'), now(), now()
FROM generate_series(1, $1) i""",
    ),
    (
        "heirs",
        f"""
INSERT INTO heirs (heir_id, participant_id, position, full_name, relationship, phone, email, language)
SELECT {_SPOUSE}, {_PID}, 0, 'Daeng ' || i, 'spouse', '0813' || lpad((i % 100000000)::text, 8, '0'), NULL, 'id'
FROM generate_series(1, $1) i
UNION ALL
SELECT {_CHILD}, {_PID}, 1, 'Andi ' || i, 'child', NULL, 'andi.' || i || '@example.id', 'id'
FROM generate_series(1, $1) i WHERE {_HAS_CHILD}""",
    ),
    (
        "claims",
        f"""
INSERT INTO claims (claim_id, participant_id, claim_type, reporter_name, reporter_phone, withdrawn_at)
SELECT {_CID}, {_PID}, {_TYPE}, 'Daeng ' || i, '+62813' || lpad((i % 100000000)::text, 8, '0'),
       CASE WHEN i * 7 % 100 = 92 THEN {_FILED_AT} + interval '1 day' END
FROM generate_series(1, $1) i""",
    ),
    # m = 0: "claim filed" to the spouse (WhatsApp); 1: the final event to the spouse; 2: the final
    # event to the child (email), after a death only.
    (
        "notifications",
        f"""
INSERT INTO notifications (notification_id, event_id, about_event, claim_id, participant_id, heir_id, channel, address,
                           language, subject, body, status, attempts, next_attempt_at, provider_message_id,
                           created_at, finished_at, reference, template, template_params)
SELECT 'N-s' || lpad(to_hex(i * 4 + m), 10, '0'),
       md5(CASE WHEN m = 0 THEN 'filed' ELSE 'final' END || i)::uuid,
       CASE WHEN m = 0 THEN 'ClaimFiled' WHEN {_PAID} THEN 'PayoutRecorded' ELSE 'ClaimRejected' END,
       {_CID}, {_PID}, CASE WHEN m = 2 THEN {_CHILD} ELSE {_SPOUSE} END,
       CASE WHEN m = 2 THEN 'email' ELSE 'whatsapp' END,
       CASE WHEN m = 2 THEN 'andi.' || i || '@example.id' ELSE '0813' || lpad((i % 100000000)::text, 8, '0') END,
       'id', 'Klaim ' || {_CID},
       'Yth. keluarga, klaim ' || {_CID} || ' untuk almarhum/almarhumah telah kami terima dan sedang diproses. '
       || 'Jumlah yang dibayarkan akan kami kirimkan melalui pesan ini. Simpan nomor klaim untuk menanyakan '
       || 'statusnya di kantor BPJS Ketenagakerjaan Makassar.',
       'delivered', 1, {_FILED_AT}, 'wamid.s' || i || '-' || m, {_FILED_AT} + interval '1 second' * m,
       {_FILED_AT} + interval '1 second' * m + interval '300 milliseconds', 'ref-s' || i || '-' || m,
       CASE WHEN m = 0 THEN 'claim_filed' ELSE 'claim_decided' END, ARRAY[{_CID}]
FROM generate_series(1, $1) i, generate_series(0, 2) m
WHERE m < 2 OR (m = 2 AND {_HAS_CHILD} AND {_DEATH})""",
    ),
    (
        "delivery_attempts",
        """
INSERT INTO delivery_attempts (notification_id, attempt, at, outcome, detail)
SELECT notification_id, 1, finished_at, 'delivered', 'accepted by the provider'
FROM notifications WHERE notification_id LIKE 'N-s%'""",
    ),
    (
        "inbox",
        f"""
INSERT INTO inbox (consumer, event_id, processed_at)
SELECT 'notifications.participants', {_UUID.format(salt="enrolled")}, {_FILED_AT} FROM generate_series(1, $1) i
UNION ALL SELECT 'notifications.claims', {_UUID.format(salt="filed")}, {_FILED_AT} FROM generate_series(1, $1) i
UNION ALL SELECT 'notifications.claims', {_UUID.format(salt="payout")}, {_FILED_AT} FROM generate_series(1, $1) i
    WHERE {_PAID}
UNION ALL SELECT 'notifications.claims', {_UUID.format(salt="decided")}, {_FILED_AT}
    FROM generate_series(1, $1) i WHERE NOT {_PAID}""",
    ),
]

SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "enrollment": _ENROLLMENT,
    "claims": _CLAIMS,
    "notifications": _NOTIFICATIONS,
}


async def _seed_schema(
    database_url: str, service: str, schema: str, rows: int, progress
) -> dict[str, tuple[int, float]]:
    """Inserts into one service's schema, table by table; returns table -> (rows, seconds)."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": schema}, command_timeout=None)
    done: dict[str, tuple[int, float]] = {}
    try:
        # The seed is reproducible: losing it to a crash costs a rerun, not data; no fsync wait per statement.
        await conn.execute("SET synchronous_commit = off; SET maintenance_work_mem = '256MB'")
        for table, sql in SCHEMAS[service]:
            started = time.monotonic()
            args = (rows, list(KECAMATAN), list(SEGMENT_WEIGHTS)) if "$2" in sql else (rows,) if "$1" in sql else ()
            status = await conn.execute(sql, *args)
            count = int(status.split()[-1])
            done[table] = (count, time.monotonic() - started)
            progress(f"  {service}.{table}: {count:,} rows in {done[table][1]:.1f} s")
    finally:
        await conn.close()
    return done


async def seed(
    database_url: str,
    rows: int,
    progress=print,
    schemas: dict[str, str] | None = None,
) -> tuple[float, dict[str, dict[str, tuple[int, float]]]]:
    """Seeds the three services' schemas side by side, then VACUUM ANALYZE (the planner's statistics
    and the visibility map, as autovacuum would have them after years). `schemas`: service -> schema
    when they are not the services' own names (a test's). Returns (seconds, what was written)."""
    schemas = schemas or {service: service for service in SCHEMAS}
    started = time.monotonic()
    written = dict(
        zip(
            SCHEMAS,
            await asyncio.gather(
                *(_seed_schema(database_url, service, schemas[service], rows, progress) for service in SCHEMAS)
            ),
        )
    )
    conn = await asyncpg.connect(database_url, command_timeout=None)
    try:
        for service, statements in SCHEMAS.items():
            tables = dict.fromkeys(t for t, _ in statements)
            await conn.execute(f"VACUUM (ANALYZE) {', '.join(f'{schemas[service]}.{t}' for t in tables)}")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    progress(f"  vacuumed and analysed; seeding took {time.monotonic() - started:.0f} s")
    return time.monotonic() - started, written
