"""SNAP request signatures (Bank Indonesia's open-banking standard, symmetric variant):
base64(HMAC-SHA512(client secret, METHOD:PATH:ACCESS_TOKEN:hex(sha256(minified body)):X-TIMESTAMP)).

The same rule authenticates what Jaring sends the bank, what the bank sends back, and every other
inbound callback (replies to messages, from the SMS/WhatsApp provider): the method and path are
signed, so a body signed for one path cannot be replayed on another; a replay of the same request
is refused by its X-EXTERNAL-ID, which each receiver keeps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7))
TIMESTAMP_WINDOW = timedelta(minutes=5)


def minify(body: bytes) -> bytes:
    if not body:
        return b""
    try:
        return json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()
    except ValueError:
        return body


def signature(secret: str, method: str, path: str, body: bytes, timestamp: str, access_token: str = "") -> str:
    to_sign = f"{method.upper()}:{path}:{access_token}:{hashlib.sha256(minify(body)).hexdigest()}:{timestamp}"
    return base64.b64encode(hmac.new(secret.encode(), to_sign.encode(), hashlib.sha512).digest()).decode()


def timestamp(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).astimezone(WIB).isoformat(timespec="seconds")


def authentic(
    secret: str, method: str, path: str, body: bytes, timestamp_header: str, signature_header: str, now: datetime
) -> str | None:
    """None when the request is authentic and fresh; else why it is refused."""
    try:
        sent_at = datetime.fromisoformat(timestamp_header)
    except ValueError:
        return "X-TIMESTAMP is not an ISO-8601 time with offset"
    if sent_at.tzinfo is None:
        return "X-TIMESTAMP has no offset"
    if abs(now - sent_at) > TIMESTAMP_WINDOW:
        return "X-TIMESTAMP is outside the 5-minute window"
    if not hmac.compare_digest(signature(secret, method, path, body, timestamp_header), signature_header):
        return "X-SIGNATURE does not match"
    return None
