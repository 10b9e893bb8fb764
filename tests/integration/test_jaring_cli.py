"""The `jaring` command against the services on real Kafka and PostgreSQL, served over HTTP in
this process: claims listed, shown and decided, a city list imported, dead letters listed and
discarded, lag and a trace read from the console, and the exit codes scripts rely on.

The command runs as the installed entry point in a child process, as an operator runs it, not
with typer's CliRunner: CliRunner swaps sys.stdout for the whole process, and the services'
log lines (structlog prints to the current sys.stdout) would land in the JSON a test parses.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.claims.domain.dates import add_months
from shared.clock import today as makassar_today
from shared.kafka import EventProducer, OutgoingRecord
from shared.topics import CLAIMS_FILED
from tests.support.city_lists import city_workers, csv_bytes
from tests.support.claimants import (
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    SPOUSE,
    claim_form,
    claim_of,
    covered_participant,
    wait_for_status,
)
from tests.support.console import console, served
from tests.support.kafka_tools import wait_until
from tests.support.pipeline import pipeline
from tests.support.services import token
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

OK, USAGE, NOT_FOUND, REFUSED, UNAVAILABLE, INVALID, CONFLICT = 0, 1, 2, 3, 4, 5, 6  # docs/operations.md


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap, database_url, tmp_path_factory):
    async with (
        pipeline(kafka_bootstrap, database_url, tmp_path_factory.mktemp("cli")) as p,
        served(p.enrollment.app) as enrollment_url,
        served(p.claims.app) as claims_url,
        served(p.notifications.app) as notifications_url,
        console(
            kafka_bootstrap,
            database_url,
            claims_url=claims_url,
            enrollment_url=enrollment_url,
            notifications_url=notifications_url,
            name=f"console_{uuid.uuid4().hex[:8]}",
        ) as c,
    ):
        urls = {"JARING_CLAIMS_URL": claims_url, "JARING_ENROLLMENT_URL": enrollment_url, "JARING_CONSOLE_URL": c.url}
        yield p, c, urls


JARING = Path(sys.executable).parent / "jaring"  # [project.scripts]


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Jaring:
    def __init__(self, urls: dict[str, str], tmp_path):
        self.urls = urls
        self.state = tmp_path  # an empty .jaring/: no local token can stand in for the one given

    async def __call__(self, *args: str, role: str | None = "operator", **env: str) -> Result:
        """Runs `jaring <args>`; the services answer in this event loop meanwhile."""
        # COLUMNS: tables are for terminals; without one rich draws 80 columns and folds long ids.
        given = {
            **self.urls,
            "JARING_STATE_DIR": str(self.state),
            "COLUMNS": "240",
            "JARING_TOKEN": token(role) if role else "",
            **env,
        }
        child = await asyncio.create_subprocess_exec(
            JARING, *args, env={**os.environ, **given}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        stdout, stderr = await asyncio.wait_for(child.communicate(), 60)
        return Result(child.returncode, stdout.decode(), stderr.decode())


@pytest.fixture
def jaring(stack, tmp_path) -> Jaring:
    return Jaring(stack[2], tmp_path)


def as_json(result: Result) -> object:
    assert result.exit_code == OK, (result.exit_code, result.output)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
async def claim_in_review(stack):
    """A JKM death one month after enrolment: referred to an officer (DEATH_SOON_AFTER_ENROLMENT)."""
    p, _c, _urls = stack
    today = makassar_today()
    participant_id = await covered_participant(
        p.enrollment, p.claims, today, member_since=add_months(today, -1), heirs=[SPOUSE]
    )
    filed = await p.claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    assert filed.status_code == 202, filed.text
    claim_id = filed.json()["claim_id"]
    await wait_for_status(p.claims, claim_id, "needs_review")
    return claim_id


async def test_claims_waiting_for_review_are_listed_shown_and_approved_by_a_supervisor(stack, jaring, claim_in_review):
    p, _c, _urls = stack
    claim_id = claim_in_review

    listed = as_json(await jaring("claims", "list", "--status", "needs_review", "--json", role="officer"))
    assert claim_id in [c["claim_id"] for c in listed]
    assert {c["status"] for c in listed} == {"needs_review"}
    table = await jaring("claims", "list", "--status", "needs_review", role="officer")
    assert table.exit_code == OK and claim_id in table.stdout

    shown = as_json(await jaring("claims", "show", claim_id, "--json", role="officer"))
    assert (shown["claim_id"], shown["status"]) == (claim_id, "needs_review")
    assert [r["code"] for r in shown["reasons"]] == ["DEATH_SOON_AFTER_ENROLMENT"]
    table = await jaring("claims", "show", claim_id, role="officer")
    assert table.exit_code == OK and "DEATH_SOON_AFTER_ENROLMENT" in table.stdout

    # Refusals a script must tell apart: an operator may not decide; a blank reason is invalid input.
    refused = await jaring("claims", "decide", claim_id, "approve", "--reason", "checked", role="operator")
    assert refused.exit_code == REFUSED, refused.output
    blank = await jaring("claims", "decide", claim_id, "approve", "--reason", "  ", role="supervisor")
    assert blank.exit_code == INVALID, blank.output
    assert "reason" in blank.stderr
    assert (await claim_of(p.claims, claim_id))["status"] == "needs_review"

    reason = "hospital record shows a sudden stroke, no illness before enrolment"
    decided = await jaring("claims", "decide", claim_id, "approve", "--reason", reason, role="supervisor")
    assert decided.exit_code == OK, decided.output
    assert f"{claim_id}: approved" in decided.stdout
    claim = await wait_for_status(p.claims, claim_id, "payout_recorded")
    assert claim["decision_note"] == reason

    # Decided already: claims answers 409 naming who decided (a second supervisor is told, issue 18).
    again = await jaring("claims", "decide", claim_id, "reject", "--reason", "changed my mind", role="supervisor")
    assert again.exit_code == CONFLICT, again.output
    assert "test-supervisor" in again.stderr


async def test_exit_codes_for_what_is_not_there_not_allowed_not_reachable_and_misused(jaring):
    missing = await jaring("claims", "show", "CL-does-not-exist", role="officer")
    assert missing.exit_code == NOT_FOUND and "no claim CL-does-not-exist" in missing.stderr

    no_token = await jaring("claims", "list", role=None)
    assert no_token.exit_code == REFUSED and "JARING_TOKEN" in no_token.stderr
    bad_token = await jaring("claims", "list", role=None, JARING_TOKEN="not-a-jwt")
    assert bad_token.exit_code == REFUSED

    closed = f"http://127.0.0.1:{free_port()}"
    away = await jaring("lag", JARING_CONSOLE_URL=closed)
    assert away.exit_code == UNAVAILABLE and "cannot be reached" in away.stderr

    assert (await jaring("claims", "frobnicate")).exit_code == USAGE
    assert (await jaring("claims", "decide", "CL-1", "maybe", "--reason", "x")).exit_code == USAGE
    assert (await jaring("claims", "decide", "CL-1", "approve")).exit_code == USAGE  # --reason is required
    assert (await jaring("dlq", "list", "claims.filed.v1")).exit_code == NOT_FOUND  # not a dead-letter topic


async def send_poison(kafka_bootstrap: str) -> str:
    key = f"CL-poison-{uuid.uuid4().hex[:8]}"
    producer = EventProducer(kafka_bootstrap, client_id="test-cli")
    await producer.start()
    try:
        await producer.send_all([OutgoingRecord(CLAIMS_FILED.name, key, b"not JSON at all", [])])
    finally:
        await producer.stop()
    return key


def filed_readers(stack) -> int:
    """How many consumer groups of the pipeline's services read claims.filed.v1: each dead-letters
    a poison message once."""
    p = stack[0]
    runtimes = [client.app.state.runtime for client in (p.claims, p.notifications, p.enrollment)]
    return len([c for rt in runtimes for c in rt.consumers if CLAIMS_FILED in c.topics])


def dead_letters_of(jaring: Jaring, key: str, readers: int, status: str = "waiting"):
    async def copies() -> list[dict]:
        answer = as_json(await jaring("dlq", "list", CLAIMS_FILED.dlq, "--status", status, "--json"))
        return [m for m in answer["messages"] if m["key"] == key]

    async def both_copies() -> bool:
        return len(await copies()) == readers

    return copies, both_copies


async def test_a_poison_message_is_listed_and_discarded_once_from_the_command_line(stack, jaring, kafka_bootstrap):
    key = await send_poison(kafka_bootstrap)
    copies, both_copies = dead_letters_of(jaring, key, filed_readers(stack))
    await wait_until(both_copies, 30, "a dead-letter copy of the poison from each reader of the topic")
    overview = as_json(await jaring("dlq", "list", "--json"))
    assert next(t for t in overview["topics"] if t["name"] == CLAIMS_FILED.dlq)["count"] >= 2
    table = await jaring("dlq", "list", CLAIMS_FILED.dlq)
    assert table.exit_code == OK and "not a Jaring" in table.stdout

    first = (await copies())[0]
    where = [CLAIMS_FILED.dlq, str(first["partition"]), str(first["offset"])]
    officer = await jaring("dlq", "discard", *where, "--reason", "not mine", role="officer")
    assert officer.exit_code == REFUSED
    done = await jaring("dlq", "discard", *where, "--reason", "bytes from a broken script")
    assert done.exit_code == OK, done.output
    assert await copies() == []
    again = await jaring("dlq", "discard", *where, "--reason", "twice")
    assert again.exit_code == CONFLICT, again.output


async def test_a_dead_letter_replayed_from_the_command_line_reaches_its_topic_again_once(
    stack, jaring, kafka_bootstrap
):
    key = await send_poison(kafka_bootstrap)
    copies, both_copies = dead_letters_of(jaring, key, filed_readers(stack))
    await wait_until(both_copies, 30, "a dead-letter copy of the poison from each reader of the topic")
    first = (await copies())[0]
    where = [CLAIMS_FILED.dlq, str(first["partition"]), str(first["offset"])]
    replayed = await jaring("dlq", "replay", *where)
    assert replayed.exit_code == OK, replayed.output
    assert f"to {CLAIMS_FILED.name}" in replayed.stdout
    assert (await jaring("dlq", "replay", *where)).exit_code == CONFLICT
    # Back on claims.filed.v1, the same bytes are poison again: each consumer dead-letters the copy.
    _replayed_copies, both_replayed = dead_letters_of(jaring, key, filed_readers(stack), "replayed")
    await wait_until(both_replayed, 30, "every copy marked replayed")

    async def dead_lettered_again() -> bool:
        return len(await copies()) == filed_readers(stack)

    await wait_until(dead_lettered_again, 30, "the replayed record dead-lettered again by every reader")


async def test_lag_lists_every_group_of_the_pipeline_per_topic_and_partition(stack, jaring):
    flows = as_json(await jaring("lag", "--json"))
    groups = {g["group_id"]: g for g in flows["groups"]}
    assert {"claims.verification", "claims.decisions", "notifications.claims"} <= set(groups)
    verification = next(t for t in groups["claims.verification"]["lag"] if t["topic"] == CLAIMS_FILED.name)
    assert verification["lag"] == sum(p["end"] - p["committed"] for p in verification["partitions"])
    table = await jaring("lag", "--partitions")
    assert table.exit_code == OK and "claims.verification" in table.stdout


async def test_trace_of_a_claim_shows_its_events_and_an_unknown_id_is_not_found(stack, jaring, claim_in_review):
    _p, c, _urls = stack

    async def filed_indexed() -> bool:
        result = await jaring("trace", claim_in_review, "--json")
        return result.exit_code == OK and "ClaimFiled" in {e["type"] for e in json.loads(result.stdout)["events"]}

    await wait_until(filed_indexed, 30, "the claim's filing in the console's index")
    table = await jaring("trace", claim_in_review)
    assert table.exit_code == OK and "ClaimFiled" in table.stdout
    assert (await jaring("trace", "CL-never-filed")).exit_code == NOT_FOUND


async def test_a_city_list_is_imported_with_a_progress_bar(jaring, tmp_path):
    rows = city_workers(3, random.Random(), today=makassar_today())
    city_list = tmp_path / "pasar-terong.csv"
    city_list.write_bytes(csv_bytes(rows))
    record = as_json(await jaring("workers", "import", str(city_list), "--json", role="officer"))
    assert (record["status"], record["rows_total"], record["rows_enrolled"], record["rows_rejected"]) == (
        "finished",
        3,
        3,
        0,
    )
    shown = await jaring("workers", "import", str(city_list), role="officer")
    assert shown.exit_code == OK and "imported before" in shown.stdout
