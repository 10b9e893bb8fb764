"""Families in the loop, in tests: the pipeline (enrollment, claims, notifications, stand-ins)
plus the grievances service, on the session's real Kafka and PostgreSQL. Claims is also served
over real HTTP (grievances reopens a claim through claims' API), and the pipeline's provider
stand-in delivers a family's messages to notifications' webhook."""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from services.grievances.app import build_spec as grievances_spec
from services.grievances.settings import GrievancesSettings
from services.notifications.domain.templates import CATALOGUE, whatsapp_language
from tests.conftest import INBOUND_TEST_SECRET
from tests.support.claimants import claim_form, covered_participant, member_since, today
from tests.support.console import served
from tests.support.kafka_tools import wait_until
from tests.support.pipeline import Pipeline, pipeline
from tests.support.services import auth, infra_settings, running

INBOUND_SECRET = INBOUND_TEST_SECRET  # what notifications in the pipeline is started with (tests/conftest.py)


@dataclass
class Families:
    p: Pipeline
    grievances: httpx.AsyncClient  # an officer's
    grievances_app: Any
    inbound: httpx.AsyncClient  # the provider stand-in: a family's messages come through it, ours go out by it

    @property
    def pool(self):
        return self.grievances_app.state.runtime.pool

    @property
    def settings(self) -> GrievancesSettings:
        return self.grievances_app.state.runtime.settings

    def public(self, client_address: str = "198.51.100.7") -> httpx.AsyncClient:
        """A family's browser: no token, its own address (rate limits count per address)."""
        transport = httpx.ASGITransport(app=self.grievances_app, client=(client_address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://grievances.test", timeout=30)

    def as_role(self, role: str, subject: str | None = None) -> dict[str, str]:
        return auth(role, subject)

    async def messages_to(self, phone: str) -> list[dict[str, Any]]:
        """What the provider sent to this phone, as (channel, text) dicts, oldest first."""
        return await messages_to(self.p.provider, phone)

    async def wait_for_message(self, phone: str, containing: str, timeout: float = 45) -> str:
        found: list[str] = []

        async def arrived() -> bool:
            found[:] = [m["text"] for m in await self.messages_to(phone) if containing in m["text"]]
            return bool(found)

        await wait_until(arrived, timeout, f"a message to {phone[-3:]} containing {containing!r}")
        return found[-1]

    async def code_sent_to(self, phone: str, after: int = 0) -> str:
        """The newest lookup code sent to the phone (waits for more than `after` codes)."""
        codes: list[str] = []

        async def arrived() -> bool:
            codes[:] = [
                m for t in await self.messages_to(phone) for m in re.findall(r"Masukkan kode (\d{6})", t["text"])
            ]
            return len(codes) > after

        await wait_until(arrived, 45, f"lookup code #{after + 1} sent to {phone[-3:]}")
        return codes[-1]

    async def claim_in_read_model(self, claim_id: str, status: str, timeout: float = 60) -> None:
        async def seen() -> bool:
            return await self.pool.fetchval("SELECT status FROM claims WHERE claim_id = $1", claim_id) == status

        await wait_until(seen, timeout, f"grievances' read model to see {claim_id} {status}")


async def messages_to(provider: httpx.AsyncClient, phone: str) -> list[dict[str, Any]]:
    """What the provider stand-in accepted for this phone, as (channel, text) dicts, oldest first,
    as the family reads it: a WhatsApp template is the catalogue's approved body in the request's
    language with the request's parameters put in (what the phone shows); free text as sent."""
    out = []
    for r in (await provider.get("/_requests")).json():
        body = r["body"] if isinstance(r["body"], dict) else {}
        if "+" + str(body.get("to", "")).lstrip("+") != phone or not 200 <= r["status"] < 300 or r["duplicate"]:
            continue
        if r["channel"] != "whatsapp":
            text = body["text"]
        elif body.get("type") == "template":
            text = template_as_read(body["template"])
        else:
            text = body["text"]["body"]
        out.append({"channel": r["channel"], "text": text})
    return out


def template_as_read(template: dict[str, Any]) -> str:
    """A template request as the phone shows it: the registered body, {{n}} replaced by parameter n."""
    parameters = [
        p["text"]
        for c in template.get("components") or []
        if c.get("type") == "body"
        for p in c.get("parameters") or []
    ]
    registered = CATALOGUE[template["name"]]
    lang = next(lang for lang in registered.body if whatsapp_language(lang) == template["language"]["code"])
    return re.sub(r"\{\{(\d+)\}\}", lambda m: parameters[int(m.group(1)) - 1], registered.whatsapp_body(lang))


@contextlib.asynccontextmanager
async def families(
    kafka_bootstrap: str, database_url: str, tmp: Path, *, pipeline_options: dict | None = None, **settings: Any
) -> AsyncIterator[Families]:
    """`pipeline_options` go to tests.support.pipeline.pipeline (e.g. enrollment_overrides)."""
    async with (
        pipeline(kafka_bootstrap, database_url, tmp, **(pipeline_options or {})) as p,
        served(p.claims.app) as claims_url,
    ):
        grievances = GrievancesSettings(
            infra=infra_settings(kafka_bootstrap, database_url),
            claims_base_url=claims_url,
            overdue_sweep_seconds=0,
            outbox_poll_seconds=0.2,
            handler_backoff_seconds=0.05,
            **settings,
        )
        # A family writes through the same provider notifications sends by: a WhatsApp message opens that
        # person's 24 h window there, as at Meta, so a free-text answer in it is accepted.
        async with running(grievances_spec(grievances)) as officer:
            yield Families(p, officer, officer.app, p.provider)


def new_mobile() -> str:
    return f"+62813{random.randint(10_000_000, 99_999_999)}"


def local_form(phone: str) -> str:
    """How a family types it: 0813-…"""
    return "0" + phone[3:6] + "-" + phone[6:10] + "-" + phone[10:]


async def family_with_claim(f: Families, documents: dict[str, str]) -> tuple[str, str, str, str]:
    """A covered participant whose widow and son have phones; a JKM claim filed for them.
    Returns (claim_id, widow's phone, son's phone, participant_id)."""
    widow, son = new_mobile(), new_mobile()
    heirs = [
        {"full_name": "Andi Baso", "relationship": "spouse", "phone": widow},
        {"full_name": "Rudi Baso", "relationship": "child", "phone": son},
    ]
    participant_id = await covered_participant(
        f.p.enrollment, f.p.claims, today(), member_since=member_since(), heirs=heirs
    )
    filed = await f.p.claims.post("/v1/claims", json=claim_form(participant_id, "JKM", today(), documents))
    assert filed.status_code == 202, filed.text
    return filed.json()["claim_id"], widow, son, participant_id
