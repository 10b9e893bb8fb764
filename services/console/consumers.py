"""The console's consumer groups: one for the event index, reading every catalogue topic, and one
thin subscriber over every dead-letter topic.

The index goes through shared.consuming like every other consumer (inbox, batches,
retries); its handler map takes every event type the topics carry. One group for all of them
(issue 17): a group per topic cost each topic's fetch loop, transaction and offset commit a poll, most
of it for topics with nothing new. It dead-letters
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
from shared.service import Runtime
from shared.topics import CATALOGUE

DEAD_LETTER_TOPICS: tuple[str, ...] = tuple(topic.dlq for topic in CATALOGUE)


def _former_index_consumer_name(prefix: str, topic_name: str) -> str:
    """A group per topic, until the index became one group (migrations/0008_one_group_for_the_index.sql)."""
    return f"{prefix}.index.{topic_name}"


def index_consumer_name(prefix: str) -> str:
    return f"{prefix}.index"


def index_consumer_names(prefix: str) -> list[str]:
    """The index's consumers, whose inbox rows kept each event's traceparent (the trace page reads them)."""
    return [index_consumer_name(prefix)]


def index_consumers(prefix: str) -> list[Consumer]:
    return [
        Consumer(
            index_consumer_name(prefix),
            CATALOGUE,
            {event: handlers.index_event for topic in CATALOGUE for event in topic.events},
            dead_letters=False,
            formerly={_former_index_consumer_name(prefix, topic.name): topic for topic in CATALOGUE},
        )
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
