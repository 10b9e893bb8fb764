"""The chaos run's bank part: every payee gets an account as soon as its claim's lines are
received (a fifth of them slow to answer), the bank goes down for a while, every notification
is delivered twice, and claims is killed while transfers are in flight (bench/chaos.py's
script). Then, from the bank's own ledger: exactly one successful transfer per ledger line.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field

import asyncpg
import httpx

from bench.stack import BenchStack, token
from shared.db import DATABASE_AWAY_ERRORS

# The stand-in's control and ledger calls share its event loop with hundreds of transfers a second
# (and the ledger of 30,000 is a large answer): httpx's 5 s default ended a run at scale, the bank's
# own work being no fault of the check.
CONTROL_TIMEOUT = httpx.Timeout(60.0)

# Claims gives up on the bank after 2 s; the slow accounts answer after 3 s (booked at once).
BANK_SERVICE_ENV = {
    "CLAIMS_BANK_TIMEOUT_SECONDS": "2",
    "CLAIMS_DISBURSEMENT_POLL_SECONDS": "0.5",
    "CLAIMS_DISBURSEMENT_RECHECK_SECONDS": "5",
}
BANK_ARGS = ("--slow-seconds", "3")


@dataclass
class BankReport:
    lines: int = 0
    paid_once: int = 0
    paid_twice: int = 0
    unpaid: int = 0
    attempts: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.paid_twice == 0 and self.unpaid == 0

    def rows(self) -> list[tuple[str, object]]:
        return [
            ("ledger lines to pay", self.lines),
            ("lines paid exactly once (bank's ledger)", self.paid_once),
            ("lines paid twice", self.paid_twice),
            ("lines not paid", self.unpaid),
            ("transfer attempts", self.attempts),
        ]


async def record_accounts(stack: BenchStack, stop: asyncio.Event, slow_every: int = 5) -> None:
    """Until `stop`: each payee with a line waiting and no account gets one, opened at the bank in
    the payee's name; every `slow_every`-th is a slow account (its number ends in 8). Several at once:
    one at a time, the officer fell behind a run of 10,000 claims (719 of 17,623 lines paid)."""
    officer = {"Authorization": f"Bearer {token('officer')}"}
    n = 0
    lanes = asyncio.Semaphore(8)

    async def record(http: httpx.AsyncClient, row: asyncpg.Record, number: str) -> None:
        async with lanes:
            with contextlib.suppress(httpx.HTTPError):  # claims may be down mid-fault: the next pass tries again
                name = row["payee_name"] or "PENERIMA"
                await http.put(f"{stack.bank.url}/_control/accounts/002/{number}", json={"name": name})
                payee = row["payee_heir_id"] or "worker"
                await http.put(
                    f"{stack.urls('claims')[0]}/v1/claims/{row['claim_id']}/payees/{payee}/account",
                    json={"bank_code": "002", "account_number": number, "account_name": name},
                    headers=officer,
                )

    async with httpx.AsyncClient(timeout=10) as http:
        while not stop.is_set():
            # PostgreSQL killed under it (asyncpg's InternalClientError once stopped a chaos run here):
            # the next pass reads again, as after any other fault.
            with contextlib.suppress(*DATABASE_AWAY_ERRORS, asyncpg.PostgresError, httpx.HTTPError):
                conn = await asyncpg.connect(stack.database_url, timeout=5)
                try:
                    waiting = await conn.fetch(
                        "SELECT DISTINCT l.claim_id, l.payee_heir_id, l.payee_name FROM claims.disbursement_lines l "
                        "LEFT JOIN claims.payee_accounts a ON a.claim_id = l.claim_id AND a.payee = l.payee_heir_id "
                        "WHERE a.claim_id IS NULL LIMIT 400"
                    )
                finally:
                    await conn.close()
                numbers = []
                for _ in waiting:
                    n += 1
                    numbers.append(f"{7000000000 + n * 10 + (8 if n % slow_every == 0 else 1)}")
                await asyncio.gather(*(record(http, row, number) for row, number in zip(waiting, numbers, strict=True)))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


async def notifications_twice(stack: BenchStack) -> None:
    async with httpx.AsyncClient(base_url=stack.bank.url, timeout=CONTROL_TIMEOUT) as client:
        await client.post("/_control/notify", json={"copies": 2})


async def bank_down(stack: BenchStack, seconds: float) -> None:
    async with httpx.AsyncClient(base_url=stack.bank.url, timeout=CONTROL_TIMEOUT) as client:
        await client.post("/_control/down", json={"seconds": seconds})
    await asyncio.sleep(seconds)


# The cash lines of the claims' payout ledgers: the money owed, whether or not disbursement has
# taken it up yet. Disbursement reads the payouts in its own consumer group, which may be behind the
# families' messages (a killed claims process rejoins its groups one by one): counting only the
# transfer lines that exist, a run once found nothing open while a claim's lines were still to come.
_LEDGER_CASH_LINES = (
    "FROM claims.payout_ledger l LEFT JOIN claims.disbursement_lines d ON d.claim_id = l.claim_id "
    "AND d.component = l.component AND d.payee_heir_id = l.payee_heir_id AND d.entry = l.entry "
    "LEFT JOIN claims.payee_accounts a ON a.claim_id = l.claim_id AND a.payee = l.payee_heir_id "
    "WHERE l.claim_id = ANY($1) AND l.kind = 'cash' AND l.amount > 0"
)


async def wait_for_transfers(stack: BenchStack, claim_ids: list[str], timeout: float = 180, say=None) -> None:
    """Quiet: every cash line of these claims' ledgers paid, or the deadline passed (the check
    counts the rest)."""
    started = time.monotonic()
    deadline, said = started + timeout, started
    conn = await asyncpg.connect(stack.database_url)
    try:
        while time.monotonic() < deadline:
            open_lines = await conn.fetchval(
                f"SELECT count(*) {_LEDGER_CASH_LINES} AND d.status IS DISTINCT FROM 'succeeded'", claim_ids
            )
            if open_lines == 0:
                return
            if say and time.monotonic() - said >= 30:
                said = time.monotonic()
                say(f"  [{time.strftime('%H:%M:%S')}] ledger lines not paid yet: {open_lines:,}")
            await asyncio.sleep(1)
    finally:
        await conn.close()


async def check_transfers(stack: BenchStack, claim_ids: list[str]) -> BankReport:
    report = BankReport()
    async with httpx.AsyncClient(base_url=stack.bank.url, timeout=CONTROL_TIMEOUT) as client:
        ledger = (await client.get("/_ledger")).json()
    succeeded_refs = Counter(t["partner_reference"] for t in ledger if t["status"] == "succeeded")
    conn = await asyncpg.connect(stack.database_url)
    try:
        lines = await conn.fetch(
            "SELECT l.claim_id, l.component, l.payee_heir_id, d.status, d.reason_code, a.method, a.checked "
            + _LEDGER_CASH_LINES,
            claim_ids,
        )
        attempts = await conn.fetch(
            "SELECT claim_id, component, payee_heir_id, external_id FROM claims.transfer_attempts "
            "WHERE claim_id = ANY($1) AND method <> 'manual'",
            claim_ids,
        )
    finally:
        await conn.close()
    per_line: Counter[tuple[str, str, str]] = Counter()
    for a in attempts:
        per_line[(a["claim_id"], a["component"], a["payee_heir_id"])] += succeeded_refs[a["external_id"]]
    report.lines, report.attempts = len(lines), len(attempts)
    for line in lines:
        key = (line["claim_id"], line["component"], line["payee_heir_id"])
        paid = per_line[key]
        if paid == 1:
            report.paid_once += 1
        elif paid == 0:
            report.unpaid += 1
            # Where it stopped: no transfer line yet, or its status, and the payee's account check.
            report.problems.append(
                f"line {key} not paid (transfer line {line['status'] or 'missing'}"
                f"{' ' + line['reason_code'] if line['reason_code'] else ''}, "
                f"account {line['checked'] or line['method'] or 'missing'})"
            )
        else:
            report.paid_twice += 1
            report.problems.append(f"line {key} paid {paid} times")
    return report
