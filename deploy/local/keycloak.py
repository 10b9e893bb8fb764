"""Keycloak, the local stack's identity provider, run from its Maven distribution — no Docker,
no download outside Maven Central.

Officers sign in to the console through it (OpenID Connect, authorization code with PKCE);
scripts get tokens from it by client credentials; the services check its tokens against its
JWKS. The `jaring` realm (deploy/local/keycloak/jaring-realm.json) is imported at every start:
Keycloak runs on an in-memory database (`--db=dev-mem`), so each start begins from that file,
whose secrets and passwords are placeholders filled from the environment — generated per
machine (deploy/local/credentials.py), never written in the repository.

Importable by tests (tests/support/keycloak.py): nothing here holds state between calls
except the files it writes.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.local.processes import pid_alive, start_process, stop_process_group, tail

HERE = Path(__file__).resolve().parent
REALM_FILE = HERE / "keycloak" / "jaring-realm.json"
KEYCLOAK_VERSION = "26.5.6"
REALM = "jaring"
CONSOLE_CLIENT = "jaring-console"
SCRIPTS_CLIENT = "jaring-scripts"
# The realm's demo users, one per role (their passwords come from the environment at import).
DEMO_USERS = {"officer": "rina.officer", "supervisor": "sari.supervisor", "operator": "budi.operator"}
# Keycloak 26 needs Java 21 or later; Kafka stays on the machine's default Java 17.
JAVA_HOMES = (
    "/usr/lib/jvm/temurin-25-jdk-amd64",
    "/usr/lib/jvm/temurin-21-jdk-amd64",
    "/usr/lib/jvm/java-25-openjdk-amd64",
    "/usr/lib/jvm/java-21-openjdk-amd64",
)


class KeycloakError(RuntimeError):
    pass


def java_home() -> Path:
    """A Java 21+ home: $JARING_KEYCLOAK_JAVA_HOME, else the first of JAVA_HOMES present."""
    given = os.environ.get("JARING_KEYCLOAK_JAVA_HOME")
    for candidate in [given] if given else JAVA_HOMES:
        if (Path(candidate) / "bin" / "java").exists():
            return Path(candidate)
    raise KeycloakError(
        f"Keycloak {KEYCLOAK_VERSION} needs Java 21 or later; none found in {', '.join(JAVA_HOMES)} "
        "(set JARING_KEYCLOAK_JAVA_HOME, or JARING_IDP=none to run without an identity provider)"
    )


def resolve_keycloak(cache_dir: Path, progress: Callable[[str], object] = print) -> Path:
    """`cache_dir/keycloak-<version>`, the unpacked distribution. Maven fetches the zip once
    (165 MB, then kept in ~/.m2); it is unpacked into a sibling temp dir and renamed into
    place, so a failed run never leaves half a distribution. A lock serialises callers."""
    home = cache_dir / f"keycloak-{KEYCLOAK_VERSION}"
    if (home / "bin" / "kc.sh").exists():
        return home
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".resolve.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (home / "bin" / "kc.sh").exists():
            return home
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KeycloakError("Maven (mvn) is not on PATH: it is needed once to fetch Keycloak")
        progress(f"fetching Keycloak {KEYCLOAK_VERSION} with Maven (165 MB the first time, then from ~/.m2)…")
        staging = Path(tempfile.mkdtemp(prefix="keycloak.", dir=cache_dir))
        log_file = cache_dir / "maven.log"
        try:
            with open(log_file, "wb") as log:
                rc = subprocess.run(
                    [
                        mvn,
                        "-q",
                        "-B",
                        "dependency:copy",
                        f"-Dartifact=org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:zip",
                        f"-DoutputDirectory={staging}",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=staging,
                ).returncode
            zips = list(staging.glob("*.zip"))
            if rc != 0 or not zips:
                raise KeycloakError(
                    f"Maven could not fetch Keycloak (exit code {rc}); see {log_file}:\n"
                    + re.sub(r"\x1b\[[0-9;]*m", "", tail(log_file, 20))
                )
            with zipfile.ZipFile(zips[0]) as archive:
                archive.extractall(staging)
            unpacked = staging / f"keycloak-{KEYCLOAK_VERSION}"
            for script in (unpacked / "bin").glob("*.sh"):  # zipfile drops the execute bits
                script.chmod(0o755)
            unpacked.rename(home)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    progress(f"Keycloak {KEYCLOAK_VERSION} unpacked into {home}")
    return home


@dataclass(frozen=True)
class RealmSecrets:
    """What the realm file leaves to the environment: the clients' secrets, the demo users'
    passwords, and the console's address (its redirect and post-sign-out URIs)."""

    console_client_secret: str
    scripts_client_secret: str
    passwords: Mapping[str, str]  # role → password of DEMO_USERS[role]
    console_url: str

    def env(self) -> dict[str, str]:
        return {
            "JARING_CONSOLE_CLIENT_SECRET": self.console_client_secret,
            "JARING_SCRIPTS_CLIENT_SECRET": self.scripts_client_secret,
            "JARING_CONSOLE_URL": self.console_url.rstrip("/"),
            **{f"JARING_DEMO_{role.upper()}_PASSWORD": password for role, password in self.passwords.items()},
        }


class KeycloakNode:
    def __init__(self, home: Path, port: int, secrets: RealmSecrets, host: str = "127.0.0.1", heap: str = "512m"):
        self.home = Path(home)
        self.port = port
        self.host = host
        self.secrets = secrets
        self.heap = heap
        self.process: subprocess.Popen | None = None
        self.log_file: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{REALM}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/certs"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    def argv(self) -> list[str]:
        return [
            str(self.home / "bin" / "kc.sh"),
            "start-dev",
            f"--http-port={self.port}",
            f"--http-host={self.host}",
            f"--hostname={self.url}",
            "--db=dev-mem",
            "--import-realm",
        ]

    def start(self, log_file: Path, extra_env: Mapping[str, str] | None = None) -> subprocess.Popen:
        imports = self.home / "data" / "import"
        imports.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REALM_FILE, imports / REALM_FILE.name)
        env = {
            **os.environ,
            **(extra_env or {}),
            **self.secrets.env(),
            "JAVA_HOME": str(java_home()),
            "JAVA_OPTS_KC_HEAP": f"-Xms128m -Xmx{self.heap}",
        }
        self.log_file = Path(log_file)
        self.process = start_process(self.argv(), self.log_file, env=env, cwd=self.home)
        return self.process

    async def wait_ready(self, timeout: float = 180.0) -> None:
        """Until the realm's OpenID configuration answers; fails early if Keycloak exited."""
        await wait_for_keycloak(
            self.issuer, timeout, log_file=self.log_file, pid=self.process.pid if self.process is not None else None
        )

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is not None:
            stop_process_group(self.process.pid, timeout)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


async def wait_for_keycloak(
    issuer: str, timeout: float, *, log_file: Path | None = None, pid: int | None = None
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    url = f"{issuer}/.well-known/openid-configuration"
    async with httpx.AsyncClient(timeout=2.0) as http:
        while True:
            if pid is not None and not pid_alive(pid):
                see = f"; see {log_file}:\n{tail(log_file, 20, last_run_only=True)}" if log_file else ""
                raise KeycloakError(f"Keycloak (pid {pid}) exited before it was ready{see}")
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if loop.time() > deadline:
                raise TimeoutError(
                    f"Keycloak did not answer {url} within {timeout:.0f} s" + (f"; see {log_file}" if log_file else "")
                )
            await asyncio.sleep(0.5)
