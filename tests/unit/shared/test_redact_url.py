"""Secrets never printed: a URL's password is hidden wherever a URL is shown or logged."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog
from rich.console import Console

from deploy.local import stack
from shared.logs import configure_logging, get_logger
from shared.privacy import redact_url


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://u:secret@host/db", "postgresql://u:***@host/db"),
        (
            "postgresql://jaring:s3cr%40t@db.example:5432/jaring?sslmode=require",
            "postgresql://jaring:***@db.example:5432/jaring?sslmode=require",
        ),
        ("postgresql://u:p@ss/w0rd@host/db", "postgresql://u:***@host/db"),  # unescaped @ and / in the password
        ("postgresql://postgres@127.0.0.1:5433/jaring", "postgresql://postgres@127.0.0.1:5433/jaring"),  # none to hide
        (
            "connect to postgresql://a:b@h/d failed; retry amqp://x:y@q",
            "connect to postgresql://a:***@h/d failed; retry amqp://x:***@q",
        ),
        ("http://127.0.0.1:8101/health", "http://127.0.0.1:8101/health"),
    ],
)
def test_a_url_password_is_hidden_and_the_rest_kept(url, shown):
    assert redact_url(url) == shown


def test_the_stack_summary_shows_an_external_database_url_without_its_password(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:Pw-7kq2-z9@db.example/jaring")
    printed = io.StringIO()
    monkeypatch.setattr(stack, "console", Console(file=printed, width=200))
    stack._summary(stack.Layout(tmp_path))
    out = printed.getvalue()
    assert "postgresql://u:***@db.example/jaring" in out
    assert "Pw-7kq2-z9" not in out


def test_a_url_in_a_log_line_shows_no_password(capsys):
    before = structlog.get_config()
    try:
        configure_logging("test-urls")
        get_logger("test").warning(
            "database.unreachable",
            url="postgresql://u:secret@db/j",
            error=OSError("cannot reach postgresql://u:secret@db/j"),
        )
        logging.getLogger("asyncpg").error("lost postgresql://u:secret@db/j")
    finally:
        structlog.configure(**before)
        root = logging.getLogger()
        for handler in [h for h in root.handlers if type(h).__name__ == "_JaringHandler"]:
            root.removeHandler(handler)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == ["database.unreachable", "lost postgresql://u:***@db/j"]
    assert lines[0]["url"] == "postgresql://u:***@db/j"
    assert "secret" not in json.dumps(lines)
