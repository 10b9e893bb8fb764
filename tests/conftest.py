import os
import time
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.kafka_tools import stop_kafka_tasks_left_running
from tests.support.stack import kafka_for_tests, postgres_for_tests

# The services' "today" is Makassar's calendar day (shared/clock.py, WITA = UTC+8); tests write
# `date.today()`. From 16:00 to 24:00 UTC the two are different days, and a test comparing a deadline
# the services worked out with one it worked out itself fails for eight hours a day. So this process
# keeps Makassar's local time. Only this process: TZ is read once by tzset and taken out of the
# environment again, so Kafka and PostgreSQL (which the suite starts) keep their own settings.
os.environ["TZ"] = "Asia/Makassar"
time.tzset()
del os.environ["TZ"]

# Claims sends a random 5 % of the claims its rules approve to a supervisor (fraud controls,
# services/claims/domain/sampling.py). Tests that expect the rules' own outcome would then fail
# one time in twenty: the suite draws none, in this process and in the services it starts as
# processes (they inherit the environment); the sampling tests set their own rate.
os.environ.setdefault("CLAIMS_REVIEW_SAMPLE_RATE", "0")
# Notifications holds a family's first message ten minutes (a claim filed in error can be
# withdrawn before it goes); the suite sends at once, and the withdrawal tests set their own hold.
os.environ.setdefault("NOTIFICATIONS_FIRST_MESSAGE_HOLD_SECONDS", "0")
# Claims refuses to start without the bank's client secret; every claims process a test starts
# (in this process or as a child) signs with this one, and so does the tests' bank stand-in.
BANK_TEST_SECRET = "jaring-test-bank-secret-not-for-production"
os.environ.setdefault("CLAIMS_BANK_CLIENT_SECRET", BANK_TEST_SECRET)
INBOUND_TEST_SECRET = "jaring-test-inbound-secret-not-for-production"
os.environ.setdefault("NOTIFICATIONS_INBOUND_SECRET", INBOUND_TEST_SECRET)
# No random sample of payees is asked whether the money arrived (tests count messages exactly);
# payees paid more than Rp 50,000,000 still are.
os.environ.setdefault("CLAIMS_RECEIPT_SURVEY_PERCENT", "0")


@pytest.fixture(scope="session")
def infra():
    """(kafka bootstrap, database url) — real ones, started once per test session."""
    kafka_cm, pg_cm = kafka_for_tests(), postgres_for_tests()
    with ThreadPoolExecutor(2) as pool:  # both take seconds to start: start them together
        kafka_future = pool.submit(kafka_cm.__enter__)
        pg_future = pool.submit(pg_cm.__enter__)
        bootstrap, database_url = kafka_future.result(), pg_future.result()
    try:
        yield bootstrap, database_url
    finally:
        kafka_cm.__exit__(None, None, None)
        pg_cm.__exit__(None, None, None)


@pytest.fixture(scope="session")
def kafka_bootstrap(infra) -> str:
    return infra[0]


@pytest.fixture(scope="session")
def database_url(infra) -> str:
    return infra[1]


@pytest.fixture(scope="session")
def keycloak():
    """Keycloak with the stack's realm, started (on a free port) only when a test asks for it:
    the officer's sign-in and the scripts' client credentials (tests/support/keycloak.py)."""
    from tests.support.keycloak import keycloak_for_tests

    with keycloak_for_tests() as kc:
        yield kc


@pytest.fixture(scope="module", autouse=True)
async def no_kafka_client_outlives_its_module(request):
    """Every test shares one event loop, so a Kafka client a module forgot to stop keeps running
    through the rest of the session. Once its brokers are gone (a module's own cluster, stopped at
    its end) it reconnects without pause, its errors pile up in the log capture, and the session
    crawls to a halt. So what a module leaves behind is stopped here, and named in a warning."""
    yield
    left = await stop_kafka_tasks_left_running()
    if left:
        warnings.warn(f"{request.module.__name__} left Kafka client tasks running: {', '.join(left)}", stacklevel=1)


@pytest.fixture
def unique() -> str:
    """A short unique suffix for topic, group and schema names of one test."""
    return uuid.uuid4().hex[:10]
