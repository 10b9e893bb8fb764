"""One-shot health probes used by the stack CLI (and handy in tests): each answers
True/False quickly and never raises."""

from __future__ import annotations

import asyncio


async def tcp_ok(host: str, port: int, timeout: float = 1.0) -> bool:
    """The port accepts a TCP connection."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (TimeoutError, OSError):
        return False
    writer.close()
    return True


async def http_ready(host: str, port: int, timeout: float = 2.0) -> bool:
    """GET /health answers 200 with JSON {"status": "ready"} (or "degraded")."""
    import httpx

    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            resp = await client.get(f"http://{host}:{port}/health")
        # "degraded": serving, with events in the outbox quarantine for an operator to look at.
        return resp.status_code == 200 and resp.json().get("status") in ("ready", "degraded")
    except Exception:  # noqa: BLE001 - anything but a ready answer is "not ready"
        return False


async def kafka_ok(bootstrap_servers: str, timeout: float = 3.0) -> bool:
    """The cluster answers a metadata request listing at least one broker."""
    from deploy.local.kafka import wait_for_kafka

    try:
        await wait_for_kafka(bootstrap_servers, timeout=timeout)
        return True
    except Exception:  # noqa: BLE001
        return False


async def postgres_ok(url: str, timeout: float = 3.0) -> bool:
    """`SELECT 1` answers."""
    import asyncpg

    try:
        conn = await asyncpg.connect(url, timeout=timeout)
        try:
            return await conn.fetchval("SELECT 1") == 1
        finally:
            await conn.close()
    except Exception:  # noqa: BLE001
        return False
