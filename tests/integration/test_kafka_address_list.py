"""KAFKA_BOOTSTRAP_SERVERS as a cluster gives it: several `host:port` separated by commas.

FastStream's broker used to receive the whole list as one host, so every service exited at
start. Here the first address answers nothing (as a broker that is down would not) and the
second is the real broker: the services start, publish and consume."""

from __future__ import annotations

import socket
from datetime import date

import pytest

from services.claims.app import build_spec as claims_spec
from services.claims.settings import ClaimsSettings
from services.enrollment.app import build_spec as enrollment_spec
from services.enrollment.domain import Period
from services.enrollment.settings import EnrollmentSettings
from shared.kafka import bootstrap_list
from tests.support.claimants import claims_knows, enrol, pay, unique_name
from tests.support.services import infra_settings, running

pytestmark = pytest.mark.integration


def a_closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: nothing listens there


def test_an_address_list_is_split_into_its_brokers():
    assert bootstrap_list("10.0.0.1:9092, 10.0.0.2:9092,,10.0.0.3:9094") == [
        "10.0.0.1:9092",
        "10.0.0.2:9092",
        "10.0.0.3:9094",
    ]


async def test_services_start_and_consume_with_several_bootstrap_addresses(kafka_bootstrap, database_url):
    addresses = f"127.0.0.1:{a_closed_port()},{kafka_bootstrap}"
    infra = infra_settings(addresses, database_url)
    fast = dict(outbox_poll_seconds=0.2, handler_backoff_seconds=0.05)
    async with (
        running(enrollment_spec(EnrollmentSettings(infra=infra, coverage_sweep_seconds=0, **fast))) as e,
        running(claims_spec(ClaimsSettings(infra=infra, **fast))) as c,
    ):
        name = unique_name("Daeng Ngai")
        today = date.today()
        participant_id = await enrol(e, full_name=name, member_since=today, heirs=[])
        await pay(e, participant_id, Period.of(today), today)
        # claims' FastStream consumer read enrollment's events through the address list
        await claims_knows(c, participant_id, name, "active", timeout=60)
