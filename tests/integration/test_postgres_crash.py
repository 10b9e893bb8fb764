"""PostgreSQL killed with SIGKILL (as the chaos run does) comes back with every committed
transaction, by WAL replay, even when the postmaster.pid the crash left names a live process."""

from __future__ import annotations

import subprocess

import asyncpg
import pytest

from deploy.local.postgres import PostgresNode
from tests.support.stack import free_port

pytestmark = pytest.mark.integration


async def test_a_killed_server_restarts_past_its_stale_pid_file_with_every_commit(tmp_path):
    # fsync on (fast=False): the durable settings production runs.
    node = PostgresNode(tmp_path / "data", free_port(), fast=False)
    node.init()
    node.start(tmp_path / "pg.log")
    bystander = None
    try:
        await node.wait_ready(60)
        conn = await asyncpg.connect(node.url("postgres"))
        try:
            await conn.execute("CREATE TABLE ledger (id int PRIMARY KEY, amount bigint NOT NULL)")
            await conn.execute("INSERT INTO ledger SELECT g, 42000000 FROM generate_series(1, 1000) AS g")
        finally:
            await conn.close()
        postmaster = node.pid()
        assert node.kill()
        assert node.pid() is None
        pid_file = tmp_path / "data" / "postmaster.pid"
        assert pid_file.exists()  # a crash leaves it behind
        lines = pid_file.read_text().splitlines()
        assert lines[0] == str(postmaster)
        # The dead postmaster's pid now belongs to another live process of the same user that is
        # not this server: PostgreSQL alone would refuse to start ("lock file already exists").
        bystander = subprocess.Popen(["sleep", "120"], **node._as_user())
        pid_file.write_text("\n".join([str(bystander.pid), *lines[1:]]) + "\n")

        node.start(tmp_path / "pg.log")
        await node.wait_ready(60)
        conn = await asyncpg.connect(node.url("postgres"))
        try:
            # 1000 rows x Rp 42,000,000, all committed before the kill
            assert await conn.fetchval("SELECT count(*) FROM ledger") == 1000
            assert await conn.fetchval("SELECT sum(amount) FROM ledger") == 1000 * 42_000_000
        finally:
            await conn.close()
        assert "redo" in (tmp_path / "pg.log").read_text()  # it recovered by replaying the WAL
    finally:
        if bystander is not None:
            bystander.kill()
            bystander.wait()
        node.stop()
