"""Disbursement's SQL (schema "claims"): payees' accounts, transfer lines, attempts, reversals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import asyncpg

from services.claims.domain.disbursement import PaidTransfer, PayeeAccount


async def lines_from_ledgers(conn: asyncpg.Connection, claim_ids: list[str]) -> list[dict[str, Any]]:
    """One line per cash ledger line of the claims (the payout, its late charge, each
    reclassification's difference), whenever it was recorded, and each claim that got new lines
    its `disbursement_received` step, in one statement. Returns the lines not there before, in the
    order of `claim_ids`: a line is inserted once, however many events speak of it."""
    rows = await conn.fetch(
        "WITH new AS (INSERT INTO disbursement_lines "
        "(claim_id, participant_id, component, payee_heir_id, payee_name, amount, entry) "
        "SELECT l.claim_id, c.participant_id, l.component, l.payee_heir_id, l.payee_name, l.amount, l.entry "
        "FROM payout_ledger l JOIN claims c ON c.claim_id = l.claim_id "
        "WHERE l.claim_id = ANY($1::text[]) AND l.kind = 'cash' AND l.amount > 0 "
        "ON CONFLICT DO NOTHING RETURNING *), "
        "step AS (INSERT INTO claim_steps (claim_id, step, detail) "
        "SELECT claim_id, 'disbursement_received', jsonb_build_object('lines', count(*), 'total', sum(amount)) "
        "FROM new GROUP BY claim_id ORDER BY array_position($1::text[], claim_id)) "
        "SELECT * FROM new ORDER BY array_position($1::text[], claim_id), entry, component, payee_heir_id",
        claim_ids,
    )
    return [dict(r) for r in rows]


async def unpaid_cash_lines(conn: asyncpg.Connection, claim_id: str) -> int:
    """Cash ledger lines of the claim whose transfer has not succeeded (or has no line yet)."""
    return await conn.fetchval(
        "SELECT count(*) FROM payout_ledger l LEFT JOIN disbursement_lines d ON d.claim_id = l.claim_id "
        "AND d.component = l.component AND d.payee_heir_id = l.payee_heir_id AND d.entry = l.entry "
        "WHERE l.claim_id = $1 AND l.kind = 'cash' AND l.amount > 0 AND d.status IS DISTINCT FROM 'succeeded'",
        claim_id,
    )


async def lines_and_unpaid(conn: asyncpg.Connection, claim_id: str) -> tuple[int, int]:
    """How many transfer lines the claim has, and how many cash ledger lines are not paid yet
    (unpaid_cash_lines), in one round trip."""
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM disbursement_lines WHERE claim_id = $1) AS lines, "
        "(SELECT count(*) FROM payout_ledger l LEFT JOIN disbursement_lines d ON d.claim_id = l.claim_id "
        "AND d.component = l.component AND d.payee_heir_id = l.payee_heir_id AND d.entry = l.entry "
        "WHERE l.claim_id = $1 AND l.kind = 'cash' AND l.amount > 0 AND d.status IS DISTINCT FROM 'succeeded') "
        "AS unpaid",
        claim_id,
    )
    return row["lines"], row["unpaid"]


async def lines(
    conn: asyncpg.Connection, claim_id: str, payee: str | None = None, *, for_update: bool = False
) -> list[dict[str, Any]]:
    lock = " FOR UPDATE" if for_update else ""
    rows = await conn.fetch(
        "SELECT * FROM disbursement_lines WHERE claim_id = $1 AND ($2::text IS NULL OR payee_heir_id = $2) "
        f"ORDER BY entry, component, payee_heir_id{lock}",
        claim_id,
        payee,
    )
    return [dict(r) for r in rows]


async def line(
    conn: asyncpg.Connection, claim_id: str, component: str, payee: str, entry: int
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT * FROM disbursement_lines WHERE claim_id = $1 AND component = $2 AND payee_heir_id = $3 "
        "AND entry = $4 FOR UPDATE",
        claim_id,
        component,
        payee,
        entry,
    )
    return dict(row) if row else None


async def line_and_account(
    conn: asyncpg.Connection, claim_id: str, component: str, payee: str, entry: int
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The line (locked, as `line`) and its payee's account, in one round trip."""
    row = await conn.fetchrow(
        "SELECT l.*, (SELECT to_jsonb(a) FROM payee_accounts a WHERE a.claim_id = l.claim_id "
        "AND a.payee = l.payee_heir_id) AS payee_account FROM disbursement_lines l WHERE l.claim_id = $1 "
        "AND l.component = $2 AND l.payee_heir_id = $3 AND l.entry = $4 FOR UPDATE OF l",
        claim_id,
        component,
        payee,
        entry,
    )
    if row is None:
        return None, None
    line = dict(row)
    return line, line.pop("payee_account")


async def set_line(
    conn: asyncpg.Connection,
    claim_id: str,
    component: str,
    payee: str,
    entry: int,
    status: str,
    reason_code: str | None,
    attempts: int | None = None,
) -> None:
    await conn.execute(
        "UPDATE disbursement_lines SET status = $5, reason_code = $6, attempts = coalesce($7, attempts), "
        "updated_at = now() WHERE claim_id = $1 AND component = $2 AND payee_heir_id = $3 AND entry = $4",
        claim_id,
        component,
        payee,
        entry,
        status,
        reason_code,
        attempts,
    )


async def pays_cash_to(conn: asyncpg.Connection, claim_id: str, payee: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM payout_ledger WHERE claim_id = $1 AND payee_heir_id = $2 AND kind = 'cash' AND amount > 0 "
            "LIMIT 1",
            claim_id,
            payee,
        )
    )


