"""Is the pipeline keeping up? The headline of the flows page, decided in one place.

Green only when every group that reads the catalogue's topics has members and has read
everything. A group without members reads nothing: its unread messages wait for a process
that is not there, so it is the worst case, named first; then a group whose lag grew since
the last look; then one that simply has unread messages. A member-less group that has read
everything (a consumer stopped between bursts, an old console's group until Kafka expires
it) still keeps the headline off green: nobody is reading there now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Concern = Literal["no_members_lagging", "lag_growing", "lagging", "no_members"]
# Worst first.
CONCERNS: tuple[Concern, ...] = ("no_members_lagging", "lag_growing", "lagging", "no_members")


class Group(Protocol):
    group_id: str
    members: Sequence[object]

    @property
    def total_lag(self) -> int: ...


@dataclass(frozen=True)
class GroupHealth:
    group_id: str
    lag: int
    members: int
    concern: Concern | None
    grew_by: int = 0


@dataclass(frozen=True)
class FlowHealth:
    groups: tuple[GroupHealth, ...]  # worst first, then by name

    @property
    def green(self) -> bool:
        return all(g.concern is None for g in self.groups)

    @property
    def worst(self) -> GroupHealth | None:
        return None if self.green else self.groups[0]

    @property
    def troubled(self) -> int:
        return sum(1 for g in self.groups if g.concern is not None)


def flow_health(groups: Sequence[Group], previous_lag: Mapping[str, int]) -> FlowHealth:
    """`previous_lag`: each group's total lag at the last look (a group not in it is new)."""
    judged = []
    for group in groups:
        lag, members = group.total_lag, len(group.members)
        before = previous_lag.get(group.group_id)
        grew = lag - before if before is not None and lag > before else 0
        concern: Concern | None
        if not members:
            concern = "no_members_lagging" if lag else "no_members"
        elif grew:
            concern = "lag_growing"
        elif lag:
            concern = "lagging"
        else:
            concern = None
        judged.append(GroupHealth(group.group_id, lag, members, concern, grew))
    rank = {concern: i for i, concern in enumerate(CONCERNS)}
    judged.sort(key=lambda g: (rank.get(g.concern, len(CONCERNS)) if g.concern else len(CONCERNS), -g.lag, g.group_id))
    return FlowHealth(tuple(judged))
