"""The whole Jaring stack on one machine, with one command.

    python -m deploy.local.stack up       # Kafka, PostgreSQL, stand-ins, services; idempotent
    python -m deploy.local.stack status   # exit code 1 if anything is down
    python -m deploy.local.stack logs claims -f
    python -m deploy.local.stack down

Run from the repository root. State lives in <repo>/.jaring/ (or $JARING_STATE_DIR).
Set KAFKA_BOOTSTRAP_SERVERS or DATABASE_URL to use an existing Kafka or database instead.
Keycloak (the identity provider officers sign in through) starts in the background beside the
rest; JARING_IDP=none leaves it out (then the console takes pasted tokens only).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from deploy.local.credentials import auth_env, ensure_secret, write_tokens
from deploy.local.health import http_ready, kafka_ok, postgres_ok, tcp_ok
from deploy.local.kafka import KAFKA_VERSION, KafkaCluster, KafkaError, KafkaNode, resolve_kafka_jars, wait_for_kafka
from deploy.local.keycloak import (
    CONSOLE_CLIENT,
    DEMO_USERS,
    KEYCLOAK_VERSION,
    KeycloakError,
    KeycloakNode,
    RealmSecrets,
    resolve_keycloak,
    wait_for_keycloak,
)
from deploy.local.postgres import PostgresError, PostgresNode, external_database_url
from deploy.local.processes import (
    cmdline,
    pid_alive,
    processes_with_env,
    read_pid,
    start_process,
    stop_process_group,
    tail,
    write_pid,
)
from deploy.local.traces import stack_env as traces_env
from shared.privacy import redact_url


@dataclass(frozen=True)
class Proc:
    """A Python process the stack runs: `python -m <module> <args>`.
    `stage` orders start-up: "extra" processes (stand-ins) start and answer before any "service".
    `health`: "http" = GET /health answers 200 {"status": "ready"}; "tcp" = the port accepts a connection.
    `args` may use {port} and {state} (the state dir)."""

    name: str
    module: str
    port_env: str
    default_port: int
    stage: str = "service"
    health: str = "http"
    args: tuple[str, ...] = ()

    @property
    def host_env(self) -> str:
        return self.port_env.removesuffix("_PORT") + "_HOST"


# Everything the stack starts besides Kafka and PostgreSQL, in start order. Add a line to add a process.
PROCESSES: tuple[Proc, ...] = (
    Proc(
        "smtp_sink",
        "deploy.local.standins.smtp_sink",
        "SMTP_SINK_PORT",
        8025,
        stage="extra",
        health="tcp",
        args=("--port", "{port}", "--dir", "{state}/mail"),
    ),
    Proc(
        "provider",
        "deploy.local.standins.provider",
        "PROVIDER_PORT",
        8104,
        stage="extra",
        health="tcp",
        args=("--port", "{port}", "--dir", "{state}/provider"),
    ),
    Proc(
        "bank",
        "deploy.local.standins.bank",
        "BANK_PORT",
        8106,
        stage="extra",
        health="tcp",
        args=("--port", "{port}", "--dir", "{state}/bank", "--secret-file", "{state}/bank/secret"),
    ),
    Proc(
        "registry",
        "deploy.local.standins.registry",
        "REGISTRY_PORT",
        8107,
        stage="extra",
        health="tcp",
        args=("--port", "{port}", "--dir", "{state}/registry", "--secret-file", "{state}/registry/secret"),
    ),
    Proc("enrollment", "services.enrollment", "ENROLLMENT_HTTP_PORT", 8101),
    Proc("claims", "services.claims", "CLAIMS_HTTP_PORT", 8102),
    Proc("notifications", "services.notifications", "NOTIFICATIONS_HTTP_PORT", 8103),
    Proc("grievances", "services.grievances", "GRIEVANCES_HTTP_PORT", 8105),
    Proc("console", "services.console", "CONSOLE_HTTP_PORT", 8100),
)
ROLES = ("officer", "supervisor", "operator")
HOST = "127.0.0.1"
READY_DEADLINE_S = 90.0
KAFKA_DEADLINE_S = 60.0
# Keycloak's first start builds it (~45 s here, minutes on a loaded machine); later ones take ~10 s.
KEYCLOAK_DEADLINE_S = 300.0
STOP_TIMEOUT_S = 30.0
REPO = Path(__file__).resolve().parents[2]
MARKER = "JARING_STACK"  # set in every process the stack starts, so `down` can find strays

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Run the whole Jaring stack on this machine: up, status, logs, down.",
)
console = Console()


class StackError(Exception):
    pass


# --- where things are ---------------------------------------------------------
def _port(env: str, default: int) -> int:
    return int(os.environ.get(env) or default)


def kafka_brokers() -> int:
    """JARING_KAFKA_BROKERS: 1 (the default) or 3, a KRaft cluster whose topics keep three copies."""
    brokers = int(os.environ.get("JARING_KAFKA_BROKERS") or 1)
    if brokers not in (1, 3):
        raise StackError(f"JARING_KAFKA_BROKERS is {brokers}: 1 or 3")
    return brokers


@dataclass(frozen=True)
class Layout:
    state: Path

    @classmethod
    def load(cls) -> Layout:
        return cls(Path(os.environ.get("JARING_STATE_DIR") or REPO / ".jaring").resolve())

    def log(self, name: str) -> Path:
        return self.state / "logs" / f"{name}.log"

    def pid_file(self, name: str) -> Path:
        return self.state / "run" / f"{name}.pid"

    def kafka(self) -> KafkaNode:
        """The first (with JARING_KAFKA_BROKERS=1, the only) Kafka node."""
        return self.kafka_nodes()[0]

    def kafka_cluster(self) -> KafkaCluster | None:
        """JARING_KAFKA_BROKERS=3: three broker+controller nodes, client ports KAFKA_PORT,
        +2, +4 and controller ports KAFKA_CONTROLLER_PORT, +2, +4, each in <state>/kafka/node-N."""
        brokers = kafka_brokers()
        if brokers == 1:
            return None
        port, controller = _port("KAFKA_PORT", 9092), _port("KAFKA_CONTROLLER_PORT", 9093)
        ports = [(port + 2 * i, controller + 2 * i) for i in range(brokers)]
        return KafkaCluster(self.state / "kafka" / "cluster", ports, self.state / "kafka" / "libs", heap="512m")

    def kafka_nodes(self) -> list[KafkaNode]:
        cluster = self.kafka_cluster()
        if cluster is not None:
            return cluster.nodes
        return [
            KafkaNode(
                self.state / "kafka" / "data",
                _port("KAFKA_PORT", 9092),
                _port("KAFKA_CONTROLLER_PORT", 9093),
                self.state / "kafka" / "libs",
            )
        ]

    def kafka_name(self, node: KafkaNode) -> str:
        """Its pid file's and log's name: kafka, or kafka-N in a cluster."""
        return "kafka" if kafka_brokers() == 1 else f"kafka-{node.node_id}"

    def postgres(self) -> PostgresNode:
        return PostgresNode(self.state / "pg" / "data", _port("PG_PORT", 5433), HOST)

    def keycloak(self) -> KeycloakNode | None:
        """The identity provider, unless JARING_IDP=none. Its secrets and the demo users'
        passwords are generated once into <state>/idp/ (mode 600) and kept across starts."""
        if idp_off():
            return None
        idp = self.state / "idp"
        console_port = _port("CONSOLE_HTTP_PORT", 8100)
        secrets = RealmSecrets(
            console_client_secret=ensure_secret(idp / "console-client.secret"),
            scripts_client_secret=ensure_secret(idp / "scripts-client.secret"),
            passwords={role: ensure_secret(idp / f"{role}.password")[:20] for role in DEMO_USERS},
            console_url=f"http://{HOST}:{console_port}",
        )
        return KeycloakNode(
            self.state / "keycloak" / f"keycloak-{KEYCLOAK_VERSION}", _port("KEYCLOAK_PORT", 8180), secrets, HOST
        )

    def bootstrap(self) -> str:
        return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or ",".join(n.bootstrap_servers for n in self.kafka_nodes())

    def database_url(self) -> str:
        return external_database_url() or self.postgres().socket_url("jaring")


def idp_off() -> bool:
    return (os.environ.get("JARING_IDP") or "keycloak").lower() == "none"


def _ours(pid: int | None, needle: str) -> bool:
    """True if `pid` is alive and its command line mentions `needle` (guards against pid reuse)."""
    return pid is not None and pid_alive(pid) and needle in " ".join(cmdline(pid))


def _port_in_use(port: int, host: str = HOST) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _short(path: str | Path) -> str:
    """A path relative to the working directory when it lies below it (keeps tables narrow)."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _failure(what: str, log: Path) -> StackError:
    return StackError(f"{what}\nlog: {log}\n--- last 20 lines ---\n{tail(log, 20, last_run_only=True)}")


