"""The bank stand-in answers as a SNAP bank does: signed requests only, an external id once a
day, no deduplication of a transfer sent again under a new external id, its test accounts'
outcomes, and a camt.053 statement of what it booked."""

import asyncio
import xml.etree.ElementTree as ET

import httpx
import pytest

from deploy.local.standins.bank import create_app
from services.claims.disbursement.bank import SnapBank

SECRET = "unit-bank-secret"


@pytest.fixture
async def bank(tmp_path):
    app = create_app(tmp_path, secret=SECRET, slow_seconds=0.05, notify_delay=0.01)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bank") as control:
        adapter = SnapBank("http://bank", "JARING", SECRET, "95221", "1200099887766")
        adapter._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bank")
        yield adapter, control, app.state.bank
        await adapter.close()


async def test_an_unsigned_request_is_refused(bank):
    _, control, _ = bank
    answer = await control.post(
        "/v1.0/transfer-interbank",
        json={"amount": {"value": "1.00", "currency": "IDR"}},
        headers={
            "X-TIMESTAMP": "2026-11-29T10:00:00+07:00",
            "X-SIGNATURE": "forged",
            "X-PARTNER-ID": "x",
            "X-EXTERNAL-ID": "1",
            "CHANNEL-ID": "95221",
        },
    )
    assert answer.status_code == 401 and answer.json()["responseCode"] == "4011800"


async def test_each_test_account_decides_its_outcome(bank):
    adapter, control, _ = bank
    for number, name in (("5550000001", "ANDI BASO"), ("5550000004", "ANDI BASO"), ("5550000009", "ANDI BASO")):
        assert (await control.put(f"/_control/accounts/002/{number}", json={"name": name})).status_code == 200
    assert (await adapter.check_account("002", "5550000001")).holder_name == "ANDI BASO"
    assert (await adapter.check_account("002", "5550000004")).reason_code == "AC04"
    assert (await adapter.check_account("002", "5550000009")).holder_name == "NAMA TIDAK SESUAI"
    assert (await adapter.check_account("002", "5550000002")).reason_code == "AC01"  # never opened

    paid = await adapter.transfer("101", 1_000_000, "002", "5550000001", "ANDI BASO")
    assert paid.status == "succeeded" and paid.bank_reference
    for number, reason in (("1111000006", "AC06"), ("1111000007", "MD07")):
        accepted = await adapter.transfer(f"1{number}", 1_000_000, "002", number, "X")
        assert accepted.status == "pending"
        await asyncio.sleep(0.05)
        later = await adapter.transfer_status(f"1{number}")
        assert (later.status, later.reason_code) == ("rejected", reason)
    assert await adapter.transfer_status("never-sent") is None


async def test_an_external_id_is_refused_the_second_time_but_a_new_one_pays_again(bank):
    adapter, _, state = bank
    await adapter.transfer("201", 500_000, "002", "1111000001", "ANDI BASO")
    from services.claims.disbursement.bank import BankUnavailable

    with pytest.raises(BankUnavailable, match="409"):
        await adapter.transfer("201", 500_000, "002", "1111000001", "ANDI BASO")
    await adapter.transfer("202", 500_000, "002", "1111000001", "ANDI BASO")
    booked = [t for t in state.transfers.values() if t["status"] == "succeeded"]
    assert len(booked) == 2  # a bank pays what it is asked twice under two external ids


async def test_the_statement_books_every_succeeded_transfer_of_the_day(bank, tmp_path):
    adapter, control, state = bank
    await adapter.transfer("301", 1_500_000, "002", "1111000001", "ANDI BASO")
    await adapter.transfer("302", 2_500_000, "002", "1111000002", "NURUL AISYAH")
    day = next(iter(state.transfers.values()))["day"]
    xml = (await control.get(f"/_statements/{day}")).text
    ns = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"}
    root = ET.fromstring(xml)
    refs = sorted(e.text for e in root.iterfind(".//c:EndToEndId", ns))
    assert refs == ["301", "302"]
    assert root.find(".//c:TtlDbtNtries/c:Sum", ns).text == f"{1_500_000 + 2_500_000}.00"
    assert (tmp_path / "statements" / f"{day}.xml").exists()


async def test_a_timestamp_without_offset_or_out_of_the_window_is_refused(bank):
    from deploy.local.standins.bank import sign

    _, control, _ = bank
    body = b'{"beneficiaryBankCode":"002","beneficiaryAccountNo":"1111000001"}'
    for stamp in ("2026-11-29T10:00:00", "2020-01-01T10:00:00+07:00"):
        headers = {
            "X-TIMESTAMP": stamp,
            "X-SIGNATURE": sign(SECRET, "POST", "/v1.0/account-inquiry-external", body, stamp),
            "X-PARTNER-ID": "x",
            "X-EXTERNAL-ID": stamp,
            "CHANNEL-ID": "95221",
        }
        answer = await control.post("/v1.0/account-inquiry-external", content=body, headers=headers)
        assert answer.status_code in (400, 401), answer.text


async def test_registered_accounts_outlive_a_restart_and_the_last_name_given_is_kept(tmp_path):
    """The register is a log the stand-in appends to (a rewrite per account made it the slowest
    part of the chaos run at 10,000 payees); a restarted bank reads it back, later lines winning."""
    app = create_app(tmp_path, secret=SECRET)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bank") as control:
        for number, name in (("5550000001", "ANDI BASO"), ("5550000002", "SITTI"), ("5550000001", "ANDI B.")):
            assert (await control.put(f"/_control/accounts/002/{number}", json={"name": name})).status_code == 200
    restarted = create_app(tmp_path, secret=SECRET).state.bank
    assert restarted.accounts[("002", "5550000001")] == "ANDI B."
    assert restarted.accounts[("002", "5550000002")] == "SITTI"
    assert len((tmp_path / "accounts.jsonl").read_text().splitlines()) == 3
