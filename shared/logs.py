"""One logger setup for every service: structured JSON lines on stdout.

A last processor masks anything that looks like a NIK (16 digits), so a full NIK
cannot reach a log even if a developer passes one by mistake.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from shared.privacy import mask_niks_in
from shared.tracing import add_trace_id


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_niks_in(value)
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask_value(v) for v in value)
    return value


def mask_niks(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: _mask_value(v) for k, v in event_dict.items()}


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.basicConfig(stream=sys.stdout, level=level.upper(), format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_niks,
            add_trace_id,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # FastStream and aiokafka log a line per message at INFO: too much on a hot path.
    for noisy in ("aiokafka", "faststream", "faststream.access.kafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
