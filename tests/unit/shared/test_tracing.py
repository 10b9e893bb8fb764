"""Trace context and log lines: what the outbox stores, what a consumer continues, what a log line carries."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import httpx
import pytest
import structlog
from fastapi import FastAPI

import shared.tracing
from shared.logs import configure_logging, get_logger
from shared.tracing import (
    RequestLogContext,
    RequestSpan,
    configure_tracing,
    continuing,
    current_trace_id,
    handling_record,
    handling_records,
    http_telemetry,
    inject_into,
    span_from,
    trace_id_of,
)

# A traceparent as another system would send it (W3C Trace Context's own example).
CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture(autouse=True, scope="module")
def tracing():
    configure_tracing("test")


@pytest.fixture(autouse=True)
def logging_restored():
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def test_outside_any_span_nothing_is_injected_and_inside_one_its_trace_is():
    assert inject_into({}) == {}
    with span_from(None, "filing"):
        headers = inject_into({"event_id": "e1"})
        assert headers["event_id"] == "e1"
        assert trace_id_of(headers["traceparent"]) == current_trace_id()


def test_a_span_from_a_carrier_continues_the_callers_trace():
    with span_from({"traceparent": CALLER}, "payout") as span:
        assert current_trace_id() == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert span.get_span_context().span_id not in (0, 0x00F067AA0BA902B7)  # a span of its own
        # Nothing exports here, so nothing is recorded: the span only carries the ids.
        assert not span.is_recording()
        # The events this span writes name this span, in the caller's trace.
        written = inject_into({})["traceparent"]
        assert written.startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
        assert written != CALLER


def test_a_carrier_without_a_trace_starts_a_new_one():
    with span_from({"event_id": "x"}, "alone"):
        first = current_trace_id()
    with span_from(None, "alone"):
        second = current_trace_id()
    assert first and second and first != second


def test_records_applied_together_without_an_exporter_each_get_a_span_of_their_own_in_their_own_trace():
    """The traceparents handed to a set-based handler, made without OpenTelemetry's span objects when
    nothing is exported: each names its record's trace and a new span, not sampled, as a
    non-recording span of OpenTelemetry's own says (compared with one made by span_from)."""
    other = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    records = [
        SimpleNamespace(headers=[("traceparent", CALLER.encode())]),
        SimpleNamespace(headers=[("event_id", b"e2"), ("traceparent", other.encode())]),
        SimpleNamespace(headers=[]),  # no trace: a new one
        SimpleNamespace(headers=[("traceparent", b"00-00000000000000000000000000000000-00f067aa0ba902b7-01")]),
        SimpleNamespace(headers=[("traceparent", b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]),
    ]
    assert shared.tracing._configured and not shared.tracing._exporting  # the path without an exporter
    with handling_records("test.group", records) as traceparents:
        pass
    caller, second, fresh, zero, future = (tp.split("-") for tp in traceparents)
    assert caller[:2] == ["00", "4bf92f3577b34da6a3ce929d0e0e4736"] and caller[3] == "00"
    assert caller[2] != "00f067aa0ba902b7" and len(caller[2]) == 16 and int(caller[2], 16) != 0
    assert second[1] == "0af7651916cd43dd8448eb211c80319c" and second[2] != "b7ad6b7169203331"
    # Not a trace one can continue: a new trace, as OpenTelemetry's propagator would start.
    for made in (fresh, zero, future):
        assert len(made[1]) == 32 and made[1] not in ("4bf92f3577b34da6a3ce929d0e0e4736", "0" * 32)
    assert len({fresh[1], zero[1], future[1]}) == 3
    with span_from({"traceparent": CALLER}, "the same, by OpenTelemetry"):
        theirs = inject_into({})["traceparent"].split("-")
    assert [theirs[0], theirs[1], theirs[3]] == [caller[0], caller[1], caller[3]]


@pytest.mark.parametrize(
    "traceparent",
    [
        CALLER,
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",  # a random trace id
        " \t00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00 ",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-later",
        CALLER + "-but-version-00-has-no-more",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
        "not a trace",
        None,
    ],
)
def test_a_record_applied_together_gets_the_ids_opentelemetry_would_give_its_span(traceparent):
    """Without an exporter, handling_records makes each record's traceparent itself: the trace and
    flags OpenTelemetry's propagator and SDK (ALWAYS_OFF) give a span under the same parent, and a
    span id of its own."""
    from opentelemetry import propagate
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    assert shared.tracing._configured and not shared.tracing._exporting  # the path without an exporter
    headers = {"traceparent": traceparent} if traceparent is not None else {}
    theirs = (
        TracerProvider(sampler=ALWAYS_OFF)
        .get_tracer("reference")
        .start_span("x", context=propagate.extract(headers))
        .get_span_context()
    )
    record = SimpleNamespace(headers=[(k, v.encode()) for k, v in headers.items()])
    with handling_records("test.group", [record]) as (ours,):
        pass
    version, trace_id, span_id, flags = ours.split("-")
    continued = theirs.trace_id == 0x4BF92F3577B34DA6A3CE929D0E0E4736
    assert (int(trace_id, 16) == theirs.trace_id) is continued
    assert int(trace_id, 16) != 0 and int(span_id, 16) not in (0, 0x00F067AA0BA902B7, theirs.span_id)
    assert (version, int(flags, 16)) == ("00", theirs.trace_flags)


@pytest.mark.parametrize(
    "traceparent",
    [
        CALLER,
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",  # a random trace id
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-later",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "not a trace",
        None,
    ],
)
def test_span_from_without_an_exporter_makes_the_span_opentelemetry_would(traceparent):
    """Without an exporter span_from makes its non-recording span itself: the trace, flags and trace
    state OpenTelemetry's SDK (ALWAYS_OFF) gives a span under the same parent, a span id of its own,
    current while the block runs and gone after it."""
    from opentelemetry import propagate, trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    assert shared.tracing._configured and not shared.tracing._exporting  # the path without an exporter
    carrier = {"tracestate": "vendor=opaque"}
    if traceparent is not None:
        carrier["traceparent"] = traceparent
    theirs = (
        TracerProvider(sampler=ALWAYS_OFF)
        .get_tracer("reference")
        .start_span("x", context=propagate.extract(carrier))
        .get_span_context()
    )
    before = trace.get_current_span()
    with span_from(carrier, "x") as span:
        ours = span.get_span_context()
        assert trace.get_current_span() is span and not span.is_recording()
    assert trace.get_current_span() is before
    continued = theirs.trace_id == 0x4BF92F3577B34DA6A3CE929D0E0E4736
    assert (ours.trace_id == theirs.trace_id) is continued and ours.trace_id != 0
    assert ours.span_id not in (0, 0x00F067AA0BA902B7, theirs.span_id)
    assert (ours.trace_flags, ours.trace_state, ours.is_remote) == (theirs.trace_flags, theirs.trace_state, False)


def test_trace_id_of_reads_only_a_well_formed_traceparent():
    assert trace_id_of(CALLER) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id_of(None) is None
    assert trace_id_of("not-a-trace") is None
    assert trace_id_of("00-abc-00f067aa0ba902b7-01") is None


def log_to(buffer: io.StringIO):
    configure_logging("test", "DEBUG")
    # configure_logging writes to stdout; the same processors, into a buffer this test reads.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(buffer), cache_logger_on_first_use=False)


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_a_consumers_lines_carry_the_event_the_case_and_the_trace_still_masked():
    buffer = io.StringIO()
    log_to(buffer)
    record = SimpleNamespace(
        topic="claims.filed.v1",
        partition=2,
        offset=41,
        headers=[
            ("event_id", b"0b5e7c1e-0000-4000-8000-000000000001"),
            ("correlation_id", b"CL-2611-000123"),
            ("event_type", b"ClaimFiled"),
            ("traceparent", CALLER.encode()),
        ],
    )
    with handling_record("claims.verification", record):
        get_logger("t").info("checked", note="ktp 7371034506920001")
    get_logger("t").info("after")
    inside, after = lines(buffer)
    assert inside["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert inside["correlation_id"] == "CL-2611-000123"
    assert inside["event_id"] == "0b5e7c1e-0000-4000-8000-000000000001"
    assert inside["note"] == "ktp 7371************"
    assert "correlation_id" not in after and after["trace_id"] is None


def test_a_trace_id_with_sixteen_decimal_digits_is_not_starred_as_a_nik():
    buffer = io.StringIO()
    log_to(buffer)
    digits = "00-abcd1234567890123456abcdabcdabcd-00f067aa0ba902b7-01"  # 16 digits between hex letters
    with span_from({"traceparent": digits}, "x"):
        get_logger("t").info("line")
    assert lines(buffer)[0]["trace_id"] == "abcd1234567890123456abcdabcdabcd"


def test_background_work_for_a_case_joins_the_trace_found_for_it():
    buffer = io.StringIO()
    log_to(buffer)
    with continuing(CALLER, "notification send whatsapp", correlation_id="CL-1", event_id="e-1"):
        get_logger("t").info("sent")
    (line,) = lines(buffer)
    assert (line["trace_id"], line["correlation_id"], line["event_id"]) == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "CL-1",
        "e-1",
    )


async def test_a_request_gets_a_correlation_id_a_plain_one_from_the_caller_is_kept(monkeypatch):
    buffer = io.StringIO()
    log_to(buffer)
    # The middleware's module logger kept the level of whichever test used it first (structlog
    # caches a logger on first use): a fresh one sees this test's DEBUG configuration.
    monkeypatch.setattr(shared.tracing, "_log", structlog.get_logger("http"))
    app = FastAPI()

    @app.get("/x")
    async def x() -> dict:
        get_logger("t").info("inside")
        return {}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=RequestLogContext(app)), base_url="http://t") as c:
        kept = await c.get("/x", headers={"X-Correlation-ID": "desk-7.call:42"})
        hostile = await c.get("/x", headers={"X-Correlation-ID": 'a b" {}'})
    assert kept.headers["x-correlation-id"] == "desk-7.call:42"
    assert hostile.headers["x-correlation-id"].startswith("req-")
    inside = [line for line in lines(buffer) if line["event"] == "inside"]
    assert [line["correlation_id"] for line in inside] == ["desk-7.call:42", hostile.headers["x-correlation-id"]]
    assert all(line["event_id"] is None for line in inside)
    handled = [line for line in lines(buffer) if line["event"] == "request.handled"]
    assert [line["status"] for line in handled] == [200, 200]


async def test_without_an_exporter_a_request_continues_the_callers_trace_and_starts_one_otherwise():
    app = FastAPI(telemetry=http_telemetry())
    seen: list[str | None] = []

    @app.get("/v1/claims")
    async def claims() -> dict[str, str]:
        seen.append(current_trace_id())
        return {}

    @app.get("/health")
    async def health() -> dict[str, str]:
        seen.append(current_trace_id())
        return {}

    app.add_middleware(RequestSpan)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        await client.get("/v1/claims", headers={"traceparent": CALLER})
        await client.get("/v1/claims")
        await client.get("/health", headers={"traceparent": CALLER})
    continued, started, probe = seen
    assert continued == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert started is not None and started != continued
    assert probe is None  # probes make no trace


def test_with_an_exporter_fastapis_own_server_span_is_used_and_probes_are_left_out(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    settings = http_telemetry()
    assert settings.get("tracing", True) and settings["operation_spans"] is False
    assert settings["exclude"]({"type": "http", "path": "/readyz"})
    assert not settings["exclude"]({"type": "http", "path": "/v1/claims"})