async def _healthy(proc: Proc) -> bool:
    port = _port(proc.port_env, proc.default_port)
    return await (http_ready(HOST, port) if proc.health == "http" else tcp_ok(HOST, port))


# --- up -------------------------------------------------------------------------
def _done(msg: str, started: float | None = None) -> None:
    took = f" [dim]({time.monotonic() - started:.1f} s)[/]" if started is not None else ""
    console.print(f"[green]✓[/] {msg}{took}")


async def _up_kafka(lay: Layout) -> None:
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        t = time.monotonic()
        with console.status(f"checking Kafka at {external}…"):
            await wait_for_kafka(external, timeout=30)
        return _done(f"Kafka (external) answers at {external}", t)
    nodes, cluster = lay.kafka_nodes(), lay.kafka_cluster()
    bootstrap = lay.bootstrap()
    to_start = []
    for node in nodes:
        name = lay.kafka_name(node)
        pid = read_pid(lay.pid_file(name))
        if _ours(pid, str(node.config_file)):
            continue
        lay.pid_file(name).unlink(missing_ok=True)
        for port in (node.port, node.controller_port):
            if _port_in_use(port):
                raise StackError(
                    f"port {port} is taken by a process this stack did not start; stop it, or set "
                    "KAFKA_PORT / KAFKA_CONTROLLER_PORT, or KAFKA_BOOTSTRAP_SERVERS to use that Kafka"
                )
        to_start.append(node)
    if not to_start:
        with console.status("Kafka is running; checking it answers…"):
            await wait_for_kafka(bootstrap, KAFKA_DEADLINE_S, log_file=lay.log(lay.kafka_name(nodes[0])))
        return _done(f"Kafka already running at {bootstrap}")
    libs = resolve_kafka_jars(nodes[0].libs.parent, progress=lambda m: console.print(f"  {m}"))
    t = time.monotonic()
    what = f"{len(nodes)} Kafka nodes (KRaft, topics with 3 copies, min.insync.replicas 2)" if cluster else "Kafka"
    with console.status(f"starting {what} {KAFKA_VERSION} on {bootstrap}…"):
        for node in nodes:
            node.libs = libs
        if cluster is not None:
            if cluster.format():
                console.print(f"  formatted the cluster's storage in {cluster.data_dir}")
        elif nodes[0].format():
            console.print(f"  formatted Kafka storage in {nodes[0].log_dir}")
        # Every node before any wait: a cluster's quorum needs a majority of them to answer.
        started = [(node, node.start(lay.log(lay.kafka_name(node)))) for node in to_start]
        for node, proc in started:
            write_pid(lay.pid_file(lay.kafka_name(node)), proc.pid)
        try:
            if cluster is not None:
                await cluster.wait_ready(KAFKA_DEADLINE_S * 2, log_file=lay.log(lay.kafka_name(nodes[0])))
            else:
                await nodes[0].wait_ready(KAFKA_DEADLINE_S)
        except Exception as err:
            raise StackError(f"Kafka did not come up: {err}") from err
    _done(f"{what} ready at {bootstrap} (pids {', '.join(str(proc.pid) for _, proc in started)})", t)


