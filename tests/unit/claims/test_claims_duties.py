"""Separation of duties: who may decide a claim, who may change its disbursement."""

import pytest

from services.claims.domain.duties import NotPermitted, check_may_change_disbursement, check_may_decide


def refusal(call) -> str:
    with pytest.raises(NotPermitted) as caught:
        call()
    return caught.value.code


def test_a_supervisor_who_neither_filed_nor_completed_the_claim_may_decide_it():
    check_may_decide("supervisor", "rahma.supervisor", filed_by="andi.officer", documents_added_by=["budi.officer"])


@pytest.mark.parametrize("role", ["officer", "operator"])
def test_only_a_supervisor_decides_a_claim(role):
    assert refusal(lambda: check_may_decide(role, "someone", "andi.officer", [])) == "supervisor_only"


def test_the_supervisor_who_filed_a_claim_may_not_decide_it():
    assert refusal(lambda: check_may_decide("supervisor", "rahma", filed_by="rahma", documents_added_by=[])) \
        == "four_eyes_filer"


def test_the_supervisor_who_added_documents_may_not_decide_the_claim():
    assert refusal(lambda: check_may_decide("supervisor", "rahma", "andi.officer", ["budi.officer", "rahma"])) \
        == "four_eyes_documents"


def test_the_refusal_says_why_in_words():
    with pytest.raises(NotPermitted) as caught:
        check_may_decide("supervisor", "rahma", "rahma", [])
    assert "another supervisor" in caught.value.message


@pytest.mark.parametrize("status", ["scheduled", "paid", "failed"])
def test_the_banks_signed_callback_may_set_any_disbursement_status(status):
    check_may_change_disbursement("bank", status, None)


def test_a_supervisor_records_a_manual_transfer_with_its_bank_reference():
    check_may_change_disbursement("supervisor", "paid", "BRI-TRX-1")


@pytest.mark.parametrize("role", ["officer", "operator"])
def test_officers_and_operators_cannot_change_a_disbursement(role):
    assert refusal(lambda: check_may_change_disbursement(role, "paid", "BRI-TRX-1")) == "disbursement_not_yours"


@pytest.mark.parametrize("reference", [None, "", "   "])
def test_a_manual_transfer_without_a_bank_reference_is_refused(reference):
    assert refusal(lambda: check_may_change_disbursement("supervisor", "paid", reference)) \
        == "bank_reference_required"


@pytest.mark.parametrize("status", ["scheduled", "failed"])
def test_a_supervisor_cannot_report_what_only_the_bank_reports(status):
    assert refusal(lambda: check_may_change_disbursement("supervisor", status, "BRI-TRX-1")) \
        == "disbursement_status_is_the_banks"
