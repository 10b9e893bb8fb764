"""Messages before the family asks (issue 19): condolences first, then what to do; the amounts and
dates as a family reads them; WhatsApp gets the catalogue template with one-line parameters."""

from __future__ import annotations

from datetime import date

import pytest

from services.notifications.domain.outreach import (
    PROACTIVE_CLAIM_OPENED,
    PROACTIVE_CLAIM_REMINDER,
    render_proactive,
    render_reminder,
)
from services.notifications.domain.templates import CATALOGUE

DOCS = ["participant_card", "death_certificate", "marriage_book"]


@pytest.mark.parametrize("kind", [PROACTIVE_CLAIM_OPENED, PROACTIVE_CLAIM_REMINDER])
@pytest.mark.parametrize(
    ("lang", "condolences", "next_step", "amount"),
    [
        (
            "id",
            "Turut berduka cita atas meninggalnya Daeng Rahman.",
            "Yang perlu Anda lakukan sekarang: datang ke ",
            "Perkiraan jumlahnya: Rp 42.000.000.",
        ),
        (
            "en",
            "Our condolences on the death of Daeng Rahman.",
            "What you need to do now: come to ",
            "The expected amount: Rp 42.000.000.",
        ),
    ],
)
def test_a_proactive_claim_message_opens_with_condolences_then_where_to_go(kind, lang, condolences, next_step, amount):
    message = render_proactive(
        kind,
        participant_name="Daeng Rahman",
        claim_id="CL-1",
        expected_amount=42_000_000,
        documents=DOCS,
        office="Kantor Cabang Makassar",
        lang=lang,
    )
    _greeting, blank, first, second = message.body.splitlines()[:4]
    assert blank == "" and first == condolences and second.startswith(next_step)
    assert "CL-1" in second and amount in message.body
    assert message.subject.startswith(condolences)
    template = CATALOGUE[message.template]
    assert len(message.parameters) == len(template.params)
    assert all(p.strip() and "\n" not in p for p in message.parameters)


def test_the_documents_are_listed_in_the_familys_words():
    message = render_proactive(
        PROACTIVE_CLAIM_OPENED,
        participant_name="A",
        claim_id="CL-1",
        expected_amount=10_000_000,
        documents=DOCS,
        office="Kantor",
        lang="id",
    )
    assert "- kartu peserta BPJS Ketenagakerjaan\n- surat/akta kematian\n- buku nikah" in message.body


def test_a_last_reminder_names_the_months_the_amount_and_the_day_cover_ends():
    message = render_reminder(
        "before_lapse",
        worker_name="Sitti",
        months=["2026-12", "2027-01"],
        amount_due=40_200,
        cover_ends_on=date(2027, 1, 31),
    )
    assert message.template == "jaring_contribution_reminder_last"
    assert "Desember 2026 dan Januari 2027" in message.body and "31 Januari 2027" in message.body
    assert "bayar Rp 40.200" in message.body and "Balas STOP" in message.body
    english = render_reminder(
        "first_grace_month",
        worker_name="Sitti",
        months=["2026-12"],
        amount_due=13_400,
        cover_ends_on=date(2027, 1, 31),
        lang="en",
    )
    assert "pay Rp 13.400 by that day" in english.body and "31 January 2027" in english.body


def test_every_reminder_kind_enrollment_sends_has_its_template():
    from services.notifications.domain.outreach import REMINDER_TEMPLATE_FOR
    from shared.contracts.enrollment import REMINDER_KINDS

    assert set(REMINDER_TEMPLATE_FOR) == set(REMINDER_KINDS)
    assert all(name in CATALOGUE for name in REMINDER_TEMPLATE_FOR.values())
