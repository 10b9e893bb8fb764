import pytest

from services.notifications.domain.messages import (
    CLAIM_FILED,
    CLAIM_REJECTED,
    DISBURSEMENT_PAID,
    MESSAGE_EVENTS,
    PAYOUT_RECORDED,
    ClaimNotice,
    produces_message,
    render,
)
from services.notifications.domain.wording import REASON_SENTENCES
from shared.privacy import mask_nik
from tests.support.privacy import full_niks_in

# A Makassar NIK (73.71…), a man born 12 April 1980.
NIK = "7371011204800003"
MASKED = mask_nik(NIK)


def jkm_notice(**overrides):
    fields = dict(
        claim_id="CLM-2026-000123",
        claim_type="JKM",
        participant_name="Daeng Rahman",
        masked_nik=MASKED,
        components=[
            ("lump_sum", 20_000_000, "cash"),
            ("periodic_benefit", 12_000_000, "cash"),
            ("funeral", 10_000_000, "cash"),
        ],
        payee_names=("Siti Aminah",),
        total=42_000_000,
        days_late=4,  # read by LateChargeRecorded only
    )
    fields.update(overrides)
    return ClaimNotice(**fields)


def test_only_the_four_family_events_produce_a_message():
    assert {
        "ClaimFiled",
        "ClaimRejected",
        "PayoutRecorded",
        "DisbursementPaid",
        "TransferRejected",
        "ReceiptCheck",
        "ClaimReclassified",
        "LateChargeRecorded",
    } == MESSAGE_EVENTS
    assert produces_message("PayoutRecorded")
    assert not produces_message("ClaimVerified")
    with pytest.raises(ValueError):
        render("ClaimVerified", jkm_notice())


# --- NIK -------------------------------------------------------------------------------


def test_a_full_nik_is_refused_as_the_masked_nik():
    with pytest.raises(ValueError, match="mask_nik"):
        jkm_notice(masked_nik=NIK)


def test_a_partly_masked_nik_is_refused():
    with pytest.raises(ValueError):
        jkm_notice(masked_nik="73710112048000**")


def test_the_old_mask_that_kept_the_district_and_serial_digits_is_refused():
    # 6 + 8 stars + 2: with birth date and sex beside it, about a hundred NIKs were left (issue 15).
    with pytest.raises(ValueError):
        jkm_notice(masked_nik="737101********03")


@pytest.mark.parametrize("kind", sorted(MESSAGE_EVENTS))
@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_message_shows_only_the_masked_nik(kind, lang):
    message = render(kind, jkm_notice(reasons=("OFFICER_REJECTED",)), lang)
    text = message.subject + message.body
    assert NIK not in text
    assert not full_niks_in(text)
    assert f"NIK {MASKED}" in message.body
    assert MASKED == "7371************"


def test_a_nik_smuggled_in_through_another_field_is_refused_at_render():
    with pytest.raises(ValueError, match="16-digit"):
        render(CLAIM_FILED, jkm_notice(claim_id=NIK))


# --- ClaimFiled ----------------------------------------------------------------------


def test_jkm_acknowledgement_in_bahasa_indonesia():
    message = render(CLAIM_FILED, jkm_notice())
    assert message.subject == "Turut berduka cita atas meninggalnya Daeng Rahman. Klaim JKM sudah kami terima"
    assert "santunan kematian (JKM)" in message.body
    assert "nomor klaim CLM-2026-000123" in message.body
    assert "paling lambat 3 hari kerja" in message.body
    assert "Apa selanjutnya:" in message.body


def test_jkk_acknowledgement_in_english_promises_seven_working_days():
    message = render(CLAIM_FILED, jkm_notice(claim_type="JKK_DEATH"), "en")
    assert message.subject == "Our condolences on the death of Daeng Rahman. The JKK claim has been received"
    assert "death from a work accident (JKK)" in message.body
    assert "within 7 working days" in message.body


def test_unknown_language_gets_bahasa_indonesia():
    assert render(CLAIM_FILED, jkm_notice(), "fr") == render(CLAIM_FILED, jkm_notice(), "id")
    assert render(CLAIM_FILED, jkm_notice(), None) == render(CLAIM_FILED, jkm_notice())


