import asyncio
import contextlib
import json

import httpx
import pytest

from services.notifications.channels import SmsChannel, WhatsAppChannel
from services.notifications.domain.delivery import Outcome
from services.notifications.domain.messages import DISBURSEMENT_PAID, ClaimNotice, RenderedMessage, render
from shared.privacy import mask_nik
from tests.support.pipeline import provider_server

MESSAGE = RenderedMessage("Uang klaim JKM untuk Daeng Rahman sudah ditransfer", "Silakan periksa rekening Anda.")
TEMPLATED = render(DISBURSEMENT_PAID, ClaimNotice("CLM-1", "JKM", "Daeng Rahman", mask_nik("7371011204800003")))
PHONE = "+6281234567890"


@contextlib.asynccontextmanager
async def client_for(tmp_path):
    """The stand-in on a free port; the client (the test's own, for its controls and records)
    has its URL as `base_url`, which the channels are pointed at."""
    async with provider_server(tmp_path) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


def base(client: httpx.AsyncClient) -> str:
    return str(client.base_url).rstrip("/")


@pytest.mark.asyncio
async def test_whatsapp_send_is_recorded_and_answered_like_the_cloud_api(tmp_path):
    async with client_for(tmp_path) as client:
        async with WhatsAppChannel(base(client), "t", "1234567890") as channel:
            result = await channel.send(PHONE, TEMPLATED, "evt-1:H-1:whatsapp")
        recorded = (await client.get("/_requests")).json()

    assert result.outcome is Outcome.DELIVERED, result.detail
    assert result.provider_message_id.startswith("wamid.")
    [entry] = recorded
    assert entry["channel"] == "whatsapp"
    assert entry["phone_number_id"] == "1234567890"
    assert entry["body"]["to"] == "6281234567890"
    assert entry["body"]["template"]["name"] == "jaring_disbursement_paid_death"
    assert [p["text"] for p in entry["body"]["template"]["components"][0]["parameters"]] == list(TEMPLATED.parameters)
    assert entry["provider_message_id"] == result.provider_message_id
    text = (tmp_path / "requests.jsonl").read_text(encoding="utf-8")
    assert "Bearer" not in text  # tokens are never recorded
    lines = text.splitlines()
    assert [json.loads(line) for line in lines] == recorded


@pytest.mark.asyncio
async def test_fail_control_fails_the_next_requests_then_recovers(tmp_path):
    async with client_for(tmp_path) as client, SmsChannel(base(client), "t", "JARING") as channel:
        armed = await client.post("/_control/fail", json={"status": 500, "times": 2})
        assert armed.json() == {"status": 500, "times": 2}

        outcomes = [(await channel.send(PHONE, MESSAGE, "evt-1:H-1:sms")).outcome for _ in range(3)]
        recorded = (await client.get("/_requests")).json()

    assert outcomes == [Outcome.TEMPORARY_FAILURE, Outcome.TEMPORARY_FAILURE, Outcome.DELIVERED]
    assert [r["status"] for r in recorded] == [500, 500, 200]
    assert recorded[2]["body"] == {"to": PHONE, "from": "JARING", "text": MESSAGE.as_text()}


