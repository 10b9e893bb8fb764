import asyncio
import contextlib
import json
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.smtp import SMTP

from deploy.local.standins.smtp_sink import SmtpSink
from services.notifications import channels
from services.notifications.channels import EMAIL_IDEMPOTENCY_HEADER, EmailChannel, classify_smtp_code, message_id_for
from services.notifications.domain.delivery import Outcome
from services.notifications.domain.messages import ClaimNotice, RenderedMessage, render
from shared.privacy import mask_nik

KEY = "evt-1:H-1:email"


def payout_message():
    notice = ClaimNotice(
        claim_id="CLM-2026-000123",
        claim_type="JKM",
        participant_name="Daeng Rahman",
        masked_nik=mask_nik("7371011204800003"),
        components=[
            ("lump_sum", 20_000_000, "cash"),
            ("periodic_benefit", 12_000_000, "cash"),
            ("funeral", 10_000_000, "cash"),
        ],
        payee_names=("Siti Aminah",),
        total=42_000_000,
    )
    return render("PayoutRecorded", notice, "id")


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (250, Outcome.DELIVERED),
        (421, Outcome.TEMPORARY_FAILURE),
        (450, Outcome.TEMPORARY_FAILURE),
        (550, Outcome.PERMANENT_FAILURE),
        (553, Outcome.PERMANENT_FAILURE),
    ],
)
def test_smtp_code_classification(code, outcome):
    assert classify_smtp_code(code) is outcome


def test_same_idempotency_key_gives_the_same_message_id():
    assert message_id_for(KEY, "jaring@makassarkota.go.id") == message_id_for(KEY, "jaring@makassarkota.go.id")
    assert message_id_for(KEY, "jaring@makassarkota.go.id").endswith("@makassarkota.go.id>")
    assert message_id_for(KEY, "x@y") != message_id_for("evt-2:H-1:email", "x@y")


@pytest.mark.asyncio
async def test_email_is_stored_by_the_local_smtp_sink(tmp_path):
    message = payout_message()
    async with (
        SmtpSink(tmp_path, port=0) as sink,
        EmailChannel("127.0.0.1", sink.port, "jaring@makassarkota.go.id", timeout=5) as channel,
    ):
        result = await channel.send("siti@example.id", message, KEY)

    assert result.outcome is Outcome.DELIVERED, result.detail
    assert result.provider_message_id == message_id_for(KEY, "jaring@makassarkota.go.id")
    [line] = (tmp_path / "index.jsonl").read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert entry["to"] == ["siti@example.id"]
    assert entry["subject"] == "Turut berduka cita atas meninggalnya Daeng Rahman. Klaim JKM disetujui: Rp 42.000.000"
    assert entry["idempotency_key"] == KEY
    assert entry["message_id"] == result.provider_message_id
    stored = message_from_bytes((tmp_path / entry["file"]).read_bytes(), policy=default_policy)
    assert stored[EMAIL_IDEMPOTENCY_HEADER] == KEY
    assert stored["Subject"] == message.subject
    assert stored.get_content().replace("\r\n", "\n").strip() == message.body.strip()
    assert "7371011204800003" not in (tmp_path / entry["file"]).read_text(encoding="utf-8")


