"""Wiring of the enrollment service."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.enrollment.api import router
from services.enrollment.handlers import sweep_coverage
from services.enrollment.imports import resume_interrupted
from services.enrollment.settings import EnrollmentSettings
from shared.clock import today
from shared.logs import get_logger
from shared.service import Runtime, ServiceSpec

log = get_logger("enrollment")


async def coverage_sweeper(runtime: Runtime) -> None:
    """Announces coverage that moved on as months passed (active → grace → lapsed)."""
    every = runtime.settings.coverage_sweep_seconds
    while every > 0:
        try:
            changed = await sweep_coverage(runtime.pool, today())
            if changed:
                log.info("coverage.swept", changed=changed)
        except Exception as exc:  # noqa: BLE001 - the next sweep tries again
            log.warning("coverage.sweep_failed", error=repr(exc))
        await asyncio.sleep(every)


async def import_resumer(runtime: Runtime) -> None:
    """Resumes imports a crashed or stopped process left running: at start, then now and then
    (a crashed process's heartbeat must first go stale)."""
    settings = runtime.settings
    while True:
        try:
            await resume_interrupted(runtime.pool, today(), settings.import_stale_seconds,
                                     lambda work: runtime.tasks.append(asyncio.create_task(work)))
        except Exception as exc:  # noqa: BLE001 - the next round tries again
            log.warning("import.resume_failed", error=repr(exc))
        await asyncio.sleep(settings.import_resume_every_seconds)


def build_spec(settings: EnrollmentSettings | None = None) -> ServiceSpec:
    settings = settings or EnrollmentSettings()
    return ServiceSpec(
        name="enrollment",
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[router],
        background=[coverage_sweeper, import_resumer],
        large_bodies=lambda s: {"/v1/imports": s.import_max_bytes},
    )
