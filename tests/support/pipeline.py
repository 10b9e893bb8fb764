"""The three services and the local stand-ins (SMTP sink, SMS/WhatsApp provider) in this
process, on the session's real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deploy.local.standins.provider import create_app as provider_app
from deploy.local.standins.smtp_sink import SmtpSink
from services.claims.app import build_spec as claims_spec
from services.claims.settings import ClaimsSettings
from services.enrollment.app import build_spec as enrollment_spec
from services.enrollment.settings import EnrollmentSettings
from services.notifications.app import build_spec as notifications_spec
from services.notifications.settings import NotificationsSettings
from tests.support.bank import BankStandin, bank_standin
from tests.support.services import infra_settings, running
from tests.support.stack import free_port


@dataclass
class Pipeline:
    enrollment: httpx.AsyncClient
    claims: httpx.AsyncClient
    notifications: httpx.AsyncClient | None  # None when the test runs notifications as its own process
    provider: httpx.AsyncClient
    mail_dir: Path
    smtp_port: int = 0
    bank: BankStandin | None = None  # the SNAP bank stand-in claims pays through (None against an external stack)

    def mails(self) -> list[dict]:
        index = self.mail_dir / "index.jsonl"
        return [json.loads(line) for line in index.read_text().splitlines()] if index.exists() else []

    def notifications_env(self) -> dict[str, str]:
        """What a notifications process (ServiceProcess) needs to reach this pipeline's SMTP sink and provider."""
        provider_url = str(self.provider.base_url).rstrip("/")
        return {
            "NOTIFICATIONS_SMTP_PORT": str(self.smtp_port),
            "NOTIFICATIONS_SMS_BASE_URL": provider_url,
            "NOTIFICATIONS_WHATSAPP_BASE_URL": provider_url,
        }


def answering_late(app: ASGIApp, seconds: float) -> ASGIApp:
    """The provider, holding each answer to a message for `seconds` after it has accepted
    (and recorded) it: a sender killed in that window never learns the message went out."""

    async def held(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/messages"):
            await app(scope, receive, send)
            return

        async def send_late(message: Message) -> None:
            if message["type"] == "http.response.start":
                await asyncio.sleep(seconds)
            await send(message)

        await app(scope, receive, send_late)

    return held


@contextlib.asynccontextmanager
async def provider_server(
    directory: Path, answer_delay: float = 0.0, state_box: list | None = None
) -> AsyncIterator[str]:
    """`state_box` receives the stand-in's state (to point its inbound replies somewhere later)."""
    port = free_port()
    app = provider_app(directory)
    if state_box is not None:
        state_box.append(app.state.provider)
    if answer_delay:
        app = answering_late(app, answer_delay)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def pipeline(
    kafka_bootstrap: str,
    database_url: str,
    tmp: Path,
    *,
    notifications_in_process: bool = True,
    provider_answer_delay: float = 0.0,
    enrollment_overrides: dict | None = None,
    claims_overrides: dict | None = None,
    **notification_overrides,
) -> AsyncIterator[Pipeline]:
    """`notifications_in_process=False` leaves notifications out, for a test that runs it as a
    process it can kill (`Pipeline.notifications_env()` points that process at the stand-ins)."""
    from tests.support.external import external_pipeline, external_stack

    if external_stack():  # JARING_*_URL: the services run elsewhere, e.g. the compose stack
        async with external_pipeline(
            tmp,
            notifications_in_process=notifications_in_process,
            provider_answer_delay=provider_answer_delay,
            **notification_overrides,
        ) as p:
            yield p
        return
    infra = infra_settings(kafka_bootstrap, database_url)
    fast = dict(outbox_poll_seconds=0.2, handler_backoff_seconds=0.05)
    provider_state: list = []
    async with (
        SmtpSink(tmp / "mail") as sink,
        provider_server(tmp / "provider", provider_answer_delay, provider_state) as provider_url,
    ):
        notifications = NotificationsSettings(
            infra=infra,
            smtp_port=sink.port,
            sms_base_url=provider_url,
            whatsapp_base_url=provider_url,
            **{**fast, "delivery_retry_base_seconds": 0.2, **notification_overrides},
        )
        async with contextlib.AsyncExitStack() as stack:
            e = await stack.enter_async_context(
                running(
                    enrollment_spec(
                        EnrollmentSettings(
                            infra=infra, **{"coverage_sweep_seconds": 0, **fast, **(enrollment_overrides or {})}
                        )
                    )
                )
            )
            bank_port = free_port()
            c = await stack.enter_async_context(
                running(
                    claims_spec(
                        ClaimsSettings(
                            infra=infra,
                            bank_base_url=f"http://127.0.0.1:{bank_port}",
                            disbursement_poll_seconds=0.2,
                            **{**fast, **(claims_overrides or {})},
                        )
                    )
                )
            )
            bank = await stack.enter_async_context(
                bank_standin(
                    tmp / "bank",
                    os.environ["CLAIMS_BANK_CLIENT_SECRET"],
                    port=bank_port,
                    notify_transport=httpx.ASGITransport(app=c.app),
                )
            )
            n = (
                await stack.enter_async_context(running(notifications_spec(notifications)))
                if notifications_in_process
                else None
            )
            if n is not None:  # replies from phones reach this notifications, signed with the tests' key
                provider_state[0].inbound = (
                    "http://notifications/v1/inbound",
                    os.environ["NOTIFICATIONS_INBOUND_SECRET"],
                    httpx.ASGITransport(app=n.app),
                )
            p = await stack.enter_async_context(httpx.AsyncClient(base_url=provider_url))
            yield Pipeline(e, c, n, p, tmp / "mail", sink.port, bank)