async def _up_postgres(lay: Layout) -> None:
    external = external_database_url()
    if external:
        t = time.monotonic()
        with console.status("checking DATABASE_URL…"):
            if not await postgres_ok(external):
                raise StackError("DATABASE_URL is set but SELECT 1 fails against it")
        return _done("PostgreSQL (external, DATABASE_URL) answers", t)
    node, pid_file, log = lay.postgres(), lay.pid_file("postgres"), lay.log("postgres")
    node.log_file = log
    if node.is_running():
        write_pid(pid_file, node.pid())
        with console.status("PostgreSQL is running; checking it answers…"):
            await node.wait_ready(30)
        await node.ensure_database("jaring")
        return _done(f"PostgreSQL already running on {HOST}:{node.port} (pid {node.pid()})")
    pid_file.unlink(missing_ok=True)
    if _port_in_use(node.port):
        raise StackError(
            f"port {node.port} is taken by a process this stack did not start; "
            "stop it, or set PG_PORT, or DATABASE_URL to use that database"
        )
    t = time.monotonic()
    with console.status(f"starting PostgreSQL on {HOST}:{node.port}…"):
        try:
            if node.init():
                console.print(f"  initialised a new cluster in {node.data_dir}")
            write_pid(pid_file, node.start(log))
            await node.wait_ready(30)
            if await node.ensure_database("jaring"):
                console.print("  created database jaring")
        except (PostgresError, TimeoutError) as err:  # both already carry the server log's tail
            raise StackError(f"PostgreSQL did not come up: {err}") from err
    _done(f"PostgreSQL ready on {HOST}:{node.port} (pid {node.pid()})", t)


