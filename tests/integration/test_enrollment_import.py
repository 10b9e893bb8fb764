"""Bulk enrolment of the city's worker lists on real PostgreSQL and Kafka.

One list of 1,200 market traders, daily workers and drivers is imported once per
module, with about 5 % of its rows broken the ways real lists are (a NIK that does not
match the birth date, a kecamatan outside Makassar, an income outside the BPU range, a
landline or a cut-off phone, the same NIK twice) and a few workers the counter had
already registered. The tests then look at it from each side: the import's own report,
the events on the participants topic, a second upload of the same file, an overlapping
list, and the campaign figures.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from services.enrollment.app import build_spec
from services.enrollment.imports import row_to_registration_data
from services.enrollment.settings import EnrollmentSettings
from shared.clock import today
from shared.envelope import Envelope, read_envelope
from shared.topics import PARTICIPANTS
from tests.support.city_lists import city_workers, csv_bytes
from tests.support.kafka_tools import read_all, wait_until
from tests.support.services import infra_settings, running

pytestmark = pytest.mark.integration

LIST_ROWS = 1_200
BROKEN_OF_EACH_KIND = 12  # five kinds: 60 rows, 5 % of the list
REGISTERED_AT_THE_COUNTER = 6


def header_row(index: int) -> int:
    """Row number of the index-th worker in the file, as a spreadsheet shows it (row 1 is the header)."""
    return index + 2


# Each way a row is broken: what is done to it, and the (field, rule) the import must name.
def born_a_day_later(row: dict[str, str]) -> None:
    row["birth_date"] = (date.fromisoformat(row["birth_date"]) + timedelta(days=1)).isoformat()


def lives_outside_makassar(row: dict[str, str]) -> None:
    row["kecamatan"] = "Sungguminasa"  # Gowa's capital, across the city line


def declares_income_out_of_range(row: dict[str, str]) -> None:
    row["monthly_income"] = random.choice(["750000", "25000000"])


def gives_a_landline_or_a_cut_off_number(row: dict[str, str]) -> None:
    row["phone"] = random.choice(["0411 872345", "0812-345"])


BREAKAGES: dict[str, tuple[Callable[[dict[str, str]], None], tuple[str, str]]] = {
    "nik_vs_birth_date": (born_a_day_later, ("nik", "nik_birth_date_mismatch")),
    "unknown_kecamatan": (lives_outside_makassar, ("kecamatan", "kecamatan_unknown")),
    "income_out_of_range": (declares_income_out_of_range, ("monthly_income", "income_out_of_range")),
    "bad_phone": (gives_a_landline_or_a_cut_off_number, ("phone", "phone_invalid")),
}


@dataclass
class CityList:
    rows: list[dict[str, str]]
    rejected: dict[int, set[tuple[tuple[str, ...], str]]]  # row number → {(loc, rule)}
    duplicate_of: dict[int, int]  # row number → the earlier row with the same NIK
    at_the_counter: list[dict[str, str]]  # rows whose worker the counter registered first
    to_enrol: list[dict[str, str]] = field(default_factory=list)

    @property
    def content(self) -> bytes:
        return csv_bytes(self.rows)

    @property
    def niks(self) -> set[str]:
        return {row["nik"] for row in self.rows}


def city_list_with_broken_rows(rng: random.Random) -> CityList:
    rows = city_workers(LIST_ROWS, rng, today=today())
    # Originals of duplicates and counter registrations come from the top of the list,
    # broken rows from further down, so every duplicate follows its original.
    head, tail = list(range(100)), list(range(100, LIST_ROWS))
    rng.shuffle(head)
    rng.shuffle(tail)
    at_the_counter = [rows[i] for i in head[:REGISTERED_AT_THE_COUNTER]]
    originals = head[REGISTERED_AT_THE_COUNTER : REGISTERED_AT_THE_COUNTER + BROKEN_OF_EACH_KIND]
    rejected: dict[int, set[tuple[tuple[str, ...], str]]] = {}
    broken = iter(tail)
    for breakage, (field_name, rule) in BREAKAGES.values():
        for _ in range(BROKEN_OF_EACH_KIND):
            index = next(broken)
            breakage(rows[index])
            rejected[header_row(index)] = {((field_name,), rule)}
    duplicate_of = {}
    for original in originals:
        index = next(broken)
        # The same person listed twice by two market offices: the same NIK, birth date and sex.
        rows[index].update({k: rows[original][k] for k in ("nik", "birth_date", "sex")})
        rejected[header_row(index)] = {(("nik",), "nik_duplicate_in_file")}
        duplicate_of[header_row(index)] = header_row(original)
    counter_niks = {row["nik"] for row in at_the_counter}
    to_enrol = [row for i, row in enumerate(rows) if header_row(i) not in rejected and row["nik"] not in counter_niks]
    return CityList(rows, rejected, duplicate_of, at_the_counter, to_enrol)


@dataclass
class Imported:
    city_list: CityList
    answer: dict[str, Any]  # the POST's answer
    report: dict[str, Any]  # GET /v1/imports/{id} once finished
    campaign_before: dict[str, Any]
    campaign_after: dict[str, Any]


async def import_file(client: httpx.AsyncClient, content: bytes, filename: str) -> tuple[dict, dict]:
    """POSTs the file and waits, with a deadline, for the import to finish; (answer, report)."""
    answer = await client.post(
        "/v1/imports", params={"filename": filename}, content=content, headers={"Content-Type": "text/csv"}
    )
    assert answer.status_code == 202, answer.text
    import_id = answer.json()["import_id"]
    report: dict[str, Any] = {}

    async def done() -> bool:
        nonlocal report
        report = (await client.get(f"/v1/imports/{import_id}")).json()
        return report["status"] != "running"

    await wait_until(done, 120, f"import {import_id} to finish")
    assert report["status"] == "finished", report
    return answer.json(), report


async def imported_participants(client: httpx.AsyncClient, niks: set[str]) -> dict[str, str]:
    """NIK → participant_id of the workers the import enrolled, read from enrollment's own table."""
    rows = await client.app.state.runtime.pool.fetch(
        "SELECT nik, participant_id FROM participants WHERE source = 'import' AND nik = ANY($1::text[])", sorted(niks)
    )
    return {r["nik"]: r["participant_id"] for r in rows}


