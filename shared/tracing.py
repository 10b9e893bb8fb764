"""One trace per claim: OpenTelemetry across HTTP, the outbox, Kafka, PostgreSQL, httpx and aiohttp.

The relay publishes outbox rows with its own producer, long after the request or message that
wrote them is gone, so FastStream's and aiokafka's instrumentation never see the context that
caused an event. The context travels with the row instead: `add_event` stores the W3C
`traceparent` among the row's headers (the outbox's `headers` column, sent as Kafka headers), and
the consumer runner starts its span from the record's headers. Background work that acts on an
event later (the notifications dispatcher) finds the trace in the inbox row of that event.

Spans are always made (their ids are what events and log lines carry); they are recorded and leave
the process only when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set.
Without one, every span is a non-recording one (the sampler drops it): it keeps the trace id it
continues and gets a span id of its own, and costs nothing more, so the trace still travels in Kafka
headers and log lines; its `traceparent` says "not sampled" (flags 00).
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import structlog
from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as context_api
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import Span, SpanKind

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
# The W3C headers that carry a trace; only these are taken from a record or a stored row.
TRACE_HEADERS = (TRACEPARENT, TRACESTATE)
# Probes and scrapes would make a trace every few seconds and say nothing about a claim.
_UNTRACED = re.compile("health|readyz|livez|metrics")

_configured: str | None = None
# Whether spans leave the process (an exporter is configured): set by configure_tracing.
_exporting = False
# One tracer for the process: trace.get_tracer makes a new one at every call (~7 µs, per request and
# per record). Taken before configure_tracing runs, it is a proxy that finds the provider once set.
_tracer = trace.get_tracer("jaring")
# The ids of the spans made without the SDK when nothing is exported (`_unrecorded_span`, `_unrecorded_child`).
_ids = RandomIdGenerator()


def exporter_endpoint(environ: Mapping[str, str] = os.environ) -> str | None:
    return environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None


def configure_tracing(service: str) -> None:
    """Sets the process's tracer provider; once per process (the test suite starts several apps in
    one process: the first one names the provider). The spans that carry a claim's trace from hop to
    hop (HTTP requests, consumed records, the outbox's traceparent) are always made: the trace id
    travels in Kafka headers and log lines whether or not anything is exported. asyncpg's, httpx's and
    aiohttp's spans (a span per statement, per provider or bank call) are made only when an exporter is
    configured: nobody could see them otherwise, and at a hundred statements a claim they cost CPU
    on every claim (docs/benchmarks.md, "CPU per claim")."""
    global _configured, _exporting
    if _configured is not None:
        return
    resource = Resource.create({"service.name": f"jaring-{service}", "service.namespace": "jaring"})
    _configured = service
    _exporting = exporter_endpoint() is not None
    if not _exporting:
        # Unseen spans are not recorded: a recorded span (attributes, events, the processor chain)
        # cost ~0.5 ms of CPU per claim across claims and notifications (docs/benchmarks.md).
        trace.set_tracer_provider(TracerProvider(resource=resource, sampler=ALWAYS_OFF))
        return
    provider = TracerProvider(resource=resource)
    # Imported only when used: the exporter pulls in protobuf and requests.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    # The exporter reads the endpoint, headers and timeout from the standard OTEL_* variables.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    # asyncpg's spans carry the statement (parameters are never recorded): no NIK reaches them.
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]  # the instrumentation ships no annotations
    HTTPXClientInstrumentor().instrument()
    AioHttpClientInstrumentor().instrument()  # the SMS and WhatsApp providers' calls


def http_telemetry() -> TelemetryConfig:
    """FastAPI's own OpenTelemetry settings (`FastAPI(telemetry=...)`). When spans are exported it
    makes each request's server span, continuing a caller's `traceparent`; probes are left out, and
    so are its spans per dependency and serialisation (a dozen a request, noise in a claim's trace).
    Otherwise it is off and `RequestSpan` carries the trace. Metrics stay Prometheus' (shared/metrics)."""
    if exporter_endpoint():
        return {"operation_spans": False, "metrics": False, "logs": False, "exclude": _is_probe}
    return {"tracing": False, "metrics": False, "logs": False}


def instrument_app(app: Any) -> None:
    """Without an exporter, the request's span that only carries the trace (see `http_telemetry`)."""
    if not exporter_endpoint():
        app.add_middleware(RequestSpan)


def _is_probe(scope: Mapping[str, Any]) -> bool:
    return scope.get("type") == "http" and bool(_UNTRACED.search(scope.get("path", "")))


class RequestSpan:
    """ASGI middleware: the request's (non-recording) span, continuing the caller's trace headers or
    starting a trace, current while the request is handled, so the events it writes and the lines it
    logs carry the trace. FastAPI's server span does the same and records the request's attributes,
    which nobody sees without an exporter."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or _is_probe(scope):
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in (b"traceparent", b"tracestate")
        }
        with span_from(carrier, scope["method"], kind=SpanKind.SERVER):
            await self.app(scope, receive, send)


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


# W3C trace context: version-traceid-parentid-flags, as OpenTelemetry's propagator reads it.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id inside a W3C `traceparent` (version-traceid-spanid-flags), or None."""
    found = _TRACEPARENT.fullmatch(traceparent or "")
    return found.group(2) if found else None


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
    # No trace headers: a new trace, from the empty context extracting nothing would give.
    parent = propagate.extract(dict(carrier)) if carrier else Context()
    if _configured is not None and not _exporting:
        # Nothing is exported, so the SDK would make a non-recording span: made here directly, as it
        # would be, without the sampler, the span's context manager and its exception handling
        # (17 → 9 µs a span; one a consumed record, a request, a message sent: docs/benchmarks.md, round 14).
        span = _unrecorded_span(parent)
        token = context_api.attach(trace.set_span_in_context(span, parent))
        try:
            yield span
        finally:
            context_api.detach(token)
        return
    with _tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes) as span:
        yield span


def _unrecorded_span(parent: Context) -> Span:
    """The non-recording span OpenTelemetry's SDK makes under `parent` with the ALWAYS_OFF sampler."""
    above = trace.get_current_span(parent).get_span_context()
    if above.is_valid:
        trace_id, span_id, flags = _child_ids(above.trace_id, above.trace_flags.random_trace_id)
        state = above.trace_state
    else:
        (trace_id, span_id, flags), state = _child_ids(None), None
    context = trace.SpanContext(
        trace_id, span_id, is_remote=False, trace_flags=trace.TraceFlags(flags), trace_state=state
    )
    return trace.NonRecordingSpan(context)


def _child_ids(trace_id: int | None, random_trace_id: bool = False) -> tuple[int, int, int]:
    """(trace id, span id, flags) OpenTelemetry's SDK gives a span with the ALWAYS_OFF sampler under a
    parent in trace `trace_id` (None: no parent it would continue): that trace id or a new random one,
    a new span id, not sampled, the parent's "random trace id" flag (set for a new trace)."""
    if trace_id is None:
        trace_id, random_trace_id = _ids.generate_trace_id(), _ids.is_trace_id_random()
    return trace_id, _ids.generate_span_id(), trace.TraceFlags.RANDOM_TRACE_ID if random_trace_id else 0


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
        span_from(trace_headers(record.headers), f"{record.topic} process") as span,
    ):
        if span.is_recording():  # only exported spans need their attributes
            span.set_attributes(_record_attributes(consumer, record, headers))
        yield span


