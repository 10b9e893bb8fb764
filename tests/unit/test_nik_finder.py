"""The tests' NIK finder (tests/support/privacy.py): it must still see a NIK wherever one is written,
and must not take a random hexadecimal id for one (CI failed once on a CSRF token)."""

from __future__ import annotations

import pytest

from tests.support.privacy import full_niks_in

NIK = "7371034506920001"


@pytest.mark.parametrize(
    "text",
    [
        NIK,
        f"ktp={NIK} not an event",
        f'{{"nik": "{NIK}"}}',
        f"<td>{NIK}</td>",
        f"NIK {NIK}, ahli waris",
        f'"trace_id": "abc", "nik": "{NIK}"',
    ],
)
def test_a_nik_written_anywhere_is_found(text):
    assert full_niks_in(text) == [NIK]


@pytest.mark.parametrize(
    "text",
    [
        # The token CI failed on: 40 hexadecimal characters holding a run of 16 decimal digits.
        '<body hx-headers=\'{"X-CSRF-Token": "c0ffee7572943493300104e3a9bd0c1f7e2d4a11"}\'>',
        '{"event": "message.parked", "trace_id": "29438ad4643f8be6cd739b78a1bb7b29", "span_id": "1234567890123456"}',
        "traceparent: 00-0af7651916cd43dd8448eb211c80319c-1234567890123456-01",
        "7371************",
        "73710345069200011",  # 17 digits: not a NIK (a phone number or an amount is shorter still)
    ],
)
def test_random_ids_and_masked_niks_are_not_taken_for_one(text):
    assert full_niks_in(text) == []
