"""`make bench-statements` (not in `make test` yet): the SQL statements one claim costs on the real stack,
per service, from filing through verification, payout, disbursement (both payees' accounts recorded, each line
transferred) to every family message, counted with asyncpg's query logger on the services' pools.

Why it is not in the suite yet: on the merged code of 2026-11-29 two claims in a row cost
different counts (claims 174 vs 168, notifications 54 vs 45): background work (parked messages
retried every 5 s, the dispatcher's leases) falls inside a claim's window. Issue 17 keeps it open
until the count is a property of the code again.

The counts are those measured when this test was written. The test fails when a claim's hot
path gains (or loses) a statement: a gain should be a decision, not an accident. To change the
budget deliberately, run this file with -s, read the printed counts and the statements that
changed, and write the new numbers in BUDGET with the reason in the commit message.

What does not count:
- statements a service runs whether or not there is a claim (the outbox relay's and the workers'
  polls). They are learnt by watching the idle pipeline first, and every statement with the same
  text is left out afterwards;
- asyncpg's own type introspection, once per connection and type (not Jaring's statements);
- the per-batch plumbing: the inbox insert of a consumer batch and the relay's outbox delete.
  They come once per batch, whatever the batch holds, so their count per claim depends on how
  events happened to be batched (printed, not budgeted; fewer per claim as batches grow).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from datetime import date, timedelta

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

import shared.db
from tests.support.claimants import JKM_DEATH_DOCUMENTS, MARRIAGE_BOOK, claim_form, covered_participant
from tests.support.kafka_tools import end_offsets, wait_until
from tests.support.pipeline import pipeline

pytestmark = pytest.mark.e2e

TODAY = date.today()
MEMBER_SINCE = TODAY - timedelta(days=200)
# Statements per claim, per service (JKM death, two heirs paid, two channels; measured 2026-11-29
# on main after round 2: claims 154 of which 6 transfers x ~12, notifications 36 for 6 messages).
BUDGET = {"enrollment": 16, "claims": 154, "notifications": 36}
PER_BATCH = ("INSERT INTO inbox (consumer, event_id)", "DELETE FROM outbox WHERE id = ANY(")
DRIVER = ("WITH RECURSIVE typeinfo_tree(", "SELECT set_config('jit'", "SELECT current_setting('jit')")
IDLE_WATCH_SECONDS = 3.0  # how long the idle pipeline is watched to learn its polls (several poll periods)


class StatementLog:
    """Every statement each service's pool runs, as (service, query text), while recording."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, str]] = []
        self.recording = False

    async def init_connection(self, conn: asyncpg.Connection, original) -> None:
        await original(conn)
        service = conn.get_settings().application_name.removeprefix("jaring-")

        def log(record) -> None:
            if self.recording:
                self.statements.append((service, " ".join(record.query.split())))

        conn.add_query_logger(log)

    def mark(self) -> int:
        return len(self.statements)

    def since(self, mark: int, background: set[tuple[str, str]]) -> list[tuple[str, str]]:
        return [s for s in self.statements[mark:] if s not in background and not s[1].startswith(DRIVER)]


