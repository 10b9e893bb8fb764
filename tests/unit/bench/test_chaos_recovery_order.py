"""The fault script sees each fault's recovery before it starts the next fault: at scale the
SMS/WhatsApp outage began 10 s after PostgreSQL's restart, before any family had been notified,
and PostgreSQL's "recovery" (72.8 s) was the 10 s gap, the provider's 61.8 s and its 0.8 s of
recovery added up. The fakes only say when each part was killed and started."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench.chaos import run_faults


@dataclass
class FakePart:
    name: str
    log: list[str]

    def kill(self) -> None:
        self.log.append(f"{self.name} killed")

    def start(self, _log_file: Path) -> None:
        self.log.append(f"{self.name} started")

    async def wait_ready(self, _timeout: float) -> None:
        self.log.append(f"{self.name} ready")


@dataclass
class FakeStack:
    workdir: Path
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.kafka = FakePart("kafka", self.log)
        self.postgres = FakePart("postgres", self.log)


async def test_each_fault_waits_for_its_recovery_before_the_next_fault_begins(tmp_path: Path) -> None:
    stack = FakeStack(tmp_path)
    answers = iter([1.5, None])  # Kafka's recovery seen after 1.5 s; none after PostgreSQL's

    async def recovered(moment: float) -> float | None:
        stack.log.append("recovery seen")
        return next(answers)

    faults = await run_faults(
        stack,  # type: ignore[arg-type]
        outage=0.0,
        gap=0.0,
        say=lambda *_: None,
        kinds=("kafka", "postgres"),
        recovered=recovered,
    )

    assert stack.log == [
        "kafka killed",
        "kafka started",
        "kafka ready",
        "recovery seen",
        "postgres killed",
        "postgres started",
        "postgres ready",
        "recovery seen",
    ]
    assert [(f.name, f.recovered_after) for f in faults] == [
        ("Kafka kill -9, down 0 s", 1.5),
        ("PostgreSQL kill -9, down 0 s", None),
    ]


async def test_only_the_kinds_of_fault_asked_for_are_injected(tmp_path: Path) -> None:
    stack = FakeStack(tmp_path)
    faults = await run_faults(stack, outage=0.0, gap=0.0, say=lambda *_: None, kinds=("postgres",))  # type: ignore[arg-type]
    assert [f.name for f in faults] == ["PostgreSQL kill -9, down 0 s"]
    assert stack.log == ["postgres killed", "postgres started", "postgres ready"]
