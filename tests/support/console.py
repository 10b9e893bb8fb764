"""The console in tests: served by uvicorn on a free port in this event loop (its lifespan:
migrations, index consumers, dead-letter subscriber), pointed at services that are served
over real HTTP too — the console calls their APIs as it does in the stack."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from services.console.app import build_spec
from services.console.settings import ConsoleSettings
from shared.service import create_app
from tests.support.kafka_tools import committed_offsets, end_offsets, wait_until
from tests.support.services import auth, infra_settings
from tests.support.stack import free_port


@contextlib.asynccontextmanager
async def served(app: FastAPI, *, lifespan: str = "off", port: int | None = None) -> AsyncIterator[str]:
    """The app on http://127.0.0.1:<free port, or `port`> until the block ends. lifespan="off" for
    an app whose lifespan already runs (tests.support.services.running)."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", log_config=None, lifespan=lifespan, access_log=False
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it (a failed lifespan)
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class ConsoleUnderTest:
    url: str
    app: FastAPI
    name: str

    @property
    def pool(self):
        return self.app.state.runtime.pool

    def client(self, role: str = "operator", subject: str | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers=auth(role, subject), timeout=30)

    async def caught_up(self) -> bool:
        """Every index consumer and the dead-letter subscriber have read to the end."""
        from services.console.consumers import DEAD_LETTER_TOPICS, dead_letter_group, index_consumers

        pairs = [(c.name, topic) for c in index_consumers(self.name) for topic in c.topic_names]
        pairs += [(dead_letter_group(self.name), topic) for topic in DEAD_LETTER_TOPICS]
        bootstrap = self.app.state.runtime.settings.infra.kafka_bootstrap_servers
        for group, topic in pairs:
            ends = await end_offsets(bootstrap, topic)
            done = await committed_offsets(bootstrap, group, topic)
            if any(done.get(p, 0) < end for p, end in ends.items() if end):
                return False
        return True

    async def wait_caught_up(self, timeout: float = 60) -> None:
        await wait_until(self.caught_up, timeout, f"console {self.name} to index every topic to its end")


@contextlib.asynccontextmanager
async def console(
    kafka_bootstrap: str,
    database_url: str,
    *,
    claims_url: str = "http://127.0.0.1:9",
    enrollment_url: str = "http://127.0.0.1:9",
    notifications_url: str = "http://127.0.0.1:9",
    grievances_url: str = "http://127.0.0.1:9",
    name: str = "console",
    port: int | None = None,
    **overrides: Any,
) -> AsyncIterator[ConsoleUnderTest]:
    settings = ConsoleSettings(
        infra=infra_settings(kafka_bootstrap, database_url),
        claims_base_url=claims_url,
        enrollment_base_url=enrollment_url,
        notifications_base_url=notifications_url,
        grievances_base_url=grievances_url,
        handler_backoff_seconds=0.05,
        **{"refresh_seconds": 1, "allow_pasted_token": True, **overrides},
    )
    app = create_app(build_spec(settings, name))
    async with served(app, lifespan="on", port=port) as url:
        yield ConsoleUnderTest(url, app, name)
