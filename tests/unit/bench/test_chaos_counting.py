"""The chaos run counts messages as families see them: every request the provider accepted
and every mail taken, per channel (neither provider deduplicates)."""

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.chaos import ChaosReport, _check_messages

EVENT = uuid.uuid4()


@dataclass
class FakeStack:
    provider_requests: Path
    mail_dir: Path


class FakeConn:
    def __init__(self, rows):
        self.rows = rows

    async def fetch(self, *_args):
        return self.rows


def row(heir_id, channel, status="delivered"):
    return {
        "claim_id": "CLM-1",
        "about_event": "ClaimFiled",
        "heir_id": heir_id,
        "channel": channel,
        "event_id": EVENT,
        "status": status,
    }


def write(path: Path, entries):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))


async def count(tmp_path, rows, requests, mails) -> ChaosReport:
    stack = FakeStack(tmp_path / "provider" / "requests.jsonl", tmp_path / "mail")
    write(stack.provider_requests, requests)
    write(stack.mail_dir / "index.jsonl", mails)
    report = ChaosReport()
    await _check_messages(FakeConn(rows), stack, ["CLM-1"], report)
    return report


def accepted(key, channel="whatsapp", status=200):
    return {"idempotency_key": key, "channel": channel, "status": status, "duplicate": False}


async def test_a_resent_whatsapp_message_is_counted_as_the_family_sees_it(tmp_path):
    wa, mail = f"{EVENT}:H-1:whatsapp", f"{EVENT}:H-2:email"
    # WhatsApp: refused once (500), then accepted twice: two messages on the phone.
    report = await count(
        tmp_path,
        [row("H-1", "whatsapp"), row("H-2", "email")],
        [accepted(wa, status=500), accepted(wa), accepted(wa)],
        [{"idempotency_key": mail}],
    )
    assert report.duplicates_by_channel == {"whatsapp": 1, "sms": 0, "email": 0}
    assert report.duplicated_messages == 1
    assert not report.ok
    assert "whatsapp 1" in report.table()


async def test_an_unknown_message_fails_the_run_only_if_the_family_never_got_it(tmp_path):
    got = f"{EVENT}:H-1:whatsapp"  # H-2's message never reached the provider
    report = await count(
        tmp_path, [row("H-1", "whatsapp", "unknown"), row("H-2", "whatsapp", "unknown")], [accepted(got)], []
    )
    assert (report.unknown_messages, report.unknown_never_received) == (2, 1)
    assert report.duplicated_messages == 0 and report.undelivered_messages == 0
    assert not report.ok


async def test_each_message_once_on_every_channel_is_clean(tmp_path):
    keys = [f"{EVENT}:H-1:sms", f"{EVENT}:H-2:email"]
    report = await count(
        tmp_path, [row("H-1", "sms"), row("H-2", "email")], [accepted(keys[0], "sms")], [{"idempotency_key": keys[1]}]
    )
    assert report.duplicates_by_channel == {"whatsapp": 0, "sms": 0, "email": 0}
    assert (report.duplicated_messages, report.undelivered_messages, report.unknown_messages) == (0, 0, 0)
    assert report.ok


async def test_a_message_still_pending_when_the_wait_ended_is_named_as_such_not_as_lost(tmp_path):
    report = ChaosReport(settle_seconds=900)
    stack = FakeStack(tmp_path / "provider" / "requests.jsonl", tmp_path / "mail")
    write(stack.provider_requests, [accepted(f"{EVENT}:H-1:whatsapp")])
    write(stack.mail_dir / "index.jsonl", [])
    rows = [row("H-1", "whatsapp"), row("H-2", "whatsapp", "pending"), row("H-3", "sms", "sending")]
    await _check_messages(FakeConn(rows), stack, ["CLM-1"], report)
    # H-2 waits for its next attempt, H-3 is being sent: 2 still pending, none lost or doubled.
    assert (report.still_pending, report.undelivered_messages, report.duplicated_messages) == (2, 0, 0)
    assert not report.ok
    row_of = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in report.table().splitlines()}
    assert row_of["messages still pending after 900 s of waiting"] == "2"
    assert row_of["messages not delivered"] == "0"
    assert [p.split(" still ")[1] for p in report.problems] == [
        "pending after 900 s of waiting",
        "sending after 900 s of waiting",
    ]


async def test_an_incident_filed_as_two_claims_is_a_doubling():
    from types import SimpleNamespace

    from bench.chaos import _check_incidents

    # What PostgreSQL answered in the chaos run at scale: the first claim rejected, the retried filing
    # accepted as a new claim 241 s later.
    rows = [{"participant_id": "P-1", "claims": ["CL-a rejected", "CL-b filed"]}]
    report = ChaosReport()
    await _check_incidents(FakeConn(rows), [SimpleNamespace(participant_id="P-1")], report)
    assert report.incidents_filed_twice == 1
    assert report.problems == ["participant P-1: one incident, claims CL-a rejected, CL-b filed"]
    assert not report.ok