async def all_groups_caught_up(bootstrap: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        groups = [g[0] for g in await admin.list_consumer_groups()]
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            for topic in {tp.topic for tp in committed}:
                ends = await end_offsets(bootstrap, topic)
                done = {tp.partition: meta.offset for tp, meta in committed.items() if tp.topic == topic}
                if any(done.get(p, 0) < end for p, end in ends.items()):
                    return False
        return True
    finally:
        await admin.close()


async def test_a_claim_costs_the_statements_it_cost_when_measured(kafka_bootstrap, database_url, tmp_path,
                                                                  monkeypatch):
    log = StatementLog()
    original = shared.db._init_connection

    async def init_connection(conn: asyncpg.Connection) -> None:
        await log.init_connection(conn, original)

    monkeypatch.setattr(shared.db, "_init_connection", init_connection)
    watcher = await asyncpg.connect(database_url)  # the test's own reads: not through the services' pools
    try:
        async with pipeline(kafka_bootstrap, database_url, tmp_path) as p:
            heirs = lambda n: [  # noqa: E731 - contacts of this test alone
                {"full_name": "Daeng Tompo", "relationship": "spouse", "phone": f"0813{n}"},
                {"full_name": "Andi Sompa", "relationship": "child", "email": f"andi.{n}@example.id", "language": "en"}]
            participants = [await covered_participant(p.enrollment, p.claims, TODAY, member_since=MEMBER_SINCE,
                                                      heirs=heirs(random.randint(10**7, 10**8 - 1)))
                            for _ in range(2)]

            async def quiet() -> bool:
                outboxes = await watcher.fetchval(
                    "SELECT (SELECT count(*) FROM enrollment.outbox) + (SELECT count(*) FROM claims.outbox) "
                    "+ (SELECT count(*) FROM notifications.outbox)")
                return outboxes == 0 and await all_groups_caught_up(kafka_bootstrap)

            await wait_until(quiet, 60, "the pipeline quiet before watching it idle")
            log.recording = True
            idle_from = log.mark()
            await asyncio.sleep(IDLE_WATCH_SECONDS)  # a watch window, not synchronisation
            background = set(log.statements[idle_from:])

            per_claim = []
            for participant_id in participants:
                mark = log.mark()
                claim_id = await one_claim(p, watcher, participant_id, quiet)
                seen = log.since(mark, background)
                counted = [(service, q) for service, q in seen if not q.startswith(PER_BATCH)]
                per_claim.append(Counter(service for service, _ in counted))
                batches = Counter(service for service, q in seen if q.startswith(PER_BATCH))
                print(f"\n{claim_id}: {dict(per_claim[-1])} statements, per-batch plumbing {dict(batches)}")
                for service, query in counted:
                    print(f"  {service}: {query[:140]}")
    finally:
        await watcher.close()
    # The same claim twice costs the same: the count is a property of the code, not of timing.
    assert per_claim[0] == per_claim[1]
    assert {service: per_claim[0][service] for service in BUDGET} == BUDGET


async def one_claim(p, watcher: asyncpg.Connection, participant_id: str, quiet) -> str:
    filed = await p.claims.post("/v1/claims", json=claim_form(participant_id, "JKM", TODAY,
                                                              {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}))
    assert filed.status_code == 202, filed.text
    claim_id = filed.json()["claim_id"]

    async def status_is(status: str) -> bool:
        return await watcher.fetchval("SELECT status FROM claims.claims WHERE claim_id = $1", claim_id) == status

    await wait_until(lambda: status_is("payout_recorded"), 60, "the payout recorded")
    payees = await watcher.fetch(
        "SELECT DISTINCT payee_heir_id, payee_name FROM claims.payout_ledger WHERE claim_id = $1 AND kind = 'cash'",
        claim_id)
    for payee in payees:
        account = await p.bank.open_account(payee["payee_name"].upper())
        recorded = await p.claims.put(f"/v1/claims/{claim_id}/payees/{payee['payee_heir_id']}/account",
                                      json={"bank_code": "002", "account_number": account,
                                            "account_name": payee["payee_name"]})
        assert recorded.status_code == 200, recorded.text

    async def done() -> bool:
        delivered = await watcher.fetchval(
            "SELECT count(*) FROM notifications.notifications WHERE claim_id = $1 AND status = 'delivered'", claim_id)
        told = await watcher.fetchval(
            "SELECT count(*) FROM claims.claim_steps WHERE claim_id = $1 AND step = 'family_notified'", claim_id)
        # ClaimFiled, PayoutRecorded and DisbursementPaid to each of the two heirs: 6 messages.
        return delivered == 6 and told == 6 and await quiet()

    started = time.monotonic()
    await wait_until(done, 120, "every message delivered and the pipeline quiet")
    print(f"\n{claim_id} done in {time.monotonic() - started:.1f} s after its accounts")
    return claim_id
