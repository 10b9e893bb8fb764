"""No full NIK reaches a log line, even when PostgreSQL quotes one in an error's DETAIL."""

from __future__ import annotations

import logging

import asyncpg
import pytest
import structlog

from shared.logs import configure_logging, get_logger
from tests.support.privacy import full_niks_in

pytestmark = pytest.mark.integration

NIK = "7371034512900007"


@pytest.fixture
def service_logging():
    before = structlog.get_config()
    configure_logging("test-logs")
    yield
    structlog.configure(**before)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if type(h).__name__ == "_JaringHandler"]:
        root.removeHandler(handler)


async def test_a_unique_violation_with_a_nik_in_its_detail_is_logged_masked(database_url, service_logging, capsys):
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TEMP TABLE people (nik text UNIQUE)")
        await conn.execute("INSERT INTO people VALUES ($1)", NIK)
        with pytest.raises(asyncpg.UniqueViolationError) as caught:
            await conn.execute("INSERT INTO people VALUES ($1)", NIK)
    finally:
        await conn.close()
    error = caught.value
    assert NIK in str(error) and NIK in error.detail  # PostgreSQL does quote it: what the mask is for

    log = get_logger("test.repository")
    log.error(
        "insert.failed",
        error=str(error),
        detail=error.detail,
        exc=error,
        nested={"why": [error.detail, (error.detail,)], error.detail: "as a key"},
    )
    try:
        raise error
    except asyncpg.UniqueViolationError:
        log.exception("insert.failed_with_traceback")
        # What uvicorn writes for an unhandled error: the standard library's logger, a traceback.
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
        logging.getLogger("asyncpg").warning("while inserting %s", NIK)

    out = capsys.readouterr().out
    # This test's own lines: a consumer an earlier test left behind may be logging beside it.
    lines = [line for line in out.strip().splitlines() if '"service": "test-logs"' in line]
    assert len(lines) == 4, out
    assert "Key (nik)=(7371****" in out and "already exists" in out  # the line is still useful
    assert "Traceback (most recent call last)" in out and "Exception in ASGI application" in out
    assert NIK not in out
    assert not full_niks_in(out), out
