"""What one send attempt came to, and what that means for the message.

A message is `pending` until a dispatcher leases it; it is then `sending` (committed
before the provider is called, with the attempt's reference) until the answer is
recorded: `delivered` (the mail server or the SMS/WhatsApp provider took it — not proof
it reached the handset), `pending` again after a temporary failure, or `failed` (a
permanent refusal, or a temporary one that lasted for `max_attempts` attempts).

A message can be left in `sending` with nobody to finish it: the sender died, or its
answer never came (a timeout after the request went out). Whether the family got it is
then unknown, and the channel decides what happens (`after_lost_answer`): where the
provider can be asked by reference (the SMS gateway), it is asked, and the message is
sent again only if the provider never got it; where it cannot (WhatsApp, email), the
message goes to `unknown` for an operator, because sending blindly could be a second
message to a grieving family. Retries wait with exponential backoff, no jitter: the
domain is deterministic; a caller that wants jitter adds it where it schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    DELIVERED = "delivered"
    TEMPORARY_FAILURE = "temporary_failure"  # worth trying again: timeouts, 429, 5xx, SMTP 4xx
    PERMANENT_FAILURE = "permanent_failure"  # the same request will fail again: bad address, 4xx, SMTP 5xx
    # The request went out and no answer came (read timeout, connection cut mid-answer):
    # the provider may have the message. Never a plain retry.
    NO_ANSWER = "no_answer"


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # leased; the provider may be being called right now
    DELIVERED = "delivered"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the sender lost the answer and the provider cannot be asked: an operator decides


@dataclass(frozen=True)
class AttemptResult:
    outcome: Outcome
    detail: str  # for operators: status code and the provider's words; never the message body
    provider_message_id: str | None = None


DEFAULT_BASE_DELAY_SECONDS = 2.0
DEFAULT_MAX_DELAY_SECONDS = 300.0


def next_retry_delay(
    attempt: int,
    base: float = DEFAULT_BASE_DELAY_SECONDS,
    cap: float = DEFAULT_MAX_DELAY_SECONDS,
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): base, 2·base,
    4·base, … never more than `cap`. With the defaults: 2, 4, 8, …, 256, 300, 300."""
    if attempt < 1:
        raise ValueError(f"attempt is 1-based, got {attempt}")
    if base <= 0 or cap < base:
        raise ValueError(f"need 0 < base <= cap, got base={base}, cap={cap}")
    exponent = attempt - 1
    if exponent >= 64:  # 2**64·base is past any sane cap; avoid float overflow
        return float(cap)
    return float(min(cap, base * (2**exponent)))


def after_attempt(attempts_so_far: int, outcome: Outcome | str, max_attempts: int, can_look_up: bool = False) -> Status:
    """The message's status once attempt number `attempts_so_far` (counting the one just
    made) ended with `outcome`. A request left without an answer stays `sending` to be
    asked about where the provider can be asked (`can_look_up`), else goes to `unknown`."""
    if attempts_so_far < 1:
        raise ValueError(f"attempts_so_far counts the attempt just made, so >= 1, got {attempts_so_far}")
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
    outcome = Outcome(outcome)
    if outcome is Outcome.DELIVERED:
        return Status.DELIVERED
    if outcome is Outcome.NO_ANSWER:
        return Status.SENDING if can_look_up else Status.UNKNOWN
    if outcome is Outcome.PERMANENT_FAILURE or attempts_so_far >= max_attempts:
        return Status.FAILED
    return Status.PENDING


def after_lost_answer(can_look_up: bool, provider_has_it: bool | None) -> Status:
    """A message found in `sending` whose lease ran out: its sender died or lost the answer.
    `provider_has_it` is what the provider said when asked by the attempt's reference
    (None: it could not be asked, or did not answer)."""
    if not can_look_up:
        return Status.UNKNOWN
    if provider_has_it is None:
        return Status.SENDING  # ask again later; never send without knowing
    return Status.DELIVERED if provider_has_it else Status.PENDING
