"""A service's own process settles Python's cycle collector once it is built (shared/service.py,
issue 17): what exists then is frozen out of the collector's sight, and the youngest generation is
collected at 10,000 objects instead of 700. A test process running services keeps the defaults."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from shared import service


@pytest.fixture
def collector_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_services_process_freezes_what_it_built_and_collects_its_youngest_objects_less_often(
    monkeypatch, collector_restored
):
    built: list[int] = []
    served: list[tuple[object, int]] = []

    def create_app(spec: object) -> object:
        built.append(gc.get_freeze_count())  # nothing frozen yet: the app is built first
        return {"spec": spec}

    monkeypatch.setattr(service, "create_app", create_app)
    monkeypatch.setattr(service.uvicorn, "run", lambda app, **_: served.append((app, gc.get_freeze_count())))
    settings = type("Settings", (), {"http_host": "127.0.0.1", "http_port": 0})()
    gc.unfreeze()
    _, middle, oldest = gc.get_threshold()

    service.run(type("Spec", (), {"settings": settings})())

    ((app, frozen_when_served),) = served
    assert app["spec"].settings is settings
    assert built == [0] and frozen_when_served > 0  # built, then frozen, then served
    assert gc.get_threshold() == (10_000, middle, oldest)  # the older generations keep theirs


def test_cycles_made_after_the_freeze_are_still_collected(collector_restored):
    service.settle_garbage_collector()

    class Node:
        other: Node

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: reference counting alone never frees it
    gone = weakref.ref(a)
    del a, b
    assert gone() is not None
    gc.collect()
    assert gone() is None
