"""docs/benchmarks.md: each benchmark owns one section between its markers and rewrites only
that section, so results of different runs stand side by side and the prose around them stays."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.stack import REPO

DOC = REPO / "docs" / "benchmarks.md"
_HEADER = (
    "# Benchmarks\n\nFigures measured on real PostgreSQL and Kafka by the scripts in bench/. "
    "Each script rewrites its own section between its markers; the prose around them is kept.\n"
)


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def write_section(name: str, heading: str, text: str, doc: Path = DOC) -> None:
    """Replaces the section `name` (or appends it under `heading` the first time)."""
    start, end = markers(name)
    section = f"{start}\n{text}\n{end}"
    current = doc.read_text() if doc.exists() else _HEADER
    if start in current and end in current:
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
        updated = pattern.sub(lambda _m: section, current)
    else:
        updated = current.rstrip("\n") + f"\n\n## {heading}\n\n{section}\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(updated)
