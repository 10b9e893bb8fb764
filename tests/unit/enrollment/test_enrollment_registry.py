"""The civil-registry adapter: whose notifications are accepted, and what is read from them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from deploy.local.standins.registry import sign
from services.enrollment.registry import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DciCivilRegistry,
    UnreadableNotification,
)

SECRET = "registry-test-secret"
NIK = "7371034506920001"
BODY = json.dumps(
    {
        "header": {"action": "notify"},
        "message": {
            "transaction_id": "t",
            "notify_event": [
                {
                    "reference_id": "CRVS-D-1",
                    "timestamp": "2026-11-29T10:00:00+00:00",
                    "data": {
                        "reg_type": "ns:org:RegistryType:Civil",
                        "reg_event_type": "ns:org:RegistryEventType:Death",
                        "reg_records": [
                            {
                                "identifier": [{"identifier_type": "NIK", "identifier_value": NIK}],
                                "death_date": "2026-11-28",
                                "death_place": "RSUD Daya",
                            }
                        ],
                    },
                }
            ],
        },
    }
).encode()


def registry() -> DciCivilRegistry:
    return DciCivilRegistry("http://registry", "http://enrollment/v1/registry/notify", "jaring", SECRET)


def headers(stamp: str, signature: str) -> dict[str, str]:
    return {TIMESTAMP_HEADER.lower(): stamp, SIGNATURE_HEADER.lower(): signature}


def test_a_notification_signed_by_the_registry_within_5_minutes_is_accepted():
    assert registry().refusal(headers("1000", sign(SECRET, "1000", BODY)), BODY, now=1000 + 299) is None


def test_a_stale_or_forged_or_unsigned_notification_is_refused():
    assert "window" in registry().refusal(headers("1000", sign(SECRET, "1000", BODY)), BODY, now=1000 + 301)
    assert "does not match" in registry().refusal(headers("1000", sign("other", "1000", BODY)), BODY, now=1000)
    # The timestamp is signed: moving it forward breaks the signature.
    assert "does not match" in registry().refusal(headers("1200", sign(SECRET, "1000", BODY)), BODY, now=1200)
    assert "required" in registry().refusal({}, BODY, now=1000)


def test_the_deaths_are_read_and_the_nik_never_shows_in_a_repr():
    [death] = registry().deaths(BODY)
    assert (death.event_id, death.nik, death.date_of_death, death.place) == (
        "CRVS-D-1",
        NIK,
        date(2026, 11, 28),
        "RSUD Daya",
    )
    assert NIK not in repr(death)


def test_an_unreadable_notification_says_so_without_quoting_it():
    with pytest.raises(UnreadableNotification) as caught:
        registry().deaths(BODY.replace(b"death_date", b"died"))
    assert NIK not in str(caught.value)
