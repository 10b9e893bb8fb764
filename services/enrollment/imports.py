"""Bulk enrolment from the city's CSV lists (market traders, daily workers…).

Each row goes through the same rules as a single registration. A row that breaks a
rule is reported with its row number and errors and the rest goes on; a row whose NIK
is already registered is counted as existing, not enrolled again, so re-importing a
file — or an overlapping one — changes nothing. A NIK on two rows of one file is one
person listed twice (or a typing mistake in someone's NIK): the first row counts, the
later ones are rejected naming it. Rows are written in chunks, one transaction each
with their ParticipantEnrolled events in the outbox, so progress is visible and a
crash loses at most the chunk under way.

An import cut off by a crash or a shutdown resumes at the next start (resume_interrupted) from
its last committed chunk: the file is kept in the imports table until the import ends, and the
rows before that chunk are only judged again (for duplicates further down), not written. An
import that cannot go on ends as failed with its reason; none stays "running" forever.

The file is read as a stream, a chunk at a time, so memory stays flat whatever its
size; while one chunk's transaction is with PostgreSQL the next is judged. Each chunk
is one COPY or one statement per table (bench/enrollment_import.py measures it).
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import os
from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

import asyncpg

from services.enrollment import repository as repo
from services.enrollment.domain import Registration, register_participant
from services.enrollment.domain.coverage import coverage_on
from services.enrollment.domain.income import IncomeChange
from services.enrollment.handlers import (
    SERVICE,
    coverage_payload,
    first_income,
    flag_duplicates,
    heirs_of,
    income_history_of,
    new_id,
)
from shared.auth import Actor
from shared.contracts.enrollment import ParticipantDetails, ParticipantEnrolled
from shared.db import record_audit
from shared.envelope import Envelope, new_envelope
from shared.errors import FieldError, RuleViolation
from shared.logs import get_logger
from shared.outbox import add_events

log = get_logger("enrollment.import")
CHUNK_ROWS = 500
# A chunk that collides with a registration made at the counter meanwhile (same NIK,
# between our check and our insert) is written again; the check then sees it.
CHUNK_ATTEMPTS = 3
# Rows judged between two yields to the event loop (about a millisecond of work): the
# relay and the HTTP API keep running during an import, and the previous chunk's
# transaction moves on (10 measured better than 50 in bench/enrollment_import.py).
YIELD_EVERY_ROWS = 10
# Columns of the city's list; heirs are optional, up to two per row.
COLUMNS = (
    "nik",
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "address",
    "kecamatan",
    "segment",
    "monthly_income",
    "programs",
    "member_since",
    "heir1_name",
    "heir1_relationship",
    "heir1_phone",
    "heir1_email",
    "heir1_language",
    "heir1_birth_date",
    "heir2_name",
    "heir2_relationship",
    "heir2_phone",
    "heir2_email",
    "heir2_language",
    "heir2_birth_date",
)

Row = tuple[int, dict[str, str]]  # (row number in the file, fields by column)


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def read_rows(content: bytes) -> Iterator[Row]:
    """The file's rows with their numbers as a spreadsheet shows them: the header is row 1,
    a quoted field spanning lines is one row, blank rows (",,,," too) are skipped but counted."""
    records = csv.reader(io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline=""))
    header = [name.strip() for name in next(records, [])]
    for number, record in enumerate(records, start=2):
        if not any(field.strip() for field in record):
            continue
        yield number, {name: record[i] if i < len(record) else "" for i, name in enumerate(header)}


def count_rows(content: bytes) -> int:
    return sum(1 for _ in read_rows(content))


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
        fields = {f: data.pop(f"heir{n}_{f}", "") for f in ("relationship", "phone", "email", "language", "birth_date")}
        if name:
            heirs.append({"full_name": name, **{k: v for k, v in fields.items() if v}})
    data["heirs"] = heirs
    return data


async def start_import(
    conn: asyncpg.Connection, content: bytes, filename: str, actor: Actor
) -> tuple[dict[str, Any], bool]:
    """Registers the import; returns (import, is_new). The same file twice is the same import."""
    digest = file_digest(content)
    existing = await repo.import_by_hash(conn, digest)
    if existing:
        return existing, False
    import_id = new_id("IMP")
    await repo.create_import(conn, import_id, digest, filename, count_rows(content), actor.subject, content)
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="import.start",
        subject_id=import_id,
        details={"filename": filename, "sha256": digest},
    )
    return await repo.load_import(conn, import_id), True


async def run_import(pool: asyncpg.Pool, import_id: str, content: bytes, today: date, rows_done: int = 0) -> None:
    """Imports the file's rows after the first `rows_done` (those a cut-off run committed)."""
    try:
        await _import_rows(pool, import_id, content, today, rows_done)
    except asyncio.CancelledError:
        # The service is stopping: the next start resumes the import from its last chunk.
        async with pool.acquire() as conn:
            await repo.release_import(conn, import_id)
        log.warning("import.interrupted", import_id=import_id)
        raise
    except Exception as exc:
        log.error("import.failed", import_id=import_id, error=repr(exc))
        async with pool.acquire() as conn:
            await repo.finish_import(conn, import_id, "failed", f"stopped by an error: {type(exc).__name__}")
        raise
    async with pool.acquire() as conn:
        await repo.finish_import(conn, import_id, "finished")


