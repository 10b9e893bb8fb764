"""Writes one AsyncAPI document per service, generated from the code (FastStream's
specification of its brokers): the topics each service publishes, with the payload
schema of every event on them, and the consumer groups it runs.

    python -m deploy.asyncapi docs/asyncapi        (make docs)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Union
from urllib.parse import unquote

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
            broker.publisher(
                topic.name,
                title=f"{service} publishes {topic.name}",
                schema=envelope_schema(topic),
                description=f"{topic.description} Events: {', '.join(topic.events)}. Key: {topic.key}.",
            )
    consumer: Consumer
    for consumer in consumers(settings_class()):
        # One operation per topic a group reads: each topic's messages have their own schema.
        for topic in consumer.topics:

            async def handle(message) -> None:
                """Documentation only: the real subscriber is shared.consuming.subscribe."""

            handle.__annotations__ = {"message": envelope_schema(topic), "return": None}
            handled = [kind for kind in consumer.handlers if kind in topic.events]
            broker.subscriber(
                topic.name,
                group_id=consumer.name,
                title=consumer.name if len(consumer.topics) == 1 else f"{consumer.name} on {topic.name}",
                description=f"consumer group {consumer.name}: handles {', '.join(handled)}",
            )(handle)
    return AsyncAPI(
        broker,
        title=f"Jaring {service}",
        version="1",
        description=f"Events of the {service} service (generated from the code).",
    )


# AsyncAPI 3.0: keys of `components` (and, by the same rule here, of channels and operations) are
# letters, digits, ".", "-" and "_". FastStream names them after titles ("claims publishes …:Message").
COMPONENT_NAME = re.compile(r"[A-Za-z0-9.\-_]+")
KAFKA_BINDING_VERSION = "0.4.0"

# What every record carries besides its body (shared/envelope.py kafka_headers, shared/tracing.py).
HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Kafka record headers, UTF-8 strings; copied from the envelope so tools can route "
    "without parsing the body, and the W3C trace context of the claim's trace.",
    "properties": {
        "event_id": {"type": "string", "format": "uuid", "description": "the envelope's event_id"},
        "event_type": {"type": "string", "description": "the envelope's type"},
        "correlation_id": {"type": "string", "description": "the claim or participant the event is about"},
        "producer": {"type": "string", "description": "the service that wrote the event"},
        "traceparent": {
            "type": "string",
            "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            "description": "W3C Trace Context: the trace the event belongs to (docs/observability.md)",
        },
        "tracestate": {"type": "string", "description": "W3C Trace Context vendor state, when a caller sent one"},
    },
    "required": ["event_id", "event_type", "correlation_id", "producer"],
}


def component_name(name: str) -> str:
    return "_".join(COMPONENT_NAME.findall(name.replace(":", "_").replace(" ", "_")))


def _rename_refs(node: Any, renamed: dict[str, dict[str, str]]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
                parts = [unquote(p) for p in value[2:].split("/")]
                section = "/".join(parts[:2]) if parts[0] == "components" else parts[0]
                index = 2 if parts[0] == "components" else 1
                table = renamed.get(section, {})
                if len(parts) > index and parts[index] in table:
                    parts[index] = table[parts[index]]
                value = "#/" + "/".join(parts)
            out[key] = _rename_refs(value, renamed)
        return out
    if isinstance(node, list):
        return [_rename_refs(v, renamed) for v in node]
    return node


def finish(spec: dict[str, Any]) -> dict[str, Any]:
    """FastStream's document, with names in AsyncAPI's character set, and each message's headers and
    Kafka key declared (the message binding), which FastStream does not write."""
    renamed: dict[str, dict[str, str]] = {}
    for section in ("channels", "operations", "components/messages"):
        container = spec
        for part in section.split("/"):
            container = container.get(part, {})
        renamed[section] = {name: component_name(name) for name in container}
    spec = _rename_refs(spec, renamed)
    for section, table in renamed.items():
        *parents, last = section.split("/")
        holder = spec
        for part in parents:
            holder = holder[part]
        holder[last] = {table[name]: value for name, value in holder.get(last, {}).items()}
    topics = {topic.name: topic for topic in CATALOGUE}
    messages = spec.get("components", {}).get("messages", {})
    for channel in spec.get("channels", {}).values():
        topic = topics.get(channel.get("address"))
        for ref in channel.get("messages", {}).values():
            message = messages.get(ref["$ref"].rsplit("/", 1)[-1])
            if message is None or topic is None:
                continue
            message["headers"] = HEADERS_SCHEMA
            message["bindings"] = {
                "kafka": {
                    "bindingVersion": KAFKA_BINDING_VERSION,
                    "key": {
                        "type": "string",
                        "description": f"the event's {topic.key}: a key's events keep their order",
                    },
                }
            }
    return spec


def to_yaml(service: str) -> str:
    """Sorted keys: the broker keeps its subscribers in a set, so its own order varies by run."""
    spec = finish(document(service).to_specification().to_jsonable())
    return yaml.safe_dump(spec, sort_keys=True, allow_unicode=True)


def main(out: str = "docs/asyncapi") -> None:
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        path = target / f"{service}.yaml"
        path.write_text(to_yaml(service))
        print(f"wrote {path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
