"""The civil-registry stand-in (deploy/local/standins/registry.py) on a free port, for tests: enrollment
subscribes to it over HTTP; it calls enrollment back in-process (`connect`)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from deploy.local.standins.registry import RegistryState, create_app
from tests.support.stack import free_port


@dataclass
class RegistryStandin:
    url: str
    secret: str
    state: RegistryState
    client: httpx.AsyncClient

    def enrollment_settings(self) -> dict:
        return {
            "registry_base_url": self.url,
            "registry_secret": self.secret,
            "registry_callback_url": "http://enrollment/v1/registry/notify",
            "registry_subscribe_retry_seconds": 0.2,
        }

    def connect(self, enrollment_app) -> None:
        """Notifications reach this enrollment app (running in this process)."""
        self.state.transport = httpx.ASGITransport(app=enrollment_app)

    async def register_death(self, nik: str, date_of_death: str, place: str) -> dict:
        answer = await self.client.post(
            "/_control/death", json={"nik": nik, "date_of_death": date_of_death, "place": place}
        )
        assert answer.status_code == 201, answer.text
        return answer.json()


@contextlib.asynccontextmanager
async def registry_standin(directory: Path) -> AsyncIterator[RegistryStandin]:
    secret = secrets.token_urlsafe(32)
    app = create_app(directory, secret)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield RegistryStandin(url, secret, app.state.registry, client)
    finally:
        server.should_exit = True
        await task
