"""Which consumers nobody waits on (`Consumer.background`), which read topics of rare records
(`Consumer.quiet`), and the polls each kind gets: the views and read models people look at take
bigger, slower polls; a quiet consumer is answered at its first record and fetches less often while
idle; every other step a claim or a family's message waits for keeps the short batched ones, and
fetches as a quiet one once idle (shared.service.configure_consumer, shared/fetch_pace.py)."""

from __future__ import annotations

from services.claims.app import build_spec as claims
from services.console.app import build_spec as console
from services.enrollment.app import build_spec as enrollment
from services.grievances.app import build_spec as grievances
from services.notifications.app import build_spec as notifications
from shared.contracts.claims import ClaimApproved
from shared.envelope import new_envelope
from shared.service import configure_consumer
from shared.settings import ServiceSettings

BACKGROUND = {
    "console.index",
    "console.index.enrollment.participants.v1",
    "grievances.participants",
    "grievances.claims",
    "claims.timeline",
}
# A family's texts, complaints, notices and lookups: a few a day, each waited for by someone.
QUIET = {"enrollment.reminder_stops", "grievances.inbound", "notifications.family"}


def every_consumer():
    for build in (claims, console, enrollment, grievances, notifications):
        spec = build()
        yield from spec.consumers(spec.settings)


def test_only_the_views_and_read_models_nobody_waits_on_are_background():
    consumers = {c.name: c for c in every_consumer()}
    assert {name for name, c in consumers.items() if c.background} == BACKGROUND
    # The steps of a claim and of its family's messages, and the read models a filing checks.
    for on_the_path in ("claims.verification", "claims.decisions", "claims.participants", "notifications.claims"):
        assert not consumers[on_the_path].background


def test_only_the_consumers_of_a_familys_own_messages_are_quiet():
    consumers = {c.name: c for c in every_consumer()}
    assert {name for name, c in consumers.items() if c.quiet} == QUIET
    assert not any(c.background for c in consumers.values() if c.quiet)


def test_background_consumers_take_bigger_polls_that_may_wait_longer_and_quiet_ones_are_answered_at_once():
    settings = ServiceSettings(
        quiet_consumer_fetch_max_wait_ms=500,
        consumer_batch_size=500,
        consumer_fetch_max_wait_ms=100,
        consumer_fetch_min_bytes=65_536,
        background_consumer_batch_size=2500,
        background_consumer_fetch_max_wait_ms=500,
        background_consumer_fetch_min_bytes=1_048_576,
        consumer_idle_after_seconds=1.0,
    )
    for consumer in every_consumer():
        configure_consumer(consumer, settings)
        polls = (consumer.batch_size, consumer.fetch_max_wait_ms, consumer.fetch_min_bytes)
        if consumer.name in BACKGROUND:
            assert polls == (2500, 500, 1_048_576), consumer.name
            assert consumer.idle_after_seconds == 0, consumer.name  # its polls are slow already
        elif consumer.name in QUIET:
            assert polls == (500, 500, 1), consumer.name  # the broker answers at the first record
            assert consumer.idle_after_seconds == 0, consumer.name  # quiet always
        else:
            assert polls == (500, 100, 65_536), consumer.name
            # Batching while records come, quiet (as the quiet ones) once none came for a second.
            assert (consumer.idle_after_seconds, consumer.idle_fetch_max_wait_ms) == (1.0, 500), consumer.name


def test_the_defaults_wait_half_a_second_at_most_for_a_view_and_a_tenth_on_a_claims_path():
    defaults = ServiceSettings()
    assert (defaults.background_consumer_fetch_max_wait_ms, defaults.consumer_fetch_max_wait_ms) == (500, 100)
    assert defaults.quiet_consumer_fetch_max_wait_ms == 500
    assert defaults.consumer_idle_after_seconds == 1.0
    assert defaults.background_consumer_batch_size > defaults.consumer_batch_size


def test_a_poll_takes_more_than_a_fetch_waits_for_even_of_the_smallest_events():
    """aiokafka fetches no partition whose records a poll left behind: a poll smaller than its fetch
    puts the partitions' fetches apart (a claim's decision then comes before its filing, on another
    topic, and waits). So a poll must hold what a fetch waits for, counted in the smallest event the
    claim's topics carry: an approval, with the relay's headers and Kafka's record overhead."""
    approval = new_envelope(
        ClaimApproved(claim_id="CLM-000001", participant_id="P-000001", claim_type="JKK", decided_by="rules"),
        correlation_id="CLM-000001",
        producer="claims",
    )
    traceparent = len("traceparent") + len("00-" + "0" * 32 + "-" + "0" * 16 + "-01")
    headers = sum(len(name) + len(value) for name, value in approval.kafka_headers()) + traceparent
    smallest = len(approval.to_bytes()) + len(b"CLM-000001") + headers + 20  # 20: a record's own fields, at least
    defaults = ServiceSettings()
    assert defaults.consumer_batch_size * smallest > defaults.consumer_fetch_min_bytes
    assert defaults.background_consumer_batch_size * smallest > defaults.background_consumer_fetch_min_bytes
