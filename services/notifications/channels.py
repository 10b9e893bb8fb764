"""Channel adapters: email (SMTP), SMS (a generic HTTP gateway), WhatsApp (Meta Cloud API).

Each adapter does one send and says what came of it; it never retries and never
raises for a failed send — `domain.delivery` decides what happens next. "delivered"
means the mail server or the provider accepted the message, not that a person read it.

Classification:
- HTTP: 2xx delivered; 408, 429, 5xx and a connection that never opened temporary (the
  same request may succeed later); any other status permanent (bad number, bad token,
  bad payload: retrying sends the same thing again). A request that went out and got no
  answer (read timeout, connection cut) is `no_answer`: the provider may have sent it,
  and neither provider deduplicates, so it is never simply retried (domain.delivery).
- SMTP: 4xx and connection/timeout errors temporary (greylisting, full mailbox, server
  down); 5xx permanent (unknown mailbox, refused, also authentication failure — an
  operator fixes the settings and re-queues).
"""

from __future__ import annotations

import asyncio
import email.charset
import email.policy
import email.utils
import hashlib
import json
import re
import time
from email.header import Header
from email.message import EmailMessage, Message
from typing import Any, Protocol, runtime_checkable

import aiohttp
import aiosmtplib

from services.notifications.domain.delivery import AttemptResult, Outcome
from services.notifications.domain.messages import RenderedMessage

__all__ = [
    "AttemptResult",
    "Channel",
    "EmailChannel",
    "SmsChannel",
    "WhatsAppChannel",
    "classify_http_status",
    "classify_smtp_code",
    "EMAIL_IDEMPOTENCY_HEADER",
    "HTTP_IDEMPOTENCY_HEADER",
]

EMAIL_IDEMPOTENCY_HEADER = "X-Jaring-Idempotency-Key"
# The IETF httpapi draft's name; gateways that honour it drop a repeated send.
HTTP_IDEMPOTENCY_HEADER = "Idempotency-Key"
_E164 = re.compile(r"\+[1-9]\d{7,14}")
_DETAIL_LIMIT = 300
# A kept HTTP connection idle this long is closed by us rather than reused: shorter than the idle
# timeouts of common servers (uvicorn, which the stand-in runs on, closes after 5 s), so a request
# rarely goes out on a connection the server is closing at that very moment (no answer, unknown).
_KEEPALIVE_SECONDS = 4.0
# A kept SMTP connection idle this long is closed rather than reused: RFC 5321 (4.5.3.2.7) asks a
# server to wait 5 minutes for the next command, some wait far less (Postfix under stress: 10 s);
# one the server closed meanwhile is noticed and not used.
_SMTP_IDLE_SECONDS = 10.0
_SMTP_QUIT_SECONDS = 2.0
# UTF-8 in quoted-printable, for the body and a non-ASCII subject: readable in the raw mail, 7-bit.
_UTF8_QP = email.charset.Charset("utf-8")
_UTF8_QP.header_encoding = _UTF8_QP.body_encoding = email.charset.QP


@runtime_checkable
class Channel(Protocol):
    name: str
    # Whether the provider can be asked if it received a message, by the attempt's reference.
    can_look_up: bool

    async def send(
        self, to: str, message: RenderedMessage, idempotency_key: str, reference: str | None = None
    ) -> AttemptResult: ...

    async def look_up(self, reference: str) -> bool | None:
        """Did the provider receive a message under `reference`? None: it could not say."""
        ...


def classify_http_status(status: int) -> Outcome:
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status in (408, 429) or 500 <= status < 600:
        return Outcome.TEMPORARY_FAILURE
    return Outcome.PERMANENT_FAILURE


def classify_smtp_code(code: int) -> Outcome:
    if 200 <= code < 400:
        return Outcome.DELIVERED
    if 500 <= code < 600:
        return Outcome.PERMANENT_FAILURE
    return Outcome.TEMPORARY_FAILURE  # 4xx, and anything odd: let the retry budget decide


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"


# --- email ---------------------------------------------------------------------------


