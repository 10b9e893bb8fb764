"""Services as real processes (`python -m services.<name>`), for tests that kill them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.kafka_tools import wait_until
from tests.support.services import TEST_SECRET
from tests.support.stack import REPO, free_port


class ServiceProcess:
    def __init__(self, name: str, kafka_bootstrap: str, database_url: str, log_dir: Path, **env: str):
        self.name = name
        self.port = free_port()
        prefix = name.upper()
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "DATABASE_URL": database_url,
            "JARING_AUTH_SECRET": TEST_SECRET,
            f"{prefix}_HTTP_PORT": str(self.port),
            f"{prefix}_OUTBOX_POLL_SECONDS": "0.2",
            **env,
        }
        self.log = log_dir / f"{name}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60) -> ServiceProcess:
        self.launch()
        await wait_until(self._ready, timeout, f"{self.name} at {self.url} to be ready (log: {self.log})")
        return self

    def launch(self) -> ServiceProcess:
        """Starts the process without waiting for it to answer: one armed to die (a fault
        hook) may die before it ever does."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"],
            cwd=REPO,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        return self

    async def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}; log: {self.log}")
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(self.url + "/health", timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False

    async def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
