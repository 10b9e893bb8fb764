"""Bulk enrolment from the city's CSV lists (market traders, daily workers…).

Each row goes through the same rules as a single registration. A row that breaks a
rule is reported with its errors and the rest goes on; a row whose NIK is already
registered is counted as existing, not enrolled again, so re-importing a file — or an
overlapping one — changes nothing. Rows are written in chunks, one transaction each,
so progress is visible and a crash loses at most the chunk under way.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import asyncpg

from services.enrollment import repository as repo
from services.enrollment.domain import register_participant
from services.enrollment.domain.coverage import coverage_on
from services.enrollment.handlers import SERVICE, coverage_payload, heirs_of, new_id
from shared.auth import Actor
from shared.contracts.enrollment import ParticipantDetails, ParticipantEnrolled
from shared.db import record_audit
from shared.envelope import new_envelope
from shared.errors import RuleViolation
from shared.logs import get_logger
from shared.outbox import add_events
from shared.privacy import mask_nik

log = get_logger("enrollment.import")
CHUNK_ROWS = 500
# Columns of the city's list; heirs are optional, up to two per row.
COLUMNS = ("nik", "full_name", "birth_date", "sex", "phone", "address", "kecamatan", "segment", "monthly_income",
           "programs", "member_since",
           "heir1_name", "heir1_relationship", "heir1_phone", "heir1_email", "heir1_language",
           "heir2_name", "heir2_relationship", "heir2_phone", "heir2_email", "heir2_language")


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def parse_rows(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def row_to_registration_data(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row in the shape register_participant takes (strings typed where CSV cannot)."""
    data: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
    income = data.get("monthly_income", "")
    data["monthly_income"] = int(income) if income.isdigit() else income
    data["programs"] = [p.strip() for p in data.get("programs", "JKK;JKM").replace(",", ";").split(";") if p.strip()]
    if not data.get("member_since"):
        data.pop("member_since", None)
    heirs = []
    for n in (1, 2):
        name = data.pop(f"heir{n}_name", "")
        fields = {f: data.pop(f"heir{n}_{f}", "") for f in ("relationship", "phone", "email", "language")}
        if name:
            heirs.append({"full_name": name, **{k: v for k, v in fields.items() if v}})
    data["heirs"] = heirs
    return data


def _chunks(rows: list[dict[str, str]], size: int) -> Iterator[tuple[int, list[dict[str, str]]]]:
    for start in range(0, len(rows), size):
        yield start, rows[start:start + size]


async def start_import(conn: asyncpg.Connection, content: bytes, filename: str, actor: Actor
                       ) -> tuple[dict[str, Any], bool]:
    """Registers the import; returns (import, is_new). The same file twice is the same import."""
    digest = file_digest(content)
    existing = await repo.import_by_hash(conn, digest)
    if existing:
        return existing, False
    import_id = new_id("IMP")
    await repo.create_import(conn, import_id, digest, filename, len(parse_rows(content)), actor.subject)
    await record_audit(conn, actor=actor.subject, role=actor.role, action="import.start", subject_id=import_id,
                       details={"filename": filename, "sha256": digest})
    return await repo.load_import(conn, import_id), True


async def run_import(pool: asyncpg.Pool, import_id: str, content: bytes, today: date) -> None:
    rows = parse_rows(content)
    seen_in_file: set[str] = set()
    try:
        for start, chunk in _chunks(rows, CHUNK_ROWS):
            await _import_chunk(pool, import_id, start, chunk, seen_in_file, today)
        async with pool.acquire() as conn:
            await repo.finish_import(conn, import_id, "finished")
    except Exception as exc:
        log.error("import.failed", import_id=import_id, error=repr(exc))
        async with pool.acquire() as conn:
            await repo.finish_import(conn, import_id, "failed")
        raise


async def _import_chunk(pool: asyncpg.Pool, import_id: str, start: int, chunk: list[dict[str, str]],
                        seen_in_file: set[str], today: date) -> None:
    accepted = []
    rejections: list[tuple[int, list[dict]]] = []
    for offset, row in enumerate(chunk):
        row_number = start + offset + 2  # the header is line 1 of the file
        try:
            accepted.append((row_number, row, register_participant(row_to_registration_data(row), today)))
        except RuleViolation as violation:
            rejections.append((row_number, [{"loc": list(e.loc), "msg": e.msg, "type": e.rule}
                                            for e in violation.errors]))
    async with pool.acquire() as conn, conn.transaction():
        already = await repo.existing_niks(conn, [reg.nik for _, _, reg in accepted])
        participants, heirs, envelopes, coverage_rows = [], [], [], []
        existing = 0
        for row_number, row, reg in accepted:
            if reg.nik in already or reg.nik in seen_in_file:
                existing += 1
                continue
            seen_in_file.add(reg.nik)
            participant_id = new_id("P")
            participants.append(repo.participant_row(participant_id, reg, row.get("address", "").strip(), "import"))
            heir_rows = [(new_id("H"), participant_id, i, h) for i, h in enumerate(reg.heirs)]
            heirs.extend(heir_rows)
            details = ParticipantDetails(
                masked_nik=mask_nik(reg.nik), full_name=reg.full_name, birth_date=reg.birth_date, sex=reg.sex,
                phone=reg.phone, kecamatan=reg.kecamatan, segment=reg.segment, monthly_income=reg.monthly_income,
                programs=list(reg.programs), member_since=reg.member_since)
            heir_dicts = [repo.heir_view(hid, h) for hid, _, _, h in heir_rows]
            envelopes.append(new_envelope(
                ParticipantEnrolled(participant_id=participant_id, details=details, heirs=heirs_of(heir_dicts),
                                    source="import"),
                correlation_id=participant_id, producer=SERVICE))
            coverage_rows.append(participant_id)
        await repo.insert_participants(conn, participants)
        await repo.insert_heirs(conn, heirs)
        await repo.save_coverages(conn, [(pid, _not_started(pid, today), today, None) for pid in coverage_rows])
        if envelopes:
            await add_events(conn, envelopes, SERVICE)
        await repo.advance_import(conn, import_id, len(chunk), len(participants), len(rejections), existing,
                                  rejections)


def _not_started(participant_id: str, today: date) -> dict[str, Any]:
    return coverage_payload(participant_id, coverage_on([], today), today).model_dump(mode="json", exclude={"as_of"})