def _start_keycloak(lay: Layout) -> tuple[KeycloakNode, int, bool] | None:
    """Starts Keycloak unless it runs; returns (node, pid, started now). Blocking (Maven, unzip):
    run in a thread beside the rest of `up`."""
    node = lay.keycloak()
    if node is None:
        return None
    pid_file = lay.pid_file("keycloak")
    pid = read_pid(pid_file)
    if _ours(pid, str(node.home)):
        return node, pid, False
    pid_file.unlink(missing_ok=True)
    if _port_in_use(node.port):
        raise StackError(
            f"port {node.port} is taken by a process this stack did not start; stop it, or set "
            "KEYCLOAK_PORT, or JARING_IDP=none to run without an identity provider"
        )
    node.home = resolve_keycloak(node.home.parent, progress=lambda m: console.print(f"  {m}"))
    proc = node.start(lay.log("keycloak"), extra_env={MARKER: str(lay.state)})
    write_pid(pid_file, proc.pid)
    return node, proc.pid, True


async def _up_keycloak(lay: Layout) -> KeycloakNode | None:
    t = time.monotonic()
    started = await asyncio.to_thread(_start_keycloak, lay)
    if started is None:
        return None
    node, pid, now = started
    try:
        await wait_for_keycloak(node.issuer, KEYCLOAK_DEADLINE_S, log_file=lay.log("keycloak"), pid=pid)
    except (KeycloakError, TimeoutError) as err:
        raise StackError(f"Keycloak did not come up: {err}\n(JARING_IDP=none runs the stack without it)") from err
    _done(
        f"Keycloak {KEYCLOAK_VERSION} ready at {node.url} (pid {pid})"
        if now
        else f"Keycloak already running at {node.url} (pid {pid})",
        t if now else None,
    )
    return node


def _auth_secret(lay: Layout) -> str:
    return os.environ.get("JARING_AUTH_SECRET") or ensure_secret(lay.state / "auth" / "secret")


