"""Reading a service's /metrics as Prometheus does (the client library's own parser)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

# The series a family of each type exposes, besides samples: what a query may name.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
    "gauge": ("",),
    "info": ("_info",),
    "unknown": ("",),
}


@dataclass
class Scrape:
    text: str

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples named `name` whose labels include `labels` (0 when none)."""
        return sum(s.value for s in self.samples(name) if labels.items() <= s.labels.items())

    def samples(self, name: str) -> list:
        return [s for family in text_string_to_metric_families(self.text) for s in family.samples if s.name == name]

    def has(self, name: str, **labels: str) -> bool:
        return any(labels.items() <= s.labels.items() for s in self.samples(name))

    def names(self) -> set[str]:
        """Every series name a query can use, also for a labelled metric with no sample yet."""
        found = set()
        for family in text_string_to_metric_families(self.text):
            found |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
            found |= {s.name for s in family.samples}
        return found


async def scrape(client: httpx.AsyncClient) -> Scrape:
    answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    return Scrape(answer.text)


PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
}


def metric_names_in(expr: str) -> set[str]:
    """The metric names a PromQL expression selects. Not a parser: it drops what cannot be a
    metric name (strings, label matchers, ranges, grouping labels, Grafana variables, numbers)
    and keeps the identifiers that are not functions or keywords."""
    import re

    text = re.sub(r'"(?:[^"\\]|\\.)*"', " ", expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\w+", " ", text)
    text = re.sub(r"(?<![A-Za-z_:])\d+(\.\d+)?([eE][+-]?\d+)?", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        after = text[match.end() :].lstrip()
        if after.startswith("(") or match.group(0).lower() in PROMQL_WORDS:
            continue  # a function, or a keyword
        names.add(match.group(0))
    return names