async def enrolment_events(bootstrap: str, participant_ids: set[str]) -> list[Envelope]:
    records = await read_all(bootstrap, PARTICIPANTS.name)
    wanted = {pid.encode() for pid in participant_ids}
    events = [read_envelope(r.value) for r in records if r.key in wanted]
    return [e for e in events if e.type == "ParticipantEnrolled"]


async def announced(bootstrap: str, participant_ids: set[str]) -> list[Envelope]:
    """The ParticipantEnrolled events about these participants, once every one has arrived."""
    events: list[Envelope] = []

    async def all_arrived() -> bool:
        nonlocal events
        events = await enrolment_events(bootstrap, participant_ids)
        return {e.payload["participant_id"] for e in events} >= participant_ids

    await wait_until(all_arrived, 60, f"ParticipantEnrolled for {len(participant_ids)} participants")
    return events


def by_kecamatan_and_segment(campaign: dict[str, Any]) -> dict[tuple[str, str], dict[str, int]]:
    return {(r["kecamatan"], r["segment"]): r for r in campaign["by_kecamatan_segment"]}


@pytest.fixture(scope="module")
async def enrollment(kafka_bootstrap, database_url):
    settings = EnrollmentSettings(
        infra=infra_settings(kafka_bootstrap, database_url), outbox_poll_seconds=0.2, coverage_sweep_seconds=0
    )
    async with running(build_spec(settings)) as client:
        yield client


@pytest.fixture(scope="module")
async def imported(enrollment) -> Imported:
    city_list = city_list_with_broken_rows(random.Random())
    for row in city_list.at_the_counter:
        registered = await enrollment.post("/v1/participants", json=row_to_registration_data(row))
        assert registered.status_code == 201, registered.text
    campaign_before = (await enrollment.get("/v1/campaign")).json()
    answer, report = await import_file(enrollment, city_list.content, "pasar-terong-2026-11.csv")
    campaign_after = (await enrollment.get("/v1/campaign")).json()
    return Imported(city_list, answer, report, campaign_before, campaign_after)


async def test_a_city_list_enrols_its_valid_rows_and_names_each_broken_row(imported, enrollment):
    city_list, report = imported.city_list, imported.report
    assert imported.answer["already_imported"] is False
    assert (report["rows_total"], report["rows_done"], report["progress"]) == (LIST_ROWS, LIST_ROWS, 1.0)
    assert report["rows_rejected"] == 5 * BROKEN_OF_EACH_KIND
    assert report["rows_existing"] == REGISTERED_AT_THE_COUNTER
    assert report["rows_enrolled"] == LIST_ROWS - 5 * BROKEN_OF_EACH_KIND - REGISTERED_AT_THE_COUNTER

    named = {r["row"]: {(tuple(e["loc"]), e["type"]) for e in r["errors"]} for r in report["rejections"]}
    assert named == city_list.rejected
    for rejection in report["rejections"]:
        for error in rejection["errors"]:
            assert error["msg"].startswith(error["type"] + ":"), error  # the rule, then what would satisfy it
        if rejection["row"] in city_list.duplicate_of:
            assert f"row {city_list.duplicate_of[rejection['row']]} of this file" in rejection["errors"][0]["msg"]
    for rejection in report["rejections"]:
        assert not any(row["nik"] in str(rejection) for row in city_list.rows), "a full NIK in the report"

    enrolled = await imported_participants(enrollment, city_list.niks)
    assert set(enrolled) == {row["nik"] for row in city_list.to_enrol}
    at_the_counter = await enrollment.app.state.runtime.pool.fetch(
        "SELECT source FROM participants WHERE nik = ANY($1::text[])", [r["nik"] for r in city_list.at_the_counter]
    )
    assert [r["source"] for r in at_the_counter] == ["api"] * REGISTERED_AT_THE_COUNTER


