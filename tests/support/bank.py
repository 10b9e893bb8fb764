"""The bank stand-in (deploy/local/standins/bank.py) on a free port of this process, and what
tests ask of it: accounts opened, its ledger read."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from deploy.local.standins.bank import create_app
from tests.support.stack import free_port

NOTIFY_PATH = "/snap/v1.0/transfer-interbank/notify"  # services/claims/disbursement/api.py


@dataclass
class BankStandin:
    url: str
    client: httpx.AsyncClient
    state: Any  # deploy.local.standins.bank.BankState

    async def open_account(self, name: str, last_digit: str = "1", bank_code: str = "002") -> str:
        """A new account number no other test uses; its last digit picks the test behaviour."""
        number = f"{random.randint(10**8, 10**9 - 1)}{last_digit}"
        answer = await self.client.put(f"/_control/accounts/{bank_code}/{number}", json={"name": name})
        assert answer.status_code == 200, answer.text
        return number

    def transfers_to(self, account_number: str) -> list[dict[str, Any]]:
        return [t for t in self.state.transfers.values() if t["account_no"] == account_number]

    def succeeded(self, external_ids: set[str] | None = None) -> list[dict[str, Any]]:
        return [
            t
            for t in self.state.transfers.values()
            if t["status"] == "succeeded" and (external_ids is None or t["external_id"] in external_ids)
        ]


@contextlib.asynccontextmanager
async def bank_standin(
    directory: Path,
    secret: str,
    *,
    port: int | None = None,
    notify_transport: httpx.AsyncBaseTransport | None = None,
    notify_url: str | None = None,
    slow_seconds: float = 6.0,
) -> AsyncIterator[BankStandin]:
    """`notify_transport` (an in-process service) or `notify_url` (a service process) receives the
    bank's notifications."""
    port = port or free_port()
    app = create_app(
        directory,
        secret=secret,
        slow_seconds=slow_seconds,
        notify_delay=0.2,
        notify_url=notify_url or f"http://claims{NOTIFY_PATH}",
        notify_transport=notify_transport,
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            yield BankStandin(url, client, app.state.bank)
    finally:
        server.should_exit = True
        await task
        await app.state.close_notifier()
