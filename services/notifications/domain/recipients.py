"""Who gets a message, on which channels, and the key that makes each message unique."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["id", "en"]
LANGUAGES: frozenset[str] = frozenset({"id", "en"})
PHONE_CHANNELS: frozenset[str] = frozenset({"whatsapp", "sms"})
CHANNELS: frozenset[str] = PHONE_CHANNELS | {"email"}


@dataclass(frozen=True)
class Heir:
    """An ahli waris (or, for a non-fatal JKK claim, the participant) who receives messages.

    `phone` is E.164 (`+62…`) as the enrollment service stores it; empty or None means
    no phone. `language` is the language the family asked for; Bahasa Indonesia unless
    they asked for English."""

    heir_id: str
    full_name: str
    relationship: str
    phone: str | None = None
    email: str | None = None
    language: Language = "id"

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {sorted(LANGUAGES)}, got {self.language!r}")


REPORTER_ID = "reporter"  # the recipient id of a claim's reporter (not an heir; one per claim)


def the_worker(participant_id: str, full_name: str, phone: str | None) -> Heir:
    """The worker as recipient: after a non-fatal accident the worker is the one paid, so
    the one told (issue 12.9). Enrollment keeps no language or email for the worker."""
    return Heir(participant_id, full_name, "self", phone=e164(phone))


def the_reporter(name: str | None, phone: str | None) -> Heir | None:
    """The person who reported the claim, if they left a phone number we can use."""
    number = e164(phone)
    return Heir(REPORTER_ID, name or "", "reporter", phone=number) if number else None


def e164(phone: str | None) -> str | None:
    """An Indonesian number as E.164: "0812-3456-7890", "62812…" and "+62812…" all become
    "+62812…"; anything else is kept as given (the channel refuses it, visibly)."""
    if not phone or not phone.strip():
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    if digits.startswith("62"):
        return "+" + digits
    return phone.strip()


def channels_for(heir: Heir, phone_channel: str = "whatsapp") -> list[str]:
    """The channels one heir is reached on: email if they have an address, the city's
    configured phone channel if they have a phone, both if both, none if neither (the
    officer then tells the family in person). Email comes first so the order is stable."""
    if phone_channel not in PHONE_CHANNELS:
        raise ValueError(f"phone_channel must be one of {sorted(PHONE_CHANNELS)}, got {phone_channel!r}")
    channels: list[str] = []
    if heir.email and heir.email.strip():
        channels.append("email")
    if heir.phone and heir.phone.strip():
        channels.append(phone_channel)
    return channels


def address_for(heir: Heir, channel: str) -> str:
    """The address a channel sends to: the email address, or the E.164 phone number."""
    if channel == "email":
        address = heir.email
    elif channel in PHONE_CHANNELS:
        address = heir.phone
    else:
        raise ValueError(f"unknown channel {channel!r}")
    if not address or not address.strip():
        raise ValueError(f"heir {heir.heir_id} has no address for channel {channel!r}")
    return address.strip()


def dedup_key(event_id: str, heir_id: str, channel: str) -> str:
    """One message per (event, heir, channel): a redelivered event or a restarted
    consumer finds the key already taken and sends nothing twice. The parts may not
    contain ':' so that two different triples never make the same key."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    for name, part in (("event_id", event_id), ("heir_id", heir_id)):
        if not part or ":" in part:
            raise ValueError(f"{name} must be non-empty and contain no ':', got {part!r}")
    return f"{event_id}:{heir_id}:{channel}"