@pytest.mark.asyncio
async def test_fail_control_with_a_client_error_makes_a_permanent_failure_every_time(tmp_path):
    async with client_for(tmp_path) as client, WhatsAppChannel(base(client), "t", "1234567890") as channel:
        await client.post("/_control/fail", json={"status": 400, "times": -1})
        first = await channel.send(PHONE, TEMPLATED, "k1")
        second = await channel.send(PHONE, TEMPLATED, "k2")
        await client.post("/_control/fail", json={"status": 500, "times": 0})
        third = await channel.send(PHONE, TEMPLATED, "k3")
    assert (first.outcome, second.outcome, third.outcome) == (
        Outcome.PERMANENT_FAILURE,
        Outcome.PERMANENT_FAILURE,
        Outcome.DELIVERED,
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
async def test_a_repeated_whatsapp_request_is_a_second_message_as_at_the_cloud_api(tmp_path):
    async with client_for(tmp_path) as client, WhatsAppChannel(f"{base(client)}/v21.0", "t", "1234567890") as channel:
        first = await channel.send(PHONE, TEMPLATED, "evt-1:H-1:whatsapp")
        again = await channel.send(PHONE, TEMPLATED, "evt-1:H-1:whatsapp")
        recorded = (await client.get("/_requests")).json()
    assert (first.outcome, again.outcome) == (Outcome.DELIVERED, Outcome.DELIVERED)
    assert first.provider_message_id != again.provider_message_id  # no dedup: two messages on the phone
    assert [(r["status"], r["duplicate"]) for r in recorded] == [(200, False), (200, True)]
    assert recorded[0]["path"] == "/v21.0/1234567890/messages"


@pytest.mark.asyncio
async def test_a_repeated_sms_is_a_second_sms_and_the_gateway_can_be_asked_by_reference(tmp_path):
    async with client_for(tmp_path) as client, SmsChannel(base(client), "t", "JARING") as channel:
        assert await channel.look_up("N-1.1") is False
        first = await channel.send(PHONE, MESSAGE, "evt-1:H-1:sms", "N-1.1")
        again = await channel.send(PHONE, MESSAGE, "evt-1:H-1:sms", "N-1.1")
        found = (
            await client.get("/messages", params={"reference": "N-1.1"}, headers={"Authorization": "Bearer t"})
        ).json()
        assert await channel.look_up("N-1.1") is True
        assert await channel.look_up("N-1.2") is False
        unauthorised = await client.get("/messages", params={"reference": "N-1.1"})
    assert first.provider_message_id != again.provider_message_id
    assert [r["id"] for r in found["results"]] == [first.provider_message_id, again.provider_message_id]
    assert unauthorised.status_code == 401


@pytest.mark.asyncio
async def test_free_text_is_refused_unless_the_person_wrote_in_the_last_24_hours(tmp_path):
    async with client_for(tmp_path) as client, WhatsAppChannel(base(client), "t", "1234567890") as channel:
        refused = await channel.send(PHONE, MESSAGE, "k1")
        answer = [r for r in (await client.get("/_requests")).json()][-1]
        await client.post("/_control/inbound", json={"from": PHONE})
        allowed = await channel.send(PHONE, MESSAGE, "k2")
    assert refused.outcome is Outcome.PERMANENT_FAILURE
    assert "131047" in refused.detail and "Re-engagement" in refused.detail
    assert answer["status"] == 400
    assert allowed.outcome is Outcome.DELIVERED


def template_request(name, parameters, language="id"):
    return {
        "messaging_product": "whatsapp",
        "to": PHONE.lstrip("+"),
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}],
        },
    }


@pytest.mark.asyncio
async def test_unknown_templates_and_wrong_parameter_counts_are_refused_like_the_cloud_api(tmp_path):
    auth = {"Authorization": "Bearer t"}
    params = list(TEMPLATED.parameters)
    async with client_for(tmp_path) as client:
        unknown = await client.post(
            "/1234567890/messages", json=template_request("jaring_no_such", params), headers=auth
        )
        wrong_language = await client.post(
            "/1234567890/messages", json=template_request(TEMPLATED.template, params, "fr"), headers=auth
        )
        too_few = await client.post(
            "/1234567890/messages", json=template_request(TEMPLATED.template, params[:-1]), headers=auth
        )
        new_line = await client.post(
            "/1234567890/messages", json=template_request(TEMPLATED.template, ["a\nb"] + params[1:]), headers=auth
        )
        right = await client.post(
            "/1234567890/messages", json=template_request(TEMPLATED.template, params), headers=auth
        )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, 132001)
    assert (wrong_language.status_code, wrong_language.json()["error"]["code"]) == (404, 132001)
    assert (too_few.status_code, too_few.json()["error"]["code"]) == (400, 132000)
    assert (new_line.status_code, new_line.json()["error"]["code"]) == (400, 132018)
    assert right.status_code == 200


@pytest.mark.asyncio
async def test_a_slow_provider_has_the_message_before_the_sender_hears_back(tmp_path):
    async with client_for(tmp_path) as client:
        await client.post("/_control/slow", json={"seconds": 1.0})
        channel = SmsChannel(base(client), "t", "JARING", timeout=5)
        send = asyncio.create_task(channel.send(PHONE, MESSAGE, "k", "N-9.1"))
        done, _ = await asyncio.wait({send}, timeout=0.5)
        recorded = (await client.get("/_requests")).json()
        answered = await send
        # A sender that gives up first never hears that the message went out.
        impatient = SmsChannel(base(client), "t", "JARING", timeout=0.2)
        gave_up = await impatient.send(PHONE, MESSAGE, "k", "N-9.2")
        recorded_after = (await client.get("/_requests")).json()
        await channel.aclose()
        await impatient.aclose()
    assert not done  # still waiting for the answer …
    assert [r["status"] for r in recorded] == [200]  # … which the provider has already sent
    assert answered.outcome is Outcome.DELIVERED
    assert gave_up.outcome is Outcome.NO_ANSWER
    assert [r["status"] for r in recorded_after] == [200, 200]


@pytest.mark.asyncio
async def test_recorded_requests_can_be_cleared(tmp_path):
    async with client_for(tmp_path) as client:
        async with SmsChannel(base(client), "t", "JARING") as channel:
            await channel.send(PHONE, MESSAGE, "k")
        assert len((await client.get("/_requests")).json()) == 1
        assert (await client.delete("/_requests")).status_code == 204
        assert (await client.get("/_requests")).json() == []
