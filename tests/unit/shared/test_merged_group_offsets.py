"""Where a merged consumer group starts, from the former groups' committed offsets."""

from shared.merged_groups import starting_offsets


def test_each_partition_starts_at_the_lowest_former_offset():
    # Partition 0: the former groups stopped at 7 and 4 -> 4; partition 1: at 2 and 9 -> 2.
    assert starting_offsets([0, 1], [{0: 7, 1: 2}, {0: 4, 1: 9}]) == {0: 4, 1: 2}


def test_a_partition_a_former_group_never_read_starts_from_the_earliest():
    # The second group has no offset on partition 1: it would have read it from the beginning.
    assert starting_offsets([0, 1], [{0: 7, 1: 2}, {0: 4}]) == {0: 4}


def test_no_former_group_leaves_every_partition_to_the_earliest():
    assert starting_offsets([0, 1, 2], []) == {}
    assert starting_offsets([0, 1], [{}, {0: 3}]) == {}
