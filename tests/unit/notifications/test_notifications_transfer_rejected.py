"""When the bank refuses a payee's account, the family reads why in plain words and what to
bring: another account in the payee's own name, or cash at a counter."""

from services.notifications.domain import wording as w
from services.notifications.domain.messages import TRANSFER_REJECTED, ClaimNotice, render
from shared.contracts.disbursements import REJECTION_REASONS
from shared.privacy import mask_nik


def notice(reason: str) -> ClaimNotice:
    return ClaimNotice(
        claim_id="CL-abc123",
        claim_type="JKM",
        participant_name="Daeng Rahman",
        masked_nik=mask_nik("7371034506920001"),
        reasons=(reason,),
        payee_names=("Siti Aminah",),
    )


def test_a_closed_account_is_named_and_the_family_is_told_what_to_bring():
    message = render(TRANSFER_REJECTED, notice("AC04"))
    assert "belum dapat ditransfer" in message.subject
    assert "rekening sudah ditutup" in message.body
    assert "buku tabungan rekening lain atas nama Siti Aminah" in message.body
    assert "AC04" not in message.subject + message.body  # no raw codes for a family
    english = render(TRANSFER_REJECTED, notice("MD07"), "en")
    assert "the account holder has died" in english.body and "in cash at a bank counter" in english.body


def test_every_reason_claims_can_send_has_words():
    assert set(REJECTION_REASONS) <= set(w.TRANSFER_REASONS)


def test_a_payee_is_asked_whether_the_money_arrived_and_the_reply_is_read():
    from services.notifications.domain.messages import RECEIPT_CHECK
    from services.notifications.domain.receipts import read_answer

    asked = ClaimNotice(
        claim_id="CL-abc123",
        claim_type="JKM",
        participant_name="Daeng Rahman",
        masked_nik=mask_nik("7371034506920001"),
        total=83_000_000,
    )
    text = render(RECEIPT_CHECK, asked).body
    assert "Apakah Anda sudah menerima Rp 83.000.000?" in text and "Balas YA atau TIDAK" in text
    assert [read_answer(t) for t in ("YA", "ya sudah masuk", "Tidak, belum", "TIDAK", "belum", "apa ini?", "")] == [
        "yes",
        "yes",
        "no",
        "no",
        "no",
        "unclear",
        "unclear",
    ]
