"""The console's consumer groups: two for the event index, one reading every catalogue topic that
drops its events after a while and one reading the topic that keeps them for ever, and one thin
subscriber over every dead-letter topic.

The index goes through shared.consuming like every other consumer (batches, retries), without
an inbox: the index is keyed by the event id, so it is its own (Consumer.inbox); its handler map
takes every event type the topics carry. One group for the topics that
drop their events (issue 17): a group per topic cost each topic's fetch loop, transaction and offset
commit a poll, most of it for topics with nothing new. The participants topic keeps its events for
ever, and so had to the inbox rows of a group that read it (shared/pruning.py): it kept a group of its
own, so that the other topics' rows were pruned, and keeps it (the rows its inbox kept before the index
became its own inbox are still the trace page's for those events). It dead-letters
nothing: a record it cannot read is dead-lettered by the services that consume the topic
(and reaches the console that way); a console copy would only repeat theirs, and a
console rebuilt from scratch would repeat every poison message in the topics' history.

The dead-letter topics cannot go through shared.consuming: their records are there
*because* they may not parse, and the console must record exactly those. So their index
is a plain FastStream subscriber that parses nothing it does not have to, keyed by
(topic, partition, offset) so a redelivery records nothing new; NACK_ON_ERROR rewinds
the offset when the database fails, and the record comes again.
"""

from __future__ import annotations

from collections.abc import Callable

from aiokafka import ConsumerRecord
from faststream import AckPolicy

from services.console import handlers
from shared.consuming import Consumer, raw_records
from shared.pruning import FOR_EVER
from shared.service import Runtime
from shared.topics import CATALOGUE, Topic

DEAD_LETTER_TOPICS: tuple[str, ...] = tuple(topic.dlq for topic in CATALOGUE)


# Topics that keep their events for ever, each read by a group of its own; the others by one group.
_KEPT_FOR_EVER = tuple(topic for topic in CATALOGUE if topic.retention_ms == FOR_EVER)
_DROPPING = tuple(topic for topic in CATALOGUE if topic.retention_ms != FOR_EVER)


def _topic_index_consumer_name(prefix: str, topic_name: str) -> str:
    """A topic's own group: every topic's until the others became one group (the console's migration
    0008), the participants topic's still."""
    return f"{prefix}.index.{topic_name}"


def index_consumer_names(prefix: str) -> list[str]:
    """The index's consumers, whose inbox rows kept the traceparent of events indexed before the
    index kept it itself (the trace page reads them)."""
    return [consumer.name for consumer in index_consumers(prefix)]


def _index_consumer(name: str, topics: tuple[Topic, ...], formerly: dict[str, Topic]) -> Consumer:
    events = {event: handlers.index_event for topic in topics for event in topic.events}
    return Consumer(name, topics, events, dead_letters=False, inbox=False, background=True, formerly=formerly)


def index_consumers(prefix: str) -> list[Consumer]:
    formerly = {_topic_index_consumer_name(prefix, topic.name): topic for topic in _DROPPING}
    return [
        _index_consumer(f"{prefix}.index", _DROPPING, formerly),
        *(_index_consumer(_topic_index_consumer_name(prefix, topic.name), (topic,), {}) for topic in _KEPT_FOR_EVER),
    ]


def dead_letter_group(prefix: str) -> str:
    return f"{prefix}.dead-letters"


def dead_letter_subscriber(prefix: str) -> Callable[[Runtime], None]:
    group = dead_letter_group(prefix)

    def register(runtime: Runtime) -> None:
        @runtime.broker.subscriber(
            *DEAD_LETTER_TOPICS,
            group_id=group,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            max_poll_records=100,
            decoder=raw_records,
            title=group,
            description=f"{group} records every dead letter for operators",
        )
        async def on_dead_letter(record: ConsumerRecord) -> None:
            await handlers.record_dead_letter(runtime.pool, record)

    return register
