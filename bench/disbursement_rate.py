"""How fast the disbursement worker pays (issue 17, "The bank part does not scale"): lines paid
per second by claims' worker against the bank stand-in at its default latency (answers at once,
notifications after 0.3 s), nothing else running.

    .venv/bin/python -m bench.disbursement_rate --claims 300

A throwaway PostgreSQL (tests/support/stack.py) with claims' migrations; `--claims` claims, each
with three cash ledger lines to one payee (a JKM death claim: 20,000,000 + 12,000,000 +
10,000,000) and a bank account in the payee's name not yet checked, written straight into the
tables (as the disbursement consumer and an officer would have); the stand-in on a free port.
Then the worker (services/claims/disbursement/worker.py, as claims builds it) runs until every
line succeeded. Prints lines, seconds, lines/s, the bank's booked transfers and any line booked
twice. `--slow N`: N of the claims' accounts answer only after the 2 s timeout (the stand-in's
…8 accounts).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

from services.claims.disbursement import worker as disbursement_worker
from services.claims.disbursement.bank import SnapBank
from services.claims.settings import ClaimsSettings
from shared.db import apply_migrations, create_pool
from tests.support.bank import bank_standin
from tests.support.stack import postgres_for_tests

SECRET = "bench-disbursement-rate-secret"
LINES = {"lump_sum": 20_000_000, "periodic_benefit": 12_000_000, "funeral": 10_000_000}
MIGRATIONS = Path(__file__).parent.parent / "services" / "claims" / "migrations"


async def seed(pool, bank, claims: int, slow: int) -> None:
    rows_claims, rows_ledger, rows_lines, rows_accounts = [], [], [], []
    for n in range(claims):
        claim_id, heir = f"bench-{n:06d}", f"heir-{n:06d}"
        number = await bank.open_account("MUHAMMAD RIDWAN", "8" if n < slow else "1")
        rows_claims.append((claim_id, f"participant-{n:06d}"))
        for component, amount in LINES.items():
            rows_ledger.append((claim_id, component, heir, "Muh. Ridwan", amount))
            rows_lines.append((claim_id, component, heir, "Muh. Ridwan", f"participant-{n:06d}", amount))
        rows_accounts.append((claim_id, heir, number))
    async with pool.acquire() as conn:
        await conn.executemany(
            "INSERT INTO claims (claim_id, participant_id, claim_type, incident_date, incident_place, cause, "
            "reporter, documents, fingerprint, status, disbursement_status, filed_by, filed_on) "
            "VALUES ($1, $2, 'JKM', current_date, 'Makassar', 'illness', '{\"name\": \"Bench\"}', '{}', $1, "
            "'payout_recorded', 'scheduled', 'bench', current_date)",
            rows_claims,
        )
        await conn.executemany(
            "INSERT INTO payout_ledger (claim_id, component, payee_heir_id, payee_name, amount, kind) "
            "VALUES ($1, $2, $3, $4, $5, 'cash')",
            rows_ledger,
        )
        await conn.executemany(
            "INSERT INTO disbursement_lines (claim_id, component, payee_heir_id, payee_name, participant_id, amount) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            rows_lines,
        )
        await conn.executemany(
            "INSERT INTO payee_accounts (claim_id, payee, method, bank_code, account_number, account_name, "
            "recorded_by) VALUES ($1, $2, 'bank', '002', $3, 'Muh. Ridwan', 'bench')",
            rows_accounts,
        )


async def measure(url: str, claims: int, slow: int, concurrency: int | None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        await apply_migrations(url, "claims", MIGRATIONS)
        pool = await create_pool(url, "claims", max_size=10)
        async with bank_standin(
            Path(directory), SECRET, notify_url="http://127.0.0.1:9/notify", slow_seconds=3.0
        ) as bank:
            await seed(pool, bank, claims, slow)
            settings = ClaimsSettings(bank_base_url=bank.url, bank_client_secret=SECRET, bank_timeout_seconds=2)
            extra = {} if concurrency is None else {"concurrency": concurrency}
            snap = SnapBank(
                bank.url,
                settings.bank_partner_id,
                SECRET,
                settings.bank_channel_id,
                settings.bank_source_account,
                2,
                **extra,
            )
            worker = disbursement_worker.DisbursementWorker(
                pool, snap, poll_seconds=0.2, pending_recheck_seconds=5, **extra
            )
            total = claims * len(LINES)
            started = time.monotonic()
            task = asyncio.create_task(worker.run())
            try:
                while await pool.fetchval("SELECT count(*) FROM disbursement_lines WHERE status = 'succeeded'") < total:
                    await asyncio.sleep(0.1)
                elapsed = time.monotonic() - started
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await snap.close()
            booked = Counter(
                (t["account_no"], t["amount"]) for t in bank.state.transfers.values() if t["status"] == "succeeded"
            )
            print(
                f"claims={claims} slow={slow} concurrency={concurrency or 'n/a'} lines={total} "
                f"seconds={elapsed:.1f} lines_per_s={total / elapsed:.1f} "
                f"bank_booked={sum(booked.values())} booked_twice={sum(1 for v in booked.values() if v > 1)}"
            )
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=300)
    parser.add_argument("--slow", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=None, help="CLAIMS_DISBURSEMENT_CONCURRENCY")
    args = parser.parse_args()
    with postgres_for_tests() as database_url:  # started outside the event loop, as tests/conftest.py does
        asyncio.run(measure(database_url, args.claims, args.slow, args.concurrency))
