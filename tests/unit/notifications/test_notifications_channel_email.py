import json
from email import message_from_bytes
from email.policy import default as default_policy

import aiosmtplib
import pytest

from deploy.local.standins.smtp_sink import SmtpSink
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
    async with SmtpSink(tmp_path, port=0) as sink:
        channel = EmailChannel("127.0.0.1", sink.port, "jaring@makassarkota.go.id", timeout=5)
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
    async with SmtpSink(tmp_path, port=0) as sink:
        channel = EmailChannel("127.0.0.1", sink.port, "jaring@makassarkota.go.id", timeout=5)
        result = await channel.send("siti@example.id", payout_message(), key)

    assert result.outcome is Outcome.DELIVERED, result.detail
    [line] = (tmp_path / "index.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["idempotency_key"] == key


@pytest.mark.asyncio
async def test_a_mail_server_that_is_down_is_a_temporary_failure(tmp_path):
    async with SmtpSink(tmp_path, port=0) as sink:
        port = sink.port  # the sink is stopped on leaving the block: nothing listens here now
    result = await EmailChannel("127.0.0.1", port, "jaring@makassarkota.go.id", timeout=2).send(
        "siti@example.id", payout_message(), KEY
    )
    assert result.outcome is Outcome.TEMPORARY_FAILURE


@pytest.mark.asyncio
@pytest.mark.parametrize(("code", "outcome"), [(550, Outcome.PERMANENT_FAILURE), (450, Outcome.TEMPORARY_FAILURE)])
async def test_refused_recipient_is_classified_by_its_code(monkeypatch, code, outcome):
    async def refuse(*args, **kwargs):
        raise aiosmtplib.SMTPRecipientsRefused(
            [aiosmtplib.SMTPRecipientRefused(code, "mailbox unavailable", "siti@example.id")]
        )

    monkeypatch.setattr(aiosmtplib, "send", refuse)
    result = await EmailChannel("mail.example", 25, "jaring@makassarkota.go.id").send(
        "siti@example.id", payout_message(), KEY
    )
    assert result.outcome is outcome
    assert str(code) in result.detail


@pytest.mark.asyncio
async def test_an_address_without_at_sign_fails_permanently():
    result = await EmailChannel("127.0.0.1", 1, "jaring@makassarkota.go.id").send("siti", payout_message(), KEY)
    assert result.outcome is Outcome.PERMANENT_FAILURE


@pytest.mark.asyncio
async def test_a_subject_that_cannot_be_a_header_fails_permanently_instead_of_raising():
    broken = RenderedMessage("Klaim\nBcc: someone@example.id", "body")
    result = await EmailChannel("127.0.0.1", 1, "jaring@makassarkota.go.id").send("siti@example.id", broken, KEY)
    assert result.outcome is Outcome.PERMANENT_FAILURE