async def save_account(
    conn: asyncpg.Connection, claim_id: str, payee: str, account: PayeeAccount, recorded_by: str
) -> None:
    await conn.execute(
        "INSERT INTO payee_accounts (claim_id, payee, method, bank_code, account_number, account_name, recorded_by) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (claim_id, payee) DO UPDATE SET method = EXCLUDED.method, "
        "bank_code = EXCLUDED.bank_code, account_number = EXCLUDED.account_number, "
        "account_name = EXCLUDED.account_name, recorded_by = EXCLUDED.recorded_by, recorded_at = now(), "
        "checked = 'unchecked', holder_name = NULL, reason_code = NULL",
        claim_id,
        payee,
        account.method,
        account.bank_code,
        account.account_number,
        account.account_name,
        recorded_by,
    )


async def account(
    conn: asyncpg.Connection, claim_id: str, payee: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT * FROM payee_accounts WHERE claim_id = $1 AND payee = $2{lock}", claim_id, payee)
    return dict(row) if row else None


async def accounts(conn: asyncpg.Connection, claim_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM payee_accounts WHERE claim_id = $1 ORDER BY payee", claim_id)
    return [dict(r) for r in rows]


async def set_account_check(
    conn: asyncpg.Connection, claim_id: str, payee: str, checked: str, holder_name: str | None, reason_code: str | None
) -> None:
    await conn.execute(
        "UPDATE payee_accounts SET checked = $3, holder_name = $4, reason_code = $5 WHERE claim_id = $1 AND payee = $2",
        claim_id,
        payee,
        checked,
        holder_name,
        reason_code,
    )


async def accounts_to_check(conn: asyncpg.Connection, limit: int) -> list[dict[str, Any]]:
    """Bank accounts not asked about yet whose payee has a line waiting."""
    rows = await conn.fetch(
        "SELECT a.*, (SELECT l.payee_name FROM disbursement_lines l WHERE l.claim_id = a.claim_id "
        "AND l.payee_heir_id = a.payee AND l.payee_name IS NOT NULL LIMIT 1) AS payee_name "
        "FROM payee_accounts a WHERE a.method = 'bank' AND a.checked = 'unchecked' AND EXISTS ("
        "SELECT 1 FROM disbursement_lines l WHERE l.claim_id = a.claim_id AND l.payee_heir_id = a.payee "
        "AND l.status = 'received') ORDER BY a.recorded_at LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]


async def lines_ready(conn: asyncpg.Connection, limit: int) -> list[dict[str, Any]]:
    """Lines waiting whose payee's account is usable: a bank account the bank confirmed, or cash."""
    rows = await conn.fetch(
        "SELECT l.claim_id, l.component, l.payee_heir_id, l.entry FROM disbursement_lines l JOIN payee_accounts a "
        "ON a.claim_id = l.claim_id AND a.payee = l.payee_heir_id WHERE l.status = 'received' "
        "AND (a.checked = 'ok' OR a.method = 'cash') ORDER BY l.updated_at LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]


async def insert_attempt(
    conn: asyncpg.Connection,
    external_id: str,
    line: dict[str, Any],
    attempt: int,
    account: dict[str, Any] | None,
    method: str,
    status: str,
    created_by: str,
    bank_reference: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO transfer_attempts (external_id, claim_id, component, payee_heir_id, attempt, method, bank_code, "
        "account_number, account_name, amount, status, bank_reference, created_by, entry) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
        external_id,
        line["claim_id"],
        line["component"],
        line["payee_heir_id"],
        attempt,
        method,
        account and account["bank_code"],
        account and account["account_number"],
        account and account["account_name"],
        line["amount"],
        status,
        bank_reference,
        created_by,
        line["entry"],
    )


async def send_attempt(
    conn: asyncpg.Connection,
    external_id: str,
    line: dict[str, Any],
    attempt: int,
    account: dict[str, Any],
    created_by: str,
    step: str,
    step_detail: dict[str, Any],
) -> dict[str, Any]:
    """The attempt written `sending`, its line `pending` with the attempt's number, and the claim's
    step, in one statement; returns the attempt as written."""
    row = await conn.fetchrow(
        "WITH attempt AS (INSERT INTO transfer_attempts (external_id, claim_id, component, payee_heir_id, attempt, "
        "method, bank_code, account_number, account_name, amount, status, created_by, entry) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'sending',$11,$12) RETURNING *), "
        "line AS (UPDATE disbursement_lines SET status = 'pending', reason_code = NULL, attempts = $5, "
        "updated_at = now() WHERE claim_id = $2 AND component = $3 AND payee_heir_id = $4 AND entry = $12), "
        "step AS (INSERT INTO claim_steps (claim_id, step, detail) VALUES ($2, $13, $14)) "
        "SELECT * FROM attempt",
        external_id,
        line["claim_id"],
        line["component"],
        line["payee_heir_id"],
        attempt,
        account["method"],
        account["bank_code"],
        account["account_number"],
        account["account_name"],
        line["amount"],
        created_by,
        line["entry"],
        step,
        step_detail,
    )
    return dict(row)


async def settle_attempt(
    conn: asyncpg.Connection,
    attempt: dict[str, Any],
    status: str,
    reason_code: str | None,
    bank_reference: str | None,
    pickup_code: str | None,
    line_status: str,
    step: str,
    step_detail: dict[str, Any],
) -> dict[str, Any]:
    """The attempt's new status (set_attempt), its line's (set_line) and the claim's step, in one
    statement; returns the line."""
    row = await conn.fetchrow(
        "WITH attempt AS (UPDATE transfer_attempts SET status = $2, reason_code = coalesce($3, reason_code), "
        "bank_reference = coalesce($4, bank_reference), pickup_code = coalesce($5, pickup_code), "
        "updated_at = now() WHERE external_id = $1), "
        "line AS (UPDATE disbursement_lines SET status = $10, reason_code = $3, updated_at = now() "
        "WHERE claim_id = $6 AND component = $7 AND payee_heir_id = $8 AND entry = $9 RETURNING *), "
        "step AS (INSERT INTO claim_steps (claim_id, step, detail) VALUES ($6, $11, $12)) "
        "SELECT * FROM line",
        attempt["external_id"],
        status,
        reason_code,
        bank_reference,
        pickup_code,
        attempt["claim_id"],
        attempt["component"],
        attempt["payee_heir_id"],
        attempt["entry"],
        line_status,
        step,
        step_detail,
    )
    return dict(row)


async def attempt(conn: asyncpg.Connection, external_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT * FROM transfer_attempts WHERE external_id = $1{lock}", external_id)
    return dict(row) if row else None


async def set_attempt(
    conn: asyncpg.Connection,
    external_id: str,
    status: str,
    reason_code: str | None,
    bank_reference: str | None,
    pickup_code: str | None,
) -> None:
    await conn.execute(
        "UPDATE transfer_attempts SET status = $2, reason_code = coalesce($3, reason_code), "
        "bank_reference = coalesce($4, bank_reference), pickup_code = coalesce($5, pickup_code), "
        "updated_at = now() WHERE external_id = $1",
        external_id,
        status,
        reason_code,
        bank_reference,
        pickup_code,
    )


async def attempts(conn: asyncpg.Connection, claim_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT external_id, component, payee_heir_id, entry, attempt, method, bank_code, "
        "right(account_number, 4) AS account_last4, amount, status, reason_code, bank_reference, pickup_code, "
        "created_by, created_at, updated_at FROM transfer_attempts WHERE claim_id = $1 "
        "ORDER BY entry, component, payee_heir_id, attempt",
        claim_id,
    )
    return [dict(r) for r in rows]


async def open_attempts(conn: asyncpg.Connection, pending_older_than_s: float, limit: int) -> list[dict[str, Any]]:
    """Attempts whose outcome Jaring does not know: sent without an answer (a crash, a timeout)
    and pending ones the bank has not notified for a while."""
    rows = await conn.fetch(
        "SELECT * FROM transfer_attempts WHERE status = 'sending' OR (status = 'pending' AND "
        "updated_at < now() - make_interval(secs => $1)) ORDER BY updated_at LIMIT $2",
        pending_older_than_s,
        limit,
    )
    return [dict(r) for r in rows]


async def touch_attempt(conn: asyncpg.Connection, external_id: str) -> None:
    await conn.execute("UPDATE transfer_attempts SET updated_at = now() WHERE external_id = $1", external_id)


async def insert_reversal(
    conn: asyncpg.Connection, external_id: str, claim_id: str, amount: int, reason: str, reversed_by: str
) -> None:
    await conn.execute(
        "INSERT INTO transfer_reversals (external_id, claim_id, amount, reason, reversed_by) VALUES ($1,$2,$3,$4,$5)",
        external_id,
        claim_id,
        amount,
        reason,
        reversed_by,
    )


async def reversals(conn: asyncpg.Connection, claim_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM transfer_reversals WHERE claim_id = $1 ORDER BY reversed_at", claim_id)
    return [dict(r) for r in rows]


async def notification_first_seen(conn: asyncpg.Connection, external_id: str) -> bool:
    return (
        await conn.fetchval(
            "INSERT INTO bank_notifications_seen (external_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true",
            external_id,
        )
        is not None
    )


async def forget_bank_notifications(pool: asyncpg.Pool, older_than: timedelta, batch: int = 1000) -> int:
    """Deletes the X-EXTERNAL-IDs taken longer ago than `older_than`, `batch` rows a statement;
    returns how many."""
    forgotten = 0
    while True:
        status = await pool.execute(
            "DELETE FROM bank_notifications_seen WHERE external_id IN (SELECT external_id FROM "
            "bank_notifications_seen WHERE received_at < now() - $1::interval LIMIT $2)",
            older_than,
            batch,
        )
        deleted = int(status.split()[-1])
        forgotten += deleted
        if deleted < batch:
            return forgotten


async def paid_transfers(conn: asyncpg.Connection, booked_on: date) -> list[PaidTransfer]:
    """Transfers the bank paid (reversed ones too: their money left) that day, in the bank's (WIB)
    calendar; manual transfers carry the bank's reference, not Jaring's, and are left out."""
    rows = await conn.fetch(
        "SELECT external_id, claim_id, amount FROM transfer_attempts WHERE status IN ('succeeded', 'reversed') "
        "AND method <> 'manual' AND (created_at AT TIME ZONE 'Asia/Jakarta')::date = $1",
        booked_on,
    )
    return [PaidTransfer(r["external_id"], r["external_id"], r["claim_id"], r["amount"]) for r in rows]
