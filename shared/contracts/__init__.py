"""Event contracts: the only thing services know of each other.

Each module holds the payloads one service produces. `EVENT_TYPES` maps the wire name
to its model so any consumer can check a payload against its contract.
"""

from shared.contracts import claims, disbursements, enrollment, grievances, inbound, notifications
from shared.envelope import EventPayload


def _collect() -> dict[str, type[EventPayload]]:
    found: dict[str, type[EventPayload]] = {}
    for module in (enrollment, claims, disbursements, notifications, inbound, grievances):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, EventPayload) and "event_type" in vars(value):
                found[value.event_type] = value
    return found


EVENT_TYPES: dict[str, type[EventPayload]] = _collect()
