import json
import re
from datetime import date, datetime

import httpx
import pytest

from deploy.local.standins.provider import create_app
from services.notifications.domain import family_replies as r
from shared import snap
from tests.unit.notifications.test_notifications_messages import GSM_BASIC

SECRET = "webhook-secret"


def all_replies(lang: str):
    return [
        r.grievance_filed("GRV-1A2B3C", "wrong_heir", date(2026, 12, 4), lang),
        r.grievance_resolved("GRV-1A2B3C", "Sudah kami perbaiki.", date(2026, 12, 15), "CLM-1", True, lang),
        r.grievance_reopened("GRV-1A2B3C", date(2026, 12, 22), lang),
        r.grievance_overdue("GRV-1A2B3C", date(2026, 12, 4), lang),
        r.lookup_code("042917", lang),
        r.claim_status(
            "CLM-1", "needs_review", ["death_certificate", "npwp"], date(2026, 12, 2), 21_000_000, "recorded", lang
        ),
        r.missing_documents("CL-1", "JKM", ["marriage_book", "npwp"], False, lang),
        r.missing_documents("CL-1", "JKK", ["police_report"], True, lang),
    ]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_family_replies_stay_in_the_gsm_alphabet(lang):
    for message in all_replies(lang):
        assert set(message.as_text()) <= GSM_BASIC, set(message.as_text()) - GSM_BASIC


def test_the_status_answer_names_what_to_bring_and_the_persons_own_share():
    text = r.claim_status("CLM-1", "needs_review", ["death_certificate"], None, 21_000_000, "recorded", "id").as_text()
    assert "surat/akta kematian" in text
    assert "Bagian Anda: Rp 21.000.000, menunggu transfer." in text
    assert "Batas waktu bayar:" not in text  # no deadline while documents are missing


def test_the_code_message_warns_not_to_share_it():
    text = r.lookup_code("042917", "id").as_text()
    assert "042917" in text and "Jangan berikan kode ini" in text


@pytest.mark.asyncio
async def test_the_provider_stand_in_delivers_an_inbound_message_signed_to_the_webhook(tmp_path):
    received = []

    def webhook(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200, json={"received": True})

    app = create_app(tmp_path, inbound_webhook="http://notifications.test/v1/inbound", inbound_secret=SECRET)
    # The stand-in's own client reaches the fake webhook.
    app.state.provider.inbound = ("http://notifications.test/v1/inbound", SECRET, httpx.MockTransport(webhook))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://provider.test") as client:
        answer = await client.post(
            "/_control/inbound", json={"from": "+6281234567890", "text": "STATUS CLM-1", "channel": "sms"}
        )
        refused = await client.post("/_control/inbound", json={"from": "0812", "text": "x"})
    assert answer.status_code == 200 and answer.json()["delivered"] is True
    assert refused.status_code == 400
    [request] = received
    body = request.content
    assert json.loads(body) == {
        "id": answer.json()["id"],
        "from": "+6281234567890",
        "text": "STATUS CLM-1",
        "channel": "sms",
    }
    # Signed as every callback into Jaring (shared/snap.py), over method, path, body and time.
    timestamp = request.headers["X-TIMESTAMP"]
    assert (
        snap.authentic(
            SECRET,
            "POST",
            "/v1/inbound",
            body,
            timestamp,
            request.headers["X-SIGNATURE"],
            datetime.fromisoformat(timestamp),
        )
        is None
    )
    assert (
        snap.authentic(
            SECRET,
            "POST",
            "/v1/other",
            body,
            timestamp,
            request.headers["X-SIGNATURE"],
            datetime.fromisoformat(timestamp),
        )
        is not None
    )
    assert re.fullmatch(r"[0-9a-f]{32}", request.headers["X-EXTERNAL-ID"])


def test_the_missing_documents_message_puts_condolences_then_what_to_bring_then_the_clock():
    text = r.missing_documents("CL-1", "JKM", ["marriage_book"], False, "id").as_text()
    assert text.index("turut berduka cita") < text.index("- buku nikah") < text.index("3 hari kerja")
    jkk = r.missing_documents("CL-2", "JKK", ["police_report"], True, "en").as_text()
    assert jkk.startswith("Reminder: documents for claim CL-2")
    assert "sorry for the loss" not in jkk  # an accident that was not fatal: no condolences
    assert "within 7 working days" in jkk  # JKK: PP 44/2015 art. 37