def _child_env(lay: Layout, secret: str) -> dict[str, str]:
    env = dict(os.environ)
    if kafka_brokers() > 1 and not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        # Topics the services create keep a copy on each node; min.insync.replicas follows (2).
        env.setdefault("KAFKA_REPLICATION_FACTOR", "3")
    env.update(
        KAFKA_BOOTSTRAP_SERVERS=lay.bootstrap(),
        DATABASE_URL=lay.database_url(),
        JARING_AUTH_SECRET=secret,
        **auth_env(),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        **{MARKER: str(lay.state)},
    )
    env.update(traces_env(env))  # JARING_TRACES=1: spans to the local Jaeger (`make traces`)
    for p in PROCESSES:  # every process learns every address
        env[p.host_env] = HOST
        env[p.port_env] = str(_port(p.port_env, p.default_port))
    # Notifications sends through the local stand-ins unless told otherwise.
    smtp_port = env["SMTP_SINK_PORT"]
    provider_url = f"http://{HOST}:{env['PROVIDER_PORT']}"
    env.setdefault("NOTIFICATIONS_SMTP_HOST", HOST)
    env.setdefault("NOTIFICATIONS_SMTP_PORT", smtp_port)
    env.setdefault("NOTIFICATIONS_SMS_BASE_URL", provider_url)
    env.setdefault("NOTIFICATIONS_WHATSAPP_BASE_URL", provider_url)
    # Claims pays through the bank stand-in, which notifies claims; both sign with one generated
    # secret (.jaring/bank/secret): outside this stack there is no default.
    env.setdefault("CLAIMS_BANK_CLIENT_SECRET", ensure_secret(lay.state / "bank" / "secret"))
    env.setdefault("CLAIMS_BANK_BASE_URL", f"http://{HOST}:{env['BANK_PORT']}")
    env.setdefault("BANK_NOTIFY_URL", f"http://{HOST}:{env['CLAIMS_HTTP_PORT']}/snap/v1.0/transfer-interbank/notify")
    # Enrollment subscribes to the civil-registry stand-in's deaths at start; both sign with one
    # generated secret (.jaring/registry/secret).
    env.setdefault("ENROLLMENT_REGISTRY_SECRET", ensure_secret(lay.state / "registry" / "secret"))
    env.setdefault("ENROLLMENT_REGISTRY_BASE_URL", f"http://{HOST}:{env['REGISTRY_PORT']}")
    env.setdefault(
        "ENROLLMENT_REGISTRY_CALLBACK_URL", f"http://{HOST}:{env['ENROLLMENT_HTTP_PORT']}/v1/registry/notify"
    )
    # The stand-in delivers families' messages (replies, STATUS, ADUAN) to notifications' one webhook,
    # signed the SNAP way (shared/snap.py) with a generated secret; grievances reopens a claim's
    # decision through claims' API.
    env.setdefault("NOTIFICATIONS_INBOUND_SECRET", ensure_secret(lay.state / "provider" / "inbound-secret"))
    env.setdefault("PROVIDER_INBOUND_WEBHOOK", f"http://{HOST}:{env['NOTIFICATIONS_HTTP_PORT']}/v1/inbound")
    env.setdefault("GRIEVANCES_CLAIMS_BASE_URL", f"http://{HOST}:{env['CLAIMS_HTTP_PORT']}")
    # The console calls the services' APIs with the signed-in person's token.
    for name in ("enrollment", "claims", "notifications", "grievances"):
        env.setdefault(f"CONSOLE_{name.upper()}_BASE_URL", f"http://{HOST}:{env[f'{name.upper()}_HTTP_PORT']}")
    # The local demo may sign in by pasting a token; officers sign in through Keycloak, whose
    # RS256 tokens every service takes beside the stack's own HS256 ones.
    env.setdefault("CONSOLE_ALLOW_PASTED_TOKEN", "true")
    keycloak = lay.keycloak()
    if keycloak is not None:
        env.setdefault("JARING_AUTH_JWKS_URL", keycloak.jwks_url)
        env.setdefault("JARING_AUTH_OIDC_ISSUER", keycloak.issuer)
        env.setdefault("CONSOLE_OIDC_ISSUER", keycloak.issuer)
        env.setdefault("CONSOLE_OIDC_CLIENT_ID", CONSOLE_CLIENT)
        env.setdefault("CONSOLE_OIDC_CLIENT_SECRET", keycloak.secrets.console_client_secret)
        env.setdefault("CONSOLE_PUBLIC_URL", keycloak.secrets.console_url)
    return env


def _start_proc(lay: Layout, proc: Proc, env: dict[str, str]) -> bool:
    """Start `proc` unless it already runs. Returns True if it was started now."""
    pid_file = lay.pid_file(proc.name)
    if _ours(read_pid(pid_file), proc.module):
        return False
    pid_file.unlink(missing_ok=True)
    port = _port(proc.port_env, proc.default_port)
    if _port_in_use(port):
        raise StackError(
            f"{proc.name}: port {port} is taken by a process this stack did not start; stop it or set {proc.port_env}"
        )
    args = [a.format(port=port, state=lay.state) for a in proc.args]
    p = start_process([sys.executable, "-m", proc.module, *args], lay.log(proc.name), env=env, cwd=REPO)
    write_pid(pid_file, p.pid)
    return True


