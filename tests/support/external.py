"""The end-to-end suite against services that run elsewhere — the compose stack
(`make compose-test`) or any deployment with the local stand-ins — instead of in this process.

Set all of:
  JARING_ENROLLMENT_URL, JARING_CLAIMS_URL, JARING_NOTIFICATIONS_URL   the three APIs
  JARING_PROVIDER_URL     the SMS/WhatsApp stand-in (its /_requests and /_control)
  JARING_SMTP_SINK_DIR    the directory the SMTP sink writes (index.jsonl and .eml files)
  JARING_AUTH_SECRET      the HS256 key the services verify officers' tokens with

`pipeline()` then hands out HTTP clients to those URLs. What an external stack cannot do is
skipped, with the reason: a pipeline with changed notification settings, notifications left
out to be run as a process, a provider answering late, and any test that starts services in
this process (`running()`, `infra_settings()`) or reaches into one (`client.app`).

The stand-ins are shared by every test against one stack, so each pipeline starts by forgetting
the provider's recorded requests, and `mails()` returns only the mail received since it started.
Tests run one after another; a message of an earlier test that arrives late can still show up.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import issue_token
from tests.support.pipeline import Pipeline
from tests.support.services import TEST_SECRET

SERVICE_URLS = ("JARING_ENROLLMENT_URL", "JARING_CLAIMS_URL", "JARING_NOTIFICATIONS_URL")
OTHER_VARIABLES = ("JARING_PROVIDER_URL", "JARING_SMTP_SINK_DIR")


def external_stack() -> bool:
    """True when the suite is pointed at services running elsewhere."""
    given = [name for name in SERVICE_URLS if os.environ.get(name)]
    if not given:
        return False
    missing = [name for name in (*SERVICE_URLS, *OTHER_VARIABLES) if not os.environ.get(name)]
    if missing:
        raise RuntimeError(
            f"{', '.join(given)} set but not {', '.join(missing)}: set all of them (tests/support/external.py)"
        )
    return True


def skip_in_process_services() -> None:
    """Called where a test starts services in this process: not possible against an external stack."""
    if external_stack():
        pytest.skip("starts services in the test process; against an external stack only pipeline() tests run")


class ExternalClient(httpx.AsyncClient):
    """A client of a service that runs elsewhere; it has no `app` to reach into."""

    @property
    def app(self) -> Any:
        pytest.skip("reaches into the service's process (app.state); not possible against an external stack")


@dataclass
class ExternalPipeline(Pipeline):
    sink_dir: Path = Path(".")
    mail_offset: int = 0

    def _index(self) -> list[str]:
        index = self.sink_dir / "index.jsonl"
        return index.read_text(encoding="utf-8").splitlines() if index.exists() else []

    def mails(self) -> list[dict]:
        """Mail the sink received since this pipeline started, each .eml copied into mail_dir
        (where a test reads it, as from the in-process sink)."""
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        entries = [json.loads(line) for line in self._index()[self.mail_offset :] if line.strip()]
        for entry in entries:
            shutil.copyfile(self.sink_dir / entry["file"], self.mail_dir / entry["file"])
        return entries

    def notifications_env(self) -> dict[str, str]:
        pytest.skip("runs notifications as its own process; not possible against an external stack")


@contextlib.asynccontextmanager
async def external_pipeline(
    tmp: Path,
    *,
    notifications_in_process: bool = True,
    provider_answer_delay: float = 0.0,
    **notification_overrides: Any,
) -> AsyncIterator[Pipeline]:
    if notification_overrides:
        pytest.skip(
            f"needs notification settings {sorted(notification_overrides)} that an external stack does not have"
        )
    if not notifications_in_process:
        pytest.skip("runs notifications as its own process; not possible against an external stack")
    if provider_answer_delay:
        pytest.skip("needs a provider that answers late; the external stack's stand-in answers at once")
    secret = os.environ.get("JARING_AUTH_SECRET") or TEST_SECRET
    issuer, audience = os.environ.get("JARING_AUTH_ISSUER"), os.environ.get("JARING_AUTH_AUDIENCE")
    named = {"issuer": issuer} if issuer else {}
    named |= {"audience": audience} if audience else {}
    headers = {"Authorization": f"Bearer {issue_token(secret, 'e2e-officer', 'officer', **named)}"}
    urls = [os.environ[name].rstrip("/") for name in SERVICE_URLS]
    async with contextlib.AsyncExitStack() as stack:
        enrollment, claims, notifications = [
            await stack.enter_async_context(ExternalClient(base_url=url, headers=headers, timeout=30)) for url in urls
        ]
        provider = await stack.enter_async_context(
            ExternalClient(base_url=os.environ["JARING_PROVIDER_URL"].rstrip("/"), timeout=30)
        )
        forgotten = await provider.delete("/_requests")
        forgotten.raise_for_status()
        await provider.post("/_control/fail", json={"status": 500, "times": 0})  # no failure left armed
        p = ExternalPipeline(
            enrollment=enrollment,
            claims=claims,
            notifications=notifications,
            provider=provider,
            mail_dir=tmp / "mail",
            sink_dir=Path(os.environ["JARING_SMTP_SINK_DIR"]),
        )
        p.mail_offset = len(p._index())
        yield p