class EmailChannel:
    """Mail over SMTP on a few kept connections: a batch's mails go one after another on each
    connection instead of each opening its own (connect, greeting, EHLO, STARTTLS, login, QUIT
    per mail). A connection that failed, or sat idle too long, is closed and a new one opened;
    one the server answered with a refusal stays (aiosmtplib resets the envelope on it)."""

    name = "email"
    can_look_up = False  # SMTP has no "did you get it" query

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        use_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        start_tls: bool | None = None,  # None: upgrade if the server offers STARTTLS (aiosmtplib's default)
        connections: int = 4,
    ):
        self.host = host
        self.port = port
        self.sender = sender
        self.use_tls = use_tls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.start_tls = start_tls
        # The sender's display name RFC 2047-encoded once, if it is not ASCII.
        self._from = email.utils.formataddr(email.utils.parseaddr(sender)) if "@" in sender else sender
        # Mail servers cap connections per client (Postfix: 50, shared by every client on the
        # host); a few, each carrying mails back to back, keep up with a batch on a near server.
        self.connections = connections
        self._free = asyncio.Semaphore(connections)
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # (connection, when it was last used)

    def build_message(self, to: str, message: RenderedMessage, idempotency_key: str) -> Message[Any, Any]:
        """The mail, on the compat32 policy: its headers are kept as given instead of being parsed
        into objects and folded again, which was nearly two thirds of the CPU of building and
        sending a mail (docs/benchmarks.md, "CPU per claim"); the one thing that parsing guarded
        here, a line break in a header, is checked by hand."""
        mail: Message[Any, Any]
        if to.isascii():
            if any(ch in value for value in (to, message.subject) for ch in "\r\n"):
                raise ValueError("a header value may not contain a line break")
            mail = Message(policy=email.policy.compat32)
            # An ASCII subject goes as it is (folded at spaces), any other as RFC 2047 encoded words.
            subject: str | Header = message.subject if message.subject.isascii() else Header(message.subject, _UTF8_QP)
        else:  # an internationalised address needs SMTPUTF8, which only the full email API writes
            mail, subject = EmailMessage(), message.subject
        mail["From"] = self._from
        mail["To"] = to
        mail["Subject"] = subject
        mail["Date"] = email.utils.formatdate(usegmt=True)
        # The same key gives the same Message-ID, so a retried send is recognisably the
        # same message to mail clients and to anyone reading the sink.
        mail["Message-ID"] = message_id_for(idempotency_key, self.sender)
        mail[EMAIL_IDEMPOTENCY_HEADER] = idempotency_key
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
        # quoted-printable keeps the body 7-bit, so any relay passes it unchanged.
        if isinstance(mail, EmailMessage):
            mail.set_content(message.body, charset="utf-8", cte="quoted-printable")
        else:
            mail.set_payload(message.body, _UTF8_QP)
        return mail

    async def look_up(self, reference: str) -> bool | None:
        return None

    async def send(
        self, to: str, message: RenderedMessage, idempotency_key: str, reference: str | None = None
    ) -> AttemptResult:
        if "@" not in to or any(ch.isspace() for ch in to):
            return AttemptResult(Outcome.PERMANENT_FAILURE, f"not an email address: {to!r}")
        try:
            mail = self.build_message(to, message, idempotency_key)
        except ValueError as error:  # e.g. a line break in a header: sending again cannot help
            return AttemptResult(Outcome.PERMANENT_FAILURE, _short(f"cannot build the email: {error}"))
        message_id = mail["Message-ID"]
        try:
            errors, response = await self._deliver(mail, to)
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [r.code for r in refused.recipients]
            outcome = Outcome.TEMPORARY_FAILURE if any(400 <= c < 500 for c in codes) else Outcome.PERMANENT_FAILURE
            words = "; ".join(f"{r.code} {r.message}" for r in refused.recipients)
            return AttemptResult(outcome, _short(f"recipient refused: {words}"))
        except aiosmtplib.SMTPResponseException as error:
            return AttemptResult(classify_smtp_code(error.code), _short(f"SMTP {error.code} {error.message}"))
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
            # connection refused, timeouts, server disconnected, STARTTLS missing, no connection free
            return AttemptResult(Outcome.TEMPORARY_FAILURE, _short(f"{type(error).__name__}: {error}"))
        if to in errors:
            code, text = errors[to].code, errors[to].message
            return AttemptResult(classify_smtp_code(code), _short(f"recipient refused: {code} {text}"))
        return AttemptResult(Outcome.DELIVERED, _short(response), message_id)

    async def _deliver(self, mail: Message[Any, Any], to: str) -> tuple[dict[str, aiosmtplib.SMTPResponse], str]:
        # Waiting for a free connection is bounded like any other step, so a send still fits its lease.
        async with asyncio.timeout(self.timeout):
            await self._free.acquire()
        try:
            smtp = self._kept()
            try:
                if smtp is None:
                    smtp = self._new_connection()
                    await smtp.connect()
                result = await smtp.send_message(mail, sender=self.sender, recipients=[to], timeout=self.timeout)
            except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as error:
                # The server answered (and the envelope was reset): the connection can carry the next
                # mail, unless the refusal was at connecting or the server hung up with it (421).
                if smtp is not None and smtp.is_connected and not isinstance(error, aiosmtplib.SMTPConnectError):
                    self._keep(smtp)
                elif smtp is not None:
                    smtp.close()
                raise
            except BaseException:
                if smtp is not None:
                    smtp.close()  # cut, timed out or cancelled mid-conversation: never reused
                raise
            self._keep(smtp)
            return result
        finally:
            self._free.release()

    def _new_connection(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )

    def _kept(self) -> aiosmtplib.SMTP | None:
        """A kept connection still open and not idle so long that the server may be closing it."""
        now = time.monotonic()
        while self._idle:
            smtp, last_used = self._idle.pop()
            if smtp.is_connected and now - last_used < _SMTP_IDLE_SECONDS:
                return smtp
            smtp.close()
        return None

    def _keep(self, smtp: aiosmtplib.SMTP) -> None:
        self._idle.append((smtp, time.monotonic()))

    async def __aenter__(self) -> EmailChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Says QUIT on every kept connection (a server logs an abrupt close as an error), all at
        once and briefly: this runs while the service stops."""
        idle, self._idle = self._idle, []

        async def quit(smtp: aiosmtplib.SMTP) -> None:
            try:
                await smtp.quit(timeout=min(self.timeout, _SMTP_QUIT_SECONDS))
            except (TimeoutError, aiosmtplib.SMTPException, OSError):
                smtp.close()

        await asyncio.gather(*(quit(smtp) for smtp, _ in idle))


def message_id_for(idempotency_key: str, sender: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = sender.rsplit("@", 1)[-1].strip("<> ") if "@" in sender else "jaring.local"
    return f"<{digest}.jaring@{domain}>"


# --- HTTP providers -----------------------------------------------------------------


class _HttpChannel:
    """One POST per message with a bearer token, on one aiohttp session per channel whose
    connections are kept alive between batches. Pass `client` (a session shared with others,
    or one a test made) and the channel uses it and leaves closing it to you; otherwise it
    makes its own, closed by `aclose()`.

    aiohttp rather than httpx: at 100 claims/s httpx's request path (its connection pool asks
    every kept connection whether it is still readable before each request) was 18 % of the
    notifications process's busy time (docs/benchmarks.md, "CPU per claim")."""

    name: str
    can_look_up = False

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        client: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
        connections: int = 50,
    ):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._client = client
        self._owns_client = client is None
        self.timeout = timeout
        # Every connection the sends in flight open is kept alive for the next batch.
        self.connections = connections

    async def __aenter__(self) -> _HttpChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.close()
            self._client = None

    def _http(self) -> aiohttp.ClientSession:
        if self._client is None:
            self._client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections, keepalive_timeout=_KEEPALIVE_SECONDS),
                # Each step bounded as httpx's timeout did: waiting for a connection and opening it
                # (`connect`), then each wait for the answer (`sock_read`); no total, as before.
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=self.timeout, sock_connect=self.timeout, sock_read=self.timeout
                ),
                cookie_jar=aiohttp.DummyCookieJar(),  # the providers set none we would send back
            )
        return self._client

    def request_for(
        self, to: str, message: RenderedMessage, idempotency_key: str, reference: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """(url, JSON body) for one message. Override to adapt to another provider."""
        raise NotImplementedError

    def provider_message_id(self, response_body: Any) -> str | None:
        raise NotImplementedError

    async def look_up(self, reference: str) -> bool | None:
        return None

    async def send(
        self, to: str, message: RenderedMessage, idempotency_key: str, reference: str | None = None
    ) -> AttemptResult:
        if not _E164.fullmatch(to):
            return AttemptResult(Outcome.PERMANENT_FAILURE, f"not an E.164 phone number: {to!r}")
        url, body = self.request_for(to, message, idempotency_key, reference)
        headers = {"Authorization": f"Bearer {self.token}", HTTP_IDEMPOTENCY_HEADER: idempotency_key}
        try:
            # The answer is read whole inside: an answer cut off halfway is no answer.
            async with self._http().post(url, json=body, headers=headers) as response:
                status, answer = response.status, await response.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.InvalidURL) as error:
            # The request never left (refused, no route, no connection free in time, a URL that
            # cannot be reached): sending again cannot double anything. aiohttp never resends a
            # POST on its own, even on a kept connection the server had closed.
            return AttemptResult(Outcome.TEMPORARY_FAILURE, _short(f"connection: {type(error).__name__} {error}"))
        except (aiohttp.ClientError, TimeoutError) as error:
            # Read timeout, connection cut mid-answer: the provider may have the message.
            return AttemptResult(Outcome.NO_ANSWER, _short(f"no answer: {type(error).__name__} {error}"))
        outcome = classify_http_status(status)
        if outcome is not Outcome.DELIVERED:
            return AttemptResult(outcome, _short(f"HTTP {status}: {answer.decode('utf-8', 'replace')}"))
        try:
            provider_id = self.provider_message_id(json.loads(answer))
        except (ValueError, LookupError, TypeError, AttributeError):
            provider_id = None  # accepted, but the answer is not what we expected: still delivered
        return AttemptResult(Outcome.DELIVERED, f"HTTP {status}", provider_id)


