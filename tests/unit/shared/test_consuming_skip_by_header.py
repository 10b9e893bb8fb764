"""A record whose event_type header names a contract type the consumer does not handle is skipped
unread; anything else is parsed (shared/consuming.py, ConsumerRunner._parse)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiokafka import ConsumerRecord

from shared.consuming import Consumer, ConsumerRunner
from shared.envelope import Envelope
from shared.topics import CLAIM_DECISIONS


def record(value: bytes, headers: list[tuple[str, bytes]]) -> ConsumerRecord:
    return ConsumerRecord(CLAIM_DECISIONS.name, 0, 1, 0, 0, b"CL-1", value, None, 4, len(value), headers)


class DeadLetters(ConsumerRunner):
    """The runner with its dead-letter producer replaced: the reasons it would have sent."""

    def __init__(self, handled: set[str]):
        super().__init__(
            Consumer("test", (CLAIM_DECISIONS,), {t: self._never for t in handled}), pool=None, producer=None
        )
        self.reasons: list[str] = []

    async def _never(self, *_args) -> None:
        raise AssertionError("the handler is not called by _parse")

    async def dead_letter(self, record, reason: str) -> None:
        self.reasons.append(reason)


async def test_an_event_of_a_type_it_does_not_handle_is_skipped_without_reading_the_body():
    runner = DeadLetters({"ClaimRejected"})
    # The body is not an envelope: had it been parsed, it would have been dead-lettered.
    outcome = await runner._parse(record(b"\x00not json", [("event_type", b"ClaimApproved")]))
    assert outcome == "skipped"
    assert runner.reasons == []
    assert runner.consumer.stats == {"skipped": 1}


async def test_a_record_naming_a_type_it_handles_is_parsed_and_an_unreadable_one_dead_lettered():
    runner = DeadLetters({"ClaimRejected"})
    outcome = await runner._parse(record(b"\x00not json", [("event_type", b"ClaimRejected")]))
    assert outcome == "dead_lettered"
    assert runner.reasons[0].startswith("not a Jaring envelope")


async def test_without_the_header_or_with_an_unknown_type_the_body_decides():
    runner = DeadLetters({"ClaimRejected"})
    assert await runner._parse(record(b"\x00not json", [])) == "dead_lettered"
    assert await runner._parse(record(b"\x00not json", [("event_type", b"?")])) == "dead_lettered"
    # A readable envelope of another type, without the header: parsed, then skipped by its type.
    envelope = Envelope(
        event_id=uuid.uuid4(),
        type="ClaimApproved",
        version=1,
        occurred_at=datetime(2026, 11, 29, tzinfo=UTC),
        correlation_id="CL-1",
        producer="claims",
        payload={},
    )
    assert await runner._parse(record(envelope.to_bytes(), [])) == "skipped"
    assert len(runner.reasons) == 2
