"""The civil-registry stand-in: DCI-shaped subscribe, a death registered by the control endpoint
notifies every subscriber, signed over the timestamp and the body, and a replay is the same bytes."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from deploy.local.standins.registry import SIGNATURE_HEADER, TIMESTAMP_HEADER, create_app, sign

SECRET = "standin-secret"


def subscriber() -> tuple[Starlette, list[tuple[dict, bytes]]]:
    received: list[tuple[dict, bytes]] = []

    async def notify(request: Request) -> JSONResponse:
        received.append((dict(request.headers), await request.body()))
        return JSONResponse({"ack": True})

    return Starlette(routes=[Route("/notify", notify, methods=["POST"])]), received


def subscribe_body(uri: str) -> dict:
    return {
        "header": {"action": "subscribe", "sender_id": "jaring", "sender_uri": uri},
        "message": {
            "transaction_id": "t1",
            "subscribe_request": [
                {
                    "reference_id": "r1",
                    "subscribe_criteria": {
                        "reg_type": "ns:org:RegistryType:Civil",
                        "reg_event_type": "ns:org:RegistryEventType:Death",
                    },
                }
            ],
        },
    }


async def test_a_registered_death_reaches_the_subscriber_signed_and_a_replay_is_the_same_notification(tmp_path):
    target, received = subscriber()
    app = create_app(tmp_path, SECRET, transport=httpx.ASGITransport(app=target))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry") as client:
        first = (await client.post("/registry/subscribe", json=subscribe_body("http://jaring/notify"))).json()
        again = (await client.post("/registry/subscribe", json=subscribe_body("http://jaring/notify"))).json()
        code = first["message"]["subscribe_response"][0]["subscriptions"][0]["code"]
        assert again["message"]["subscribe_response"][0]["subscriptions"][0]["code"] == code
        refused = await client.post(
            "/_control/death", json={"nik": "12345", "date_of_death": "2026-11-28", "place": "x"}
        )
        assert refused.status_code == 422
        death = await client.post(
            "/_control/death", json={"nik": "7371034506920001", "date_of_death": "2026-11-28", "place": "RSUD Daya"}
        )
        assert death.status_code == 201 and death.json()["notified"] == {code: 200}
        replay = await client.post(f"/_control/replay/{death.json()['event_id']}")
        assert replay.json()["notified"] == {code: 200}
    assert len(received) == 2
    (headers, body), (headers_again, body_again) = received
    stamp = headers[TIMESTAMP_HEADER.lower()]
    assert headers[SIGNATURE_HEADER.lower()] == sign(SECRET, stamp, body)
    assert (headers_again, body_again) == (headers, body)
    assert b'"death_date":"2026-11-28"' in body and b'"reference_id":"CRVS-D-' in body
