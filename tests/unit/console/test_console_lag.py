"""Lag as Kafka's own tools count it: log-end offset minus committed offset, where committed."""

from services.console.domain.lag import group_lag


def test_lag_per_topic_sums_partitions_and_names_the_worst():
    committed = {("claims.filed.v1", 0): 10, ("claims.filed.v1", 1): 4, ("claims.filed.v1", 2): 7}
    ends = {("claims.filed.v1", 0): 10, ("claims.filed.v1", 1): 9, ("claims.filed.v1", 2): 8}
    [topic] = group_lag(committed, ends)
    assert (topic.topic, topic.lag) == ("claims.filed.v1", 6)
    assert (topic.worst.partition, topic.worst.lag) == (1, 5)
    assert [p.lag for p in topic.partitions] == [0, 5, 1]


def test_partitions_without_a_committed_offset_are_left_out_as_the_tools_show_them():
    committed = {("a", 0): -1, ("a", 1): 3, ("b", 0): 2}
    ends = {("a", 0): 5, ("a", 1): 3}  # b's end offset is unknown
    assert [(t.topic, t.lag, [p.partition for p in t.partitions]) for t in group_lag(committed, ends)] == [
        ("a", 0, [1])
    ]


def test_a_committed_offset_past_the_end_is_no_negative_lag():
    [topic] = group_lag({("a", 0): 12}, {("a", 0): 10})
    assert topic.lag == 0