async def _wait_proc(lay: Layout, proc: Proc, started: bool) -> None:
    loop = asyncio.get_running_loop()
    t, deadline = time.monotonic(), loop.time() + READY_DEADLINE_S
    pid, port = read_pid(lay.pid_file(proc.name)), _port(proc.port_env, proc.default_port)
    check = "GET /health → ready" if proc.health == "http" else "a TCP connection"
    while not await _healthy(proc):
        if not pid_alive(pid):
            raise _failure(f"{proc.name} (python -m {proc.module}) exited before answering {check}", lay.log(proc.name))
        if loop.time() > deadline:
            raise _failure(
                f"{proc.name} did not answer {check} on port {port} within {READY_DEADLINE_S:.0f} s", lay.log(proc.name)
            )
        await asyncio.sleep(0.3)
    url = f"http://{HOST}:{port}" if proc.health == "http" else f"{HOST}:{port}"
    _done(
        f"{proc.name} ready at {url} (pid {pid})" if started else f"{proc.name} already running at {url} (pid {pid})",
        t if started else None,
    )


async def _up_stage(lay: Layout, stage: str, env: dict[str, str]) -> None:
    procs = [p for p in PROCESSES if p.stage == stage]
    if not procs:
        return
    started = {p.name: _start_proc(lay, p, env) for p in procs}
    with console.status(f"waiting for {', '.join(p.name for p in procs)}…"):
        results = await asyncio.gather(*(_wait_proc(lay, p, started[p.name]) for p in procs), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise StackError("\n\n".join(str(e) for e in errors))


def _summary(lay: Layout) -> None:
    table = Table(title="Jaring is up", show_header=True, header_style="bold")
    table.add_column("what", no_wrap=True)
    table.add_column("where", overflow="fold")
    for p in PROCESSES:
        port = _port(p.port_env, p.default_port)
        if p.health == "http":
            table.add_row(p.name, f"http://{HOST}:{port}  (docs: http://{HOST}:{port}/docs)")
        else:
            table.add_row(p.name, f"{HOST}:{port}")
    table.add_row("Kafka bootstrap", lay.bootstrap())
    table.add_row("DATABASE_URL", redact_url(lay.database_url()))
    table.add_row("tokens", f"{lay.state / 'tokens'}/<{'|'.join(ROLES)}>.token  (Authorization: Bearer …)")
    keycloak = lay.keycloak()
    if keycloak is not None:
        table.add_row("Keycloak", f"{keycloak.issuer}  (sign in at http://{HOST}:{_port('CONSOLE_HTTP_PORT', 8100)})")
        for role, user in DEMO_USERS.items():
            table.add_row(f"  {role}", f"{user} / {keycloak.secrets.passwords[role]}")
        table.add_row("  scripts", f"jaring token --oidc  (client jaring-scripts, secret in {lay.state / 'idp'})")
    table.add_row("logs", f"{lay.state / 'logs'}  (python -m deploy.local.stack logs NAME -f)")
    console.print(table)


async def _up(lay: Layout) -> None:
    for sub in ("logs", "run"):
        (lay.state / sub).mkdir(parents=True, exist_ok=True)
    ignore = lay.state / ".gitignore"  # the state dir ignores itself, whatever the repo's .gitignore says
    if not ignore.exists():
        ignore.write_text("# written by deploy/local/stack.py: local runtime state, never committed\n*\n")
    secret = _auth_secret(lay)
    env = _child_env(lay, secret)
    # Keycloak starts first and in the background: nothing waits for it (the services fetch its
    # keys when its first token arrives), `up` only checks it answered before printing the summary.
    keycloak = asyncio.create_task(_up_keycloak(lay))
    try:
        await _up_kafka(lay)
        await _up_postgres(lay)
        write_tokens(lay.state / "tokens", secret, ROLES)
        _done(f"tokens for {', '.join(ROLES)} in {lay.state / 'tokens'}")
        await _up_stage(lay, "extra", env)
        await _up_stage(lay, "service", env)
        if not keycloak.done():
            with console.status("waiting for Keycloak (the first start builds it)…"):
                await keycloak
        await keycloak
    finally:
        if not keycloak.done():
            keycloak.cancel()
    _summary(lay)


@app.command()
def up() -> None:
    """Start whatever is not running yet and wait until each part answers."""
    lay = Layout.load()
    t = time.monotonic()
    try:
        asyncio.run(_up(lay))
    except (StackError, KafkaError, PostgresError, KeycloakError, TimeoutError) as err:
        console.print("[bold red]✗ stack is not up[/]")
        console.print(redact_url(str(err)), markup=False, highlight=False, soft_wrap=True)
        console.print("[dim]fix it and run `up` again (running parts are left alone), or `down`.[/]")
        raise typer.Exit(1) from err
    console.print(f"[dim]up in {time.monotonic() - t:.1f} s[/]")


# --- down -----------------------------------------------------------------------
def _stop(name: str, pid_file: Path, needle: str) -> None:
    pid = read_pid(pid_file)
    if _ours(pid, needle):
        t = time.monotonic()
        with console.status(f"stopping {name} (pid {pid})…"):
            killed = stop_process_group(pid, STOP_TIMEOUT_S)
        _done(f"{name} {'killed after SIGTERM timeout' if killed else 'stopped'}", t)
    pid_file.unlink(missing_ok=True)


def _strays(lay: Layout) -> list[int]:
    """Processes this stack started that no pid file accounts for any more: the marked ones,
    our Kafka JVM (its command line names our server.properties) and our postmaster
    (`-D <our data dir>`). Matched narrowly: other JVMs may share our jars dir."""
    found = set(processes_with_env(MARKER, str(lay.state)))
    kafka_confs, pg_data = {str(n.config_file) for n in lay.kafka_nodes()}, str(lay.postgres().data_dir)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            argv = cmdline(int(entry.name))
            prog = Path(argv[0]).name if argv else ""
            if (prog == "java" and kafka_confs & set(argv)) or (
                prog == "postgres" and any(a == pg_data and b == "-D" for b, a in zip(argv, argv[1:]))
            ):
                found.add(int(entry.name))
    return sorted(pid for pid in found if pid_alive(pid))


@app.command()
def down() -> None:
    """Stop services, stand-ins, Kafka and PostgreSQL; leave no process behind."""
    lay = Layout.load()
    for p in reversed(PROCESSES):
        _stop(p.name, lay.pid_file(p.name), p.module)
    keycloak = lay.keycloak()
    if keycloak is not None:
        _stop("Keycloak", lay.pid_file("keycloak"), str(keycloak.home))
    nodes = lay.kafka_nodes()
    if len(nodes) > 1:  # SIGTERM to every node first: one by one, the last would lose its quorum and hang
        for node in nodes:
            pid = read_pid(lay.pid_file(lay.kafka_name(node)))
            if _ours(pid, str(node.config_file)):
                os.killpg(pid, signal.SIGTERM)
    for node in nodes:
        _stop(f"Kafka node {node.node_id}", lay.pid_file(lay.kafka_name(node)), str(node.config_file))
    pg = lay.postgres()
    t = time.monotonic()
    with console.status("stopping PostgreSQL…"):
        was_running = pg.stop(STOP_TIMEOUT_S)
    if was_running:
        _done("PostgreSQL stopped", t)
    lay.pid_file("postgres").unlink(missing_ok=True)
    for pid in _strays(lay):
        console.print(f"[yellow]![/] stopping stray process {pid}: {' '.join(cmdline(pid))[:120]}")
        stop_process_group(pid, 10)
    console.print("[dim]stack is down[/]")


# --- status ---------------------------------------------------------------------
async def http_ready_oidc(issuer: str) -> bool:
    try:
        await wait_for_keycloak(issuer, 0)
    except (KeycloakError, TimeoutError):
        return False
    return True


async def _status_rows(lay: Layout) -> list[tuple[str, str, bool, bool, str, str, str]]:
    """(component, kind, running, healthy, pid, address, log)."""
    rows = []
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if bootstrap:
        ok = await kafka_ok(bootstrap)
        rows.append(("kafka", "external", ok, ok, "-", bootstrap, "-"))
    else:
        for node in lay.kafka_nodes():
            name = lay.kafka_name(node)
            pid = read_pid(lay.pid_file(name))
            running = _ours(pid, str(node.config_file))
            ok = running and await kafka_ok(node.bootstrap_servers)
            rows.append(
                (name, "local", running, ok, str(pid) if running else "-", node.bootstrap_servers, str(lay.log(name)))
            )
    db = external_database_url()
    if db:
        ok = await postgres_ok(db)
        rows.append(("postgres", "external", ok, ok, "-", "DATABASE_URL", "-"))
    else:
        pg = lay.postgres()
        pid = pg.pid()
        ok = pid is not None and await postgres_ok(pg.url("postgres"))
        rows.append(
            ("postgres", "local", pid is not None, ok, str(pid or "-"), f"{HOST}:{pg.port}", str(lay.log("postgres")))
        )
    keycloak = lay.keycloak()
    if keycloak is not None:
        pid = read_pid(lay.pid_file("keycloak"))
        running = _ours(pid, str(keycloak.home))
        ok = running and await http_ready_oidc(keycloak.issuer)
        rows.append(
            (
                "keycloak",
                "idp",
                running,
                ok,
                str(pid) if running else "-",
                f"{HOST}:{keycloak.port}",
                str(lay.log("keycloak")),
            )
        )
    for p in PROCESSES:
        pid = read_pid(lay.pid_file(p.name))
        running = _ours(pid, p.module)
        port = _port(p.port_env, p.default_port)
        ok = running and await _healthy(p)
        rows.append(
            (p.name, p.stage, running, ok, str(pid) if running else "-", f"{HOST}:{port}", str(lay.log(p.name)))
        )
    return rows


@app.command()
def status() -> None:
    """Show each component: running? healthy? pid, address, log. Exit code 1 if anything is down."""
    lay = Layout.load()
    rows = asyncio.run(_status_rows(lay))
    table = Table(
        show_header=True,
        header_style="bold",
        box=box.SIMPLE,
        pad_edge=False,
        caption=f"logs in {_short(lay.state / 'logs')}/  (python -m deploy.local.stack logs NAME)",
    )
    for col in ("component", "running", "healthy", "pid", "address", "log"):
        table.add_column(col, no_wrap=True)
    yes_no = lambda b: "[green]yes[/]" if b else "[red]no[/]"  # noqa: E731
    for name, kind, running, ok, pid, addr, log in rows:
        table.add_row(
            name,
            yes_no(running),
            yes_no(ok),
            "ext" if kind == "external" else pid,
            addr,
            Path(log).name if log != "-" else log,
        )
    console.print(table)
    if not all(ok for _, _, _, ok, *_ in rows):
        raise typer.Exit(1)


# --- logs -----------------------------------------------------------------------
@app.command()
def logs(
    name: str | None = typer.Argument(None, help="kafka, postgres, maven or a process name; all when omitted"),
    follow: bool = typer.Option(False, "-f", "--follow", help="keep printing new lines"),
    lines: int = typer.Option(50, "-n", "--lines", help="how many lines to show first"),
) -> None:
    """Tail the logs of one component, or of all of them."""
    lay = Layout.load()
    kafka_logs = {lay.kafka_name(n): lay.log(lay.kafka_name(n)) for n in lay.kafka_nodes()}
    known = {
        **kafka_logs,
        "postgres": lay.log("postgres"),
        "keycloak": lay.log("keycloak"),
        "maven": lay.state / "kafka" / "maven.log",
        **{p.name: lay.log(p.name) for p in PROCESSES},
    }
    if name is not None and name not in known:
        console.print(f"[red]unknown component {name!r}[/]; one of: {', '.join(known)}")
        raise typer.Exit(2)
    files = [known[name]] if name else [f for n, f in known.items() if n != "maven" and f.exists()]
    if not files or (name and not files[0].exists() and not follow):
        console.print(f"[yellow]no log yet[/] ({files[0] if files else lay.state / 'logs'})")
        raise typer.Exit(1)
    sys.stdout.flush()
    os.execvp("tail", ["tail", "-n", str(lines), *(["-F"] if follow else []), *map(str, files)])


if __name__ == "__main__":
    app()
