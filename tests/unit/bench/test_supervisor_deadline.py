"""The scripted supervisor (bench/tracking.py) retries a decision while claims does not answer:
300 s by default, but in the chaos run until the run stops waiting (at scale, 300 s left 89 claims
in needs_review)."""

import asyncio
import time

import aiohttp

from bench.load import Target
from bench.tracking import Supervisor


class ClaimsAway:
    """An aiohttp session whose every request fails as a refused connection does."""

    def __init__(self):
        self.requests = 0

    def post(self, *_args, **_kwargs):
        self.requests += 1
        raise aiohttp.ClientConnectionError("refused")


TARGET = Target("http://enrollment", ["http://claims"], "127.0.0.1:9", "postgresql://x", "officer", "supervisor")


async def test_by_default_a_decision_is_given_up_after_its_own_deadline():
    http = ClaimsAway()
    supervisor = Supervisor(TARGET, http, [], give_up_after=0.0, retry_pause=0.01)
    assert await supervisor._post("/v1/claims/CLM-1/decision", {}) is False
    assert http.requests == 1  # asked once; the deadline (0 s) had passed
    assert supervisor.stats["unexpected"] == 1


async def test_a_run_without_a_deadline_yet_keeps_deciding_and_stops_at_the_run_deadline():
    http = ClaimsAway()
    supervisor = Supervisor(TARGET, http, [], give_up_after=None, retry_pause=0.01)
    deciding = asyncio.create_task(supervisor._post("/v1/claims/CLM-1/decision", {}))
    await asyncio.sleep(0.2)
    assert not deciding.done()  # no deadline given: the run is still going
    supervisor.decide_until(time.monotonic() + 0.2)
    await asyncio.sleep(0.05)
    assert not deciding.done()  # before the run's deadline
    assert await asyncio.wait_for(deciding, 2) is False
    assert supervisor.stats["unexpected"] == 1
    assert http.requests > 10  # 0.4 s of retries 0.01 s apart, well over 10
