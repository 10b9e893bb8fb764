"""A local stand-in for a bank's SNAP open-banking API (Bank Indonesia's Standar Nasional Open
API Pembayaran): account inquiry, interbank transfer, transfer status, signed notifications,
and a daily statement in ISO 20022 camt.053. Money moves only in its ledger on disk.

    python -m deploy.local.standins.bank --port 8106 --dir .jaring/bank \
        --notify-url http://127.0.0.1:8102/snap/v1.0/transfer-interbank/notify

The client secret (HMAC-SHA512 key, both directions) is read from `BANK_CLIENT_SECRET` (or
claims' `CLAIMS_BANK_CLIENT_SECRET`), else from `--secret-file`; there is no default.

SNAP endpoints (headers X-TIMESTAMP, X-SIGNATURE, X-PARTNER-ID, X-EXTERNAL-ID, CHANNEL-ID)
- POST /v1.0/account-inquiry-external   {beneficiaryBankCode, beneficiaryAccountNo, partnerReferenceNo}
- POST /v1.0/transfer-interbank         {partnerReferenceNo, amount{value,currency}, beneficiary…}
- POST /v1.0/transfer/status            {originalPartnerReferenceNo, originalExternalId, serviceCode}
Signature: base64(HMAC-SHA512(secret, METHOD:PATH:ACCESS_TOKEN:hex(sha256(minified body)):X-TIMESTAMP));
this stand-in issues no B2B access token, so ACCESS_TOKEN is empty (a real bank's is from
/v1.0/access-token/b2b).

Test accounts (the last digit of the account number decides, as test cards do at a card
processor; the name on the account is the one registered with /_control/accounts):
- …4  closed: inquiry and transfer refused, reason AC04
- …6  blocked: the transfer is accepted (in progress), then rejected by notification, AC06
- …7  holder deceased: accepted, then rejected by notification, MD07
- …8  slow: the transfer is booked at once but answered only after --slow-seconds
- …9  the name on the account is "NAMA TIDAK SESUAI", whatever was registered
- any other registered account: booked and answered at once (2001800), then notified.
  An unregistered account does not exist (4041611, AC01).
Bank code CASH pays at a counter: the answer carries a pick-up code, the transfer stays in
progress until /_control/cash/{code}/collect, then is notified as succeeded.

Like a real bank, it does not deduplicate a transfer sent again under a new X-EXTERNAL-ID;
an X-EXTERNAL-ID repeated on the same day is refused (409, "Conflict").

Control (no signature; local only): PUT /_control/accounts/{bank_code}/{number} {"name"},
POST /_control/down {"seconds"}, POST /_control/notify {"copies": 2}, POST /_control/cash/{code}/collect,
GET /_ledger, GET /_statements/{YYYY-MM-DD} (camt.053, also written to <dir>/statements/),
GET /_health.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import signal
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

WIB = timezone(timedelta(hours=7))  # SNAP timestamps carry the bank's local offset
MAX_BODY = 64 * 1024
TIMESTAMP_WINDOW_S = 300
LEDGER_FILE = "ledger.jsonl"
SOURCE_ACCOUNT = "1200099887766"  # the programme's account at this bank (the debtor on the statement)
MISMATCHED_NAME = "NAMA TIDAK SESUAI"

# Accounts that exist from the start (docs/disbursement.md lists them for a demo with `make up`).
DEMO_ACCOUNTS = {
    ("002", "1111000001"): "ANDI BASO",
    ("002", "1111000002"): "NURUL AISYAH",
    ("002", "1111000003"): "MUHAMMAD RIDWAN",
    ("002", "1111000004"): "SITTI RAHMAWATI",  # closed
    ("002", "1111000006"): "DAENG MACORA",  # blocked
    ("002", "1111000007"): "HJ. BAHARIAH",  # holder deceased
    ("002", "1111000008"): "ANDI TENRI",  # slow
    ("002", "1111000009"): "RUSLI",  # name mismatch
}


def snap_timestamp(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).astimezone(WIB).isoformat(timespec="seconds")


def string_to_sign(method: str, path: str, body: bytes, timestamp: str, access_token: str = "") -> str:
    try:  # SNAP signs the minified JSON body
        minified = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode() if body else b""
    except ValueError:
        minified = body
    return f"{method.upper()}:{path}:{access_token}:{hashlib.sha256(minified).hexdigest().lower()}:{timestamp}"


def sign(secret: str, method: str, path: str, body: bytes, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), string_to_sign(method, path, body, timestamp).encode(), hashlib.sha512)
    return base64.b64encode(digest.digest()).decode()


def _answer(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"responseCode": code, "responseMessage": message, **extra}, status)


class BankState:
    def __init__(
        self,
        directory: str | os.PathLike[str],
        secret: str,
        notify_url: str | None,
        slow_seconds: float,
        notify_delay: float,
    ):
        self.directory = Path(directory)
        (self.directory / "statements").mkdir(parents=True, exist_ok=True)
        self.ledger_path = self.directory / LEDGER_FILE
        self.accounts_path = self.directory / "accounts.jsonl"
        self.secret = secret
        self.notify_url = notify_url
        self.slow_seconds = slow_seconds
        self.notify_delay = notify_delay
        self.accounts: dict[tuple[str, str], str] = dict(DEMO_ACCOUNTS)
        self.transfers: dict[str, dict[str, Any]] = {}  # by X-EXTERNAL-ID
        self.external_ids: dict[str, set[str]] = {}  # per WIB day: every X-EXTERNAL-ID seen
        self.down_until = 0.0
        self.notify_copies = 1
        self.tasks: set[asyncio.Task] = set()
        self._load()

    def _load(self) -> None:
        accounts = self.directory / "accounts.json"  # as it was kept before the log below
        if accounts.exists():
            for key, name in json.loads(accounts.read_text()).items():
                bank_code, number = key.split("/", 1)
                self.accounts[(bank_code, number)] = name
        if self.accounts_path.exists():
            for line in self.accounts_path.read_text().splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.accounts[(entry["bank_code"], entry["number"])] = entry["name"]  # later lines win
        if self.ledger_path.exists():
            for line in self.ledger_path.read_text().splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.transfers[entry["external_id"]] = entry  # later lines are later states
                    self.external_ids.setdefault(entry["day"], set()).add(entry["external_id"])

    def register(self, bank_code: str, number: str, name: str) -> None:
        """Appended, not the whole register rewritten: at 10,000 payees a rewrite per account
        made the stand-in the slowest part of the chaos run."""
        self.accounts[(bank_code, number)] = name
        with self.accounts_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"bank_code": bank_code, "number": number, "name": name}, ensure_ascii=False) + "\n")

    def write(self, transfer: dict[str, Any]) -> None:
        """Every change of a transfer is appended: the file is the ledger's history."""
        self.transfers[transfer["external_id"]] = transfer
        with self.ledger_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(transfer, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def first_use(self, external_id: str) -> bool:
        day = datetime.now(WIB).date().isoformat()
        seen = self.external_ids.setdefault(day, set())
        if external_id in seen:
            return False
        seen.add(external_id)
        return True

    def later(self, coro) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


NOTIFICATIONS_IN_FLIGHT = 32


def create_app(
    directory: str | os.PathLike[str] = ".jaring/bank",
    *,
    secret: str,
    notify_url: str | None = None,
    slow_seconds: float = 35.0,
    notify_delay: float = 0.3,
    notify_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """`notify_transport`: how notifications travel (tests hand an in-process service's ASGI
    transport; by default, HTTP to `notify_url`)."""
    if not secret:
        raise ValueError("the bank stand-in needs a client secret (BANK_CLIENT_SECRET or --secret-file)")
    state = BankState(directory, secret, notify_url, slow_seconds, notify_delay)
    # One client for every notification, its connections kept: a client per notification built an
    # SSL context each time, half the stand-in's CPU at scale.
    notifier: list[httpx.AsyncClient] = []

    # Notifications in flight at once, as a bank's notifier sends them: a backlog of thousands (claims
    # killed, every notification sent twice) queued in one client made httpcore scan its whole queue for
    # each request, until the stand-in spent its CPU on that and answered transfers after claims gave up.
    notifying = asyncio.Semaphore(NOTIFICATIONS_IN_FLIGHT)

    def notify_client() -> httpx.AsyncClient:
        if not notifier:
            notifier.append(httpx.AsyncClient(timeout=10, transport=notify_transport))
        return notifier[0]

    async def close_notifier() -> None:
        if notifier:
            await notifier.pop().aclose()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await close_notifier()

    async def authenticated(request: Request, service: str) -> tuple[dict[str, Any], JSONResponse | None]:
        if time.monotonic() < state.down_until:
            return {}, _answer(503, f"503{service}00", "Service Unavailable")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return {}, _answer(413, f"413{service}00", "Request Entity Too Large")
        h = request.headers
        timestamp, signature = h.get("x-timestamp", ""), h.get("x-signature", "")
        if not all(h.get(k) for k in ("x-timestamp", "x-signature", "x-partner-id", "x-external-id", "channel-id")):
            return {}, _answer(400, f"400{service}02", "Invalid Mandatory Field [headers]")
        try:
            sent_at = datetime.fromisoformat(timestamp)
            if sent_at.tzinfo is None:
                raise ValueError("no offset")
            skew = abs((sent_at - datetime.now(UTC)).total_seconds())
        except ValueError:
            return {}, _answer(400, f"400{service}01", "Invalid Field Format [X-TIMESTAMP]")
        expected = sign(state.secret, request.method, request.url.path, raw, timestamp)
        if skew > TIMESTAMP_WINDOW_S or not hmac.compare_digest(expected, signature):
            return {}, _answer(401, f"401{service}00", "Unauthorized. [Signature]")
        if not state.first_use(h["x-external-id"]):
            return {}, _answer(409, f"409{service}00", "Conflict")  # same X-EXTERNAL-ID on the same day
        try:
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return {}, _answer(400, f"400{service}00", "Bad Request")
        return body, None

    def holder(bank_code: str, number: str) -> str | None:
        name = state.accounts.get((bank_code, number))
        if name is not None and number.endswith("9"):
            return MISMATCHED_NAME
        return name

    async def account_inquiry(request: Request) -> Response:
        body, refused = await authenticated(request, "16")
        if refused:
            return refused
        bank_code, number = str(body.get("beneficiaryBankCode", "")), str(body.get("beneficiaryAccountNo", ""))
        name = holder(bank_code, number)
        if name is None:
            return _answer(404, "4041611", "Invalid Account", additionalInfo={"reasonCode": "AC01"})
        if number.endswith("4"):
            return _answer(403, "4031618", "Inactive Account", additionalInfo={"reasonCode": "AC04"})
        return _answer(
            200,
            "2001600",
            "Successful",
            partnerReferenceNo=body.get("partnerReferenceNo"),
            beneficiaryAccountName=name,
            beneficiaryAccountNo=number,
            beneficiaryBankCode=bank_code,
            beneficiaryAccountStatus="ACTIVE",
        )

    async def transfer(request: Request) -> Response:
        body, refused = await authenticated(request, "18")
        if refused:
            return refused
        external_id = request.headers["x-external-id"]
        bank_code, number = str(body.get("beneficiaryBankCode", "")), str(body.get("beneficiaryAccountNo", ""))
        try:
            amount = body["amount"]
            if amount.get("currency") != "IDR":
                raise ValueError
            rupiah = int(str(amount["value"]).removesuffix(".00"))
            if rupiah <= 0:
                raise ValueError
        except (KeyError, ValueError, TypeError, AttributeError):
            return _answer(400, "4001801", "Invalid Field Format [amount]")
        now = datetime.now(WIB)
        entry = {
            "external_id": external_id,
            "partner_reference": str(body.get("partnerReferenceNo", "")),
            "reference_no": f"BNK{now:%Y%m%d}{secrets.randbelow(10**8):08d}",
            "day": now.date().isoformat(),
            "at": now.isoformat(timespec="seconds"),
            "amount": rupiah,
            "bank_code": bank_code,
            "account_no": number,
            "account_name": str(body.get("beneficiaryAccountName", "")),
            "status": "pending",
            "reason_code": None,
            "pickup_code": None,
        }
        common = {
            "referenceNo": entry["reference_no"],
            "partnerReferenceNo": entry["partner_reference"],
            "amount": {"value": f"{rupiah}.00", "currency": "IDR"},
            "beneficiaryAccountNo": number,
            "beneficiaryBankCode": bank_code,
        }
        if bank_code == "CASH":
            entry["pickup_code"] = f"{secrets.randbelow(10**8):08d}"
            state.write(entry)
            return _answer(
                202, "2021800", "Request In Progress", **common, additionalInfo={"pickupCode": entry["pickup_code"]}
            )
        if state.accounts.get((bank_code, number)) is None:
            state.write({**entry, "status": "failed", "reason_code": "AC01"})
            return _answer(404, "4041811", "Invalid Account", **common, additionalInfo={"reasonCode": "AC01"})
        if number.endswith("4"):
            state.write({**entry, "status": "failed", "reason_code": "AC04"})
            return _answer(403, "4031818", "Inactive Account", **common, additionalInfo={"reasonCode": "AC04"})
        if number[-1] in "67":
            state.write(entry)
            state.later(settle_later(external_id, "failed", "AC06" if number.endswith("6") else "MD07"))
            return _answer(202, "2021800", "Request In Progress", **common)
        state.write({**entry, "status": "succeeded"})
        state.later(notify_later(external_id))
        if number.endswith("8"):  # booked, but the answer comes after the caller has given up
            await asyncio.sleep(state.slow_seconds)
        return _answer(200, "2001800", "Successful", **common)

    async def transfer_status(request: Request) -> Response:
        body, refused = await authenticated(request, "36")
        if refused:
            return refused
        found = state.transfers.get(str(body.get("originalExternalId", "")))
        if found is None or (
            body.get("originalPartnerReferenceNo") and body["originalPartnerReferenceNo"] != found["partner_reference"]
        ):
            return _answer(404, "4043601", "Transaction Not Found")
        return _answer(200, "2003600", "Successful", **status_fields(found))

    def status_fields(t: dict[str, Any]) -> dict[str, Any]:
        code, desc = {"succeeded": ("00", "Success"), "pending": ("03", "Pending"), "failed": ("06", "Failed")}[
            t["status"]
        ]
        info = {"reasonCode": t["reason_code"]} if t["reason_code"] else {}
        if t["pickup_code"]:
            info["pickupCode"] = t["pickup_code"]
        return {
            "originalReferenceNo": t["reference_no"],
            "originalPartnerReferenceNo": t["partner_reference"],
            "originalExternalId": t["external_id"],
            "serviceCode": "18",
            "transactionDate": t["at"],
            "amount": {"value": f"{t['amount']}.00", "currency": "IDR"},
            "beneficiaryAccountNo": t["account_no"],
            "beneficiaryBankCode": t["bank_code"],
            "latestTransactionStatus": code,
            "transactionStatusDesc": desc,
            "additionalInfo": info,
        }

    async def settle_later(external_id: str, status: str, reason: str | None) -> None:
        await asyncio.sleep(state.notify_delay)
        state.write({**state.transfers[external_id], "status": status, "reason_code": reason})
        await notify(external_id)

    async def notify_later(external_id: str) -> None:
        await asyncio.sleep(state.notify_delay)
        await notify(external_id)

    async def notify(external_id: str) -> None:
        """The signed notification of a transfer's final status; `copies` > 1 delivers it again,
        each copy under its own X-EXTERNAL-ID, as a bank retrying a notification does."""
        if not state.notify_url:
            return
        path = httpx.URL(state.notify_url).path
        body = json.dumps(status_fields(state.transfers[external_id]), separators=(",", ":")).encode()
        for _ in range(state.notify_copies):
            timestamp = snap_timestamp()
            headers = {
                "content-type": "application/json",
                "X-TIMESTAMP": timestamp,
                "X-SIGNATURE": sign(state.secret, "POST", path, body, timestamp),
                "X-PARTNER-ID": "BANK-STANDIN",
                "X-EXTERNAL-ID": uuid.uuid4().hex,
                "CHANNEL-ID": "95221",
            }
            for attempt in range(5):  # a bank retries a notification a few times, then gives up
                try:
                    async with notifying:
                        answer = await notify_client().post(state.notify_url, content=body, headers=headers)
                    if answer.status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5 * 2**attempt)

    async def register_account(request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict) or not str(body.get("name", "")).strip():
            return JSONResponse({"detail": 'expected {"name": "…"}'}, 400)
        state.register(request.path_params["bank_code"], request.path_params["number"], str(body["name"]))
        return JSONResponse({"ok": True})

    async def control_down(request: Request) -> Response:
        seconds = float((await request.json()).get("seconds", 0))
        state.down_until = time.monotonic() + seconds
        return JSONResponse({"down_for": seconds})

    async def control_notify(request: Request) -> Response:
        state.notify_copies = max(0, int((await request.json()).get("copies", 1)))
        return JSONResponse({"copies": state.notify_copies})

    async def collect_cash(request: Request) -> Response:
        code = request.path_params["code"]
        for t in list(state.transfers.values()):
            if t["pickup_code"] == code and t["status"] == "pending":
                state.write({**t, "status": "succeeded"})
                state.later(notify(t["external_id"]))
                return JSONResponse({"collected": t["external_id"]})
        return JSONResponse({"detail": "no pick-up waiting with this code"}, 404)

    async def ledger(request: Request) -> Response:
        return JSONResponse(list(state.transfers.values()))

    async def statement(request: Request) -> Response:
        try:
            day = date.fromisoformat(request.path_params["day"])
        except ValueError:
            return JSONResponse({"detail": "day is YYYY-MM-DD"}, 400)
        xml = camt053(
            day, [t for t in state.transfers.values() if t["day"] == day.isoformat() and t["status"] == "succeeded"]
        )
        (state.directory / "statements" / f"{day.isoformat()}.xml").write_text(xml, encoding="utf-8")
        return Response(xml, media_type="application/xml")

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[
            Route("/_health", health, methods=["GET"]),
            Route("/v1.0/account-inquiry-external", account_inquiry, methods=["POST"]),
            Route("/v1.0/transfer-interbank", transfer, methods=["POST"]),
            Route("/v1.0/transfer/status", transfer_status, methods=["POST"]),
            Route("/_control/accounts/{bank_code}/{number}", register_account, methods=["PUT"]),
            Route("/_control/down", control_down, methods=["POST"]),
            Route("/_control/notify", control_notify, methods=["POST"]),
            Route("/_control/cash/{code}/collect", collect_cash, methods=["POST"]),
            Route("/_ledger", ledger, methods=["GET"]),
            Route("/_statements/{day}", statement, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.bank = state
    app.state.close_notifier = close_notifier  # for a server run without its lifespan (tests)
    return app


def camt053(day: date, booked: list[dict[str, Any]]) -> str:
    """The day's statement of the programme's account: one debit entry per booked transfer,
    its end-to-end id the partner reference Jaring sent (ISO 20022 camt.053.001.08)."""
    total = sum(t["amount"] for t in booked)
    entries = "".join(
        f"""
      <Ntry>
        <Amt Ccy="IDR">{t["amount"]}.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{day.isoformat()}</Dt></BookgDt>
        <AcctSvcrRef>{escape(t["reference_no"])}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{escape(t["partner_reference"])}</EndToEndId></Refs>
          <RltdPties><CdtrAcct><Id><Othr><Id>{escape(t["account_no"])}</Id></Othr></Id></CdtrAcct></RltdPties>
        </TxDtls></NtryDtls>
      </Ntry>"""
        for t in booked
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-{day:%Y%m%d}</MsgId><CreDtTm>{datetime.now(WIB).isoformat(timespec="seconds")}</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-{SOURCE_ACCOUNT}-{day:%Y%m%d}</Id>
      <Acct><Id><Othr><Id>{SOURCE_ACCOUNT}</Id></Othr></Id><Ccy>IDR</Ccy></Acct>
      <TxsSummry><TtlDbtNtries><NbOfNtries>{len(booked)}</NbOfNtries><Sum>{total}.00</Sum></TtlDbtNtries></TxsSummry>{entries}
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local SNAP bank stand-in: a ledger on disk, nothing real moves.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8106)
    parser.add_argument("--dir", default=".jaring/bank")
    parser.add_argument("--secret-file", help="file holding the client secret (else BANK_CLIENT_SECRET)")
    parser.add_argument("--notify-url", default=os.environ.get("BANK_NOTIFY_URL"))
    parser.add_argument("--slow-seconds", type=float, default=35.0)
    args = parser.parse_args(argv)
    # In a local or compose stack the stand-in shares claims' own variable.
    secret = (
        os.environ.get("BANK_CLIENT_SECRET")
        or os.environ.get("CLAIMS_BANK_CLIENT_SECRET")
        or (Path(args.secret_file).read_text().strip() if args.secret_file and Path(args.secret_file).exists() else "")
    )
    import uvicorn

    for sig in (signal.SIGTERM, signal.SIGINT):  # see provider.py: a stop by signal exits 0
        signal.signal(sig, lambda *_: None)
    uvicorn.run(
        create_app(args.dir, secret=secret, notify_url=args.notify_url, slow_seconds=args.slow_seconds),
        host=args.host,
        port=args.port,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
