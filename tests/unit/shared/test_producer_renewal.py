"""A producer whose sequence state the broker lost (after a broker restart) is replaced, not
retried forever: the relay's next attempt goes out on a new producer id."""

import asyncio

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber

from shared.kafka import EventProducer, OutgoingRecord

RECORD = OutgoingRecord("claims.filed.v1", "CL-1", b"{}", [])


class FakeProducer:
    def __init__(self, fail: bool):
        self.fail, self.started, self.stopped, self.sent = fail, False, False, 0

    async def start(self):
        self.started = True

    async def stop(self):
        self.stopped = True

    async def send(self, *_args, **_kwargs):
        future = asyncio.get_running_loop().create_future()
        if self.fail:
            future.set_exception(OutOfOrderSequenceNumber())
        else:
            self.sent += 1
            future.set_result(None)
        return future


async def test_a_producer_out_of_sequence_is_replaced_and_the_next_batch_goes_out(monkeypatch):
    made = [FakeProducer(fail=True), FakeProducer(fail=False)]
    monkeypatch.setattr(EventProducer, "_new_producer", lambda self: made.pop(0) if made else None)
    producer = EventProducer("127.0.0.1:1", "test")
    first = producer._producer
    await producer.start()
    with pytest.raises(OutOfOrderSequenceNumber):
        await producer.send_all([RECORD])  # the relay keeps the batch and tries again
    second = producer._producer
    assert second is not first and first.stopped and second.started
    await producer.send_all([RECORD])
    assert second.sent == 1
