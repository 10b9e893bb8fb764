import json

import httpx
import pytest

from deploy.local.standins.provider import create_app
from services.notifications.channels import SmsChannel, WhatsAppChannel
from services.notifications.domain.delivery import Outcome
from services.notifications.domain.messages import RenderedMessage

MESSAGE = RenderedMessage("Uang klaim JKM untuk Daeng Rahman sudah ditransfer", "Silakan periksa rekening Anda.")
PHONE = "+6281234567890"
BASE = "http://provider.test"


def client_for(tmp_path):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(tmp_path)), base_url=BASE)


@pytest.mark.asyncio
async def test_whatsapp_send_is_recorded_and_answered_like_the_cloud_api(tmp_path):
    async with client_for(tmp_path) as client:
        result = await WhatsAppChannel(BASE, "t", "1234567890", client=client).send(PHONE, MESSAGE, "evt-1:H-1:whatsapp")
        recorded = (await client.get("/_requests")).json()

    assert result.outcome is Outcome.DELIVERED
    assert result.provider_message_id.startswith("wamid.")
    [entry] = recorded
    assert entry["channel"] == "whatsapp"
    assert entry["phone_number_id"] == "1234567890"
    assert entry["body"]["to"] == "6281234567890"
    assert entry["body"]["text"]["body"] == MESSAGE.as_text()
    assert entry["provider_message_id"] == result.provider_message_id
    text = (tmp_path / "requests.jsonl").read_text(encoding="utf-8")
    assert "Bearer" not in text  # tokens are never recorded
    lines = text.splitlines()
    assert [json.loads(line) for line in lines] == recorded


@pytest.mark.asyncio
async def test_fail_control_fails_the_next_requests_then_recovers(tmp_path):
    async with client_for(tmp_path) as client:
        channel = SmsChannel(BASE, "t", "JARING", client=client)
        armed = await client.post("/_control/fail", json={"status": 500, "times": 2})
        assert armed.json() == {"status": 500, "times": 2}

        outcomes = [(await channel.send(PHONE, MESSAGE, "evt-1:H-1:sms")).outcome for _ in range(3)]
        recorded = (await client.get("/_requests")).json()

    assert outcomes == [Outcome.TEMPORARY_FAILURE, Outcome.TEMPORARY_FAILURE, Outcome.DELIVERED]
    assert [r["status"] for r in recorded] == [500, 500, 200]
    assert recorded[2]["body"] == {"to": PHONE, "from": "JARING", "text": MESSAGE.as_text()}


@pytest.mark.asyncio
async def test_fail_control_with_a_client_error_makes_a_permanent_failure_every_time(tmp_path):
    async with client_for(tmp_path) as client:
        channel = WhatsAppChannel(BASE, "t", "1234567890", client=client)
        await client.post("/_control/fail", json={"status": 400, "times": -1})
        first = await channel.send(PHONE, MESSAGE, "k1")
        second = await channel.send(PHONE, MESSAGE, "k2")
        await client.post("/_control/fail", json={"status": 500, "times": 0})
        third = await channel.send(PHONE, MESSAGE, "k3")
    assert (first.outcome, second.outcome, third.outcome) == (
        Outcome.PERMANENT_FAILURE, Outcome.PERMANENT_FAILURE, Outcome.DELIVERED,
    )


@pytest.mark.asyncio
async def test_fail_control_refuses_nonsense(tmp_path):
    async with client_for(tmp_path) as client:
        assert (await client.post("/_control/fail", json={"status": 200, "times": 1})).status_code == 400
        assert (await client.post("/_control/fail", json={"status": 500, "times": -2})).status_code == 400


@pytest.mark.asyncio
async def test_missing_token_and_bad_shapes_are_refused_like_the_real_apis(tmp_path):
    async with client_for(tmp_path) as client:
        no_token = await client.post("/messages", json={"to": PHONE, "from": "JARING", "text": "x"})
        plus_sign = await client.post(
            "/1234567890/messages",
            json={"messaging_product": "whatsapp", "to": PHONE, "type": "text", "text": {"body": "x"}},
            headers={"Authorization": "Bearer t"},
        )
    assert no_token.status_code == 401
    assert plus_sign.status_code == 400
    assert plus_sign.json()["error"]["code"] == 100


@pytest.mark.asyncio
async def test_versioned_whatsapp_path_and_repeated_idempotency_key(tmp_path):
    async with client_for(tmp_path) as client:
        channel = WhatsAppChannel(f"{BASE}/v21.0", "t", "1234567890", client=client)
        first = await channel.send(PHONE, MESSAGE, "evt-1:H-1:whatsapp")
        again = await channel.send(PHONE, MESSAGE, "evt-1:H-1:whatsapp")
        recorded = (await client.get("/_requests")).json()
    assert first.provider_message_id == again.provider_message_id
    assert [r["duplicate"] for r in recorded] == [False, True]
    assert recorded[0]["path"] == "/v21.0/1234567890/messages"


@pytest.mark.asyncio
async def test_recorded_requests_can_be_cleared(tmp_path):
    async with client_for(tmp_path) as client:
        await SmsChannel(BASE, "t", "JARING", client=client).send(PHONE, MESSAGE, "k")
        assert len((await client.get("/_requests")).json()) == 1
        assert (await client.delete("/_requests")).status_code == 204
        assert (await client.get("/_requests")).json() == []
