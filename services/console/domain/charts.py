"""Geometry of the SVG the console draws on the server: no charting code in the browser.

`bars` lays out a small bar chart (messages per minute); `pipeline` lays out the flow
diagram: services on the left, the topics they produce in the middle, the consumer
groups that read each topic on the right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float


def bars(values: Sequence[float], width: float, height: float, gap: float = 1.0) -> list[Bar]:
    """One bar per value, left to right, scaled so the largest fills the height; zero
    values get no height (an empty minute shows as empty)."""
    if not values:
        return []
    top = max(values) or 1.0
    slot = width / len(values)
    return [
        Bar(
            round(i * slot + gap / 2, 2),
            round(height - height * v / top, 2),
            round(max(slot - gap, 0.5), 2),
            round(height * v / top, 2),
            v,
        )
        for i, v in enumerate(values)
    ]


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str  # service, topic, group
    x: float
    y: float
    width: float
    height: float
    lag: int = 0

    @property
    def cy(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node

    @property
    def path(self) -> str:
        """A gentle S-curve from the right side of source to the left side of target."""
        x1, y1 = self.source.x + self.source.width, self.source.cy
        x2, y2 = self.target.x, self.target.cy
        mid = (x1 + x2) / 2
        return f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"


@dataclass(frozen=True)
class Diagram:
    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float


COLUMNS = {"service": 10.0, "topic": 190.0, "group": 500.0}
WIDTHS = {"service": 120.0, "topic": 240.0, "group": 380.0}
ROW, BOX = 34.0, 26.0


def pipeline(
    producers: Mapping[str, str], readers: Mapping[str, Sequence[str]], group_lag: Mapping[tuple[str, str], int]
) -> Diagram:
    """producers: topic → service; readers: topic → the groups reading it; group_lag:
    (group, topic) → the group's lag on that topic (a group reading several topics has a box on
    each, with that topic's lag). Groups sit in rows in topic order; a topic is centred on
    its groups, a service on its topics."""
    nodes: dict[str, Node] = {}
    row = 0
    topic_rows: dict[str, float] = {}
    for topic in producers:
        groups = sorted(readers.get(topic, ()))
        first = row
        for group in groups:
            key = f"group:{topic}:{group}"
            lag = group_lag.get((group, topic), 0)
            nodes[key] = Node(key, group, "group", COLUMNS["group"], 10 + row * ROW, WIDTHS["group"], BOX, lag)
            row += 1
        if not groups:
            row += 1
        topic_rows[topic] = (first + row - 1) / 2
    for topic, centre in topic_rows.items():
        nodes[f"topic:{topic}"] = Node(
            f"topic:{topic}", topic, "topic", COLUMNS["topic"], 10 + centre * ROW, WIDTHS["topic"], BOX
        )
    services: dict[str, list[float]] = {}
    for topic, service in producers.items():
        services.setdefault(service, []).append(topic_rows[topic])
    for service, rows in services.items():
        centre = sum(rows) / len(rows)
        nodes[f"service:{service}"] = Node(
            f"service:{service}", service, "service", COLUMNS["service"], 10 + centre * ROW, WIDTHS["service"], BOX
        )
    edges = [Edge(nodes[f"service:{service}"], nodes[f"topic:{topic}"]) for topic, service in producers.items()]
    edges += [
        Edge(nodes[f"topic:{topic}"], nodes[f"group:{topic}:{group}"])
        for topic in producers
        for group in readers.get(topic, ())
    ]
    width = COLUMNS["group"] + WIDTHS["group"] + 10
    return Diagram(list(nodes.values()), edges, width, 20 + max(row, 1) * ROW)
