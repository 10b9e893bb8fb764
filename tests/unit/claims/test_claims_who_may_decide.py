"""Separation of duties: who may decide a claim, who may change its disbursement."""

import pytest

from services.claims.domain.duties import NotPermitted, check_may_decide


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
    assert (
        refusal(lambda: check_may_decide("supervisor", "rahma", filed_by="rahma", documents_added_by=[]))
        == "four_eyes_filer"
    )


def test_the_supervisor_who_added_documents_may_not_decide_the_claim():
    assert (
        refusal(lambda: check_may_decide("supervisor", "rahma", "andi.officer", ["budi.officer", "rahma"]))
        == "four_eyes_documents"
    )


def test_the_refusal_says_why_in_words():
    with pytest.raises(NotPermitted) as caught:
        check_may_decide("supervisor", "rahma", "rahma", [])
    assert "another supervisor" in caught.value.message