async def resume_interrupted(
    pool: asyncpg.Pool, today: date, stale_seconds: float, start: Callable[[Coroutine[Any, Any, None]], None]
) -> int:
    """Resumes the imports a crashed or stopped process left running, each handed to `start`
    (which must make it a task the service will cancel at shutdown, at once: no await between);
    one whose file was not kept ends as failed, saying why. Returns how many were resumed."""
    async with pool.acquire() as conn:
        interrupted = await repo.claim_interrupted_imports(conn, stale_seconds)
        resumed = 0
        for record in interrupted:
            if record["content"] is None:
                await repo.finish_import(
                    conn,
                    record["import_id"],
                    "failed",
                    "interrupted by a restart and its file was not kept: upload it again",
                )
                continue
            log.warning(
                "import.resumed",
                import_id=record["import_id"],
                rows_done=record["rows_done"],
                rows_total=record["rows_total"],
            )
            start(run_import(pool, record["import_id"], bytes(record["content"]), today, record["rows_done"]))
            resumed += 1
    return resumed


async def _import_rows(pool: asyncpg.Pool, import_id: str, content: bytes, today: date, skip_rows: int = 0) -> None:
    """Chunk after chunk: while one chunk's transaction is with PostgreSQL, the next is
    judged here, so the rules and the database work at the same time. Chunks still commit
    one after the other, in file order. The first `skip_rows` rows (written by an earlier,
    cut-off run) are judged only to know which NIKs the file already enrolled."""
    first_row_of: dict[str, int] = {}  # NIK → the row that enrols it, for duplicates further down
    writing: asyncio.Task | None = None
    rows = read_rows(content)
    for done in _chunks(islice(rows, skip_rows), CHUNK_ROWS):
        await prepare_chunk(done, first_row_of, today)
    try:
        for chunk_rows in _chunks(rows, CHUNK_ROWS):
            chunk = await prepare_chunk(chunk_rows, first_row_of, today)
            if writing is not None:
                await writing
            writing = asyncio.create_task(_write_chunk(pool, import_id, chunk))
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)


@dataclass(frozen=True)
class Enrolment:
    """A row that passed the rules, ready to write: its participant and heir rows and its event."""

    nik: str
    participant: tuple
    heirs: list[tuple]
    income: IncomeChange
    event: Envelope


@dataclass
class Chunk:
    today: date
    first_row: int
    rows: int
    enrolments: list[Enrolment] = field(default_factory=list)
    rejections: list[tuple[int, list[dict[str, Any]]]] = field(default_factory=list)  # (row number, errors)


async def prepare_chunk(rows: list[Row], first_row_of: dict[str, int], today: date) -> Chunk:
    """Judges each row by the registration rules and builds what enrolling it writes.
    Pure computation; it gives the event loop back every few rows so the service keeps
    answering (and the previous chunk's transaction goes on) during a long import."""
    chunk = Chunk(today=today, first_row=rows[0][0], rows=len(rows))
    for index, (row_number, row) in enumerate(rows):
        if index and index % YIELD_EVERY_ROWS == 0:
            await asyncio.sleep(0)
        try:
            registration = register_participant(row_to_registration_data(row), today)
        except RuleViolation as violation:
            chunk.rejections.append((row_number, [_error_view(e) for e in violation.errors]))
            continue
        first = first_row_of.setdefault(registration.nik, row_number)
        if first != row_number:
            chunk.rejections.append(
                (
                    row_number,
                    [
                        _error_view(
                            FieldError(
                                ("nik",),
                                "nik_duplicate_in_file",
                                f"nik_duplicate_in_file: row {first} of this file has the same NIK; "
                                f"a NIK is one person, so only row {first} is enrolled",
                            )
                        )
                    ],
                )
            )
            continue
        chunk.enrolments.append(_enrolment(registration, row.get("address", "").strip()))
    return chunk


