"""Every family message is a WhatsApp template from one catalogue, and messages about a
death open with condolences and the one thing to do next (issue 14)."""

import re

import pytest

from services.notifications.domain.messages import (
    CLAIM_FILED,
    CLAIM_REJECTED,
    DISBURSEMENT_PAID,
    MESSAGE_EVENTS,
    PAYOUT_RECORDED,
    ClaimNotice,
    render,
)
from services.notifications.domain.templates import CATALOGUE, one_line
from shared.privacy import mask_nik

MASKED = mask_nik("7371011204800003")
NUMBERED = re.compile(r"\{\{(\d+)\}\}")


def notice(claim_type="JKM", **overrides):
    fields = dict(
        claim_id="CLM-2026-000123",
        claim_type=claim_type,
        participant_name="Daeng Rahman",
        masked_nik=MASKED,
        reasons=("DOCUMENTS_INCOMPLETE", "NOT_COVERED_ON_INCIDENT_DATE"),
        missing_documents=("death_certificate",),
        components=[("lump_sum", 20_000_000, "cash"), ("scholarship", 3_000_000, "entitlement")],
        payee_names=("Siti Aminah",),
        total=20_000_000,
        days_late=4,
    )
    fields.update(overrides)
    return ClaimNotice(**fields)


EVERY_MESSAGE = [
    (kind, claim_type, lang, paid)
    for kind in sorted(MESSAGE_EVENTS)
    for claim_type in ("JKM", "JKK_DEATH", "JKK")
    for lang in ("id", "en")
    for paid in (True, False)
    if paid or kind == PAYOUT_RECORDED
]


@pytest.mark.parametrize(("kind", "claim_type", "lang", "paid"), EVERY_MESSAGE)
def test_every_family_message_is_a_catalogue_template_with_the_right_parameter_count(kind, claim_type, lang, paid):
    message = render(kind, notice(claim_type, **({} if paid else {"components": (), "total": None})), lang)
    assert message.template in CATALOGUE
    template = CATALOGUE[message.template]
    assert len(message.parameters) == len(template.params)
    assert message.language == lang
    # The Cloud API refuses empty parameters and new lines or tabs inside one.
    assert all(p.strip() and "\n" not in p and "\t" not in p for p in message.parameters)
    # WhatsApp reads the same words as SMS and email: the body with each parameter filled in.
    numbered = NUMBERED.sub(lambda m: message.parameters[int(m.group(1)) - 1], template.whatsapp_body(lang))
    assert one_line(numbered) == one_line(message.body)


@pytest.mark.parametrize("template", sorted(CATALOGUE), ids=str)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_catalogue_templates_keep_the_cloud_api_rules(template, lang):
    t = CATALOGUE[template]
    body = t.whatsapp_body(lang)
    numbers = [int(n) for n in NUMBERED.findall(body)]
    assert sorted(numbers) == list(range(1, len(t.params) + 1))  # each parameter once, none missing
    assert len(body) <= 1024
    assert not body.startswith("{{") and not body.endswith("}}")
    assert re.fullmatch(r"[a-z0-9_]{1,512}", t.name)


@pytest.mark.parametrize("kind", sorted(MESSAGE_EVENTS))
@pytest.mark.parametrize("claim_type", ["JKM", "JKK_DEATH"])
@pytest.mark.parametrize(
    ("lang", "condolences", "next_step"),
    [
        ("id", "Turut berduka cita atas meninggalnya Daeng Rahman.", "Yang perlu Anda lakukan sekarang: "),
        ("en", "Our condolences on the death of Daeng Rahman.", "What you need to do now: "),
    ],
)
def test_a_message_about_a_death_opens_with_condolences_then_the_next_step(
    kind, claim_type, lang, condolences, next_step
):
    message = render(kind, notice(claim_type), lang)
    greeting, blank, first, second = message.body.splitlines()[:4]
    assert blank == "" and first == condolences
    assert second.startswith(next_step) and len(second) > len(next_step)
    assert message.body.index(next_step) < message.body.index("NIK")  # before any detail
    assert message.subject.startswith(condolences)


def test_a_rejected_death_claim_names_the_first_thing_to_bring_as_the_next_step():
    message = render(CLAIM_REJECTED, notice("JKM", reasons=("DOCUMENTS_INCOMPLETE",)))
    assert (
        "Yang perlu Anda lakukan sekarang: Bawa dokumen yang masih kurang ke kantor cabang BPJS "
        "Ketenagakerjaan (surat/akta kematian)"
    ) in message.body


@pytest.mark.parametrize("kind", sorted(MESSAGE_EVENTS))
def test_a_living_workers_accident_gets_no_condolences(kind):
    message = render(kind, notice("JKK"))
    assert "berduka" not in message.subject + message.body
    assert message.body.splitlines()[2].startswith("Klaim kecelakaan kerja (JKK) atas nama Daeng Rahman")


def test_a_recipient_paid_nothing_reads_who_is_paid_and_no_amounts():
    message = render(PAYOUT_RECORDED, notice(components=(), total=None, payee_names=("Siti Aminah", "Andi Baso")))
    assert message.template == "jaring_payout_recorded_others_death"
    assert "Uang dibayarkan kepada Siti Aminah dan Andi Baso" in message.body
    assert "Rp" not in message.subject + message.body


