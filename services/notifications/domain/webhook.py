"""Signed webhooks from the SMS/WhatsApp provider: is this request really theirs, and fresh?

The provider signs `<timestamp>.<raw body>` with HMAC-SHA256 under the shared secret and
sends `X-Hub-Signature-256: sha256=<hex>` (WhatsApp's header and format; WhatsApp signs the
body alone, the timestamp is added so a captured request cannot be replayed later) and
`X-Jaring-Timestamp: <unix seconds>`. A request older or newer than the window is refused."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
TIMESTAMP_HEADER = "X-Jaring-Timestamp"
WINDOW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float,
           window_seconds: int = WINDOW_SECONDS) -> str | None:
    """None when the request is genuine and fresh; else why it is refused."""
    if not secret:
        return "no webhook secret is configured"
    if not timestamp or not signature:
        return f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "the timestamp is not a whole number of seconds"
    if abs(now - sent_at) > window_seconds:
        return "the timestamp is outside the 5-minute window"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        return "the signature does not match"
    return None