@pytest.mark.asyncio
async def test_the_sink_indexes_a_full_length_idempotency_key_as_it_was_sent(tmp_path):
    # The dispatcher's key (event id:heir id:channel) is long enough for its header to be
    # folded right after the colon; the index must not keep the fold's space.
    key = "0b9e7c1a-5d2f-4e8a-9c3b-7f6d5e4c3b2a:H-0123456789ab:email"
    async with (
        SmtpSink(tmp_path, port=0) as sink,
        EmailChannel("127.0.0.1", sink.port, "jaring@makassarkota.go.id", timeout=5) as channel,
    ):
        result = await channel.send("siti@example.id", payout_message(), key)

    assert result.outcome is Outcome.DELIVERED, result.detail
    [line] = (tmp_path / "index.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["idempotency_key"] == key


@pytest.mark.asyncio
async def test_the_mail_carries_its_headers_and_is_7_bit_even_with_words_beyond_ascii(tmp_path):
    message = RenderedMessage("Klaim JKM — santunan Rp 42.000.000 untuk ahli waris Daeng Rahman", "Salam hormat — é")
    sender = "Jaring BPJS Ketenagakerjaan — Makassar <noreply@jaring.local>"
    async with (
        SmtpSink(tmp_path, port=0) as sink,
        EmailChannel("127.0.0.1", sink.port, sender, timeout=5) as channel,
    ):
        result = await channel.send("siti@example.id", message, KEY)

    assert result.outcome is Outcome.DELIVERED, result.detail
    [entry] = [json.loads(line) for line in (tmp_path / "index.jsonl").read_text(encoding="utf-8").splitlines()]
    raw = (tmp_path / entry["file"]).read_bytes()
    assert raw.isascii()  # any relay passes it unchanged
    stored = message_from_bytes(raw, policy=default_policy)
    assert stored["From"] == sender
    assert stored["To"] == "siti@example.id"
    assert stored["Subject"] == message.subject == entry["subject"]
    assert stored["Message-ID"] == message_id_for(KEY, sender) == result.provider_message_id
    assert stored[EMAIL_IDEMPOTENCY_HEADER] == KEY
    assert stored["Auto-Submitted"] == "auto-generated"
    assert stored["Date"].datetime is not None
    assert stored["Content-Transfer-Encoding"] == "quoted-printable"
    assert stored.get_content_type() == "text/plain" and stored.get_content_charset() == "utf-8"
    assert stored.get_content().replace("\r\n", "\n").strip() == message.body


@pytest.mark.asyncio
async def test_an_internationalised_address_is_sent_with_smtputf8(tmp_path):
    async with (
        SmtpSink(tmp_path, port=0) as sink,
        EmailChannel("127.0.0.1", sink.port, "jaring@makassarkota.go.id", timeout=5) as channel,
    ):
        result = await channel.send("siti@contoh.indonesia", payout_message(), KEY)
        international = await channel.send("sití@example.id", payout_message(), "evt-1:H-2:email")

    assert (result.outcome, international.outcome) == (Outcome.DELIVERED, Outcome.DELIVERED), international.detail
    entries = [json.loads(line) for line in (tmp_path / "index.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["to"] for e in entries] == [["siti@contoh.indonesia"], ["sití@example.id"]]
    stored = message_from_bytes((tmp_path / entries[1]["file"]).read_bytes(), policy=default_policy)
    assert stored["To"] == "sití@example.id"
    assert stored[EMAIL_IDEMPOTENCY_HEADER] == "evt-1:H-2:email"


@pytest.mark.asyncio
async def test_a_mail_server_that_is_down_is_a_temporary_failure(tmp_path):
    async with SmtpSink(tmp_path, port=0) as sink:
        port = sink.port  # the sink is stopped on leaving the block: nothing listens here now
    result = await EmailChannel("127.0.0.1", port, "jaring@makassarkota.go.id", timeout=2).send(
        "siti@example.id", payout_message(), KEY
    )
    assert result.outcome is Outcome.TEMPORARY_FAILURE


class Recording:
    """An aiosmtpd handler that keeps who sent what on which connection, refuses the recipients
    in `refuse` with their answer, and hangs up instead of answering DATA while `hang_up` is set."""

    def __init__(self, refuse: dict[str, str] | None = None):
        self.refuse = refuse or {}
        self.hang_up = False
        self.mails: list[tuple[tuple, list[str]]] = []  # (the client's address and port, recipients)
        self.quits: list[tuple] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hang_up:
            server.transport.close()  # the mail was sent; its answer never comes
            return "250 unheard"
        self.mails.append((session.peer, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        self.quits.append(session.peer)
        return "221 Bye"

    def connections(self) -> set[tuple]:
        return {peer for peer, _ in self.mails}


@contextlib.asynccontextmanager
async def mail_server(handler: Recording):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="test-mx", loop=loop), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


def channel_on(port: int, **options) -> EmailChannel:
    return EmailChannel("127.0.0.1", port, "jaring@makassarkota.go.id", **{"timeout": 5, **options})


async def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
@pytest.mark.parametrize(("code", "outcome"), [(550, Outcome.PERMANENT_FAILURE), (450, Outcome.TEMPORARY_FAILURE)])
async def test_refused_recipient_is_classified_by_its_code_and_the_connection_carries_on(code, outcome):
    handler = Recording(refuse={"siti@example.id": f"{code} mailbox unavailable"})
    async with mail_server(handler) as port, channel_on(port) as channel:
        refused = await channel.send("siti@example.id", payout_message(), KEY)
        accepted = await channel.send("ahmad@example.id", payout_message(), "evt-1:H-2:email")
    assert refused.outcome is outcome
    assert str(code) in refused.detail
    assert accepted.outcome is Outcome.DELIVERED, accepted.detail
    [(_, recipients)] = handler.mails
    assert recipients == ["ahmad@example.id"]


@pytest.mark.asyncio
async def test_mails_go_one_after_another_on_a_kept_connection_and_it_is_closed_with_quit():
    handler = Recording()
    async with mail_server(handler) as port:
        async with channel_on(port) as channel:
            results = [await channel.send(f"heir{i}@example.id", payout_message(), f"k{i}") for i in range(3)]
        await wait_until(lambda: len(handler.quits) == 1)
    assert [r.outcome for r in results] == [Outcome.DELIVERED] * 3
    assert [to for _, to in handler.mails] == [["heir0@example.id"], ["heir1@example.id"], ["heir2@example.id"]]
    assert len(handler.connections()) == 1
    assert handler.quits == list(handler.connections())


@pytest.mark.asyncio
async def test_a_batch_sent_at_once_uses_no_more_connections_than_allowed():
    handler = Recording()
    async with mail_server(handler) as port, channel_on(port, connections=2) as channel:
        results = await asyncio.gather(
            *(channel.send(f"heir{i}@example.id", payout_message(), f"k{i}") for i in range(8))
        )
    assert [r.outcome for r in results] == [Outcome.DELIVERED] * 8
    assert len(handler.mails) == 8
    assert len(handler.connections()) == 2


@pytest.mark.asyncio
async def test_a_connection_cut_mid_mail_is_a_temporary_failure_and_is_not_reused():
    handler = Recording()
    async with mail_server(handler) as port, channel_on(port) as channel:
        first = await channel.send("heir0@example.id", payout_message(), "k0")
        handler.hang_up = True
        cut = await channel.send("heir1@example.id", payout_message(), "k1")
        handler.hang_up = False
        after = await channel.send("heir2@example.id", payout_message(), "k2")
    assert (first.outcome, cut.outcome, after.outcome) == (
        Outcome.DELIVERED,
        Outcome.TEMPORARY_FAILURE,  # as before kept connections: an SMTP answer lost is retried (docs/notifications.md)
        Outcome.DELIVERED,
    )
    assert len(handler.connections()) == 2  # the third mail went on a new connection


@pytest.mark.asyncio
async def test_a_kept_connection_the_server_closed_is_replaced_without_a_failed_mail():
    handler = Recording()
    async with mail_server(handler) as port, channel_on(port) as channel:
        first = await channel.send("heir0@example.id", payout_message(), "k0")
        [(kept, _)] = channel._idle
        kept.transport.close()  # as a server closing an idle connection does, seen from the client
        await wait_until(lambda: not kept.is_connected)
        second = await channel.send("heir1@example.id", payout_message(), "k1")
    assert (first.outcome, second.outcome) == (Outcome.DELIVERED, Outcome.DELIVERED)
    assert len(handler.connections()) == 2


@pytest.mark.asyncio
async def test_a_connection_idle_too_long_is_replaced(monkeypatch):
    monkeypatch.setattr(channels, "_SMTP_IDLE_SECONDS", 0.0)
    handler = Recording()
    async with mail_server(handler) as port, channel_on(port) as channel:
        results = [await channel.send(f"heir{i}@example.id", payout_message(), f"k{i}") for i in range(2)]
    assert [r.outcome for r in results] == [Outcome.DELIVERED] * 2
    assert len(handler.connections()) == 2


@pytest.mark.asyncio
async def test_no_connection_free_in_time_is_a_temporary_failure_and_sends_nothing():
    handler = Recording()
    async with mail_server(handler) as port, channel_on(port, connections=1, timeout=0.2) as channel:
        await channel._free.acquire()  # the only connection, busy with another mail
        result = await channel.send("siti@example.id", payout_message(), KEY)
        channel._free.release()
    assert result.outcome is Outcome.TEMPORARY_FAILURE
    assert handler.mails == []


@pytest.mark.asyncio
async def test_an_address_without_at_sign_fails_permanently():
    result = await EmailChannel("127.0.0.1", 1, "jaring@makassarkota.go.id").send("siti", payout_message(), KEY)
    assert result.outcome is Outcome.PERMANENT_FAILURE


@pytest.mark.asyncio
async def test_a_subject_that_cannot_be_a_header_fails_permanently_instead_of_raising():
    broken = RenderedMessage("Klaim\nBcc: someone@example.id", "body")
    result = await EmailChannel("127.0.0.1", 1, "jaring@makassarkota.go.id").send("siti@example.id", broken, KEY)
    assert result.outcome is Outcome.PERMANENT_FAILURE
