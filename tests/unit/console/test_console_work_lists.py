"""The officers' work lists: the review queue filtered and sorted as asked, and a search box
that tells a full NIK or a phone from a name (those two go to enrollment in a body, never a URL)."""

from datetime import UTC, datetime

import pytest

from services.console.pages.officers import review_order, search_kind


def waiting(
    claim_id: str, name: str, days_left: int | None, filed_hour: int, claim_type: str = "JKM", sampled: bool = False
) -> dict:
    return {
        "claim_id": claim_id,
        "participant_name": name,
        "days_left": days_left,
        "claim_type": claim_type,
        "filed_at": datetime(2026, 11, 27, filed_hour, tzinfo=UTC),
        "sampled": sampled,
    }


QUEUE = [
    waiting("CL-a", "Sitti Rahmawati", 3, 1),
    waiting("CL-b", "Andi Baso", None, 2, "JKK"),
    waiting("CL-c", "Daeng Ngai", 0, 3, sampled=True),
    waiting("CL-d", "Muh. Ridwan", 1, 4, "JKK"),
]


def ids(claims: list[dict]) -> list[str]:
    return [c["claim_id"] for c in claims]


def test_the_queue_puts_the_nearest_deadline_first_and_claims_without_one_last():
    assert ids(review_order(QUEUE)) == ["CL-c", "CL-d", "CL-a", "CL-b"]


def test_the_queue_sorts_by_name_or_by_filing_time():
    assert ids(review_order(QUEUE, sort="participant_name")) == ["CL-b", "CL-c", "CL-d", "CL-a"]
    assert ids(review_order(QUEUE, sort="filed_at")) == ["CL-a", "CL-b", "CL-c", "CL-d"]


def test_the_queue_filters_by_type_name_and_sample():
    assert ids(review_order(QUEUE, claim_type="JKK")) == ["CL-d", "CL-b"]
    assert ids(review_order(QUEUE, text="sitti")) == ["CL-a"]
    assert ids(review_order(QUEUE, text="cl-d")) == ["CL-d"]
    assert ids(review_order(QUEUE, sampled_only=True)) == ["CL-c"]


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("7371034506920001", "nik"),
        ("7371 0345 0692 0001", "nik"),
        ("0813 4200 1111", "phone"),
        ("+62 813-4200-1111", "phone"),
        ("6281342001111", "phone"),
        ("Sitti", "name"),
        ("7371************", "name"),
        ("737103450692", "name"),
    ],
)
def test_the_search_box_tells_a_full_nik_and_a_phone_from_a_name(typed, kind):
    assert search_kind(typed) == kind


def test_a_panel_whose_session_ended_sends_the_officer_back_to_its_page_not_the_fragment():
    from types import SimpleNamespace

    from services.console.pages import page_of

    here = SimpleNamespace(netloc="127.0.0.1:8100")

    def asked(current: str):
        return SimpleNamespace(headers={"HX-Current-URL": current}, url=here)

    assert page_of(asked("http://127.0.0.1:8100/claims/CL-1?tab=x")) == "/claims/CL-1?tab=x"
    assert page_of(asked("https://elsewhere.example/claims/CL-1")) is None
    assert page_of(asked("")) is None
