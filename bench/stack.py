"""An isolated Jaring stack for load runs: its own Kafka and PostgreSQL on free ports,
the stand-ins and the services as real processes, N instances of each consumer service.

    async with BenchStack(partitions=3, instances=2) as stack:
        stack.urls("claims")            # every claims instance's base URL
        stack.services["claims"][0].kill()   # a chaos run kills and restarts parts
        await stack.services["claims"][0].start()

PostgreSQL keeps fsync, synchronous_commit and full_page_writes ON (the server's
defaults, what production runs). Everything lives in one temporary folder, removed on
exit unless `keep=True`; nothing of the developer's own stack (.jaring/) is touched
except Kafka's resolved jars, which are shared.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.cpu_parts import parse_stat
from deploy.local.kafka import KafkaCluster, KafkaNode, resolve_kafka_jars
from deploy.local.postgres import PostgresNode
from deploy.local.processes import start_process, stop_process_group, tail
from shared.auth import issue_token
from tests.support.stack import REPO, free_port

BENCH_SECRET = "jaring-bench-secret-not-for-production"
BENCH_BANK_SECRET = "jaring-bench-bank-secret-not-for-production"
# Services whose consumers share the load when more instances run; enrollment has none.
CONSUMER_SERVICES = ("claims", "notifications")


def token(role: str) -> str:
    return issue_token(BENCH_SECRET, f"bench-{role}", role)


@dataclass
class Proc:
    """One process of the stack (a service instance or a stand-in), restartable."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int
    cwd: Path = REPO
    health_path: str | None = "/health"  # None: a TCP connection is enough
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def launch(self) -> Proc:
        self.process = start_process(self.argv, self.log, env=self.env, cwd=self.cwd)
        return self

    async def start(self, timeout: float = 90) -> Proc:
        self.launch()
        await self.wait_ready(timeout)
        return self

    async def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not await self.ready():
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited before it was ready; last lines of {self.log}:\n"
                    f"{tail(self.log, 15, last_run_only=True)}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} not ready after {timeout:.0f} s; log: {self.log}")
            await asyncio.sleep(0.2)

    async def ready(self) -> bool:
        if self.health_path is None:
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 1)
            except (TimeoutError, OSError):
                return False
            writer.close()
            return True
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(self.url + self.health_path)).status_code == 200
        except httpx.HTTPError:
            return False

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20, interrupt: bool = False) -> None:
        """SIGTERM (graceful: consumers leave their groups), SIGKILL after `timeout`. `interrupt`:
        SIGINT first, which pyinstrument survives to write its profile (uvicorn re-raises the
        signal it stopped on once it has shut down, and SIGTERM would end the process there)."""
        if self.process is None:
            return
        if interrupt and self.alive():
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        stop_process_group(self.process.pid, timeout)
        self.process.wait()

    def kill(self) -> None:
        """kill -9, as a crash: nothing is flushed, no offset committed."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class BenchStack:
    partitions: int = 3
    instances: int = 1  # of each consumer service (claims, notifications)
    # Kafka nodes: 1, or 3 for a KRaft cluster with topics of replication factor 3, min ISR 2.
    brokers: int = 1
    log_level: str = "WARNING"
    # Extra environment for every service process (settings such as CLAIMS_CONSUMER_BATCH_SIZE).
    service_env: dict[str, str] = field(default_factory=dict)
    # Extra PostgreSQL server settings (bench/data_scale.py preloads pg_stat_statements and auto_explain).
    postgres_settings: dict[str, str] = field(default_factory=dict)
    # When set, each service runs under pyinstrument and writes its profile here on a graceful stop.
    profile_dir: Path | None = None
    # The officers' console, which indexes every topic (one consumer group per topic): part of the
    # production stack, so part of the CPU a claim costs.
    console: bool = False
    # The grievances service (the family's complaints and "Lacak Klaim" lookups), which reads a
    # claim's filing, decisions and payouts in its own groups: part of the production stack too.
    grievances: bool = False
    keep: bool = False
    workdir: Path | None = None
    kafka: KafkaNode | KafkaCluster | None = None
    postgres: PostgresNode | None = None
    smtp: Proc | None = None
    provider: Proc | None = None
    bank: Proc | None = None  # the SNAP bank stand-in, notifying the first claims instance
    # Extra arguments for the bank stand-in (e.g. --slow-seconds).
    bank_args: tuple[str, ...] = ()
    services: dict[str, list[Proc]] = field(default_factory=dict)

    @property
    def bootstrap(self) -> str:
        return self.kafka.bootstrap_servers

    @property
    def database_url(self) -> str:
        return self.postgres.socket_url("jaring")  # the services share the machine with it

    @property
    def mail_dir(self) -> Path:
        return self.workdir / "mail"

    @property
    def provider_requests(self) -> Path:
        """Every request the SMS/WhatsApp stand-in received, one JSON line each."""
        return self.workdir / ".jaring" / "provider" / "requests.jsonl"

    def urls(self, service: str) -> list[str]:
        return [p.url for p in self.services[service]]

    def processes(self) -> dict[str, int]:
        """name -> pid of everything this stack runs (for CPU accounting)."""
        nodes = self.kafka.nodes if isinstance(self.kafka, KafkaCluster) else [self.kafka]
        found = {f"kafka-{n.node_id}" if len(nodes) > 1 else "kafka": n.process.pid for n in nodes if n.alive()}
        found["postgres"] = self.postgres.pid()
        for proc in [self.smtp, self.provider, self.bank, *(p for ps in self.services.values() for p in ps)]:
            if proc is not None and proc.alive():
                found[proc.name] = proc.pid
        return found

    async def __aenter__(self) -> BenchStack:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="jaring-bench-"))
        libs = resolve_kafka_jars(REPO / ".jaring" / "kafka")
        if self.brokers > 1:
            self.kafka = KafkaCluster(
                self.workdir / "kafka", [(free_port(), free_port()) for _ in range(self.brokers)], libs, heap="384m"
            )
        else:
            self.kafka = KafkaNode(self.workdir / "kafka", free_port(), free_port(), libs, heap="512m")
        # fast=False: fsync, synchronous_commit and full_page_writes on, as in production.
        self.postgres = PostgresNode(
            self.workdir / "pg" / "data", free_port(), fast=False, settings=self.postgres_settings
        )

        def start_kafka() -> None:
            self.kafka.format()
            if isinstance(self.kafka, KafkaCluster):
                self.kafka.start()
            else:
                self.kafka.start(self.workdir / "kafka.log")

        def start_postgres() -> None:
            self.postgres.init()
            self.postgres.start(self.workdir / "pg.log")

        await asyncio.gather(asyncio.to_thread(start_kafka), asyncio.to_thread(start_postgres))
        await asyncio.gather(self.kafka.wait_ready(180 if self.brokers > 1 else 90), self.postgres.wait_ready(60))
        await self.postgres.ensure_database("jaring")

        env = self._base_env()
        smtp_port, provider_port = free_port(), free_port()
        self.smtp = Proc(
            "smtp_sink",
            [
                sys.executable,
                "-m",
                "deploy.local.standins.smtp_sink",
                "--port",
                str(smtp_port),
                "--dir",
                str(self.mail_dir),
            ],
            env,
            self.workdir / "smtp_sink.log",
            smtp_port,
            health_path=None,
        )
        # The provider's own CLI logs every request at INFO; under load that is the stand-in's
        # CPU, not Jaring's, so it runs under uvicorn's CLI with the access log off. Its
        # create_app() keeps requests in ".jaring/provider" under its cwd: the stack's folder.
        self.provider = Proc(
            "provider",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "deploy.local.standins.provider:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(provider_port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env,
            self.workdir / "provider.log",
            provider_port,
            cwd=self.workdir,
            health_path="/_health",
        )
        await asyncio.gather(self.smtp.start(), self.provider.start())

        bank_port = free_port()
        service_env = {
            **env,
            "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
            "NOTIFICATIONS_SMS_BASE_URL": self.provider.url,
            "NOTIFICATIONS_WHATSAPP_BASE_URL": self.provider.url,
            "CLAIMS_BANK_BASE_URL": f"http://127.0.0.1:{bank_port}",
            "ENROLLMENT_COVERAGE_SWEEP_SECONDS": "0",
            **self.service_env,
        }
        for name in ("enrollment", *CONSUMER_SERVICES):
            count = self.instances if name in CONSUMER_SERVICES else 1
            self.services[name] = [self._service(name, i, service_env) for i in range(count)]
        # First instances first: they create the schemas and topics; the others then join.
        await asyncio.gather(*(procs[0].start() for procs in self.services.values()))
        await asyncio.gather(*(p.start() for procs in self.services.values() for p in procs[1:]))
        # The bank notifies the first claims instance; until it runs, claims' worker finds it away.
        notify = self.services["claims"][0].url + "/snap/v1.0/transfer-interbank/notify"
        self.bank = Proc(
            "bank",
            [
                sys.executable,
                "-m",
                "deploy.local.standins.bank",
                "--port",
                str(bank_port),
                "--dir",
                str(self.workdir / "bank"),
                "--notify-url",
                notify,
                *self.bank_args,
            ],
            env,
            self.workdir / "bank.log",
            bank_port,
            health_path="/_health",
        )
        await self.bank.start()
        if self.grievances:
            self.services["grievances"] = [
                self._service(
                    "grievances",
                    0,
                    {**service_env, "GRIEVANCES_CLAIMS_BASE_URL": self.services["claims"][0].url},
                )
            ]
            await self.services["grievances"][0].start()
        if self.console:
            urls = {f"CONSOLE_{name.upper()}_BASE_URL": procs[0].url for name, procs in self.services.items()}
            self.services["console"] = [
                self._service(
                    "console", 0, {**service_env, **urls, "CONSOLE_SESSION_SECRET": BENCH_SECRET + "-console"}
                )
            ]
            await self.services["console"][0].start()

    def _base_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "DATABASE_URL": self.database_url,
            "JARING_AUTH_SECRET": BENCH_SECRET,
            "KAFKA_TOPIC_PARTITIONS": str(self.partitions),
            "KAFKA_REPLICATION_FACTOR": str(min(self.brokers, 3)),
            # No random review sample: the workload's mix decides which claims a person sees (the
            # scripted supervisor could not decide a sampled claim whose documents it added: four eyes).
            "CLAIMS_REVIEW_SAMPLE_RATE": "0",
            "CLAIMS_BANK_CLIENT_SECRET": BENCH_BANK_SECRET,
            "NOTIFICATIONS_INBOUND_SECRET": BENCH_BANK_SECRET + "-inbound",
            "LOG_LEVEL": self.log_level,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        }

    def _service(self, name: str, index: int, env: dict[str, str]) -> Proc:
        port = free_port()
        argv = [sys.executable, "-m", f"services.{name}"]
        if self.profile_dir is not None:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            argv = [
                sys.executable,
                "-m",
                "pyinstrument",
                "--renderer",
                "text",
                "--show-all",
                "--outfile",
                str(self.profile_dir / f"{name}-{index}.txt"),
                "-m",
                f"services.{name}",
            ]
        return Proc(
            f"{name}-{index}",
            argv,
            {**env, f"{name.upper()}_HTTP_PORT": str(port)},
            self.workdir / f"{name}-{index}.log",
            port,
        )

    async def stop(self) -> None:
        procs = [p for ps in self.services.values() for p in ps] + [
            p for p in (self.smtp, self.provider, self.bank) if p
        ]
        profiling = self.profile_dir is not None
        await asyncio.gather(*(asyncio.to_thread(p.stop, 30, profiling) for p in procs if p.process is not None))
        if isinstance(self.kafka, KafkaCluster) or (self.kafka is not None and self.kafka.process is not None):
            await asyncio.to_thread(self.kafka.stop)
        if self.postgres is not None:
            await asyncio.to_thread(self.postgres.stop)
        if self.workdir is not None and not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process and its descendants, live or reaped (PostgreSQL's
    backends are the postmaster's children; a JVM's threads count in the process)."""
    if pid is None:
        return 0.0
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent, cpu seconds)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent, own, reaped = parse_stat((entry / "stat").read_text())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        # Children that exited and were reaped (a PostgreSQL backend whose pool connection was
        # closed) still count, in their parent.
        stats[int(entry.name)] = (parent, own + reaped)
    children: dict[int, list[int]] = {}
    for child, (parent, _) in stats.items():
        children.setdefault(parent, []).append(child)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0.0))[1]
        todo.extend(children.get(current, ()))
    return total
