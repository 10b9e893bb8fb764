"""What a claim filed while its Kafka partition had no leader waited: the cluster run reports, for
each leader's SIGKILL, the claims filed between the kill and the new leaders, filed → family
notified. The next message to any family (the recovery row) hides them: queued messages go on."""

from bench.chaos import ChaosReport, Fault, notified_after_filing
from bench.tracking import ClaimRecord


def claim(name: str, filed_at: float, notified_at: float) -> ClaimRecord:
    return ClaimRecord(name, filed_at=filed_at, notified_at=notified_at)


KILL = 1_000.0
RECORDS = [
    claim("before", KILL - 0.5, KILL + 9.0),  # filed before the kill: not counted
    claim("at-kill", KILL, KILL + 0.5),  # its partition kept its leader
    claim("leaderless", KILL + 2.0, KILL + 11.5),  # waited for the election
    claim("last", KILL + 8.0, KILL + 9.5),
    claim("never", KILL + 3.0, 0.0),  # not notified: the lost-claims check names it, not this figure
    claim("after", KILL + 8.1, KILL + 8.4),  # filed once the new leaders were there
]


def test_only_claims_filed_between_the_kill_and_the_new_leaders_count_in_filing_order():
    assert notified_after_filing(list(reversed(RECORDS)), KILL, KILL + 8.0) == [0.5, 9.5, 1.5]


def test_the_table_gives_their_count_median_and_longest_wait_for_each_kill():
    crash = Fault("Kafka leader of the claims topics kill -9", started=KILL, from_start=True, leaders_after=8.0)
    crash.filed_before_leaders = [0.5, 9.5, 1.5]
    quiet = Fault("Kafka leader of the claims topics kill -9", started=KILL, from_start=True, leaders_after=9.0)
    table = ChaosReport(faults=[crash, quiet]).table()
    rows = [line for line in table.splitlines() if "between that kill and its new leaders" in line]
    assert len(rows) == 2
    assert rows[0].endswith("| 3 claims, median 1.5 s, max 9.5 s |")
    assert rows[1].endswith("| none filed |")
