"""The disbursement worker: the only code that calls the bank to move money.

One instance at a time (an advisory lock, like the outbox relay), in rounds:
1. attempts whose outcome is unknown (sent without an answer: a crash or a timeout; pending
   without a notification for a while) are asked about by their external id. An attempt the
   bank never received is sent again under the same external id, so a bank that did receive
   it refuses the copy (duplicate X-EXTERNAL-ID) instead of paying twice;
2. bank accounts not yet checked are asked about (account inquiry; the name must be the
   payee's);
3. lines waiting with a usable account get a new attempt: written and committed first, then
   sent, then the answer recorded.
Within a step, up to CLAIMS_DISBURSEMENT_CONCURRENCY claims are worked on side by side (each
claim's lines in turn), so one slow account holds up only its own claim.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg

from services.claims.disbursement import handlers
from services.claims.disbursement import repository as repo
from services.claims.disbursement.bank import Bank, BankAnswer, BankTimedOut, BankUnavailable
from shared.consuming import INFRASTRUCTURE_ERRORS
from shared.db import working_for
from shared.logs import get_logger
from shared.service import Runtime
from shared.snap import TIMESTAMP_WINDOW

log = get_logger("disbursement")
LOCK = "claims.disbursement.worker"
DEFAULT_CONCURRENCY = 16


class DisbursementWorker:
    """`concurrency`: how many claims' bank calls are in flight at once. A claim's own lines
    (and so each payee's) still go one after another, as before: a rejection stops the payee's
    next line before it is sent, and the claim is found paid by the transaction that settles its
    last line (settling two of a claim's lines side by side, each would see the other unpaid)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        bank: Bank,
        *,
        poll_seconds: float = 1.0,
        pending_recheck_seconds: float = 30.0,
        survey_percent: float = 10.0,
        concurrency: int = DEFAULT_CONCURRENCY,
    ):
        self._pool, self._bank = pool, bank
        self._survey = survey_percent
        self._poll = poll_seconds
        self._recheck = pending_recheck_seconds
        self._concurrency = concurrency
        # Rows a step takes per round: enough to keep every slot busy while a slow claim holds one.
        self._batch = max(20, 4 * concurrency)

    async def run(self) -> None:
        while True:
            try:
                async with self._pool.acquire() as lock_conn:
                    if not await lock_conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", LOCK):
                        await asyncio.sleep(self._poll * 5)
                        continue
                    try:
                        while True:
                            if not await self.round():
                                await asyncio.sleep(self._poll)
                    finally:
                        # A session lock on a pooled connection: the pool sends no reset on release
                        # (shared/db.py), so a connection whose unlock did not happen is closed, never reused.
                        try:
                            await lock_conn.execute("SELECT pg_advisory_unlock(hashtext($1))", LOCK)
                        except BaseException:
                            lock_conn.terminate()
                            raise
            except asyncio.CancelledError:
                raise
            except INFRASTRUCTURE_ERRORS as exc:
                log.warning("disbursement.database_unavailable", error=repr(exc))
                await asyncio.sleep(self._poll * 2)
            except Exception as exc:  # the loop must outlive one bad round
                log.exception("disbursement.round_failed", error=repr(exc))
                await asyncio.sleep(self._poll * 2)

    async def round(self) -> bool:
        """One pass; True when something was done (go again at once). The steps follow one
        another, so a line is never in two of them at once."""
        done = await self.resolve_unknown()
        done += await self.check_accounts()
        done += await self.send_waiting()
        return done > 0

    async def _side_by_side(self, rows: list[dict[str, Any]], work: Callable[[dict[str, Any]], Awaitable[int]]) -> int:
        """`work` for each row: one claim's rows one after another, up to `concurrency` claims at
        once. Every claim's work finishes (or fails alone) before the step ends; the first
        failure is raised then, the others logged."""
        by_claim: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_claim.setdefault(row["claim_id"], []).append(row)
        slots = asyncio.Semaphore(self._concurrency)

        async def one_claim(claim_rows: list[dict[str, Any]]) -> int:
            async with slots:
                done = 0
                for row in claim_rows:
                    with working_for(row["claim_id"]):
                        outcome = await work(row)
                    if outcome < 0:  # this claim's bank call has no answer: its next rows wait
                        return done
                    done += outcome
                return done

        results = await asyncio.gather(*(one_claim(x) for x in by_claim.values()), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        for failure in failures[1:]:
            log.warning("disbursement.claim_failed", error=repr(failure))
        if failures:
            raise failures[0]
        return sum(r for r in results if isinstance(r, int))

    async def resolve_unknown(self) -> int:
        async with self._pool.acquire() as conn:
            unknown = await repo.open_attempts(conn, self._recheck, self._batch)
        return await self._side_by_side(unknown, self._resolve)

    async def _resolve(self, attempt: dict[str, Any]) -> int:
        external_id = attempt["external_id"]
        try:
            answer = await self._bank.transfer_status(external_id)
            if answer is None and attempt["status"] == "sending":
                log.info("disbursement.resend", external_id=external_id)
                answer = await self._send(attempt)
        except BankUnavailable as exc:
            log.warning("disbursement.bank_unavailable", external_id=external_id, error=str(exc)[:200])
            return 0
        async with self._pool.acquire() as conn, conn.transaction():
            if answer is None or not await handlers.apply_answer(conn, external_id, answer, "bank", self._survey):
                await repo.touch_attempt(conn, external_id)  # asked; ask again after the recheck delay
                return 0
        return 1

    async def check_accounts(self) -> int:
        async with self._pool.acquire() as conn:
            accounts = await repo.accounts_to_check(conn, self._batch)
        bank_away = asyncio.Event()

        async def check(account: dict[str, Any]) -> int:
            if bank_away.is_set():
                return -1
            try:
                answer = await self._bank.check_account(account["bank_code"], account["account_number"])
            except BankUnavailable as exc:
                log.warning("disbursement.bank_unavailable", step="account_inquiry", error=str(exc)[:200])
                if not isinstance(exc, BankTimedOut):
                    bank_away.set()  # refused or down: ask the rest next round
                return -1
            async with self._pool.acquire() as conn, conn.transaction():
                await handlers.apply_account_check(conn, account, answer)
            return 1

        return await self._side_by_side(accounts, check)

    async def send_waiting(self) -> int:
        async with self._pool.acquire() as conn:
            ready = await repo.lines_ready(conn, self._batch)
        bank_away = asyncio.Event()

        async def send(line: dict[str, Any]) -> int:
            if bank_away.is_set():
                return -1  # no new attempt while the bank is away
            if (attempt := await self._start(line)) is None:
                return 0
            # Committed: from here a crash leaves an attempt in `sending`, asked about on restart.
            _fault_point("before_bank_call")
            try:
                answer = await self._send(attempt)
            except BankUnavailable as exc:
                log.warning("disbursement.bank_unavailable", external_id=attempt["external_id"], error=str(exc)[:200])
                if not isinstance(exc, BankTimedOut):
                    bank_away.set()  # down, not one slow account: step 1 asks about it later
                return -1
            _fault_point("after_bank_answer")
            async with self._pool.acquire() as conn, conn.transaction():
                await handlers.apply_answer(conn, attempt["external_id"], answer, "bank", self._survey)
            return 1

        return await self._side_by_side(ready, send)

    async def _start(self, line: dict[str, Any]) -> dict[str, Any] | None:
        async with self._pool.acquire() as conn, conn.transaction():
            return await handlers.start_attempt(
                conn, line["claim_id"], line["component"], line["payee_heir_id"], line["entry"]
            )

    async def _send(self, attempt: dict[str, Any]) -> BankAnswer:
        if attempt["method"] == "cash":
            return await self._bank.transfer(
                attempt["external_id"], attempt["amount"], "CASH", "", attempt["account_name"]
            )
        return await self._bank.transfer(
            attempt["external_id"],
            attempt["amount"],
            attempt["bank_code"],
            attempt["account_number"],
            attempt["account_name"],
        )


def _fault_point(where: str) -> None:
    """Fault injection for the crash tests: JARING_FAULT_EXIT_DISBURSEMENT=after_bank_answer makes
    the process die after the bank paid and before Jaring recorded it; =before_bank_call, after the
    attempt was committed and before the bank heard of it."""
    if os.environ.get("JARING_FAULT_EXIT_DISBURSEMENT") == where:
        log.warning("fault.exit", where=where)
        os._exit(87)


def background(
    make_bank: Callable[[], Bank],
    poll_seconds: float,
    pending_recheck_seconds: float,
    survey_percent: float,
    concurrency: int = DEFAULT_CONCURRENCY,
):
    async def disbursement_worker(runtime: Runtime) -> None:
        bank = make_bank()
        try:
            await DisbursementWorker(
                runtime.pool,
                bank,
                poll_seconds=poll_seconds,
                pending_recheck_seconds=pending_recheck_seconds,
                survey_percent=survey_percent,
                concurrency=concurrency,
            ).run()
        finally:
            close = getattr(bank, "close", None)
            if close is not None:
                await close()

    return disbursement_worker


# A bank notification replayed after SNAP's timestamp window is refused by its X-TIMESTAMP, which
# its signature covers (shared/snap.py); its X-EXTERNAL-ID need only be remembered that long. A
# day's margin covers clocks that disagree.
SEEN_NOTIFICATIONS_KEPT = TIMESTAMP_WINDOW + timedelta(days=1)


def forgetting_seen_notifications(every_seconds: float, batch: int):
    """The background step that keeps `bank_notifications_seen` bounded, on the inbox pruning's
    schedule (INBOX_PRUNE_SECONDS: plumbing tables are pruned together)."""

    async def forget_seen_bank_notifications(runtime: Runtime) -> None:
        while every_seconds > 0:
            await asyncio.sleep(every_seconds)
            try:
                forgotten = await repo.forget_bank_notifications(runtime.pool, SEEN_NOTIFICATIONS_KEPT, batch)
                if forgotten:
                    log.info("bank_notifications.forgotten", rows=forgotten)
            except Exception as exc:  # noqa: BLE001 - the next round tries again
                log.warning("bank_notifications.forget_failed", error=repr(exc))

    return forget_seen_bank_notifications
