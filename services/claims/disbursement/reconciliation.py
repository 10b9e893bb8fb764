"""Reconciliation with the bank's daily statement (ISO 20022 camt.053): each booked debit is
matched to a Jaring transfer by its end-to-end id; what does not match is listed with an
action and counted in /metrics."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

import asyncpg
from prometheus_client import Counter

from services.claims.disbursement import repository as repo
from services.claims.domain.disbursement import StatementEntry, reconcile
from shared.auth import Actor
from shared.db import record_audit
from shared.errors import FieldError, RuleViolation

MISMATCHES = Counter(
    "jaring_reconciliation_mismatches_total", "Statement entries and transfers that did not match, by kind", ["kind"]
)
STATEMENT_ENTRIES = Counter(
    "jaring_reconciliation_entries_total", "Statement entries imported, by outcome", ["outcome"]
)


class StatementExists(Exception):
    pass


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element: ET.Element, *path: str) -> ET.Element | None:
    """The first descendant along `path` by local names (camt.053 versions differ in namespace)."""
    current: ET.Element | None = element
    for name in path:
        current = next((c for c in current.iter() if c is not current and _local(c.tag) == name), None)
        if current is None:
            return None
    return current


def _rupiah(text: str | None) -> int:
    match = re.fullmatch(r"(\d+)(?:\.(\d{1,2}))?", (text or "").strip())
    if not match or int(match.group(2) or 0) != 0:
        raise ValueError(f"amount {text!r} is not whole rupiah")
    return int(match.group(1))


def parse_camt053(raw: bytes) -> tuple[str, date, list[StatementEntry]]:
    """(statement id, booking date, booked debit entries)."""
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        # A statement has no use for a DTD; refusing one shuts out entity expansion attacks.
        raise _bad("statement_has_dtd", "statement_has_dtd: a camt.053 statement carries no DOCTYPE or ENTITY")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise _bad("statement_not_xml", f"statement_not_xml: {exc}") from None
    statement = _find(root, "Stmt")
    if statement is None or _local(root.tag) != "Document":
        raise _bad("statement_not_camt053", "statement_not_camt053: expected Document/BkToCstmrStmt/Stmt")
    statement_id = (_find(statement, "Id").text or "").strip() if _find(statement, "Id") is not None else ""
    if not statement_id:
        raise _bad("statement_id_missing", "statement_id_missing: Stmt/Id is required")
    entries, days = [], set()
    for entry in (e for e in statement.iter() if _local(e.tag) == "Ntry"):
        direction, status = _find(entry, "CdtDbtInd"), _find(entry, "Sts")
        if direction is None or direction.text != "DBIT":
            continue  # credits (money coming in) are not transfers Jaring made
        if status is not None and "BOOK" not in "".join(status.itertext()):
            continue
        booked = _find(entry, "BookgDt", "Dt")
        if booked is not None and booked.text:
            days.add(date.fromisoformat(booked.text.strip()))
        e2e, reference = _find(entry, "EndToEndId"), _find(entry, "AcctSvcrRef")
        try:
            amount = _rupiah(_find(entry, "Amt").text if _find(entry, "Amt") is not None else None)
        except ValueError as exc:
            raise _bad("statement_amount_invalid", f"statement_amount_invalid: {exc}") from None
        entries.append(
            StatementEntry(
                (e2e.text or "").strip() if e2e is not None else "",
                amount,
                reference.text.strip() if reference is not None and reference.text else None,
            )
        )
    if len(days) != 1:
        raise _bad("statement_day_unclear", "statement_day_unclear: a daily statement books its entries on one day")
    return statement_id, days.pop(), entries


def _bad(rule: str, msg: str) -> RuleViolation:
    return RuleViolation([FieldError(("statement",), rule, msg)])


async def import_statement(conn: asyncpg.Connection, raw: bytes, actor: Actor) -> dict[str, Any]:
    statement_id, booked_on, entries = parse_camt053(raw)
    inserted = await conn.fetchval(
        "INSERT INTO bank_statements (statement_id, booked_on, entries, imported_by) VALUES ($1,$2,$3,$4) "
        "ON CONFLICT DO NOTHING RETURNING true",
        statement_id,
        booked_on,
        len(entries),
        actor.subject,
    )
    if not inserted:
        raise StatementExists(statement_id)
    matched, mismatches = reconcile(await repo.paid_transfers(conn, booked_on), entries)
    for m in mismatches:
        await conn.execute(
            "INSERT INTO reconciliation_items (statement_id, kind, external_id, claim_id, end_to_end_id, "
            "bank_reference, expected, booked, action) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
            statement_id,
            m.kind,
            m.external_id,
            m.claim_id,
            m.end_to_end_id,
            m.bank_reference,
            m.expected,
            m.booked,
            m.action,
        )
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="reconciliation.import",
        subject_id=statement_id,
        details={"entries": len(entries), "mismatches": len(mismatches)},
    )
    # Counted once the transaction is sure to commit (nothing after this can fail but the commit).
    STATEMENT_ENTRIES.labels("matched").inc(matched)
    for m in mismatches:
        MISMATCHES.labels(m.kind).inc()
    return {
        "statement_id": statement_id,
        "booked_on": booked_on,
        "entries": len(entries),
        "matched": matched,
        "mismatches": [m.__dict__ for m in mismatches],
    }


async def open_items(conn: asyncpg.Connection, statement_id: str | None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT i.*, s.booked_on FROM reconciliation_items i JOIN bank_statements s USING (statement_id) "
        "WHERE NOT i.resolved AND ($1::text IS NULL OR i.statement_id = $1) ORDER BY i.id",
        statement_id,
    )
    return [dict(r) for r in rows]
