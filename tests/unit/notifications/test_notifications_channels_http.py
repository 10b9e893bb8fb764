import json

import httpx
import pytest

from services.notifications.channels import Channel, SmsChannel, WhatsAppChannel, classify_http_status
from services.notifications.domain.delivery import Outcome
from services.notifications.domain.messages import RenderedMessage

MESSAGE = RenderedMessage("Klaim JKM untuk Daeng Rahman sudah kami terima", "Bapak/Ibu yang kami hormati,\n\n...")
KEY = "evt-1:H-1:whatsapp"
PHONE = "+6281234567890"


def client_answering(status, body=None, seen=None):
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=body if body is not None else {})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def client_raising(error):
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def whatsapp(client):
    return WhatsAppChannel("https://graph.example/v21.0", "wa-token", "1234567890", client=client)


def sms(client):
    return SmsChannel("https://sms.example/api/", "sms-token", "JARING", client=client)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (201, Outcome.DELIVERED),
        (202, Outcome.DELIVERED),
        (400, Outcome.PERMANENT_FAILURE),
        (401, Outcome.PERMANENT_FAILURE),
        (404, Outcome.PERMANENT_FAILURE),
        (408, Outcome.TEMPORARY_FAILURE),
        (429, Outcome.TEMPORARY_FAILURE),
        (500, Outcome.TEMPORARY_FAILURE),
        (503, Outcome.TEMPORARY_FAILURE),
        (302, Outcome.PERMANENT_FAILURE),
    ],
)
def test_http_status_classification(status, outcome):
    assert classify_http_status(status) is outcome


def test_both_adapters_are_channels():
    assert isinstance(whatsapp(None), Channel)
    assert isinstance(sms(None), Channel)


@pytest.mark.asyncio
async def test_whatsapp_request_has_the_cloud_api_shape():
    seen = []
    answer = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.ABC123"}]}
    async with client_answering(200, answer, seen) as client:
        result = await whatsapp(client).send(PHONE, MESSAGE, KEY)
    assert result.outcome is Outcome.DELIVERED
    assert result.provider_message_id == "wamid.ABC123"
    [request] = seen
    assert request.method == "POST"
    assert str(request.url) == "https://graph.example/v21.0/1234567890/messages"
    assert request.headers["authorization"] == "Bearer wa-token"
    assert request.headers["idempotency-key"] == KEY
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp",
        "to": "6281234567890",
        "type": "text",
        "text": {"body": MESSAGE.as_text()},
        "biz_opaque_callback_data": KEY,
    }


@pytest.mark.asyncio
async def test_sms_request_has_the_gateway_shape():
    seen = []
    async with client_answering(200, {"id": "sms-1"}, seen) as client:
        result = await sms(client).send(PHONE, MESSAGE, KEY)
    assert result.outcome is Outcome.DELIVERED
    assert result.provider_message_id == "sms-1"
    [request] = seen
    assert str(request.url) == "https://sms.example/api/messages"
    assert request.headers["authorization"] == "Bearer sms-token"
    assert json.loads(request.content) == {"to": PHONE, "from": "JARING", "text": MESSAGE.as_text()}


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_server_error_is_a_temporary_failure(make):
    async with client_answering(500, {"error": "down"}) as client:
        result = await make(client).send(PHONE, MESSAGE, KEY)
    assert result.outcome is Outcome.TEMPORARY_FAILURE
    assert result.detail.startswith("HTTP 500")
    assert result.provider_message_id is None


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_too_many_requests_is_a_temporary_failure(make):
    async with client_answering(429) as client:
        result = await make(client).send(PHONE, MESSAGE, KEY)
    assert result.outcome is Outcome.TEMPORARY_FAILURE


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_bad_request_is_a_permanent_failure(make):
    error = {"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100}}
    async with client_answering(400, error) as client:
        result = await make(client).send(PHONE, MESSAGE, KEY)
    assert result.outcome is Outcome.PERMANENT_FAILURE
    assert "Invalid parameter" in result.detail


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), httpx.ConnectTimeout("no route"), httpx.PoolTimeout("busy")]
)
async def test_a_request_that_never_left_is_a_temporary_failure(make, error):
    async with client_raising(error) as client:
        result = await make(client).send(PHONE, MESSAGE, KEY)
    assert result.outcome is Outcome.TEMPORARY_FAILURE


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
@pytest.mark.parametrize("error", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut mid-answer")])
async def test_a_request_that_went_out_without_an_answer_is_not_a_plain_retry(make, error):
    # Neither provider deduplicates: the message may be on the family's phone already.
    async with client_raising(error) as client:
        result = await make(client).send(PHONE, MESSAGE, KEY)
    assert result.outcome is Outcome.NO_ANSWER


@pytest.mark.asyncio
async def test_whatsapp_sends_a_catalogue_message_as_its_template():
    seen = []
    message = RenderedMessage("s", "b", "jaring_claim_filed", "en", ("a", "b"))
    async with client_answering(200, {"messages": [{"id": "wamid.T"}]}, seen) as client:
        await whatsapp(client).send(PHONE, message, KEY)
    body = json.loads(seen[0].content)
    assert body["type"] == "template" and "text" not in body
    assert body["template"] == {
        "name": "jaring_claim_filed",
        "language": {"code": "en"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
    }


@pytest.mark.asyncio
async def test_sms_carries_the_attempt_reference_and_can_be_asked_about_it():
    seen = []
    async with client_answering(200, {"id": "sms-1", "results": [{"id": "sms-1"}]}, seen) as client:
        await sms(client).send(PHONE, MESSAGE, KEY, "N-1.2")
        found = await sms(client).look_up("N-1.2")
    assert json.loads(seen[0].content)["reference"] == "N-1.2"
    assert (seen[1].method, str(seen[1].url)) == ("GET", "https://sms.example/api/messages?reference=N-1.2")
    assert found is True


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_a_number_that_is_not_e164_fails_permanently_without_a_request(make):
    seen = []
    async with client_answering(200, {}, seen) as client:
        result = await make(client).send("081234567890", MESSAGE, KEY)
    assert result.outcome is Outcome.PERMANENT_FAILURE
    assert seen == []


@pytest.mark.asyncio
async def test_accepted_request_with_an_unexpected_answer_is_still_delivered():
    async with client_answering(200, {"unexpected": True}) as client:
        result = await whatsapp(client).send(PHONE, MESSAGE, KEY)
    assert result.outcome is Outcome.DELIVERED
    assert result.provider_message_id is None


@pytest.mark.asyncio
async def test_a_channel_without_an_injected_client_makes_and_closes_its_own():
    channel = SmsChannel("http://127.0.0.1:8104", "t", "JARING")
    async with channel:
        own = channel._http()
    assert own.is_closed


@pytest.mark.asyncio
async def test_an_injected_client_is_left_open_for_its_owner():
    async with client_answering(200) as client:
        async with sms(client):
            pass
        assert not client.is_closed
