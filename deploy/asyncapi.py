"""Writes one AsyncAPI document per service, generated from the code (FastStream's
specification of its brokers): the topics each service publishes, with the payload
schema of every event on them, and the consumer groups it runs.

    python -m deploy.asyncapi docs/asyncapi        (make docs)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Union

import yaml
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pydantic import BaseModel, create_model

from services.claims.app import consumers as claims_consumers
from services.claims.settings import ClaimsSettings
from services.console.consumers import index_consumers
from services.console.settings import ConsoleSettings
from services.enrollment.settings import EnrollmentSettings
from services.grievances.app import consumers as grievances_consumers
from services.grievances.settings import GrievancesSettings
from services.notifications.app import consumers as notifications_consumers
from services.notifications.settings import NotificationsSettings
from shared.consuming import Consumer
from shared.contracts import EVENT_TYPES
from shared.envelope import Envelope
from shared.topics import CATALOGUE, Topic

SERVICES: dict[str, tuple[Any, Any]] = {
    "enrollment": (EnrollmentSettings, lambda _s: []),
    "claims": (ClaimsSettings, claims_consumers),
    "notifications": (NotificationsSettings, notifications_consumers),
    "grievances": (GrievancesSettings, grievances_consumers),
    # Publishes nothing; reads every topic into its index (and every .dlq, which has no schema).
    "console": (ConsoleSettings, lambda _s: index_consumers("console")),
}


def envelope_schema(topic: Topic) -> type[BaseModel]:
    """The envelope with the union of the topic's payloads, as one message model."""
    payloads = tuple(EVENT_TYPES[name] for name in topic.events)
    payload_type = payloads[0] if len(payloads) == 1 else Union[payloads]  # noqa: UP007 - runtime union
    fields = {name: (info.annotation, info) for name, info in Envelope.model_fields.items() if name != "payload"}
    return create_model(f"{topic.name.replace('.', '_')}_message", payload=(payload_type, ...), **fields)


def document(service: str) -> AsyncAPI:
    settings_class, consumers = SERVICES[service]
    broker = KafkaBroker("kafka:9092", description=f"Jaring {service}")
    for topic in CATALOGUE:
        if topic.producer == service:
            broker.publisher(topic.name, title=f"{service} publishes {topic.name}", schema=envelope_schema(topic),
                             description=f"{topic.description} Events: {', '.join(topic.events)}. Key: {topic.key}.")
    consumer: Consumer
    for consumer in consumers(settings_class()):
        async def handle(message) -> None:
            """Documentation only: the real subscriber is shared.consuming.subscribe."""

        handle.__annotations__ = {"message": envelope_schema(consumer.topic), "return": None}
        broker.subscriber(consumer.topic.name, group_id=consumer.name, title=consumer.name,
                          description=f"consumer group {consumer.name}: handles {', '.join(consumer.handlers)}")(handle)
    return AsyncAPI(broker, title=f"Jaring {service}", version="1",
                    description=f"Events of the {service} service (generated from the code).")


def to_yaml(service: str) -> str:
    """Sorted keys: the broker keeps its subscribers in a set, so its own order varies by run."""
    return yaml.safe_dump(document(service).to_specification().to_jsonable(), sort_keys=True, allow_unicode=True)


def main(out: str = "docs/asyncapi") -> None:
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        path = target / f"{service}.yaml"
        path.write_text(to_yaml(service))
        print(f"wrote {path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
