"""The SQL statements one claim costs on the real stack, per service, from filing through
verification, payout, disbursement (both payees' accounts recorded, each line transferred) to
every family message, counted with asyncpg's query logger on the services' pools (issue 17): all
five services, grievances and the console included.

A statement counts for a claim when the code says whose work it is: an event applied is its
key's (shared.consuming.current_record), a request, a disbursement worker's step or a bank
notification is the subject in shared.db.work_subject (the test's own requests carry it from
the test's context into the in-process apps). The claim's subjects are its claim id, its
participant's id and the external ids of its transfers. So a claim costs the same whatever else
runs beside it: the parked-message retry, the workers' and the relay's polls, other claims.

Batches: a set-based handler (shared.consuming.Batched: claims' verification, payout recording;
notifications' filings and payouts-topic messages; enrollment's deaths) gets a batch's records of
its type together, a key at most once a call. The test files one claim at a time and waits for it,
so each such call holds one record, applied with its key as current_record: its statements count
for the claim, and a statement more on that path fails the test. A call of many records is nobody's
in particular (its statements serve them all); that a batch of many claims costs the statements of
one is held by tests/integration/test_claims_handled_as_sets.py, test_notifications_handled_as_sets.py
and test_enrollment_deaths.py. So
the budget is a claim's cost in a batch of one, which a batch of many must not exceed per batch.

Not counted (printed): statements that are nobody's in particular — polls, and the per-batch
plumbing whose count per claim depends on how events happened to be batched (a set-based
handler's call of many, a consumer batch's inbox insert and parked-key check, the relay's
outbox delete, the notification dispatcher's lease and the transaction recording the answers
that came together); BEGIN, COMMIT and the pool's reset of a connection given back (one each per
transaction, begun before a consumer knows whose events its batch holds); asyncpg's own type
introspection, once per connection and type.

The console is held per batch, not per claim: it indexes whatever a poll brought, whoever's events
they are, in one statement, so how many statements a claim's events cost it is how they fell into
polls. Its index consumers' batches are counted while each claim runs; each must cost exactly
the index's insert.

The test fails when a claim's hot path gains (or loses) a statement: a gain should be a
decision, not an accident. To change the budget deliberately, run this file with -s, read the
printed statements, and write the new numbers in BUDGET with the reason in the commit message.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from contextvars import ContextVar

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

import shared.db
from services.claims import app as claims_app
from services.claims.settings import ClaimsSettings
from services.enrollment import app as enrollment_app
from services.enrollment.settings import EnrollmentSettings
from services.grievances import app as grievances_app
from services.grievances.settings import GrievancesSettings
from services.notifications import app as notifications_app
from services.notifications.settings import NotificationsSettings
from shared.consuming import ConsumerRunner, current_record
from shared.db import work_subject, working_for
from tests.support.claimants import (
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    claim_form,
    covered_participant,
    member_since,
    today,
)
from tests.support.console import ConsoleUnderTest, console, served
from tests.support.kafka_tools import end_offsets, wait_until
from tests.support.pipeline import pipeline
from tests.support.services import infra_settings, running

pytestmark = pytest.mark.e2e

# Statements per claim, per service: a JKM death claim, two heirs paid by transfer (three cash
# lines each), told by phone and by email at filing, payout and the money sent (6 messages).
# claims 102 -> 101: payout recording is set-based, its PayoutRecorded and DeathConfirmed queued in one statement.
# notifications 9 -> 7: its filings and payouts-topic messages are set-based; a filing is recorded in the
# statement that reads its family (was two), the money sent reads the claim's type with its family (was a
# statement before). (With the default 600 s hold, not the suite's 0, a filing saves one more: its
# messages are held as they are queued, not by an UPDATE after.)
# claims 101 -> 106: a settled line locks its claim's row before counting the unpaid lines (two lines
# settled at once each saw the other unpaid), one statement more for each of the six lines but the last.
# claims 106 -> 105: disbursement intake is set-based, a payout's new transfer lines and their
# `disbursement_received` step written in one statement (were two). The timeline's steps stay one each.
# enrollment 16 -> 6: a death reads the participant with heirs and incomes once, in one statement, locked
# (was three times, three statements each); the death's UPDATE returns the row; coverage is stored only when
# it changed by one upsert (was a read, then a write); the two events it causes are queued in one statement.
# It is set-based (Batched): a batch of deaths costs these six statements, not six each.
# claims 105 -> 104: filing reads the participant, the incident's standing claim (and an Idempotency-Key's
# earlier filing, when sent) in one statement (were two, four with a key); with a key, the key is written
# by the claim's insert (was a statement of its own).
# claims 104 -> 103: filing queues its ClaimFiled in the statement that writes the claim (was a statement after).
# claims 103 -> 102: filing's read and its writes are one statement, which writes only when the read finds
# nothing in the way (were a read, then the writes).
# grievances 4 (counted since round 19): its read of the claim for the family's pages and the officers'
# grievances, one statement each for the filing, the decision, the payout and the money sent.
BUDGET = {"enrollment": 6, "claims": 102, "notifications": 7, "grievances": 4}
# The console indexes a poll's events, whoever's they are, in one statement.
CONSOLE = "console"
CONSOLE_PER_BATCH = 1
DRIVER = (
    "WITH RECURSIVE typeinfo_tree(",
    "SELECT set_config('jit'",
    "SELECT current_setting('jit')",
    # Transaction control and the pool's reset of a connection given back: one each per
    # transaction, begun before a consumer knows whose events its batch holds.
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SELECT pg_advisory_unlock_all(); CLOSE ALL;",
)


# The console batch whose statements run now (its consumer's name): set around each poll's batch an
# index consumer applies (ConsumerRunner.apply_batch), read by the query logger.
console_batch: ContextVar[str | None] = ContextVar("console_batch", default=None)


class StatementLog:
    """Every statement each service's pool runs, as (service, subject, console batch, query text),
    and the console's index batches, as their number of records."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, str | None, str | None, str]] = []
        self.console_batches: list[int] = []

    async def init_connection(self, conn: asyncpg.Connection, original) -> None:
        await original(conn)
        service = conn.get_settings().application_name.removeprefix("jaring-")

        def log(record) -> None:
            # Run by call_soon in a copy of the context of the task that ran the statement.
            query = " ".join(record.query.split())
            if not query.startswith(DRIVER):
                self.statements.append((service, subject_now(), console_batch.get(), query))

        conn.add_query_logger(log)

    def mark(self) -> tuple[int, int]:
        return len(self.statements), len(self.console_batches)