def test_contact_given_by_the_city_is_shown():
    message = render(CLAIM_FILED, jkm_notice(contact="Kantor Cabang Makassar, 0411-000000"))
    assert "hubungi: Kantor Cabang Makassar, 0411-000000" in message.body


# --- ClaimRejected ---------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(REASON_SENTENCES))
@pytest.mark.parametrize("lang", ["id", "en"])
def test_each_reason_code_has_its_own_sentence(code, lang):
    message = render(CLAIM_REJECTED, jkm_notice(reasons=(code,)), lang)
    sentence = REASON_SENTENCES[code][lang].format(name="Daeng Rahman", programme="JKM")
    assert f"- {sentence}" in message.body
    assert code not in message.body  # codes are for machines; the family reads the sentence


def test_lapsed_coverage_is_explained_in_plain_words():
    message = render(CLAIM_REJECTED, jkm_notice(reasons=("NOT_COVERED_ON_INCIDENT_DATE",)))
    assert message.subject == "Turut berduka cita atas meninggalnya Daeng Rahman. Klaim JKM tidak dapat dibayar"
    assert "iuran tidak dibayar tiga bulan berturut-turut" in message.body


def test_unknown_reason_code_falls_back_to_asking_the_officer():
    message = render(CLAIM_REJECTED, jkm_notice(reasons=("SOMETHING_NEW",)), "en")
    assert "There is another reason (code SOMETHING_NEW); a claims officer can explain it." in message.body
    assert "call the claims officer" in message.body


def test_incomplete_documents_tell_the_family_what_to_bring_where():
    notice = jkm_notice(reasons=("DOCUMENTS_INCOMPLETE",), missing_documents=("death_certificate", "heir_statement"))
    message = render(CLAIM_REJECTED, notice)
    assert "Yang dapat Anda lakukan:" in message.body
    assert (
        "Bawa dokumen yang masih kurang ke kantor cabang BPJS Ketenagakerjaan "
        "(surat/akta kematian, surat keterangan ahli waris)"
    ) in message.body


def test_missing_police_report_says_where_to_get_it():
    message = render(CLAIM_REJECTED, jkm_notice(claim_type="JKK", reasons=("POLICE_REPORT_MISSING",)), "en")
    assert "police station (Polsek/Polres)" in message.body


def test_rejection_needs_a_reason():
    with pytest.raises(ValueError):
        render(CLAIM_REJECTED, jkm_notice(reasons=()))


# --- PayoutRecorded ----------------------------------------------------------------------


def test_jkm_payout_lists_each_component_with_amount_and_payee_in_bahasa_indonesia():
    message = render(PAYOUT_RECORDED, jkm_notice())
    assert message.subject == "Turut berduka cita atas meninggalnya Daeng Rahman. Klaim JKM disetujui: Rp 42.000.000"
    assert "- Santunan sekaligus: Rp 20.000.000 untuk Siti Aminah" in message.body
    assert "- Santunan berkala (senilai 24 bulan, dibayar sekaligus): Rp 12.000.000 untuk Siti Aminah" in message.body
    assert "- Biaya pemakaman: Rp 10.000.000 untuk Siti Aminah" in message.body
    assert "Jumlah uang yang dibayarkan: Rp 42.000.000" in message.body


def test_jkm_payout_in_english():
    message = render(PAYOUT_RECORDED, jkm_notice(payee_names=("Siti Aminah", "Andi Baso", "Nur Aisyah")), "en")
    assert message.subject == "Our condolences on the death of Daeng Rahman. The JKM claim is approved: Rp 42.000.000"
    assert "- Lump-sum benefit: Rp 20.000.000 to Siti Aminah, Andi Baso and Nur Aisyah" in message.body
    assert "- Funeral costs: Rp 10.000.000 to Siti Aminah, Andi Baso and Nur Aisyah" in message.body
    assert "Total money to be paid: Rp 42.000.000" in message.body