async def test_each_enrolled_worker_is_announced_exactly_once(imported, enrollment, kafka_bootstrap):
    enrolled = await imported_participants(enrollment, imported.city_list.niks)
    events = await announced(kafka_bootstrap, set(enrolled.values()))

    assert Counter(e.payload["participant_id"] for e in events) == Counter(set(enrolled.values()))
    row_of = {enrolled[row["nik"]]: row for row in imported.city_list.to_enrol}
    for event in events:
        row, details = row_of[event.payload["participant_id"]], event.payload["details"]
        assert event.payload["source"] == "import" and event.producer == "enrollment"
        assert event.correlation_id == event.payload["participant_id"]
        assert details["masked_nik"] == row["nik"][:4] + "*" * 12
        assert (details["kecamatan"], details["segment"], details["monthly_income"]) == (
            row["kecamatan"],
            row["segment"],
            int(row["monthly_income"]),
        )
        assert len(event.payload["heirs"]) == (2 if row.get("heir2_name") else 1)
        assert row["nik"] not in event.model_dump_json()


async def test_uploading_the_same_list_again_changes_nothing(imported, enrollment, kafka_bootstrap):
    city_list = imported.city_list
    enrolled_before = await imported_participants(enrollment, city_list.niks)

    again = await enrollment.post(
        "/v1/imports",
        params={"filename": "pasar-terong-2026-11 (1).csv"},
        content=city_list.content,
        headers={"Content-Type": "text/csv"},
    )

    assert again.status_code == 202, again.text
    assert again.json()["already_imported"] is True
    assert again.json()["import_id"] == imported.answer["import_id"]
    report = (await enrollment.get(f"/v1/imports/{imported.answer['import_id']}")).json()
    counts = ("status", "rows_enrolled", "rows_rejected", "rows_existing")
    assert {k: report[k] for k in counts} == {k: imported.report[k] for k in counts}
    assert await imported_participants(enrollment, city_list.niks) == enrolled_before
    pool = enrollment.app.state.runtime.pool
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM imports WHERE file_sha256 = (SELECT file_sha256 FROM imports WHERE import_id = $1)",
            imported.answer["import_id"],
        )
        == 1
    )
    ids = set(enrolled_before.values())

    async def outbox_drained() -> bool:
        return await pool.fetchval("SELECT count(*) FROM outbox WHERE key = ANY($1::text[])", sorted(ids)) == 0

    await wait_until(outbox_drained, 60, "the outbox to publish every event about the list")
    events = await enrolment_events(kafka_bootstrap, ids)
    assert Counter(e.payload["participant_id"] for e in events) == Counter(ids)


async def test_an_overlapping_list_enrols_only_the_workers_not_yet_registered(imported, enrollment, kafka_bootstrap):
    first = imported.city_list
    rng = random.Random()
    known = rng.sample(first.to_enrol, 300) + first.at_the_counter
    newcomers = city_workers(150, rng, today=today(), taken=set(first.niks))
    rows = known + newcomers
    rng.shuffle(rows)

    _, report = await import_file(enrollment, csv_bytes(rows), "pasar-pabaeng-baeng-2026-11.csv")

    assert (report["rows_total"], report["rows_enrolled"], report["rows_existing"], report["rows_rejected"]) == (
        len(rows),
        len(newcomers),
        len(known),
        0,
    )
    assert report["rejections"] == []
    enrolled = await imported_participants(enrollment, {row["nik"] for row in newcomers})
    assert len(enrolled) == len(newcomers)
    events = await announced(kafka_bootstrap, set(enrolled.values()))
    assert Counter(e.payload["participant_id"] for e in events) == Counter(set(enrolled.values()))
    # The relay publishes in outbox order, so the newcomers' events arriving means anything the
    # overlap might have queued before them has arrived too: still one event per known worker.
    known_ids = set((await imported_participants(enrollment, {row["nik"] for row in known})).values())
    assert len(known_ids) == 300
    events = await enrolment_events(kafka_bootstrap, known_ids)
    assert Counter(e.payload["participant_id"] for e in events) == Counter(known_ids)


async def test_the_campaign_counts_imported_workers_by_kecamatan_and_segment(imported):
    before = by_kecamatan_and_segment(imported.campaign_before)
    after = by_kecamatan_and_segment(imported.campaign_after)
    expected = Counter((row["kecamatan"], row["segment"]) for row in imported.city_list.to_enrol)
    zero = {"not_started": 0, "active": 0, "grace": 0, "lapsed": 0, "newly_covered": 0}

    for group in set(before) | set(after):
        was, now = before.get(group, zero), after.get(group, zero)
        # Enrolled but nothing paid yet: "not started", and not yet newly covered.
        assert now["not_started"] - was["not_started"] == expected[group], group
        assert all(now[k] == was[k] for k in ("active", "grace", "lapsed", "newly_covered")), group
    assert set(expected) <= set(after)
    assert (
        imported.campaign_after["not_started"] - imported.campaign_before["not_started"]
        == imported.report["rows_enrolled"]
    )
