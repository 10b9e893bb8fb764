"""The SMS and WhatsApp channels against providers on real sockets: an aiohttp server answering
what each test says, and a bare TCP server for what no HTTP server does on purpose (hanging up
mid-answer, never accepting)."""

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from services.notifications.channels import Channel, SmsChannel, WhatsAppChannel, classify_http_status
from services.notifications.domain.delivery import Outcome
from services.notifications.domain.messages import RenderedMessage
from tests.support.stack import REPO

MESSAGE = RenderedMessage("Klaim JKM untuk Daeng Rahman sudah kami terima", "Bapak/Ibu yang kami hormati,\n\n...")
KEY = "evt-1:H-1:whatsapp"
PHONE = "+6281234567890"


@dataclass
class Seen:
    method: str
    path: str  # path and query, as the provider got them
    headers: dict[str, str]  # names in lower case
    content: bytes
    peer: tuple  # the client's address and port: the same for requests on one kept connection


@contextlib.asynccontextmanager
async def provider_answering(status: int, body=None, seen: list | None = None, delay: float = 0.0):
    """A provider on a free port answering every request with `status` and the JSON `body`."""

    async def handle(request: web.Request) -> web.Response:
        if seen is not None:
            seen.append(
                Seen(
                    request.method,
                    request.path_qs,
                    {k.lower(): v for k, v in request.headers.items()},
                    await request.read(),
                    request.transport.get_extra_info("peername"),
                )
            )
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(body if body is not None else {}, status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def provider_on_tcp(*answers: bytes | None) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A provider that reads each request whole and then writes the next of `answers` on the same
    connection: bytes (then keeps the connection), or None (hangs up without a word). Yields its
    URL and the requests it read, so a test can count them."""
    requests: list[bytes] = []
    left = list(answers)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while left:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                requests.append(head + await reader.readexactly(length))
                answer = left.pop(0)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", requests
    finally:
        server.close()
        await server.wait_closed()


def json_answer(status: int, body: dict, *, length: int | None = None) -> bytes:
    """An HTTP/1.1 answer; `length` larger than the body: the answer is cut off halfway."""
    content = json.dumps(body).encode()
    return (
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {length or len(content)}\r\n\r\n"
    ).encode() + content


@contextlib.contextmanager
def nobody_listening():
    """The URL of a port nothing listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def never_accepting():
    """The URL of a server whose queue of connections is full: a new connection is never
    opened (the SYN goes unanswered), as with a provider behind a dead route."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    queued = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            client.connect(("127.0.0.1", port))
        queued.append(client)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for client in queued:
            client.close()
        server.close()


def whatsapp(url: str, **options) -> WhatsAppChannel:
    return WhatsAppChannel(f"{url}/v21.0", "wa-token", "1234567890", **options)


def sms(url: str, **options) -> SmsChannel:
    return SmsChannel(f"{url}/api/", "sms-token", "JARING", **options)


async def send_once(make, url: str, message: RenderedMessage = MESSAGE, **options):
    async with make(url, **options) as channel:
        return await channel.send(PHONE, message, KEY)


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
    assert isinstance(whatsapp("http://127.0.0.1:1"), Channel)
    assert isinstance(sms("http://127.0.0.1:1"), Channel)


@pytest.mark.asyncio
async def test_whatsapp_request_has_the_cloud_api_shape():
    seen = []
    answer = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.ABC123"}]}
    async with provider_answering(200, answer, seen) as url:
        result = await send_once(whatsapp, url)
    assert result.outcome is Outcome.DELIVERED
    assert result.provider_message_id == "wamid.ABC123"
    [request] = seen
    assert request.method == "POST"
    assert request.path == "/v21.0/1234567890/messages"
    assert request.headers["authorization"] == "Bearer wa-token"
    assert request.headers["idempotency-key"] == KEY
    assert request.headers["content-type"] == "application/json"
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
    async with provider_answering(200, {"id": "sms-1"}, seen) as url:
        result = await send_once(sms, url)
    assert result.outcome is Outcome.DELIVERED
    assert result.provider_message_id == "sms-1"
    [request] = seen
    assert request.path == "/api/messages"  # the base URL's trailing slash is not doubled
    assert request.headers["authorization"] == "Bearer sms-token"
    assert json.loads(request.content) == {"to": PHONE, "from": "JARING", "text": MESSAGE.as_text()}


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_server_error_is_a_temporary_failure(make):
    async with provider_answering(500, {"error": "down"}) as url:
        result = await send_once(make, url)
    assert result.outcome is Outcome.TEMPORARY_FAILURE
    assert result.detail.startswith("HTTP 500")
    assert result.provider_message_id is None


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_too_many_requests_is_a_temporary_failure(make):
    async with provider_answering(429) as url:
        result = await send_once(make, url)
    assert result.outcome is Outcome.TEMPORARY_FAILURE


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_bad_request_is_a_permanent_failure(make):
    error = {"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100}}
    async with provider_answering(400, error) as url:
        result = await send_once(make, url)
    assert result.outcome is Outcome.PERMANENT_FAILURE
    assert "Invalid parameter" in result.detail


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_a_refused_connection_is_a_temporary_failure(make):
    with nobody_listening() as url:
        result = await send_once(make, url)
    assert result.outcome is Outcome.TEMPORARY_FAILURE
    assert result.detail.startswith("connection:")


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_a_connection_that_never_opens_is_a_temporary_failure(make):
    with never_accepting() as url:
        result = await asyncio.wait_for(send_once(make, url, timeout=0.3), 5)
    assert result.outcome is Outcome.TEMPORARY_FAILURE
    assert result.detail.startswith("connection:")


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_no_connection_free_in_time_is_a_temporary_failure(make):
    # One connection, held by a slow answer: the second message waits for it, then gives up unsent.
    # (A client of its own, so that the held request may wait longer than the second one.)
    seen = []
    one_connection = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1), timeout=aiohttp.ClientTimeout(connect=0.3, sock_read=5)
    )
    async with provider_answering(200, {}, seen, delay=1.0) as url, one_connection:
        channel = make(url, client=one_connection)
        held = asyncio.create_task(channel.send(PHONE, MESSAGE, "k1"))
        while not seen:
            await asyncio.sleep(0.01)
        result = await channel.send(PHONE, MESSAGE, "k2")
        assert (await held).outcome is Outcome.DELIVERED
    assert result.outcome is Outcome.TEMPORARY_FAILURE
    assert result.detail.startswith("connection:")
    assert len(seen) == 1  # the second never reached the provider


@pytest.mark.asyncio
async def test_a_channel_keeps_as_many_connections_as_it_may_send_at_once_and_bounds_each_wait():
    async with SmsChannel("http://127.0.0.1:8104", "t", "JARING", timeout=2.5, connections=7) as channel:
        session = channel._http()
        assert session.connector.limit == 7
        assert (session.timeout.connect, session.timeout.sock_connect, session.timeout.sock_read) == (2.5, 2.5, 2.5)
        assert session.timeout.total is None


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_a_request_that_went_out_without_an_answer_in_time_is_not_a_plain_retry(make):
    # Neither provider deduplicates: the message may be on the family's phone already.
    seen = []
    async with provider_answering(200, {"id": "x", "messages": [{"id": "x"}]}, seen, delay=1.0) as url:
        result = await send_once(make, url, timeout=0.2)
    assert result.outcome is Outcome.NO_ANSWER
    assert len(seen) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
@pytest.mark.parametrize(
    "answer",
    [None, json_answer(200, {"id": "x"}, length=200)],
    ids=["hung up without a word", "cut mid-answer"],
)
async def test_a_request_cut_off_before_its_answer_is_not_a_plain_retry(make, answer):
    async with provider_on_tcp(answer) as (url, requests):
        result = await send_once(make, url)
    assert result.outcome is Outcome.NO_ANSWER
    assert len(requests) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_sends_reuse_a_kept_connection(make):
    seen = []
    async with provider_answering(200, {"id": "x", "messages": [{"id": "x"}]}, seen) as url, make(url) as channel:
        for key in ("k1", "k2", "k3"):
            assert (await channel.send(PHONE, MESSAGE, key)).outcome is Outcome.DELIVERED
    assert len(seen) == 3
    assert seen[0].peer == seen[1].peer == seen[2].peer


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_a_kept_connection_dropped_with_the_request_is_not_resent(make):
    # The second request goes out on the kept connection and the provider hangs up: a client that
    # resent it on a new connection could put a second message on the family's phone.
    answer = json_answer(200, {"id": "x", "messages": [{"id": "x"}]})
    async with provider_on_tcp(answer, None) as (url, requests), make(url) as channel:
        first = await channel.send(PHONE, MESSAGE, "k1")
        second = await channel.send(PHONE, MESSAGE, "k2")
    assert (first.outcome, second.outcome) == (Outcome.DELIVERED, Outcome.NO_ANSWER)
    assert len(requests) == 2


@pytest.mark.asyncio
async def test_whatsapp_sends_a_catalogue_message_as_its_template():
    seen = []
    message = RenderedMessage("s", "b", "jaring_claim_filed", "en", ("a", "b"))
    async with provider_answering(200, {"messages": [{"id": "wamid.T"}]}, seen) as url:
        await send_once(whatsapp, url, message)
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
    async with provider_answering(200, {"id": "sms-1", "results": [{"id": "sms-1"}]}, seen) as url, sms(url) as channel:
        await channel.send(PHONE, MESSAGE, KEY, "N-1.2")
        found = await channel.look_up("N-1.2")
    assert json.loads(seen[0].content)["reference"] == "N-1.2"
    assert (seen[1].method, seen[1].path) == ("GET", "/api/messages?reference=N-1.2")
    assert seen[1].headers["authorization"] == "Bearer sms-token"
    assert found is True


@pytest.mark.asyncio
@pytest.mark.parametrize(("status", "body"), [(500, {}), (200, {"unexpected": True}), (200, [])])
async def test_sms_look_up_that_gets_no_usable_answer_cannot_say(status, body):
    async with provider_answering(status, body) as url, sms(url) as channel:
        assert await channel.look_up("N-1.2") is None


@pytest.mark.asyncio
async def test_sms_look_up_without_a_gateway_cannot_say():
    with nobody_listening() as url:
        async with sms(url) as channel:
            assert await channel.look_up("N-1.2") is None


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [whatsapp, sms])
async def test_a_number_that_is_not_e164_fails_permanently_without_a_request(make):
    seen = []
    async with provider_answering(200, {}, seen) as url, make(url) as channel:
        result = await channel.send("081234567890", MESSAGE, KEY)
    assert result.outcome is Outcome.PERMANENT_FAILURE
    assert seen == []


@pytest.mark.asyncio
async def test_accepted_request_with_an_unexpected_answer_is_still_delivered():
    async with provider_answering(200, {"unexpected": True}) as url:
        result = await send_once(whatsapp, url)
    assert result.outcome is Outcome.DELIVERED
    assert result.provider_message_id is None


@pytest.mark.asyncio
async def test_a_channel_without_an_injected_client_makes_and_closes_its_own():
    channel = SmsChannel("http://127.0.0.1:8104", "t", "JARING")
    async with channel:
        own = channel._http()
    assert own.closed


@pytest.mark.asyncio
async def test_an_injected_client_is_left_open_for_its_owner():
    seen = []
    async with provider_answering(200, {"id": "sms-1"}, seen) as url, aiohttp.ClientSession() as client:
        async with SmsChannel(url, "t", "JARING", client=client) as channel:
            assert (await channel.send(PHONE, MESSAGE, KEY)).outcome is Outcome.DELIVERED
        assert not client.closed
    assert len(seen) == 1  # the channel sent on the client it was given


TRACED_SEND = """
import asyncio, json, sys
from opentelemetry import trace
from shared.tracing import configure_tracing
from services.notifications.channels import SmsChannel
from services.notifications.domain.messages import RenderedMessage

async def main(url):
    configure_tracing("notifications")
    with trace.get_tracer("test").start_as_current_span("notification send sms") as span:
        async with SmsChannel(url, "t", "JARING") as channel:
            result = await channel.send("+6281234567890", RenderedMessage("s", "b"), "k")
    trace.get_tracer_provider().shutdown()  # exports the spans before leaving
    print(json.dumps([str(result.outcome), format(span.get_span_context().trace_id, "032x")]))

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.asyncio
async def test_with_traces_exported_the_provider_call_carries_the_claims_trace(tmp_path):
    # Tracing is configured once per process, so the sender runs in one of its own; the stand-in
    # provider also takes the exported spans (OTLP over HTTP), so that nothing waits on a dead endpoint.
    seen = []
    async with provider_answering(200, {"id": "sms-1"}, seen) as url:
        script = tmp_path / "traced_send.py"
        script.write_text(TRACED_SEND)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(script),
            url,
            env={**os.environ, "PYTHONPATH": str(REPO), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{url}/v1/traces"},
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(process.communicate(), 60)
    outcome, trace_id = json.loads(out)
    assert outcome == str(Outcome.DELIVERED)
    [message] = [s for s in seen if s.path == "/messages"]
    assert message.headers["traceparent"].split("-")[1] == trace_id
    assert any(s.path == "/v1/traces" for s in seen)  # the provider call's span went out too
