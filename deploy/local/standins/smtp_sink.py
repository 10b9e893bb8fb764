"""A local mail server that delivers nothing: every message it receives is kept as a
.eml file (open it in any mail client) and listed in `index.jsonl`, so a person can
see exactly what a family would have received.

    python -m deploy.local.standins.smtp_sink --host 127.0.0.1 --port 8025 --dir .jaring/mail

In a test, in-process, on a free port:

    async with SmtpSink(tmp_path) as sink:
        EmailChannel("127.0.0.1", sink.port, ...)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import signal
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("jaring.standins.smtp_sink")

INDEX_FILE = "index.jsonl"


class MailStore:
    """The aiosmtpd handler: one .eml per message, one JSON line per message."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        entry = self.store(envelope.mail_from or "", list(envelope.rcpt_tos), _raw(envelope))
        log.info("stored %s for %s", entry["file"], ", ".join(entry["to"]))
        return "250 Message accepted for delivery"

    def store(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> dict[str, Any]:
        received_at = datetime.now(UTC)
        name = f"{received_at:%Y%m%dT%H%M%S%fZ}-{next(self._counter):06d}.eml"
        # Written under a temporary name and renamed, so a watcher never reads half a file.
        partial = self.directory / (name + ".part")
        partial.write_bytes(raw)
        os.replace(partial, self.directory / name)
        headers = BytesParser(policy=default_policy).parsebytes(raw, headersonly=True)

        def header(field: str) -> str:
            # A long value is folded right after the colon ("Key:\r\n value"); the parser
            # then keeps the fold's leading space, which is not part of the value.
            return str(headers.get(field, "")).strip()

        entry = {
            "to": rcpt_tos,
            "from": mail_from,
            "subject": header("Subject"),
            "received_at": received_at.isoformat(),
            "file": name,
            "message_id": header("Message-ID") or None,
            "idempotency_key": header("X-Jaring-Idempotency-Key") or None,
        }
        with (self.directory / INDEX_FILE).open("a", encoding="utf-8") as index:
            index.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry


def _raw(envelope: Envelope) -> bytes:
    content = envelope.original_content or envelope.content or b""
    return content.encode("utf-8") if isinstance(content, str) else content


class SmtpSink:
    """The sink's server on the running event loop. `port=0` picks a free port; read
    the chosen one from `.port` after `start()`."""

    def __init__(self, directory: str | os.PathLike[str], host: str = "127.0.0.1", port: int = 0):
        self.store = MailStore(directory)
        self.host = host
        self.port = port
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self.store, hostname="jaring-smtp-sink", enable_SMTPUTF8=True, loop=loop),
            host=self.host,
            port=self.port,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> SmtpSink:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def serve(directory: str, host: str, port: int) -> None:
    """Runs until SIGTERM or SIGINT, then closes the listener and returns."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    async with SmtpSink(directory, host, port) as sink:
        log.info("smtp sink listening on %s:%s, storing in %s", host, sink.port, Path(directory).resolve())
        await stopping.wait()
    log.info("smtp sink stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local SMTP sink: stores mail as .eml files, sends nothing.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default=".jaring/mail", help="where .eml files and index.jsonl go")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line at INFO
    asyncio.run(serve(args.dir, args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
