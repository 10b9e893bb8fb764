"""A single-node Apache Kafka (KRaft, broker and controller in one JVM) run from the
jars Maven resolves from deploy/local/kafka/pom.xml — no Docker, no Kafka download.

Importable by tests: nothing here holds state between calls except the files it writes.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import hashlib
import re
import shutil
import subprocess
import tempfile
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable

from deploy.local.processes import pid_alive, start_process, stop_process_group, tail

HERE = Path(__file__).resolve().parent
POM = HERE / "kafka" / "pom.xml"
LOG4J2_CONFIG = HERE / "log4j2.xml"
_POM_HASH_FILE = "POM.sha256"  # kept inside the libs dir: present only once the copy is complete


def _kafka_version(pom: Path = POM) -> str:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(pom).getroot().find("m:properties/m:kafka.version", ns)
    if node is None or not (node.text or "").strip():
        raise RuntimeError(f"{pom} has no <kafka.version> property")
    return node.text.strip()


KAFKA_VERSION = _kafka_version()


class KafkaError(RuntimeError):
    pass


def _pom_sha256(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()


def resolve_kafka_jars(cache_dir: Path, progress: Callable[[str], object] = print, *, pom: Path = POM) -> Path:
    """Return `cache_dir/libs` holding Kafka's runtime jars. Maven runs only when that
    dir is missing or the POM changed since it was filled; the new jars are copied into
    a sibling temp dir and swapped in, so a failed run never leaves half a classpath.
    A lock file serialises concurrent callers (parallel test sessions)."""
    libs = cache_dir / "libs"
    want = _pom_sha256(pom)

    def up_to_date() -> bool:
        hash_file = libs / _POM_HASH_FILE
        return hash_file.exists() and hash_file.read_text().strip() == want and any(libs.glob("*.jar"))

    if up_to_date():
        return libs
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".resolve.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if up_to_date():  # another process resolved them while we waited
            return libs
        _run_maven(pom, cache_dir, libs, want, progress)
    return libs


def _run_maven(pom: Path, cache_dir: Path, libs: Path, pom_hash: str, progress: Callable[[str], object]) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaError("Maven (mvn) is not on PATH: it is needed once to fetch Kafka's jars")
    log_file = cache_dir / "maven.log"
    if libs.exists():
        progress(f"{pom.name} changed: resolving Apache Kafka {_kafka_version(pom)} jars with Maven again…")
    else:
        progress(f"resolving Apache Kafka {_kafka_version(pom)} jars with Maven (first time only)…")
    staging = Path(tempfile.mkdtemp(prefix="libs.", dir=cache_dir))
    try:
        with open(log_file, "wb") as log:
            rc = subprocess.run(
                [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
                 f"-DoutputDirectory={staging}", "-DincludeScope=runtime"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            ).returncode
        jars = list(staging.glob("*.jar"))
        if rc != 0 or not jars:
            raise KafkaError(
                f"Maven could not resolve Kafka's jars (exit code {rc}); see {log_file}:\n"
                + re.sub(r"\x1b\[[0-9;]*m", "", tail(log_file, 20))  # Maven 3.8 -q still writes colour resets
            )
        (staging / _POM_HASH_FILE).write_text(pom_hash + "\n")
        staging.chmod(0o755)  # mkdtemp made it 0700
        if libs.exists():
            shutil.rmtree(libs)
        staging.rename(libs)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    progress(f"resolved {len(jars)} jars into {libs}")


def _new_cluster_id() -> str:
    # Kafka's Uuid.toString(): URL-safe base64 of 16 random bytes without padding,
    # never starting with '-' (it would read as a command-line flag).
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


class KafkaNode:
    def __init__(self, data_dir: Path, port: int, controller_port: int, libs: Path, heap: str = "512m"):
        self.data_dir = Path(data_dir)
        self.port = port
        self.controller_port = controller_port
        self.libs = Path(libs)
        self.heap = heap
        self.process: subprocess.Popen | None = None
        self.log_file: Path | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "kafka-logs"

    def write_config(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
            "log.dirs": str(self.log_dir),
            "num.partitions": "3",
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
        }
        self.config_file.write_text(
            "# Written by deploy/local/kafka.py on every start; edits here are overwritten.\n"
            + "".join(f"{k}={v}\n" for k, v in props.items())
        )
        return self.config_file

    def _java(self, heap: str) -> list[str]:
        return [
            "java", f"-Xmx{heap}", f"-Xms{heap}",
            "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J2_CONFIG}",
            "-cp", f"{self.libs}/*",  # Java expands the wildcard itself; no shell involved
        ]

    def is_formatted(self) -> bool:
        return (self.log_dir / "meta.properties").exists()

    def format(self) -> bool:
        """Format the storage once. Returns False when it already was."""
        self.write_config()
        if self.is_formatted():
            return False
        result = subprocess.run(
            [*self._java("256m"), "kafka.tools.StorageTool", "format",
             "-t", _new_cluster_id(), "-c", str(self.config_file), "--standalone"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
        )
        if result.returncode != 0 or not self.is_formatted():
            raise KafkaError(
                f"kafka-storage format failed (exit code {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return True

    def start(self, log_file: Path) -> subprocess.Popen:
        self.write_config()
        self.log_file = Path(log_file)
        self.process = start_process(
            [*self._java(self.heap), "kafka.Kafka", str(self.config_file)], self.log_file, cwd=self.data_dir
        )
        return self.process

    async def wait_ready(self, timeout: float = 60.0) -> dict:
        return await wait_for_kafka(
            self.bootstrap_servers, timeout, log_file=self.log_file,
            pid=self.process.pid if self.process is not None else None,
        )

    def stop(self, pid: int | None = None, timeout: float = 30.0) -> bool:
        """SIGTERM the broker's process group, SIGKILL after `timeout` s. True if it had to be killed."""
        if pid is None:
            if self.process is None:
                return False
            pid = self.process.pid
        killed = stop_process_group(pid, timeout)
        if self.process is not None and self.process.pid == pid:
            try:
                self.process.wait(timeout=5)  # reap our child; its returncode is then set
            except subprocess.TimeoutExpired:
                pass
        return killed