@contextlib.contextmanager
def handling_records(consumer: str, records: Sequence[Any]) -> Iterator[list[str | None]]:
    """The consumer spans of records applied together (a set-based handler): each record's own span,
    continuing its own trace, none of them current; yields their `traceparent`s, in the records'
    order, for the events written on each record's behalf (shared.outbox.add_events). A failure is
    recorded on every span: the records failed together.

    When nothing is exported, each record's span would be a non-recording one, which only carries
    ids: its traceparent is made directly (the record's trace id, a span id of its own, "not
    sampled"), without OpenTelemetry's contexts and span objects, which cost the console 15 % of its
    CPU for spans nobody sees (docs/benchmarks.md, round 10)."""
    if _configured is not None and not _exporting:
        yield [_unrecorded_child(traceparent_of(record)) for record in records]
        return
    spans = [
        _tracer.start_span(
            f"{record.topic} process",
            context=propagate.extract(trace_headers(record.headers)),
            kind=SpanKind.CONSUMER,
        )
        for record in records
    ]
    for span, record in zip(spans, records, strict=True):
        if span.is_recording():  # only exported spans need their attributes
            span.set_attributes(_record_attributes(consumer, record, _headers_of(record)))
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


def _unrecorded_child(parent: str | None) -> str:
    """The traceparent of a non-recording span under the W3C `parent` (a new trace when it names
    none OpenTelemetry's propagator would continue), as its SDK makes it with the ALWAYS_OFF sampler
    (`_child_ids`), read without the propagator."""
    found = _TRACEPARENT.fullmatch((parent or "").strip(" \t"))
    version, trace_id, span_id, flags, rest = found.groups() if found else ("ff", "", "", "00", None)
    if version == "ff" or trace_id == "0" * 32 or span_id == "0" * 16 or (version == "00" and rest):
        child_trace, child_span, child_flags = _child_ids(None)
    else:
        random_trace_id = bool(int(flags, 16) & trace.TraceFlags.RANDOM_TRACE_ID)
        child_trace, child_span, child_flags = _child_ids(int(trace_id, 16), random_trace_id)
    return f"00-{child_trace:032x}-{child_span:016x}-{child_flags:02x}"


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