def subject_now() -> str | None:
    subject = work_subject.get()
    if subject is not None:
        return subject
    record = current_record.get()
    if record is None or record.key is None:
        return None
    return record.key.decode() if isinstance(record.key, bytes) else str(record.key)


async def test_a_claim_costs_the_statements_its_code_runs(kafka_bootstrap, database_url, tmp_path, monkeypatch):
    log = StatementLog()
    original = shared.db._init_connection

    async def init_connection(conn: asyncpg.Connection) -> None:
        await log.init_connection(conn, original)

    monkeypatch.setattr(shared.db, "_init_connection", init_connection)
    apply_batch = ConsumerRunner.apply_batch

    async def counted_apply_batch(runner: ConsumerRunner, records) -> None:
        if not runner.consumer.name.startswith(f"{CONSOLE}."):
            await apply_batch(runner, records)
            return
        log.console_batches.append(len(records))
        token = console_batch.set(runner.consumer.name)
        try:
            await apply_batch(runner, records)
        finally:
            console_batch.reset(token)

    monkeypatch.setattr(ConsumerRunner, "apply_batch", counted_apply_batch)
    watcher = await asyncpg.connect(database_url)  # the test's own reads: not through the services' pools
    per_claim = []
    console_per_batch = []
    try:
        async with (
            pipeline(kafka_bootstrap, database_url, tmp_path) as p,
            served(p.claims.app) as claims_url,
            running(
                grievances_app.build_spec(
                    GrievancesSettings(
                        infra=infra_settings(kafka_bootstrap, database_url),
                        claims_base_url=claims_url,
                        overdue_sweep_seconds=0,
                        outbox_poll_seconds=0.2,
                        handler_backoff_seconds=0.05,
                    )
                )
            ),
            console(kafka_bootstrap, database_url, name=CONSOLE) as operators,
        ):
            heirs = lambda n: [  # noqa: E731 - contacts of this test alone
                {"full_name": "Daeng Tompo", "relationship": "spouse", "phone": f"0813{n}"},
                {"full_name": "Andi Sompa", "relationship": "child", "email": f"andi.{n}@example.id", "language": "en"},
            ]
            participants = [
                await covered_participant(
                    p.enrollment,
                    p.claims,
                    today(),
                    member_since=member_since(),
                    heirs=heirs(random.randint(10**7, 10**8 - 1)),
                )
                for _ in range(2)
            ]
            for participant_id in participants:
                # The participants' own events (enrolment, coverage) applied everywhere first: one of
                # them applied late, after the mark, would count for the claim on a slow start.
                try:
                    await wait_until(
                        lambda: _quiet(watcher, kafka_bootstrap, operators),
                        120,
                        "the participants' events applied everywhere",
                    )
                except AssertionError as exc:  # say what is left, not only that something is
                    raise AssertionError(f"{exc}: {await unsettled(watcher, kafka_bootstrap, operators)}") from exc
                mark, console_mark = log.mark()
                claim_id = await one_claim(p, watcher, kafka_bootstrap, operators, participant_id)
                transfers = {
                    r["external_id"]
                    for r in await watcher.fetch(
                        "SELECT external_id FROM claims.transfer_attempts WHERE claim_id = $1", claim_id
                    )
                }
                subjects = {claim_id, participant_id, *transfers}
                seen = log.statements[mark:]
                counted = [
                    (service, q) for service, subject, _, q in seen if subject in subjects and service != CONSOLE
                ]
                per_claim.append(Counter(service for service, _ in counted))
                nobody = Counter(service for service, subject, _, _ in seen if subject is None)
                print(f"\n{claim_id}: {dict(per_claim[-1])} statements; nobody's in particular {dict(nobody)}")
                for service, query in counted:
                    print(f"  {service}: {query[:150]}")
                # The console's index: whatever a poll brought, its batch is one statement (the index
                # insert). Its count per claim depends on how the claim's events were batched, so it is
                # held per batch, not per claim.
                batches = log.console_batches[console_mark:]
                in_batches = [q for service, _, batch, q in seen if service == CONSOLE and batch is not None]
                print(f"  console: {len(in_batches)} statements in {len(batches)} batches of {sum(batches)} events")
                for query in sorted(set(in_batches)):
                    print(f"  console: {query[:150]}")
                for query in [q for service, _, batch, q in seen if service == CONSOLE and batch is None]:
                    print(f"  console, outside its index's batches: {query[:150]}")
                console_per_batch.append((len(in_batches), len(batches), {q.split("(")[0] for q in in_batches}))
    finally:
        await watcher.close()
    # The same claim twice costs the same: the count is a property of the code, not of timing.
    assert per_claim[0] == per_claim[1]
    assert {service: per_claim[0][service] for service in BUDGET} == BUDGET
    for statements, batches, kinds in console_per_batch:
        assert batches > 0, "the console indexed none of the claim's events"
        assert statements == batches * CONSOLE_PER_BATCH, (statements, batches)
        assert kinds == {"INSERT INTO events "}, kinds


