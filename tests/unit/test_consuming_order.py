"""A poll's records, as a consumer of several topics applies them (shared.consuming.in_time_order)."""

from __future__ import annotations

from aiokafka import ConsumerRecord

from shared.consuming import in_time_order


def record(topic: str, partition: int, offset: int, timestamp: int, key: str) -> ConsumerRecord:
    return ConsumerRecord(topic, partition, offset, timestamp, 0, key.encode(), b"{}", None, 1, 2, ())


def coordinates(records) -> list[tuple[str, int, int]]:
    return [(r.topic, r.partition, r.offset) for r in records]


def test_each_keys_records_come_in_time_order_and_the_poll_keeps_its_order_otherwise():
    poll = [
        record("decisions", 0, 10, 300, "CL-A"),  # A's decision, produced after A's filing
        record("decisions", 0, 11, 120, "CL-B"),  # B's decision: B's only record here
        record("decisions", 1, 4, 500, "CL-C"),  # C's second decision, after its first (offset 9, below)
        record("filed", 0, 7, 200, "CL-A"),
        record("filed", 0, 8, 100, "CL-D"),
        record("decisions", 1, 5, 150, "CL-C"),  # a producer's clock went back: still after offset 4
    ]
    assert coordinates(in_time_order(poll)) == [
        # every key's first record, in the poll's order
        ("decisions", 0, 11),
        ("decisions", 1, 4),
        ("filed", 0, 7),
        ("filed", 0, 8),
        # then their second ones
        ("decisions", 0, 10),
        ("decisions", 1, 5),
    ]


def test_one_topic_is_left_as_the_poll_gave_it():
    poll = [record("filed", 1, 5, 900, "CL-A"), record("filed", 0, 3, 100, "CL-A")]
    assert in_time_order(poll) is poll
