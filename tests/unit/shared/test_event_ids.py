"""Event ids are UUIDv7 (RFC 9562): the time they were made leads, so ids made later sort later.

Every consumer's inbox and the console's index are keyed by event id; ids in time order are added at
the right edge of those indexes instead of at random pages (docs/benchmarks.md, "Round 15").
"""

from __future__ import annotations

import time
import uuid

from shared.envelope import read_envelope
from tests.support.outbox import contribution


def test_an_event_id_is_a_version_7_uuid_of_the_rfc_variant():
    event_id = contribution(1).event_id
    assert isinstance(event_id, uuid.UUID)
    assert event_id.version == 7
    assert event_id.variant == uuid.RFC_4122


def test_its_first_48_bits_are_the_unix_time_in_milliseconds_it_was_made():
    before = time.time_ns() // 1_000_000
    event_id = contribution(1).event_id
    after = time.time_ns() // 1_000_000
    assert before <= event_id.int >> 80 <= after


def test_ids_made_one_after_another_sort_in_the_order_they_were_made():
    made = []
    for _ in range(200):
        made.append(contribution(1).event_id)
        time.sleep(0.0005)  # several within one millisecond and across many
    assert made == sorted(made)
    assert made == sorted(made, key=str)  # as text too (headers, logs, the console's pages)
    assert len(set(made)) == len(made)


def test_the_id_survives_the_wire():
    sent = contribution(1)
    assert read_envelope(sent.to_bytes()).event_id == sent.event_id