async def _tcp_open(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return True


async def cluster_metadata(bootstrap_servers: str, request_timeout_ms: int = 5000) -> dict:
    """One metadata round trip: {'brokers': [...], 'cluster_id': ..., 'controller_id': ...}."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=request_timeout_ms)
    await admin.start()
    try:
        return await admin.describe_cluster()
    finally:
        await admin.close()


async def wait_for_kafka(
    bootstrap_servers: str,
    timeout: float = 60.0,
    *,
    log_file: Path | None = None,
    pid: int | None = None,
) -> dict:
    """Wait until the cluster answers a metadata request listing at least one broker.
    A plain TCP connect is tried first so aiokafka does not log a connection error per poll.
    Fails early if `pid` (the broker we started) has exited."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    first = bootstrap_servers.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    last_error: BaseException | None = None

    def see_log() -> str:
        return f"; see {log_file}, last lines:\n{tail(log_file, 20, last_run_only=True)}" if log_file else ""

    while True:
        if pid is not None and not pid_alive(pid):
            raise KafkaError(f"Kafka (pid {pid}) exited before it was ready{see_log()}")
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(
                f"Kafka at {bootstrap_servers} did not answer metadata within {timeout:.0f} s "
                f"(last error: {last_error!r}){see_log()}"
            )
        if await _tcp_open(host.strip("[]") or "127.0.0.1", int(port)):
            try:
                meta = await asyncio.wait_for(cluster_metadata(bootstrap_servers), max(remaining, 0.5))
                if meta.get("brokers"):
                    return meta
                last_error = RuntimeError("metadata lists no broker yet")
            except Exception as err:  # noqa: BLE001 - any failure means "not ready yet"
                last_error = err
        else:
            last_error = ConnectionRefusedError(f"nothing listens on {first}")
        await asyncio.sleep(min(0.25, max(deadline - loop.time(), 0)))
