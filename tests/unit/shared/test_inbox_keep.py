"""How long inbox rows are kept follows the retentions of the topic they deduplicate (shared/pruning.py)."""

from datetime import timedelta

from services.claims.app import consumers as claims_consumers
from services.claims.settings import ClaimsSettings
from services.console.consumers import index_consumers
from services.enrollment.app import consumers as enrollment_consumers
from services.enrollment.settings import EnrollmentSettings
from services.grievances.app import consumers as grievances_consumers
from services.grievances.settings import GrievancesSettings
from services.notifications.app import consumers as notifications_consumers
from services.notifications.settings import NotificationsSettings
from shared.pruning import inbox_keep, longest_keep
from shared.topics import CATALOGUE, DEAD_LETTER_RETENTION_MS

DAY_MS = 24 * 3600 * 1000


def test_rows_outlive_the_topic_and_its_dead_letters_by_a_day():
    assert inbox_keep(30 * DAY_MS, 30 * DAY_MS) == timedelta(days=30 + 30 + 1)
    assert inbox_keep(3600 * 1000, 30 * DAY_MS) == timedelta(days=30 + 1, hours=1)


def test_a_topic_or_dead_letters_kept_for_ever_keep_the_rows_for_ever():
    assert inbox_keep(-1, 30 * DAY_MS) is None
    assert inbox_keep(30 * DAY_MS, -1) is None


def test_every_topic_of_the_catalogue_keeps_rows_longer_than_any_copy_of_an_event_can_come():
    for topic in CATALOGUE:
        keep = inbox_keep(topic.retention_ms, DEAD_LETTER_RETENTION_MS)
        if topic.retention_ms == -1:
            assert keep is None, topic.name
        else:
            assert keep > timedelta(milliseconds=topic.retention_ms + DEAD_LETTER_RETENTION_MS), topic.name


def test_a_consumer_of_several_topics_keeps_its_rows_as_long_as_its_longest_keeping_topic_asks():
    # 2 + 3 + 1 days, and 10 + 3 + 1 days: an event id does not say which topic it came on.
    short, long_ = inbox_keep(2 * DAY_MS, 3 * DAY_MS), inbox_keep(10 * DAY_MS, 3 * DAY_MS)
    assert longest_keep([short, long_]) == timedelta(days=14)
    assert longest_keep([long_, short]) == timedelta(days=14)
    # One of them for ever (the participants topic): the rows are kept for ever.
    assert longest_keep([short, inbox_keep(-1, 3 * DAY_MS)]) is None


def test_no_group_reads_a_topic_kept_for_ever_beside_one_that_is_not():
    """Its inbox rows would all be kept for ever: those of the other topics too."""
    every = [
        *claims_consumers(ClaimsSettings()),
        *enrollment_consumers(EnrollmentSettings()),
        *notifications_consumers(NotificationsSettings()),
        *grievances_consumers(GrievancesSettings()),
        *index_consumers("console"),
    ]
    for consumer in every:
        kept = {topic.retention_ms == -1 for topic in consumer.topics}
        assert len(kept) == 1, (consumer.name, consumer.topic_names)
    assert any(len(c.topics) > 1 for c in every)  # groups of several topics there are
