"""An import never stays "running": the enrollment process dies mid-import (right after a chunk's
commit, as a kill -9 would leave it), the next start resumes it from its last committed chunk and it
ends finished, every row counted once — on the real Kafka and PostgreSQL, the service as a real
process."""

from __future__ import annotations

import random
from datetime import date

import asyncpg
import httpx
import pytest

from tests.support.city_lists import city_workers, csv_bytes
from tests.support.kafka_tools import wait_until
from tests.support.processes import ServiceProcess
from tests.support.services import auth

pytestmark = pytest.mark.integration

ROWS = 1_500  # three chunks of 500; the process dies after the second


async def test_an_import_cut_off_by_a_kill_resumes_at_the_next_start_and_counts_each_row_once(
    kafka_bootstrap, database_url, tmp_path
):
    rows = city_workers(ROWS, random.Random(), today=date.today())
    content = csv_bytes(rows)
    niks = [r["nik"] for r in rows]
    resume = dict(
        ENROLLMENT_IMPORT_STALE_SECONDS="2",
        ENROLLMENT_IMPORT_RESUME_EVERY_SECONDS="0.5",
        ENROLLMENT_COVERAGE_SWEEP_SECONDS="0",
    )
    dying = ServiceProcess(
        "enrollment", kafka_bootstrap, database_url, tmp_path, **resume, JARING_FAULT_EXIT_AFTER_IMPORT_ROW="600"
    )  # row 600 is in the second chunk
    service = ServiceProcess("enrollment", kafka_bootstrap, database_url, tmp_path, **resume)
    await dying.start(timeout=120)
    try:
        async with httpx.AsyncClient(base_url=dying.url, headers=auth("officer"), timeout=30) as client:
            answer = await client.post(
                "/v1/imports",
                params={"filename": "pasar-daya.csv"},
                content=content,
                headers={"Content-Type": "text/csv"},
            )
            assert answer.status_code == 202, answer.text
            import_id = answer.json()["import_id"]
        await wait_until(dying.exited, 60, "the process to die mid-import")
        assert dying.process.returncode == 86

        conn = await asyncpg.connect(database_url)
        try:
            cut = await conn.fetchrow(
                "SELECT status, rows_done FROM enrollment.imports WHERE import_id = $1", import_id
            )
            assert dict(cut) == {"status": "running", "rows_done": 2 * 500}  # two chunks committed, then death

            await service.start(timeout=120)
            async with httpx.AsyncClient(base_url=service.url, headers=auth("officer"), timeout=30) as client:
                report: dict = {}

                async def ended() -> bool:
                    nonlocal report
                    report = (await client.get(f"/v1/imports/{import_id}")).json()
                    return report["status"] != "running"

                await wait_until(ended, 180, "the resumed import to end")
            assert report["status"] == "finished", report
            assert report["rows_done"] == ROWS
            assert report["rows_enrolled"] + report["rows_existing"] + report["rows_rejected"] == ROWS
            assert report["rows_rejected"] == 0 and report["rows_existing"] == 0  # every row new, none twice
            assert report["rows_enrolled"] == ROWS
            record = await conn.fetchrow(
                "SELECT resumed, content IS NULL AS released FROM enrollment.imports WHERE import_id = $1", import_id
            )
            assert record["resumed"] == 1 and record["released"]
            enrolled = await conn.fetchval("SELECT count(*) FROM enrollment.participants WHERE nik = ANY($1)", niks)
            assert enrolled == ROWS
        finally:
            await conn.close()
    finally:
        dying.kill()
        service.stop()


async def test_an_interrupted_import_whose_file_was_not_kept_ends_failed_with_its_reason(
    database_url, kafka_bootstrap, tmp_path
):
    conn = await asyncpg.connect(database_url)
    service = ServiceProcess(
        "enrollment",
        kafka_bootstrap,
        database_url,
        tmp_path,
        ENROLLMENT_IMPORT_STALE_SECONDS="2",
        ENROLLMENT_IMPORT_RESUME_EVERY_SECONDS="0.5",
        ENROLLMENT_COVERAGE_SWEEP_SECONDS="0",
    )
    try:
        await service.start(timeout=120)  # the schema and its migrations exist from here
        import_id = f"IMP-old-{random.randint(0, 10**9)}"
        # Left "running" by a process of a version that did not keep the file.
        await conn.execute(
            "INSERT INTO enrollment.imports (import_id, file_sha256, filename, rows_total, rows_done, started_by, "
            "heartbeat_at) VALUES ($1, $1, 'old.csv', 1000, 500, 'test', now() - interval '1 hour')",
            import_id,
        )

        async def ended() -> bool:
            return (
                await conn.fetchval("SELECT status FROM enrollment.imports WHERE import_id = $1", import_id)
                != "running"
            )

        await wait_until(ended, 60, "the interrupted import to be ended")
        row = await conn.fetchrow(
            "SELECT status, failure_reason, finished_at FROM enrollment.imports WHERE import_id = $1", import_id
        )
        assert row["status"] == "failed" and row["finished_at"] is not None
        assert row["failure_reason"] == "interrupted by a restart and its file was not kept: upload it again"
    finally:
        service.stop()
        await conn.close()
