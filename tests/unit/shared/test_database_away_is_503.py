"""A request that meets the database gone (or refusing for now) is answered 503 with Retry-After,
nothing written, whatever asyncpg raised for it; a 500 would tell an officer the filing broke. The
chaos run saw asyncpg's InternalClientError at PostgreSQL's SIGKILL: it was answered 500, and a
consumer took it for the message's fault."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import APIRouter

from shared.consuming import INFRASTRUCTURE_ERRORS
from shared.service import ServiceSpec, create_app
from shared.settings import ServiceSettings

RAISED = {
    "connection_lost": asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    "cannot_connect_now": asyncpg.CannotConnectNowError("the database system is starting up"),
    "interface": asyncpg.InterfaceError("cannot call Connection.fetch(): connection has been released"),
    "protocol_confused": asyncpg.InternalClientError("unexpected message type at PostgreSQL's SIGKILL"),
    "refused": ConnectionRefusedError(111, "Connect call failed"),
    "deadlock": asyncpg.DeadlockDetectedError("deadlock detected"),
    "too_many_connections": asyncpg.TooManyConnectionsError("sorry, too many clients already"),
}


def app_raising(monkeypatch):
    monkeypatch.setenv("JARING_AUTH_SECRET", "unit-test-only-a-secret-long-enough-to-pass-the-check-0123456789")
    router = APIRouter()

    @router.post("/v1/things/{name}")
    async def write(name: str) -> dict[str, str]:
        raise RAISED[name]

    @router.post("/v1/bugs")
    async def bug() -> dict[str, str]:
        raise RuntimeError("a bug of ours, not the database")

    return create_app(ServiceSpec(name="unit", settings=ServiceSettings(), migrations=None, routers=[router]))


@pytest.mark.parametrize("name", sorted(RAISED))
async def test_the_database_away_is_a_503_to_retry(name, monkeypatch):
    transport = httpx.ASGITransport(app=app_raising(monkeypatch), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://unit") as client:
        answer = await client.post(f"/v1/things/{name}")
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "2"
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "nothing was written" in answer.json()["detail"]


async def test_a_bug_is_still_a_500(monkeypatch):
    transport = httpx.ASGITransport(app=app_raising(monkeypatch), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://unit") as client:
        answer = await client.post("/v1/bugs")
    assert answer.status_code == 500


def test_consumers_and_the_dispatcher_wait_for_the_same_errors_instead_of_dead_lettering():
    # A record met with PostgreSQL killed under it is applied again once it is back, never set
    # aside as if the message were at fault (shared.consuming, notifications' dispatcher).
    assert all(isinstance(exc, INFRASTRUCTURE_ERRORS) for exc in RAISED.values())
    assert not isinstance(RuntimeError("a bug"), INFRASTRUCTURE_ERRORS)
    assert not isinstance(asyncpg.UniqueViolationError("duplicate key"), INFRASTRUCTURE_ERRORS)
