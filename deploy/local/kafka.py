"""Apache Kafka (KRaft, broker and controller in one JVM per node) run from the jars Maven
resolves from deploy/local/kafka/pom.xml — no Docker, no Kafka download. One node for the
everyday stack and the test suite; a KafkaCluster of three for the replication runs
(JARING_KAFKA_BROKERS=3), each node with its own ports and data dir.

Importable by tests: nothing here holds state between calls except the files it writes.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
                [
                    mvn,
                    "-q",
                    "-B",
                    "-f",
                    str(pom),
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={staging}",
                    "-DincludeScope=runtime",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
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
    """One broker+controller JVM. Alone (`voters` None) it is a standalone KRaft quorum; in a
    cluster, `voters` is the static quorum (`1@127.0.0.1:port,…`) and `replication` the copies
    the cluster keeps of its internal topics."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        controller_port: int,
        libs: Path,
        heap: str = "512m",
        *,
        node_id: int = 1,
        voters: str | None = None,
        replication: int = 1,
    ):
        self.data_dir = Path(data_dir)
        self.port = port
        self.controller_port = controller_port
        self.libs = Path(libs)
        self.heap = heap
        self.node_id = node_id
        self.voters = voters
        self.replication = replication
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
        quorum = (
            {"controller.quorum.voters": self.voters}
            if self.voters
            else {"controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}"}
        )
        # acks=all counts once min ISR copies have a record: with three copies, two, so one
        # broker down does not stop writes and an acknowledged record survives any one loss.
        min_isr = str(min(2, self.replication))
        rf = str(self.replication)
        props = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            **quorum,
            "log.dirs": str(self.log_dir),
            "num.partitions": "3",
            "auto.create.topics.enable": "false",
            "default.replication.factor": rf,
            "min.insync.replicas": min_isr,
            "offsets.topic.replication.factor": rf,
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": min_isr,
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": min_isr,
            "group.initial.rebalance.delay.ms": "0",
        }
        self.config_file.write_text(
            "# Written by deploy/local/kafka.py on every start; edits here are overwritten.\n"
            + "".join(f"{k}={v}\n" for k, v in props.items())
        )
        return self.config_file

    def _java(self, heap: str) -> list[str]:
        return [
            "java",
            f"-Xmx{heap}",
            f"-Xms{heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J2_CONFIG}",
            "-cp",
            f"{self.libs}/*",  # Java expands the wildcard itself; no shell involved
        ]

    def is_formatted(self) -> bool:
        return (self.log_dir / "meta.properties").exists()

    def format(self, cluster_id: str | None = None) -> bool:
        """Format the storage once. Returns False when it already was. A cluster's nodes share
        one `cluster_id`; with a static quorum (voters) there is no --standalone."""
        self.write_config()
        if self.is_formatted():
            return False
        result = subprocess.run(
            [
                *self._java("256m"),
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id or _new_cluster_id(),
                "-c",
                str(self.config_file),
                *([] if self.voters else ["--standalone"]),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
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
            self.bootstrap_servers,
            timeout,
            log_file=self.log_file,
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

    def kill(self) -> None:
        """SIGKILL, as a crash: no controlled shutdown, no leadership handed over, nothing flushed."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class KafkaCluster:
    """`count` broker+controller nodes on this machine forming one KRaft cluster (static quorum
    of all of them), internal topics with `count` copies and min ISR 2. Tests and the chaos
    run kill single nodes (`kill`) and bring them back (`restart`)."""

    def __init__(self, data_dir: Path, ports: list[tuple[int, int]], libs: Path, heap: str = "384m"):
        voters = ",".join(f"{i}@127.0.0.1:{controller}" for i, (_, controller) in enumerate(ports, start=1))
        self.data_dir = Path(data_dir)
        self.nodes = [
            KafkaNode(
                self.data_dir / f"node-{i}",
                port,
                controller,
                libs,
                heap,
                node_id=i,
                voters=voters,
                replication=len(ports),
            )
            for i, (port, controller) in enumerate(ports, start=1)
        ]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(n.bootstrap_servers for n in self.nodes)

    def node(self, node_id: int) -> KafkaNode:
        return self.nodes[node_id - 1]

    def log_file(self, node: KafkaNode) -> Path:
        return self.data_dir / f"kafka-{node.node_id}.log"

    def format(self) -> bool:
        cluster_id = self._cluster_id()
        return any([n.format(cluster_id) for n in self.nodes])

    def _cluster_id(self) -> str:
        # Kept beside the nodes so a node formatted later joins the same cluster.
        path = self.data_dir / "cluster.id"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(_new_cluster_id() + "\n")
        return path.read_text().strip()

    def start(self) -> None:
        for n in self.nodes:
            if not n.alive():
                n.start(self.log_file(n))

    async def wait_ready(self, timeout: float = 120.0, log_file: Path | None = None) -> dict:
        """Until the metadata lists every node as a broker."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            meta = await wait_for_kafka(
                self.bootstrap_servers,
                max(deadline - loop.time(), 1.0),
                log_file=log_file or self.log_file(self.nodes[0]),
            )
            if len(meta["brokers"]) == len(self.nodes):
                return meta
            if loop.time() > deadline:
                raise TimeoutError(f"only {len(meta['brokers'])} of {len(self.nodes)} brokers joined")
            await asyncio.sleep(0.25)

    @property
    def live_bootstrap_servers(self) -> str:
        return ",".join(n.bootstrap_servers for n in self.nodes if n.alive())

    async def leaders(self, topics: list[str]) -> dict[tuple[str, int], int]:
        return await partition_leaders(self.live_bootstrap_servers, topics)

    async def leading_node(self, topics: list[str]) -> int:
        """The node leading most of the topics' partitions (the one whose loss hurts most)."""
        counts: dict[int, int] = {}
        for leader in (await self.leaders(topics)).values():
            counts[leader] = counts.get(leader, 0) + 1
        return max((n for n in counts if n > 0), key=lambda n: counts[n])

    async def wait_for_new_leaders(self, topics: list[str], gone: set[int], timeout: float = 120.0) -> float:
        """Seconds until every partition of `topics` has a leader outside `gone`."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            try:
                leaders = await self.leaders(topics)
            except Exception:  # noqa: BLE001 - a node dying under the request: ask again
                leaders = {}
            if leaders and all(leader > 0 and leader not in gone for leader in leaders.values()):
                return loop.time() - started
            if loop.time() - started > timeout:
                raise TimeoutError(f"partitions of {topics} still led by {gone} or by nobody: {leaders}")
            await asyncio.sleep(0.1)

    async def wait_in_sync(self, topics: list[str], timeout: float = 120.0) -> float:
        """Seconds until every partition of `topics` has every node in its in-sync replicas again."""
        from aiokafka.admin import AIOKafkaAdminClient

        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.live_bootstrap_servers, request_timeout_ms=5000)
            try:
                await admin.start()
                described = await admin.describe_topics(topics)
                if all(len(p["isr"]) == len(self.nodes) for t in described for p in t["partitions"]):
                    return loop.time() - started
            except Exception:  # noqa: BLE001 - not answering yet: ask again
                pass
            finally:
                await admin.close()
            if loop.time() - started > timeout:
                raise TimeoutError(f"partitions of {topics} not back in sync after {timeout:.0f} s")
            await asyncio.sleep(0.25)

    def kill(self, node_id: int) -> None:
        self.node(node_id).kill()

    def restart(self, node_id: int) -> None:
        node = self.node(node_id)
        node.start(self.log_file(node))

    def stop(self, timeout: float = 30.0) -> None:
        """All nodes at once: stopped one by one, the last ones lose their quorum and cannot finish
        a controlled shutdown (they would wait out `timeout` and be killed)."""
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(lambda n: n.stop(timeout=timeout), self.nodes))


async def partition_leaders(bootstrap_servers: str, topics: list[str]) -> dict[tuple[str, int], int]:
    """(topic, partition) -> the node id leading it (-1 while it has none), from the first node
    that answers a metadata request (an admin client keeps asking one node, dead or not)."""
    from aiokafka import AIOKafkaClient, TopicPartition

    client = AIOKafkaClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000)
    await client.bootstrap()
    try:
        metadata = await client.fetch_all_metadata()  # asks each known node in turn until one answers
        leaders = {}
        for topic in topics:
            for partition in metadata.partitions_for_topic(topic) or ():
                leader = metadata.leader_for_partition(TopicPartition(topic, partition))
                leaders[(topic, partition)] = -1 if leader is None else leader
        return leaders
    finally:
        await client.close()


async def _tcp_open(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
    except (TimeoutError, OSError):
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
    addresses = [a.strip().rpartition(":") for a in bootstrap_servers.split(",") if a.strip()]
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
        if any([await _tcp_open(host.strip("[]") or "127.0.0.1", int(port)) for host, _, port in addresses]):
            try:
                meta = await asyncio.wait_for(cluster_metadata(bootstrap_servers), max(remaining, 0.5))
                if meta.get("brokers"):
                    return meta
                last_error = RuntimeError("metadata lists no broker yet")
            except Exception as err:  # noqa: BLE001 - any failure means "not ready yet"
                last_error = err
        else:
            last_error = ConnectionRefusedError(f"nothing listens on {bootstrap_servers}")
        await asyncio.sleep(min(0.25, max(deadline - loop.time(), 0)))
