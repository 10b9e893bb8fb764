"""A batching consumer fetches as a quiet one once it brought no record for a while, and in batches
again at its first poll with records (shared/fetch_pace.py); the numbers are the ones aiokafka
builds its fetch requests from."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

from aiokafka.consumer import fetcher as aiokafka_fetcher

from shared.fetch_pace import FetchPace


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def started_consumer() -> SimpleNamespace:
    """An aiokafka consumer as FetchPace sees it: its fetcher's two numbers, as it was built."""
    return SimpleNamespace(_fetcher=SimpleNamespace(_fetch_max_wait_ms=100, _fetch_min_bytes=65536))


def fetch_of(consumer: SimpleNamespace) -> tuple[int, int]:
    return consumer._fetcher._fetch_max_wait_ms, consumer._fetcher._fetch_min_bytes


def pace(clock: Clock) -> FetchPace:
    return FetchPace(
        "claims.verification",
        SimpleNamespace(consumer=None),
        busy_max_wait_ms=100,
        busy_min_bytes=65536,
        idle_max_wait_ms=500,
        idle_after_seconds=1.0,
        clock=clock,
    )


BATCHING, QUIET = (100, 65536), (500, 1)


def looked_after(p: FetchPace, clock: Clock, consumer: SimpleNamespace, seconds: float) -> tuple[int, int]:
    """The consumer's fetch once `seconds` passed and the pace looked at it."""
    clock.now += seconds
    p.look(consumer)
    return fetch_of(consumer)


def test_quiet_once_no_record_came_for_the_idle_time_and_batching_at_the_next_records():
    clock, consumer = Clock(), started_consumer()
    p = pace(clock)
    assert looked_after(p, clock, consumer, 0.9) == BATCHING  # not idle long enough
    assert looked_after(p, clock, consumer, 0.1) == QUIET
    assert p.is_idle(consumer)
    p.records_came(consumer)
    assert fetch_of(consumer) == BATCHING
    assert not p.is_idle(consumer)
    clock.now += 0.5
    p.records_settled()
    # The idle time counts from the last records applied.
    assert looked_after(p, clock, consumer, 0.0) == BATCHING
    assert looked_after(p, clock, consumer, 0.5) == BATCHING
    assert looked_after(p, clock, consumer, 0.5) == QUIET


def test_records_keep_it_batching():
    clock, consumer = Clock(), started_consumer()
    p = pace(clock)
    for _ in range(10):
        clock.now += 0.6
        p.records_came(consumer)
        p.records_settled()
        assert looked_after(p, clock, consumer, 0.0) == BATCHING


def test_a_poll_applied_slowly_is_not_idleness():
    """Under load a transaction may take longer than the idle time: the consumer is busy, not idle."""
    clock, consumer = Clock(), started_consumer()
    p = pace(clock)
    p.records_came(consumer)
    assert looked_after(p, clock, consumer, 3.0) == BATCHING
    p.records_settled()
    assert looked_after(p, clock, consumer, 0.9) == BATCHING
    assert looked_after(p, clock, consumer, 0.1) == QUIET


def test_a_consumer_started_again_is_its_own():
    """FastStream gives a subscriber started again a new aiokafka consumer, built batching: it goes
    quiet in its own time, and records on it do not depend on the old one's state."""
    clock, old = Clock(), started_consumer()
    p = pace(clock)
    clock.now += 1.0
    p.look(old)
    assert fetch_of(old) == (500, 1)
    new = started_consumer()
    assert not p.is_idle(new)
    p.records_came(new)
    p.records_settled()
    assert fetch_of(new) == (100, 65536)
    clock.now += 1.0
    p.look(new)
    assert fetch_of(new) == (500, 1)


def test_a_consumer_not_started_is_left_alone():
    clock = Clock()
    p = pace(clock)
    clock.now += 5
    p.look(None)  # FastStream's subscriber.consumer before start
    unstarted = SimpleNamespace()  # an aiokafka consumer has no fetcher before start()
    p.look(unstarted)
    assert not p.is_idle(unstarted)
    p.records_came(unstarted)


def test_aiokafka_builds_its_fetch_requests_from_the_numbers_set():
    """The fetcher's attributes are aiokafka's, not an API: an upgrade that renames them must fail here,
    not leave every consumer fetching ten times a second while idle (the integration test sees the
    requests themselves: tests/integration/test_idle_fetches.py)."""
    source = inspect.getsource(aiokafka_fetcher.Fetcher)
    assert "self._fetch_max_wait_ms = fetch_max_wait_ms" in source
    assert "self._fetch_min_bytes = fetch_min_bytes" in source
