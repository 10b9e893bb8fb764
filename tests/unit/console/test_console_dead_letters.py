"""What a dead letter says about itself, with every NIK masked, and what a replay sends."""

import json
from datetime import UTC, datetime

from services.console.domain.dead_letters import PAYLOAD_LIMIT, pretty_payload, read_dead_letter, replay_headers

HEADERS = [
    ("event_id", b"0b6e4f00-0000-4000-8000-000000000001"),
    ("event_type", b"ClaimFiled"),
    ("correlation_id", b"CL-1"),
    ("producer", b"claims"),
    ("dlq_reason", b"failed after 3 attempts: ValueError('ktp 7371034506920001 is odd')"),
    ("dlq_consumer", b"claims.verification"),
    ("dlq_original_topic", b"claims.filed.v1"),
    ("dlq_original_partition", b"2"),
    ("dlq_original_offset", b"41"),
    ("dlq_at", b"2026-11-24T02:00:00+00:00"),
]


def test_the_dlq_headers_name_the_original_record_and_the_consumer():
    letter = read_dead_letter("claims.filed.v1.dlq", HEADERS, b"{}")
    assert (letter.original_topic, letter.original_partition, letter.original_offset) == ("claims.filed.v1", 2, 41)
    assert letter.consumer == "claims.verification"
    assert (letter.event_type, letter.correlation_id) == ("ClaimFiled", "CL-1")
    assert letter.dead_lettered_at == datetime(2026, 11, 24, 2, tzinfo=UTC)


def test_a_full_nik_in_the_payload_or_a_header_is_masked():
    payload = json.dumps({"documents": {"ktp_deceased": "7371034506920001"}}).encode()
    letter = read_dead_letter("claims.filed.v1.dlq", HEADERS, payload)
    assert "7371034506920001" not in letter.payload and "7371************" in letter.payload
    assert "7371034506920001" not in letter.reason and "7371************" in letter.reason


def test_bytes_that_are_not_text_and_headers_that_are_missing_still_read():
    letter = read_dead_letter("claims.filed.v1.dlq", [], b"\xff\xfe garbage")
    assert letter.original_topic == "claims.filed.v1"
    assert letter.original_partition is None and letter.reason == ""
    assert "garbage" in letter.payload


def test_nul_characters_are_replaced_so_postgresql_can_store_the_text():
    letter = read_dead_letter("t.dlq", [("dlq_reason", b"bad\x00byte")], b"a\x00b")
    assert "\x00" not in letter.payload + letter.reason


def test_a_huge_payload_is_cut_short():
    assert len(read_dead_letter("t.dlq", [], b"x" * (PAYLOAD_LIMIT * 2)).payload) == PAYLOAD_LIMIT + 1


def test_a_replay_sends_the_original_headers_only():
    assert replay_headers(HEADERS) == HEADERS[:4]


def test_json_payloads_are_shown_indented():
    assert pretty_payload('{"a":1}') == '{\n  "a": 1\n}'
    assert pretty_payload("not json") == "not json"


def test_a_message_shown_to_an_operator_has_its_niks_and_phones_masked():
    from services.console.domain.dead_letters import masked_payload

    shown = masked_payload(b'{"nik": "7371034506920001", "phone": "+6281342001111", "other": "081299870001"}')
    assert "7371034506920001" not in shown and "7371************" in shown
    # The prefix and the operator's 8x stay, the 9 digits after are starred:
    # "+62" "81" "342001111" -> "+6281" + 9 stars; "0" "81" "299870001" -> "081" + 9 stars.
    assert '"+6281*********"' in shown and '"081*********"' in shown
