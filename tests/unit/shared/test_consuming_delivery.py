"""A set-based handler's Delivery: still the three-tuple handlers unpack, with the Kafka record
beside it (the console's index reads where each event sits)."""

from __future__ import annotations

from aiokafka import ConsumerRecord

from shared.consuming import Delivery


def kafka_record(offset: int) -> ConsumerRecord:
    return ConsumerRecord(
        topic="claims.filed.v1",
        partition=1,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"CLM-1",
        value=b"{}",
        checksum=None,
        serialized_key_size=5,
        serialized_value_size=2,
        headers=(),
    )


def test_a_delivery_unpacks_as_its_three_fields_and_keeps_its_record_when_replaced():
    record = kafka_record(42)
    delivery = Delivery("envelope", "payload", "00-trace-01", record)

    envelope, payload, traceparent = delivery  # as every set-based handler reads it
    assert (envelope, payload, traceparent) == ("envelope", "payload", "00-trace-01")
    assert delivery.record is record
    traced = delivery._replace(traceparent="00-other-01")
    assert tuple(traced) == ("envelope", "payload", "00-other-01")
    assert traced.record is record
    assert delivery._replace(record=None).record is None


def test_a_delivery_built_by_hand_has_no_record():
    assert Delivery("envelope", "payload").record is None
    assert Delivery("envelope", "payload").traceparent is None