def test_a_minors_share_names_the_guardian_it_is_paid_through():
    lines = [("lump_sum", 10_000_000, "cash", "Nurul Aisyah", "Andi Baso")]
    message = render(PAYOUT_RECORDED, notice(components=lines, total=10_000_000), "en")
    assert "- Lump-sum benefit: Rp 10.000.000 to Nurul Aisyah, paid through the guardian Andi Baso" in message.body


def test_the_claims_of_the_four_events_use_their_own_templates():
    names = {
        kind: render(kind, notice("JKK")).template
        for kind in (CLAIM_FILED, CLAIM_REJECTED, PAYOUT_RECORDED, DISBURSEMENT_PAID)
    }
    assert names == {
        CLAIM_FILED: "jaring_claim_filed",
        CLAIM_REJECTED: "jaring_claim_rejected",
        PAYOUT_RECORDED: "jaring_payout_recorded",
        DISBURSEMENT_PAID: "jaring_disbursement_paid",
    }


# --- the family's own questions and complaints (domain/family_replies.py) ----------------------------


def family_replies(lang):
    from datetime import date

    from services.notifications.domain import family_replies as r

    return {
        "filed": r.grievance_filed("GRV-1A2B3C", "wrong_heir", date(2026, 12, 4), lang),
        "resolved": r.grievance_resolved(
            "GRV-1A2B3C", "Sudah kami perbaiki.\nTerima kasih.", date(2026, 12, 15), None, False, lang
        ),
        "resolved_claim": r.grievance_resolved(
            "GRV-1A2B3C", "Sudah kami perbaiki.", date(2026, 12, 15), "CLM-1", True, lang
        ),
        "reopened": r.grievance_reopened("GRV-1A2B3C", date(2026, 12, 22), lang),
        "overdue": r.grievance_overdue("GRV-1A2B3C", date(2026, 12, 4), lang),
        "code": r.lookup_code("042917", lang),
        "missing_jkm": r.missing_documents("CL-1", "JKM", ["marriage_book", "npwp"], False, lang),
        "reminder_jkm": r.missing_documents("CL-1", "JKM", ["marriage_book"], True, lang),
        "missing_jkk": r.missing_documents("CL-2", "JKK", ["police_report"], False, lang),
        "reminder_jkk_death": r.missing_documents("CL-3", "JKK_DEATH", ["police_report"], True, lang),
    }


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("kind", sorted(family_replies("id")))
def test_every_family_reply_is_a_catalogue_template_with_the_right_parameter_count(kind, lang):
    message = family_replies(lang)[kind]
    template = CATALOGUE[message.template]
    assert len(message.parameters) == len(template.params) and message.language == lang
    assert all(p.strip() and "\n" not in p and "\t" not in p for p in message.parameters)
    numbered = NUMBERED.sub(lambda m: message.parameters[int(m.group(1)) - 1], template.whatsapp_body(lang))
    assert one_line(numbered) == one_line(message.body)


def test_a_code_is_an_authentication_template_and_the_rest_are_utility():
    categories = {m.template: CATALOGUE[m.template].category for m in family_replies("id").values()}
    assert categories.pop("jaring_lookup_code") == "authentication"
    assert set(categories.values()) == {"utility"}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_missing_documents_after_a_death_open_with_sympathy_and_the_reminder_says_it_is_one(lang):
    replies = family_replies(lang)
    for kind in ("missing_jkm", "reminder_jkm", "reminder_jkk_death"):
        assert (
            replies[kind].body.splitlines()[0]
            == {
                "id": "Kami turut berduka cita atas kepergian anggota keluarga Anda.",
                "en": "We are deeply sorry for the loss of your family member.",
            }[lang]
        )
    assert (
        replies["missing_jkk"]
        .body.splitlines()[0]
        .startswith({"id": "Dokumen klaim CL-2 masih kurang", "en": "Documents for claim CL-2 are missing"}[lang])
    )
    assert (
        replies["reminder_jkk_death"]
        .body.splitlines()[1]
        .startswith({"id": "Pengingat: dokumen klaim CL-3", "en": "Reminder: documents for claim CL-3"}[lang])
    )


def test_the_status_answer_is_free_text_for_the_24_hour_window():
    from datetime import date

    from services.notifications.domain.family_replies import claim_status

    message = claim_status("CLM-1", "needs_review", ["death_certificate"], date(2026, 12, 2), None, "recorded", "id")
    assert message.template is None and message.parameters == ()
    assert message.as_text().startswith("Status klaim CLM-1\n\nStatus: menunggu pemeriksaan petugas.")


@pytest.mark.parametrize("template", sorted(CATALOGUE), ids=str)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_catalogue_template_keeps_to_the_gsm_alphabet_and_a_death_opens_with_condolences(template, lang):
    from tests.unit.notifications.test_notifications_messages import GSM_BASIC

    t = CATALOGUE[template]
    fixed = re.sub(r"\{\w+\}", "", t.text(lang) + t.subject[lang])  # the words, without the {placeholders}
    assert set(fixed) <= GSM_BASIC, set(fixed) - GSM_BASIC
    if template.endswith("_death") or template.startswith("jaring_proactive_"):
        # The death messages (issue 14): sympathy is the first line after the greeting, and the subject's start.
        assert t.body[lang].startswith(
            ("Turut berduka cita", "Our condolences", "Kami turut berduka cita", "We are deeply sorry")
        )
        assert t.subject[lang].startswith(("Turut berduka cita", "Our condolences")) or "missing_documents" in template
