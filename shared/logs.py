"""One logger setup for every service: structured JSON lines on stdout.

A last processor masks anything that looks like a NIK (16 digits) in every value — message,
fields at any depth, exception text and tracebacks — so a full NIK cannot reach a log even
when a developer passes one by mistake or PostgreSQL quotes one in an error's DETAIL
("Key (nik)=(…) already exists"). Lines from the standard library's loggers (uvicorn's
"Exception in ASGI application" with its traceback, aiokafka, asyncpg) go through the same
processors, so they are masked too. A URL's password (a DATABASE_URL quoted in an error) is
hidden the same way.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor

from shared.privacy import mask_niks_in as _mask_niks_only
from shared.privacy import redact_url
from shared.tracing import add_trace_id

_PLAIN = (int, float, bool, type(None))


def mask_niks_in(text: str) -> str:
    """NIKs masked and URL passwords hidden: what any text in a log line goes through."""
    return _mask_niks_only(redact_url(text))


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_niks_in(value)
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {_mask_value(k): _mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_mask_value(v) for v in value]
    if isinstance(value, BaseException):
        # str(), not repr(): asyncpg's str() carries the DETAIL line where the value sits.
        return mask_niks_in(f"{type(value).__name__}: {value}")
    # Anything else would be rendered by its repr() after this processor: mask that now.
    return mask_niks_in(repr(value))


def mask_niks(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    return {k: _mask_value(v) for k, v in event_dict.items()}


class _JaringHandler(logging.StreamHandler[TextIO]):
    """The root handler this module installs (and replaces when called again). Writes to
    whatever sys.stdout is when a line is written, as structlog's PrintLogger does."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(service: str, level: str = "INFO") -> None:
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        # The trace id is added after the mask, which would star a run of 16 decimal digits in it.
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            mask_niks,
            add_trace_id,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(),  # stdout as it is when a line is written
        cache_logger_on_first_use=True,
    )
    # The standard library's records: rendered by the same chain, masked the same way.
    handler = _JaringHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                mask_niks,
                add_trace_id,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _JaringHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    structlog.contextvars.bind_contextvars(service=service)
    # FastStream and aiokafka log a line per message at INFO: too much on a hot path.
    for noisy in ("aiokafka", "faststream", "faststream.access.kafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
