"""The bank, as disbursement sees it: account inquiry, transfer, transfer status.

`Bank` is the interface; `SnapBank` speaks Bank Indonesia's SNAP API to any bank that offers
it (the local stand-in, deploy/local/standins/bank.py, or a real one: its base URL, partner
id, channel id, source account and client secret are settings, CLAIMS_BANK_*).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from shared import snap

# SNAP response codes are HTTP status + service code + case code; the case codes a rejection
# is known by, with the ISO 20022 reason Jaring records (when the bank sends none itself).
_CASE_REASON = {("404", "11"): "AC01", ("403", "18"): "AC04", ("403", "07"): "AC06", ("403", "09"): "AC06"}


@dataclass(frozen=True)
class AccountCheck:
    holder_name: str | None  # None when refused
    reason_code: str | None = None  # ISO 20022 reason when the account cannot be paid


@dataclass(frozen=True)
class BankAnswer:
    status: str  # pending, succeeded, rejected
    reason_code: str | None = None
    bank_reference: str | None = None
    pickup_code: str | None = None


class BankUnavailable(Exception):
    """No answer that says what happened (timeout, connection refused, 5xx, a refused
    duplicate): the transfer may or may not have been made. Ask for its status later."""


class BankTimedOut(BankUnavailable):
    """The bank took the request and did not answer in time: one slow account, not a bank that
    is down, so the worker goes on with the others."""


class Bank(Protocol):
    async def check_account(self, bank_code: str, account_number: str) -> AccountCheck: ...

    async def transfer(
        self, external_id: str, amount: int, bank_code: str, account_number: str, account_name: str
    ) -> BankAnswer: ...

    async def transfer_status(self, external_id: str) -> BankAnswer | None:
        """None: the bank has no transfer under this external id."""


class SnapBank:
    def __init__(
        self,
        base_url: str,
        partner_id: str,
        client_secret: str,
        channel_id: str,
        source_account: str,
        timeout_seconds: float = 10.0,
        concurrency: int = 16,
    ):
        if not client_secret:
            raise ValueError("the bank's client secret is required (CLAIMS_BANK_CLIENT_SECRET)")
        # One kept-alive connection per call the worker has in flight (CLAIMS_DISBURSEMENT_CONCURRENCY).
        # An idle one is dropped after 4 s, before a server's common 5 s idle timeout (the stand-in's
        # uvicorn): a connection the bank is closing, reused, fails the call as a ReadError.
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout_seconds,
            limits=httpx.Limits(
                max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=4.0
            ),
        )
        self._prefix = httpx.URL(base_url).path.rstrip("/")
        self._partner_id, self._secret = partner_id, client_secret
        self._channel_id, self._source = channel_id, source_account

    async def close(self) -> None:
        await self._client.aclose()

    async def _post(self, path: str, body: dict[str, Any], external_id: str | None = None) -> httpx.Response:
        raw = snap.minify(httpx.Request("POST", "http://x", json=body).content)
        stamp = snap.timestamp()
        headers = {
            "content-type": "application/json",
            "X-TIMESTAMP": stamp,
            "X-SIGNATURE": snap.signature(self._secret, "POST", self._prefix + path, raw, stamp),
            "X-PARTNER-ID": self._partner_id,
            "CHANNEL-ID": self._channel_id,
            # Each request has its own external id, unique per day; a transfer's is the attempt's.
            "X-EXTERNAL-ID": external_id or uuid.uuid4().hex,
        }
        try:
            answer = await self._client.post(path, content=raw, headers=headers)
        except httpx.ReadTimeout as exc:
            raise BankTimedOut(f"{path}: {exc!r}") from exc
        except httpx.HTTPError as exc:
            raise BankUnavailable(f"{path}: {exc!r}") from exc
        if answer.status_code >= 500 or answer.status_code in (401, 409, 429):
            # 401: our signature or clock is wrong; 409: this external id was used today. Neither
            # says whether the money moved.
            raise BankUnavailable(f"{path}: {answer.status_code} {answer.text[:200]}")
        return answer

    @staticmethod
    def _reason(data: dict[str, Any]) -> str:
        code = str(data.get("responseCode", ""))
        return (data.get("additionalInfo") or {}).get("reasonCode") or _CASE_REASON.get((code[:3], code[5:7]), "AC01")

    async def check_account(self, bank_code: str, account_number: str) -> AccountCheck:
        answer = await self._post(
            "/v1.0/account-inquiry-external",
            {
                "beneficiaryBankCode": bank_code,
                "beneficiaryAccountNo": account_number,
                "partnerReferenceNo": uuid.uuid4().hex,
            },
        )
        data = answer.json()
        if answer.status_code == 200 and str(data.get("responseCode", "")).startswith("200"):
            return AccountCheck(holder_name=data.get("beneficiaryAccountName"))
        return AccountCheck(holder_name=None, reason_code=self._reason(data))

    async def transfer(
        self, external_id: str, amount: int, bank_code: str, account_number: str, account_name: str
    ) -> BankAnswer:
        answer = await self._post(
            "/v1.0/transfer-interbank",
            {
                "partnerReferenceNo": external_id,
                "amount": {"value": f"{amount}.00", "currency": "IDR"},
                "beneficiaryAccountName": account_name,
                "beneficiaryAccountNo": account_number,
                "beneficiaryBankCode": bank_code,
                "sourceAccountNo": self._source,
                "transactionDate": snap.timestamp(),
            },
            external_id,
        )
        data = answer.json()
        info = data.get("additionalInfo") or {}
        if answer.status_code == 200:
            return BankAnswer("succeeded", bank_reference=data.get("referenceNo"))
        if answer.status_code == 202:
            return BankAnswer("pending", bank_reference=data.get("referenceNo"), pickup_code=info.get("pickupCode"))
        return BankAnswer("rejected", reason_code=self._reason(data), bank_reference=data.get("referenceNo"))

    async def transfer_status(self, external_id: str) -> BankAnswer | None:
        answer = await self._post(
            "/v1.0/transfer/status",
            {"originalPartnerReferenceNo": external_id, "originalExternalId": external_id, "serviceCode": "18"},
        )
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise BankUnavailable(f"status of {external_id}: {answer.status_code} {answer.text[:200]}")
        return answer_of_status(answer.json())


def answer_of_status(data: dict[str, Any]) -> BankAnswer:
    """A transfer status (inquiry answer or notification body) as Jaring reads it. SNAP's
    latestTransactionStatus: 00 success, 01 initiated, 02 paying, 03 pending, 04 refunded,
    05 canceled, 06 failed, 07 not found."""
    code = str(data.get("latestTransactionStatus", ""))
    info = data.get("additionalInfo") or {}
    status = {"00": "succeeded", "04": "rejected", "05": "rejected", "06": "rejected"}.get(code, "pending")
    return BankAnswer(
        status,
        reason_code=info.get("reasonCode") or ("AC01" if status == "rejected" else None),
        bank_reference=data.get("originalReferenceNo"),
        pickup_code=info.get("pickupCode"),
    )
