"""Wiring of the enrollment service."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.enrollment import handlers
from services.enrollment import repository as repo
from services.enrollment.api import router
from services.enrollment.handlers import sweep_coverage
from services.enrollment.imports import resume_interrupted
from services.enrollment.registry import EVENT_DEATH, registry_from
from services.enrollment.registry_api import router as registry_router
from services.enrollment.reminders import on_inbound_message, send_contribution_reminders
from services.enrollment.reminders_api import router as reminders_router
from services.enrollment.settings import EnrollmentSettings
from shared.clock import today
from shared.consuming import Consumer
from shared.logs import get_logger
from shared.service import Runtime, ServiceSpec
from shared.topics import CLAIM_DECISIONS, INBOUND

log = get_logger("enrollment")


async def coverage_sweeper(runtime: Runtime) -> None:
    """Announces coverage that moved on as months passed (active → grace → lapsed)."""
    every = runtime.settings.coverage_sweep_seconds
    while every > 0:
        try:
            changed = await sweep_coverage(runtime.pool, today())
            reminded = await send_contribution_reminders(runtime.pool, today())
            if changed or reminded:
                log.info("coverage.swept", changed=changed, reminders=reminded)
        except Exception as exc:  # noqa: BLE001 - the next sweep tries again
            log.warning("coverage.sweep_failed", error=repr(exc))
        await asyncio.sleep(every)


async def registry_subscriber(runtime: Runtime) -> None:
    """Subscribes to the civil registry's deaths at start, trying again until the registry answers
    (it may start after us). Subscribing again is harmless: the registry gives the same code."""
    registry = registry_from(runtime.settings)
    while registry is not None:
        try:
            code = await registry.subscribe()
            async with runtime.pool.acquire() as conn:
                await repo.save_registry_subscription(conn, registry.name, EVENT_DEATH, code)
            log.info("registry.subscribed", registry=registry.name, code=code)
            return
        except Exception as exc:  # noqa: BLE001 - the registry may not be up yet
            log.warning("registry.subscribe_failed", error=repr(exc))
        await asyncio.sleep(runtime.settings.registry_subscribe_retry_seconds)


def consumers(_settings: EnrollmentSettings) -> list[Consumer]:
    return [
        # What enrollment learns from claims' decisions, in one group (a claim's events in their order).
        Consumer(
            "enrollment.claim_decisions",
            (CLAIM_DECISIONS,),
            {
                "DeathConfirmed": handlers.on_death_confirmed,
                "HeirsNamedOnClaim": handlers.on_heirs_named_on_claim,
            },
            formerly=dict.fromkeys(("enrollment.deaths", "enrollment.claim_heirs"), CLAIM_DECISIONS),
        ),
        # "STOP" from a worker's phone ends their contribution reminders.
        Consumer("enrollment.reminder_stops", (INBOUND,), {"InboundMessageReceived": on_inbound_message}, quiet=True),
    ]


async def import_resumer(runtime: Runtime) -> None:
    """Resumes imports a crashed or stopped process left running: at start, then now and then
    (a crashed process's heartbeat must first go stale)."""
    settings = runtime.settings
    while True:
        try:
            await resume_interrupted(
                runtime.pool,
                today(),
                settings.import_stale_seconds,
                lambda work: runtime.tasks.append(asyncio.create_task(work)),
            )
        except Exception as exc:  # noqa: BLE001 - the next round tries again
            log.warning("import.resume_failed", error=repr(exc))
        await asyncio.sleep(settings.import_resume_every_seconds)


def build_spec(settings: EnrollmentSettings | None = None) -> ServiceSpec:
    settings = settings or EnrollmentSettings()
    return ServiceSpec(
        name="enrollment",
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[router, registry_router, reminders_router],
        consumers=consumers,
        background=[coverage_sweeper, registry_subscriber, import_resumer],
        large_bodies=lambda s: {"/v1/imports": s.import_max_bytes},
    )