def test_scholarship_is_a_yearly_entitlement_not_cash_paid_now():
    components = [
        ("death_benefit", 144_000_000, "cash"),
        ("funeral", 10_000_000, "cash"),
        ("periodic_benefit", 12_000_000, "cash"),
        ("scholarship", 174_000_000, "entitlement"),
    ]
    notice = jkm_notice(claim_type="JKK_DEATH", components=components, total=166_000_000)
    message = render(PAYOUT_RECORDED, notice)
    assert "Jumlah uang yang dibayarkan: Rp 166.000.000" in message.body
    assert "Hak yang dibayar per tahun (bukan uang yang dibayar sekarang):" in message.body
    assert "Beasiswa pendidikan anak: hak hingga Rp 174.000.000 seluruhnya, dibayar tahun demi tahun" in message.body
    assert "Rp 174.000.000 untuk" not in message.body
    english = render(PAYOUT_RECORDED, notice, "en")
    assert "Yearly entitlements (not money paid now):" in english.body
    assert "an entitlement of up to Rp 174.000.000 in all, paid year by year" in english.body


def test_each_line_names_its_own_payee_when_the_payout_splits_between_heirs():
    components = [
        ("lump_sum", 10_000_000, "cash", "Siti Aminah"),
        ("lump_sum", 10_000_000, "cash", "Andi Baso"),
        ("periodic_benefit", 6_000_000, "cash", "Siti Aminah"),
        ("periodic_benefit", 6_000_000, "cash", "Andi Baso"),
        ("funeral", 10_000_000, "cash", "Siti Aminah"),
        ("scholarship", 87_000_000, "entitlement", "Nur Aisyah"),
    ]
    message = render(PAYOUT_RECORDED, jkm_notice(components=components, payee_names=()))
    assert (
        "- Santunan sekaligus: Rp 10.000.000 untuk Siti Aminah\n- Santunan sekaligus: Rp 10.000.000 untuk Andi Baso"
        in message.body
    )
    assert "- Biaya pemakaman: Rp 10.000.000 untuk Siti Aminah" in message.body
    assert "Jumlah uang yang dibayarkan: Rp 42.000.000" in message.body
    assert "- Beasiswa pendidikan anak untuk Nur Aisyah: hak hingga Rp 87.000.000 seluruhnya" in message.body


def test_total_that_is_not_the_sum_of_the_cash_lines_is_refused():
    with pytest.raises(ValueError, match="sum"):
        render(PAYOUT_RECORDED, jkm_notice(total=40_000_000))


def test_payout_without_payee_is_refused():
    with pytest.raises(ValueError):
        render(PAYOUT_RECORDED, jkm_notice(payee_names=()))


def test_negative_or_float_amounts_are_refused_when_the_notice_is_made():
    with pytest.raises(ValueError):
        jkm_notice(components=[("funeral", -10_000_000, "cash")])
    with pytest.raises(TypeError):
        jkm_notice(components=[("funeral", 10_000_000.0, "cash")])
    with pytest.raises(ValueError):
        jkm_notice(components=[("funeral", 10_000_000, "voucher")])


# --- DisbursementPaid --------------------------------------------------------------------


def test_disbursement_says_the_money_was_transferred():
    message = render(DISBURSEMENT_PAID, jkm_notice())
    assert message.subject == "Turut berduka cita atas meninggalnya Daeng Rahman. Uang klaim JKM sudah ditransfer"
    assert "Rp 42.000.000 sudah ditransfer ke rekening Siti Aminah" in message.body
    english = render(DISBURSEMENT_PAID, jkm_notice(), "en")
    assert "Rp 42.000.000 was transferred to the bank account of Siti Aminah" in english.body


def test_disbursement_without_amount_or_payees_still_says_the_money_was_sent():
    message = render(DISBURSEMENT_PAID, jkm_notice(total=None, payee_names=()))
    assert "uangnya sudah ditransfer ke rekening penerima." in message.body


# --- cost of an SMS ------------------------------------------------------------------------

# GSM 03.38 basic alphabet (without the escape-table characters, which cost two).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


@pytest.mark.parametrize("kind", sorted(MESSAGE_EVENTS))
@pytest.mark.parametrize("lang", ["id", "en"])
def test_fixed_text_stays_in_the_gsm_alphabet_so_sms_parts_hold_160_characters(kind, lang):
    notice = jkm_notice(
        reasons=tuple(REASON_SENTENCES) + ("UNKNOWN",),
        missing_documents=("death_certificate", "npwp"),
        components=[("lump_sum", 20_000_000, "cash"), ("scholarship", 3_000_000, "entitlement")],
        total=20_000_000,
    )
    text = render(kind, notice, lang).as_text()
    assert set(text) <= GSM_BASIC, set(text) - GSM_BASIC
