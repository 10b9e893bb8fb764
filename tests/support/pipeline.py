"""The three services and the local stand-ins (SMTP sink, SMS/WhatsApp provider) in this
process, on the session's real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from deploy.local.standins.provider import create_app as provider_app
from deploy.local.standins.smtp_sink import SmtpSink
from services.claims.app import build_spec as claims_spec
from services.claims.settings import ClaimsSettings
from services.enrollment.app import build_spec as enrollment_spec
from services.enrollment.settings import EnrollmentSettings
from services.notifications.app import build_spec as notifications_spec
from services.notifications.settings import NotificationsSettings
from tests.support.services import infra_settings, running
from tests.support.stack import free_port


@dataclass
class Pipeline:
    enrollment: httpx.AsyncClient
    claims: httpx.AsyncClient
    notifications: httpx.AsyncClient
    provider: httpx.AsyncClient
    mail_dir: Path

    def mails(self) -> list[dict]:
        index = self.mail_dir / "index.jsonl"
        return [json.loads(line) for line in index.read_text().splitlines()] if index.exists() else []


@contextlib.asynccontextmanager
async def provider_server(directory: Path) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(provider_app(directory), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def pipeline(kafka_bootstrap: str, database_url: str, tmp: Path, **notification_overrides) -> AsyncIterator[Pipeline]:
    infra = infra_settings(kafka_bootstrap, database_url)
    fast = dict(outbox_poll_seconds=0.2, handler_backoff_seconds=0.05)
    async with SmtpSink(tmp / "mail") as sink, provider_server(tmp / "provider") as provider_url:
        notifications = NotificationsSettings(
            infra=infra, smtp_port=sink.port, sms_base_url=provider_url, whatsapp_base_url=provider_url,
            delivery_retry_base_seconds=0.2, **{**fast, **notification_overrides})
        async with running(enrollment_spec(EnrollmentSettings(infra=infra, coverage_sweep_seconds=0, **fast))) as e, \
                running(claims_spec(ClaimsSettings(infra=infra, **fast))) as c, \
                running(notifications_spec(notifications)) as n, \
                httpx.AsyncClient(base_url=provider_url) as p:
            yield Pipeline(e, c, n, p, tmp / "mail")
