"""How a batching consumer fetches while it has nothing to read (issue 17).

A consumer on a claim's path asks the broker to hold each fetch up to 100 ms for 64 KiB
(`ServiceSettings.consumer_fetch_*`): under load a poll then carries a tenth of a second's records
and shares one transaction and one offset commit among them. While nothing comes, the same
setting makes it fetch ten times a second for nothing, and a lone record waits out the 100 ms
for a batch that is not coming. A city's stack is idle most of the day, and eight such
consumers' empty fetches were most of Kafka's idle CPU (docs/benchmarks.md, round 18).

So a consumer that has brought no record for `idle_after_seconds` fetches as a quiet one does
(`Consumer.quiet`): the broker answers at the first record and holds an empty fetch
`idle_fetch_max_wait_ms`. The first poll that brings records sets its batching fetch back. What
changes is only the two numbers of the fetch requests still to be sent; what is applied, and
when offsets are committed, is the same.

aiokafka reads the two numbers from its fetcher when it builds each fetch request and offers no
way to change them on a running consumer, so they are set on the fetcher
(tests/unit/shared/test_fetch_pace.py fails if aiokafka renames them; the requests it builds from
them are watched on the real broker by tests/integration/test_idle_fetches.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from shared.logs import get_logger

log = get_logger("consuming")


class FetchPace:
    """One consumer group's fetch: batching while records come, quiet once none came for a while."""

    def __init__(
        self,
        group: str,
        subscriber: Any,
        *,
        busy_max_wait_ms: int,
        busy_min_bytes: int,
        idle_max_wait_ms: int,
        idle_after_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.group = group
        # FastStream's subscriber: its `consumer` is the aiokafka consumer, None while not started.
        self.subscriber = subscriber
        self.busy = (busy_max_wait_ms, busy_min_bytes)
        self.idle = (idle_max_wait_ms, 1)
        self.idle_after_seconds = idle_after_seconds
        self._clock = clock
        self._last_records = clock()
        self._applying = 0  # polls being applied: a slow transaction is not idleness
        # The aiokafka consumer whose fetcher was set idle (None: none is). A subscriber started again
        # has a new consumer, which fetches as it was built: batching.
        self._idle_on: Any = None

    def is_idle(self, kafka_consumer: Any) -> bool:
        return kafka_consumer is not None and kafka_consumer is self._idle_on

    def records_came(self, kafka_consumer: Any) -> None:
        """A poll brought records, to be applied now: fetch in batches again."""
        self._last_records = self._clock()
        self._applying += 1
        if self.is_idle(kafka_consumer) and _set_fetch(kafka_consumer, *self.busy):
            self._idle_on = None

    def records_settled(self) -> None:
        """The poll's records were applied (or given back): idleness counts from now."""
        self._applying -= 1
        self._last_records = self._clock()

    def look(self, kafka_consumer: Any) -> None:
        """Called every so often: quiet fetches once no record came for `idle_after_seconds`, none
        being applied meanwhile (a poll applied slowly under load is not idleness)."""
        if kafka_consumer is None or self.is_idle(kafka_consumer) or self._applying:
            return
        if self._clock() - self._last_records < self.idle_after_seconds:
            return
        if _set_fetch(kafka_consumer, *self.idle):
            self._idle_on = kafka_consumer

    async def run(self) -> None:
        """Until cancelled: looks at the subscriber's consumer every `idle_after_seconds`."""
        while True:
            await asyncio.sleep(self.idle_after_seconds)
            try:
                self.look(getattr(self.subscriber, "consumer", None))
            except Exception as exc:  # noqa: BLE001 - a consumer keeps consuming whatever its pace
                log.warning("consumer.fetch_pace_failed", group=self.group, error=repr(exc))


def _set_fetch(kafka_consumer: Any, max_wait_ms: int, min_bytes: int) -> bool:
    """Sets the fetch requests still to be sent by a started aiokafka consumer; False if it has no
    fetcher (not started yet, or stopped)."""
    fetcher = getattr(kafka_consumer, "_fetcher", None)
    if fetcher is None:
        return False
    fetcher._fetch_max_wait_ms = max_wait_ms
    fetcher._fetch_min_bytes = min_bytes
    return True
