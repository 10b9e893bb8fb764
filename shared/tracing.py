"""One trace per claim: OpenTelemetry across HTTP, the outbox, Kafka, PostgreSQL and httpx.

The relay publishes outbox rows with its own producer, long after the request or message that
wrote them is gone, so FastStream's and aiokafka's instrumentation never see the context that
caused an event. The context travels with the row instead: `add_event` stores the W3C
`traceparent` among the row's headers (the outbox's `headers` column, sent as Kafka headers), and
the consumer runner starts its span from the record's headers. Background work that acts on an
event later (the notifications dispatcher) finds the trace in the inbox row of that event.

Spans are always made (their ids are what events and log lines carry); they leave the process only
when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Without one no
exporter runs: a span costs its ids and a few attributes, nothing is buffered or sent.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import structlog
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
# The W3C headers that carry a trace; only these are taken from a record or a stored row.
TRACE_HEADERS = (TRACEPARENT, TRACESTATE)
# Probes and scrapes would make a trace every few seconds and say nothing about a claim.
UNTRACED_URLS = "health,readyz,livez,metrics"

_configured: str | None = None


def exporter_endpoint(environ: Mapping[str, str] = os.environ) -> str | None:
    return environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None


def configure_tracing(service: str) -> None:
    """Sets the process's tracer provider; once per process (the test suite starts several apps in
    one process: the first one names the provider). The spans that carry a claim's trace from hop to
    hop (HTTP requests, consumed records, the outbox's traceparent) are always made: the trace id
    travels in Kafka headers and log lines whether or not anything is exported. asyncpg's and httpx's
    spans (a span per statement, per provider or bank call) are made only when an exporter is
    configured: nobody could see them otherwise, and at a hundred statements a claim they cost CPU
    on every claim (docs/benchmarks.md, "CPU per claim")."""
    global _configured
    if _configured is not None:
        return
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"jaring-{service}", "service.namespace": "jaring"})
    )
    _configured = service
    if not exporter_endpoint():
        trace.set_tracer_provider(provider)
        return
    # Imported only when used: the exporter pulls in protobuf and requests.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    # The exporter reads the endpoint, headers and timeout from the standard OTEL_* variables.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    # asyncpg's spans carry the statement (parameters are never recorded): no NIK reaches them.
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]  # the instrumentation ships no annotations
    HTTPXClientInstrumentor().instrument()


def instrument_app(app: Any) -> None:
    """The HTTP server's span, continuing a caller's `traceparent` when it sends one."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED_URLS)


def inject_into(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Adds the current span's `traceparent` (and `tracestate`) to `headers`; nothing without a span."""
    propagate.inject(headers)
    return headers


def trace_headers(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    """The W3C trace headers among a Kafka record's headers."""
    return {k: v.decode(errors="replace") for k, v in headers or () if k in TRACE_HEADERS and v is not None}


def traceparent_of(record: Any) -> str | None:
    """A Kafka record's `traceparent`, if it came with one."""
    return trace_headers(record.headers).get(TRACEPARENT)


def current_trace_id() -> str | None:
    """The current trace id as the viewers show it (32 hex digits), or None outside any span."""
    span_context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(span_context.trace_id) if span_context.is_valid else None


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id inside a W3C `traceparent` (version-traceid-spanid-flags), or None."""
    parts = (traceparent or "").split("-")
    if len(parts) != 4 or len(parts[1]) != 32:
        return None
    return parts[1]


@contextlib.contextmanager
def span_from(
    carrier: Mapping[str, str] | None,
    name: str,
    *,
    kind: SpanKind = SpanKind.CONSUMER,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Span]:
    """A span continuing the trace in `carrier` (a record's or a stored row's trace headers), or a
    new trace when it has none; current while the block runs, so the events it writes carry it."""
    parent = propagate.extract(dict(carrier or {}))
    with trace.get_tracer("jaring").start_as_current_span(
        name, context=parent, kind=kind, attributes=dict(attributes or {})
    ) as span:
        yield span


# --- Log lines that carry the trace -------------------------------------------------------------
# Every line logged while handling a request or a message carries `correlation_id`, `event_id`
# (structlog context variables, bound here and in the consumer runner) and `trace_id` (added by
# `add_trace_id` from the current span, so background work inside a span gets it too).

CORRELATION_HEADER = "x-correlation-id"
# What a caller may send as its correlation id: short, no spaces, nothing a log reader trips on.
_CALLER_CORRELATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def add_trace_id(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor; runs after the NIK mask, which would star a run of 16 decimal digits
    inside a random hex trace id (they are ours, never personal data)."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict["trace_id"] = trace.format_trace_id(span_context.trace_id)
        event_dict["span_id"] = trace.format_span_id(span_context.span_id)
    else:
        event_dict.setdefault("trace_id", None)
    return event_dict


def note_event(envelope: Any) -> None:
    """In a request, the first event it writes names the case the rest of its lines are about:
    `correlation_id` becomes the claim's or participant's id, `event_id` that event's. A consumer
    (which bound the event it applies) and a request that already wrote one keep theirs."""
    if structlog.contextvars.get_contextvars().get("event_id", _ABSENT) is None:
        structlog.contextvars.bind_contextvars(correlation_id=envelope.correlation_id, event_id=str(envelope.event_id))


_ABSENT = object()
_log = structlog.get_logger("http")


class RequestLogContext:
    """ASGI middleware: binds `correlation_id` (the caller's X-Correlation-ID when it is a plain
    token, else one made for the request) and `event_id` (none until the request writes an event)
    for every line logged while the request is handled, and answers with the correlation id."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(CORRELATION_HEADER.encode(), b"").decode("latin-1")
        correlation_id = sent if _CALLER_CORRELATION.fullmatch(sent) else f"req-{uuid.uuid4().hex[:16]}"

        status = 500

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (CORRELATION_HEADER.encode(), correlation_id.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id, event_id=None):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                # At debug: a line per request is too many in production, and right when following one.
                _log.debug(
                    "request.handled",
                    method=scope["method"],
                    status=status,
                    route=getattr(scope.get("route"), "path", None),
                )


@contextlib.contextmanager
def handling_record(consumer: str, record: Any) -> Iterator[Span]:
    """The consumer span of one Kafka record, continuing the trace its headers carry, with the
    record's event and correlation ids bound for every line logged meanwhile."""
    headers = _headers_of(record)
    with (
        structlog.contextvars.bound_contextvars(
            event_id=headers.get("event_id"), correlation_id=headers.get("correlation_id")
        ),
        span_from(
            trace_headers(record.headers),
            f"{record.topic} process",
            attributes=_record_attributes(consumer, record, headers),
        ) as span,
    ):
        yield span


@contextlib.contextmanager
def handling_records(consumer: str, records: Sequence[Any]) -> Iterator[list[str | None]]:
    """The consumer spans of records applied together (a set-based handler): each record's own span,
    continuing its own trace, none of them current; yields their `traceparent`s, in the records'
    order, for the events written on each record's behalf (shared.outbox.add_events). A failure is
    recorded on every span: the records failed together."""
    tracer = trace.get_tracer("jaring")
    spans = [
        tracer.start_span(
            f"{record.topic} process",
            context=propagate.extract(trace_headers(record.headers)),
            kind=SpanKind.CONSUMER,
            attributes=_record_attributes(consumer, record, _headers_of(record)),
        )
        for record in records
    ]
    try:
        traceparents: list[str | None] = []
        for span in spans:
            carrier: dict[str, str] = {}
            propagate.inject(carrier, context=trace.set_span_in_context(span))
            traceparents.append(carrier.get(TRACEPARENT))  # none without a tracer provider
        yield traceparents
    except BaseException as exc:
        for span in spans:
            span.record_exception(exc)
            span.set_status(trace.Status(trace.StatusCode.ERROR, repr(exc)[:200]))
        raise
    finally:
        for span in spans:
            span.end()


def _headers_of(record: Any) -> dict[str, str]:
    return {k: v.decode(errors="replace")[:128] for k, v in record.headers or () if v is not None}


def _record_attributes(consumer: str, record: Any, headers: Mapping[str, str]) -> dict[str, Any]:
    return {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": record.topic,
        "messaging.consumer.group.name": consumer,
        "messaging.destination.partition.id": str(record.partition),
        "messaging.kafka.offset": record.offset,
        "messaging.message.id": headers.get("event_id", ""),
        "jaring.event_type": headers.get("event_type", ""),
    }


@contextlib.contextmanager
def continuing(
    traceparent: str | None,
    name: str,
    *,
    correlation_id: str,
    event_id: str | None,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Span]:
    """Background work on behalf of one case (a message the dispatcher sends): a span in the trace
    `traceparent` names (found in the inbox), and the case's ids bound for its log lines."""
    with (
        structlog.contextvars.bound_contextvars(correlation_id=correlation_id, event_id=event_id),
        span_from(
            {TRACEPARENT: traceparent} if traceparent else None, name, kind=SpanKind.INTERNAL, attributes=attributes
        ) as span,
    ):
        yield span