async def one_claim(
    p, watcher: asyncpg.Connection, bootstrap: str, operators: ConsoleUnderTest, participant_id: str
) -> str:
    with working_for(participant_id):  # until the claim has its id
        filed = await p.claims.post(
            "/v1/claims", json=claim_form(participant_id, "JKM", today(), {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
        )
    assert filed.status_code == 202, filed.text
    claim_id = filed.json()["claim_id"]

    async def status_is(status: str) -> bool:
        return await watcher.fetchval("SELECT status FROM claims.claims WHERE claim_id = $1", claim_id) == status

    await wait_until(lambda: status_is("payout_recorded"), 60, "the payout recorded")
    payees = await watcher.fetch(
        "SELECT DISTINCT payee_heir_id, payee_name FROM claims.payout_ledger WHERE claim_id = $1 AND kind = 'cash'",
        claim_id,
    )
    for payee in payees:
        account = await p.bank.open_account(payee["payee_name"].upper())
        with working_for(claim_id):
            recorded = await p.claims.put(
                f"/v1/claims/{claim_id}/payees/{payee['payee_heir_id']}/account",
                json={"bank_code": "002", "account_number": account, "account_name": payee["payee_name"]},
            )
        assert recorded.status_code == 200, recorded.text

    async def done() -> bool:
        delivered = await watcher.fetchval(
            "SELECT count(*) FROM notifications.notifications WHERE claim_id = $1 AND status = 'delivered'", claim_id
        )
        told = await watcher.fetchval(
            "SELECT count(*) FROM claims.claim_steps WHERE claim_id = $1 AND step = 'family_notified'", claim_id
        )
        lines = await watcher.fetchval(
            "SELECT count(*) FILTER (WHERE status <> 'succeeded') FROM claims.disbursement_lines WHERE claim_id = $1",
            claim_id,
        )
        # ClaimFiled, PayoutRecorded and DisbursementPaid to each of the two heirs: 6 messages.
        behind = await unsettled(watcher, bootstrap, operators)
        last[:] = [f"delivered {delivered}/6, told {told}/6, lines unpaid {lines}, not settled: {behind}"]
        return delivered == 6 and told == 6 and lines == 0 and not behind

    last: list[str] = []

    started = time.monotonic()
    try:
        await wait_until(done, 120, "every line paid, every message delivered and the pipeline quiet")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen: {last}") from None
    print(f"\n{claim_id} done in {time.monotonic() - started:.1f} s after its accounts")
    return claim_id


PIPELINE_GROUPS = {
    consumer.name
    for consumers in (
        claims_app.consumers(ClaimsSettings()),
        enrollment_app.consumers(EnrollmentSettings()),
        notifications_app.consumers(NotificationsSettings()),
        grievances_app.consumers(GrievancesSettings()),
    )
    for consumer in consumers
}


async def _quiet(watcher: asyncpg.Connection, bootstrap: str, operators: ConsoleUnderTest) -> bool:
    return not await unsettled(watcher, bootstrap, operators)


async def unsettled(watcher: asyncpg.Connection, bootstrap: str, operators: ConsoleUnderTest) -> list[str]:
    """What is left to publish or to consume (empty: the claim's last statements have run)."""
    outboxes = await watcher.fetchval(
        "SELECT (SELECT count(*) FROM enrollment.outbox) + (SELECT count(*) FROM claims.outbox) "
        "+ (SELECT count(*) FROM notifications.outbox) + (SELECT count(*) FROM grievances.outbox)"
    )
    if outboxes:
        return [f"{outboxes} events in the outboxes"]
    # A parked message (its prerequisite not applied yet) is applied on a later retry, after its
    # group's offset moved on: not quiet while one waits.
    parked = await watcher.fetchval(
        "SELECT (SELECT count(*) FROM enrollment.waiting) + (SELECT count(*) FROM claims.waiting) "
        "+ (SELECT count(*) FROM notifications.waiting) + (SELECT count(*) FROM grievances.waiting)"
    )
    if parked:
        return [f"{parked} messages parked"]
    if not await operators.caught_up():
        return ["the console's index behind"]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    behind: list[str] = []
    try:
        # Only this pipeline's groups: the suite's Kafka keeps the groups of earlier tests (a console's
        # index, a group left idle on purpose), behind for ever once their test ended.
        for group in PIPELINE_GROUPS & {group for group, *_ in await admin.list_consumer_groups()}:
            committed = await admin.list_consumer_group_offsets(group)
            for topic in {tp.topic for tp in committed}:
                ends = await end_offsets(bootstrap, topic)
                done = {tp.partition: meta.offset for tp, meta in committed.items() if tp.topic == topic}
                behind += [
                    f"{group} on {topic}[{partition}]"
                    for partition, end in ends.items()
                    if done.get(partition, 0) < end
                ]
        return behind
    finally:
        await admin.close()
