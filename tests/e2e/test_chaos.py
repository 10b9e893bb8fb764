"""The short chaos run: claims filed at a steady rate while every part of the stack is killed in
turn (services, Kafka and PostgreSQL with SIGKILL) or fails; nothing may be lost or done twice
(bench/chaos.py, `make chaos` for the long run)."""

import pytest

from bench.chaos import chaos

pytestmark = pytest.mark.e2e


async def test_killing_every_part_loses_nothing_and_doubles_nothing():
    report = await chaos(rate=1.0, outage=6.0, gap=4.0, workers=None, say=lambda *_: None)
    print(report.table())
    # Kafka, PostgreSQL and the provider first (while the filing runs, at scale too), then the kills.
    assert [f.name.split(" ")[0] for f in report.faults] == [
        "Kafka",
        "PostgreSQL",
        "SMS/WhatsApp",
        "kill",
        "kill",
        "kill",
        "bank",
    ]
    # Crashes, not clean stops: Kafka and PostgreSQL get SIGKILL (PostgreSQL recovers by WAL replay).
    assert [f.name for f in report.faults if f.name.split(" ")[0] in ("Kafka", "PostgreSQL")] == [
        "Kafka kill -9, down 6 s",
        "PostgreSQL kill -9, down 6 s",
    ]
    assert report.filed > 0 and report.not_accepted == 0
    assert report.completed == report.filed, report.problems
    assert (report.lost, report.duplicated_payouts, report.wrong_amounts) == (0, 0, 0), report.problems
    # Every request at the provider and every mail counted: nobody got a message twice, on any channel.
    assert report.duplicates_by_channel == {"whatsapp": 0, "sms": 0, "email": 0}, report.problems
    assert (report.duplicated_messages, report.undelivered_messages) == (0, 0), report.problems
    assert report.unknown_never_received == 0, report.problems
    assert (report.outbox_left, report.dead_letters) == (0, 0), report.problems
    # Each ledger line paid by exactly one successful transfer, by the bank's own ledger, through
    # claims killed mid-transfer, the bank down, slow answers and every notification twice.
    assert report.bank.lines > 0 and report.bank.paid_once == report.bank.lines, report.bank.problems
