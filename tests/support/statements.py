"""The SQL statements a block of code runs on one connection: how the set-based tests (issue 17)
hold that a batch of many costs the statements of one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import asyncpg

# asyncpg's own type introspection (once per connection and type, JIT switched off around it) is
# nobody's work: it is left out.
INTROSPECTION = ("WITH RECURSIVE typeinfo_tree(", "SELECT set_config('jit'", "SELECT current_setting('jit')")


@contextlib.contextmanager
def statements_run(conn: asyncpg.Connection) -> Iterator[list[str]]:
    """The statements `conn` runs inside the block, whitespace folded, asyncpg's introspection left out."""
    statements: list[str] = []

    def note(record) -> None:
        query = " ".join(record.query.split())
        if not query.startswith(INTROSPECTION):
            statements.append(query)

    conn.add_query_logger(note)
    try:
        yield statements
    finally:
        conn.remove_query_logger(note)