async def _write_chunk(pool: asyncpg.Pool, import_id: str, chunk: Chunk) -> None:
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            await _write_chunk_once(pool, import_id, chunk)
            _fault_point(chunk)
            return
        except asyncpg.UniqueViolationError:
            if attempt == CHUNK_ATTEMPTS:
                raise
            log.info("import.chunk_retried", import_id=import_id, first_row=chunk.first_row)


async def _write_chunk_once(pool: asyncpg.Pool, import_id: str, chunk: Chunk) -> None:
    """One transaction: the new participants, their heirs and coverage, their events in the
    outbox, and the import's progress. One statement per table, whatever the chunk's size."""
    async with pool.acquire() as conn, conn.transaction():
        already = await repo.existing_niks(conn, [e.nik for e in chunk.enrolments])
        new = [e for e in chunk.enrolments if e.nik not in already]
        await repo.insert_participants(conn, [e.participant for e in new])
        await repo.insert_heirs(conn, [h for e in new for h in e.heirs])
        await repo.insert_income_changes(conn, [(e.participant[0], e.income, "import") for e in new])
        await flag_duplicates(conn, [e.participant[0] for e in new])
        # Nothing paid yet: every new participant's coverage is the same "not started".
        not_started = _not_started(chunk.today)
        await repo.save_coverages(
            conn,
            [(e.participant[0], {**not_started, "participant_id": e.participant[0]}, chunk.today, None) for e in new],
        )
        await add_events(conn, [e.event for e in new], SERVICE)
        await repo.advance_import(
            conn,
            import_id,
            chunk.rows,
            len(new),
            len(chunk.rejections),
            len(chunk.enrolments) - len(new),
            chunk.rejections,
        )


def _enrolment(reg: Registration, address: str) -> Enrolment:
    participant_id = new_id("P")
    heir_rows = [(new_id("H"), participant_id, i, h) for i, h in enumerate(reg.heirs)]
    details = ParticipantDetails(
        masked_nik=reg.nik_masked,
        full_name=reg.full_name,
        birth_date=reg.birth_date,
        sex=reg.sex,
        phone=reg.phone,
        kecamatan=reg.kecamatan,
        segment=reg.segment,
        monthly_income=reg.monthly_income,
        programs=list(reg.programs),
        member_since=reg.member_since,
        income_history=income_history_of([first_income(reg)]),
    )
    heirs = heirs_of([repo.heir_view(hid, h) for hid, _, _, h in heir_rows])
    event = new_envelope(
        ParticipantEnrolled(participant_id=participant_id, details=details, heirs=heirs, source="import"),
        correlation_id=participant_id,
        producer=SERVICE,
    )
    return Enrolment(
        reg.nik, repo.participant_row(participant_id, reg, address, "import"), heir_rows, first_income(reg), event
    )


def _fault_point(chunk: Chunk) -> None:
    """Fault injection for the crash test: JARING_FAULT_EXIT_AFTER_IMPORT_ROW=<n> makes the process
    die right after committing the chunk that holds row n, mid-import, like a kill -9 there."""
    row = os.environ.get("JARING_FAULT_EXIT_AFTER_IMPORT_ROW")
    if row and chunk.first_row <= int(row) < chunk.first_row + chunk.rows:
        log.warning("fault.exit_after_import_chunk", first_row=chunk.first_row)
        os._exit(86)


def _error_view(error: FieldError) -> dict[str, Any]:
    return {"loc": list(error.loc), "msg": error.msg, "type": error.rule}


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk


def _not_started(today: date) -> dict[str, Any]:
    return coverage_payload("", coverage_on([], today), today).model_dump(mode="json", exclude={"as_of"})
