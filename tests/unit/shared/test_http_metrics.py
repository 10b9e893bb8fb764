"""HttpMetrics counts every request in its route template's and status's series, whether the series
is new or found again (it keeps the labelled series it has used)."""

import httpx
from fastapi import FastAPI, HTTPException
from prometheus_client import REGISTRY

from shared.observability import HttpMetrics


def count(service: str, route: str, status: str) -> float:
    labels = {"service": service, "method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("jaring_http_requests_total", labels) or 0.0


def observed(service: str, route: str) -> float:
    labels = {"service": service, "method": "GET", "route": route}
    return REGISTRY.get_sample_value("jaring_http_request_duration_seconds_count", labels) or 0.0


async def test_each_request_is_counted_in_its_routes_and_statuss_series():
    app = FastAPI()

    @app.get("/claims/{claim_id}")
    async def claim(claim_id: str) -> dict:
        if claim_id == "CL-none":
            raise HTTPException(404, "no such claim")
        return {"claim_id": claim_id}

    app.add_middleware(HttpMetrics, service="metrics-unit")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        for claim_id in ("CL-1", "CL-2", "CL-none", "CL-3", "CL-none"):
            await client.get(f"/claims/{claim_id}")
        await client.get("/nowhere")

    assert count("metrics-unit", "/claims/{claim_id}", "200") == 3  # CL-1, CL-2, CL-3
    assert count("metrics-unit", "/claims/{claim_id}", "404") == 2  # CL-none twice
    assert count("metrics-unit", "unmatched", "404") == 1
    assert observed("metrics-unit", "/claims/{claim_id}") == 3 + 2