class SmsChannel(_HttpChannel):
    """A generic SMS gateway: POST {base_url}/messages, bearer token,
    {"to": "+62…", "from": sender_id, "text": …, "reference": …}, answering {"id": …};
    GET {base_url}/messages?reference=… lists what it received under a reference (the
    shape of Infobip's client-defined messageId and its logs query; see the stand-in).

    Gateways differ in field names (`msisdn`/`destination`, `message`, `sender`) and in
    where the id comes back; to adapt to a contracted one, subclass and override
    `request_for` and `provider_message_id` — nothing else needs to change."""

    name = "sms"
    can_look_up = True

    def __init__(
        self,
        base_url: str,
        token: str,
        sender_id: str,
        *,
        client: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
        connections: int = 50,
    ):
        super().__init__(base_url, token, client=client, timeout=timeout, connections=connections)
        self.sender_id = sender_id

    def request_for(
        self, to: str, message: RenderedMessage, idempotency_key: str, reference: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        body = {"to": to, "from": self.sender_id, "text": message.as_text()}
        if reference:
            body["reference"] = reference
        return f"{self.base_url}/messages", body

    async def look_up(self, reference: str) -> bool | None:
        try:
            async with self._http().get(
                f"{self.base_url}/messages",
                params={"reference": reference},
                headers={"Authorization": f"Bearer {self.token}"},
            ) as response:
                if response.status != 200:
                    return None
                return bool(json.loads(await response.read())["results"])
        except (aiohttp.ClientError, TimeoutError, ValueError, LookupError, TypeError):
            return None

    def provider_message_id(self, response_body: Any) -> str | None:
        for key in ("id", "message_id", "messageId"):
            if response_body.get(key):
                return str(response_body[key])
        return None


class WhatsAppChannel(_HttpChannel):
    """Meta WhatsApp Cloud API: POST {base_url}/{phone_number_id}/messages, where base_url
    carries the Graph API version (https://graph.facebook.com/v21.0).

    A message from the business is an approved template (domain.templates: name,
    language, body parameters); a free-form "text" message is delivered only inside the
    24-hour window after the person last wrote to the business number, so it is sent only
    for a message without a template. The Cloud API does not deduplicate and offers no
    query of a message by id (status comes by webhook only): `can_look_up` is False. The
    idempotency key travels in `biz_opaque_callback_data` (returned in status webhooks)
    so that a webhook can be matched to our delivery row."""

    name = "whatsapp"

    def __init__(
        self,
        base_url: str,
        token: str,
        phone_number_id: str,
        *,
        client: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
        connections: int = 50,
    ):
        super().__init__(base_url, token, client=client, timeout=timeout, connections=connections)
        self.phone_number_id = phone_number_id

    def request_for(
        self, to: str, message: RenderedMessage, idempotency_key: str, reference: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "to": to.lstrip("+"),
            "biz_opaque_callback_data": idempotency_key[:512],
        }
        if message.template:
            body["type"] = "template"
            body["template"] = {
                "name": message.template,
                "language": {"code": message.language},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": p} for p in message.parameters]}
                ],
            }
        else:
            body["type"] = "text"
            body["text"] = {"body": message.as_text()}
        return f"{self.base_url}/{self.phone_number_id}/messages", body

    def provider_message_id(self, response_body: Any) -> str | None:
        return str(response_body["messages"][0]["id"])
