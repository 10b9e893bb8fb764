"""How a poll's records are cut into the runs applied together (shared/consuming.py, `_runs`): a
key's records always in their order; across keys, a poll of one kind of key (a claim's topics) is
regrouped by handler, so types interleaved by time do not cut a set-based handler's run into
pieces of a few records; a consumer of several kinds of key keeps the poll's order."""

from __future__ import annotations

import random

from aiokafka import ConsumerRecord

from shared.consuming import Batched, Consumer, _runs
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, FAMILY_NOTICES, GRIEVANCES, PAYOUTS


async def _together(conn, deliveries) -> None:
    """Never called: the runs are only formed here."""


async def _alone(conn, envelope, payload) -> None:
    """Never called."""


FILED = Batched(_together)
PAID = Batched(_together)
INDEX = Batched(_together, keys_apart=False)


def _record(n: int, key: str) -> ConsumerRecord:
    return ConsumerRecord("t", 0, n, 0, 0, key.encode(), b"{}", None, 1, 2, [])


def _poll(*items):
    """(handler, key) pairs as the parsed records a runner hands `_runs`; the envelope slot carries
    the record's place in the poll, so a run reads back as the places it holds."""
    return [(_record(n, key), n, None, handler) for n, (handler, key) in enumerate(items)]


def _places(runs):
    return [(handler, [place for _, place, _ in run]) for handler, run in runs]


def test_interleaved_types_of_different_claims_go_to_one_run_each():
    poll = _poll((FILED, "A"), (PAID, "B"), (FILED, "C"), (PAID, "D"), (FILED, "E"), (PAID, "F"))
    assert _places(_runs(poll, regroup=True)) == [(FILED, [0, 2, 4]), (PAID, [1, 3, 5])]
    # Without regrouping, a run ends at each change of type: six runs of one.
    assert _places(_runs(poll)) == [(h, [n]) for n, h in enumerate([FILED, PAID] * 3)]


def test_a_claims_later_event_never_goes_before_its_earlier_one():
    # B is paid after it is filed; the filing of C, after B's payment, may join the first filings
    # (nothing of C came before), but B's second filing-type event must come after B's payment.
    poll = _poll((FILED, "A"), (FILED, "B"), (PAID, "B"), (FILED, "C"), (FILED, "B"), (PAID, "A"))
    assert _places(_runs(poll, regroup=True)) == [
        (FILED, [0, 1, 3]),
        (PAID, [2, 5]),
        (FILED, [4]),
    ]


def test_a_record_applied_alone_holds_its_claims_later_records_behind_it():
    # `_alone` is no set-based handler: its record is a run of its own, and A's payment after it
    # starts a run after it; D's payment, of another claim, joins B's.
    poll = _poll((PAID, "B"), (_alone, "A"), (PAID, "A"), (PAID, "D"))
    assert _places(_runs(poll, regroup=True)) == [(PAID, [0]), (_alone, [1]), (PAID, [2, 3])]


def test_a_handler_that_keeps_no_keys_apart_takes_a_key_twice_in_one_run():
    poll = _poll((INDEX, "A"), (FILED, "B"), (INDEX, "A"), (INDEX, "B"))
    assert _places(_runs(poll, regroup=True)) == [(INDEX, [0, 2]), (FILED, [1]), (INDEX, [3])]


def test_regrouped_runs_keep_each_keys_order_and_lose_no_record():
    # Random polls, checked against what must hold rather than a hand-written answer: every record
    # once, each key's records in the poll's order of runs, no key twice in a keys-apart run.
    chooser = random.Random(20261202)
    handlers = [FILED, PAID, INDEX, _alone]
    for _ in range(300):
        poll = _poll(*((chooser.choice(handlers), chooser.choice("ABCDEFG")) for _ in range(chooser.randint(1, 40))))
        runs = _places(_runs(poll, regroup=True))
        assert sorted(place for _, places in runs for place in places) == list(range(len(poll)))
        run_of = {place: i for i, (_, places) in enumerate(runs) for place in places}
        for key in "ABCDEFG":
            places = [n for n, (record, *_rest) in enumerate(poll) if record.key == key.encode()]
            assert [run_of[p] for p in places] == sorted(run_of[p] for p in places)
            for earlier, later in zip(places, places[1:], strict=False):
                if run_of[earlier] == run_of[later]:  # only a handler that keeps no keys apart
                    assert runs[run_of[earlier]][0] is INDEX and earlier < later
        for handler, places in runs:
            assert all(poll[p][3] is handler for p in places)
            if handler is not INDEX:
                keys = [poll[p][0].key for p in places]
                assert len(keys) == len(set(keys))
            if not isinstance(handler, Batched):
                assert len(places) == 1


def test_only_a_consumer_of_one_kind_of_key_regroups():
    assert Consumer("claims", (CLAIMS_FILED, CLAIM_DECISIONS, PAYOUTS), {}).one_kind_of_key
    # Grievances are keyed by grievance, notices by claim: the poll's order is kept there.
    assert not Consumer("family", (GRIEVANCES, FAMILY_NOTICES), {}).one_kind_of_key
