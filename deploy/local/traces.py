"""A real trace viewer for the local stack, on demand: Jaeger v2 all-in-one, built from its Go
module through the Go module proxy (no image registry is reachable here) and run on loopback.

    make traces              # build once (minutes; see docs/observability.md), then start Jaeger
    JARING_TRACES=1 make up  # the services export their spans to it; the console links to it
    make traces-down

Jaeger keeps traces in memory: a restart forgets them, which is what a local viewer wants.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("jaeger.yaml")
# Jaeger v2 is released from the v1 module path (its go.mod says github.com/jaegertracing/jaeger,
# without /v2), so the Go proxy knows it as v1.x: v1.76.0 is the release the v2 binary came from.
JAEGER_MODULE_ROOT = "github.com/jaegertracing/jaeger"
JAEGER_MODULE = f"{JAEGER_MODULE_ROOT}/cmd/jaeger"
JAEGER_VERSION = os.environ.get("JARING_JAEGER_VERSION", "v1.76.0")
HOST = "127.0.0.1"
OTLP_HTTP_PORT = 4318  # where the services send spans (OTEL_EXPORTER_OTLP_ENDPOINT)
UI_PORT = 16686
HEALTH_PORT = 13133

OTLP_ENDPOINT = f"http://{HOST}:{OTLP_HTTP_PORT}"
TRACE_URL_TEMPLATE = f"http://{HOST}:{UI_PORT}/trace/{{trace_id}}"


def state_dir() -> Path:
    return Path(os.environ.get("JARING_STATE_DIR") or REPO / ".jaring").resolve()


def binary() -> Path:
    return state_dir() / "bin" / "jaeger"


def build() -> Path:
    """`go install` into .jaring/bin, once per version."""
    target = binary()
    stamp = target.with_suffix(".version")
    if target.exists() and stamp.exists() and stamp.read_text().strip() == JAEGER_VERSION:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"building Jaeger {JAEGER_VERSION} from {JAEGER_MODULE} (first time: several minutes)…", flush=True)
    # `go install module@version` refuses a module whose go.mod has a replace directive (Jaeger's
    # has one), so the module's source is fetched through the proxy and built as the main module.
    found = subprocess.run(
        ["go", "mod", "download", "-json", f"{JAEGER_MODULE_ROOT}@{JAEGER_VERSION}"],
        check=True,
        capture_output=True,
        text=True,
    )
    source = Path(json.loads(found.stdout)["Dir"])
    work = state_dir() / "build" / f"jaeger-{JAEGER_VERSION}"
    if not work.exists():
        shutil.copytree(source, work)
        for path in work.rglob("*"):  # the module cache is read-only; the build writes go.sum
            path.chmod(path.stat().st_mode | 0o200)
    subprocess.run(
        ["go", "build", "-o", str(target), "./cmd/jaeger"],
        cwd=work,
        check=True,
        env={**os.environ, "GOFLAGS": "-mod=mod"},
    )
    stamp.write_text(JAEGER_VERSION)
    print(f"built {target} in {time.monotonic() - started:.0f} s", flush=True)
    return target


def _pid_file() -> Path:
    return state_dir() / "run" / "jaeger.pid"


def _ready() -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{HEALTH_PORT}/status", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


def up() -> None:
    jaeger = build()
    if _ready():
        print(f"Jaeger already answers: UI http://{HOST}:{UI_PORT}")
        return
    log = state_dir() / "logs" / "jaeger.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    _pid_file().parent.mkdir(parents=True, exist_ok=True)
    # Its all-in-one configuration with every listener on loopback (deploy/local/jaeger.yaml): the
    # embedded one opens the query UI and API on all interfaces.
    process = subprocess.Popen(
        [str(jaeger), "--config", str(CONFIG)],
        env=dict(os.environ),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _pid_file().write_text(str(process.pid))
    deadline = time.monotonic() + 60
    while not _ready():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"Jaeger did not start; see {log}")
        time.sleep(0.3)
    print(
        f"Jaeger: UI http://{HOST}:{UI_PORT}, OTLP {OTLP_ENDPOINT}. "
        "Start the stack with JARING_TRACES=1 make up to send it the services' spans."
    )


def down() -> None:
    pid_file = _pid_file()
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    pid_file.unlink()


def stack_env(environ: dict[str, str]) -> dict[str, str]:
    """What `make up` adds to the services' environment when JARING_TRACES=1."""
    if environ.get("JARING_TRACES") not in ("1", "true", "yes"):
        return {}
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", OTLP_ENDPOINT),
        "CONSOLE_TRACE_URL_TEMPLATE": environ.get("CONSOLE_TRACE_URL_TEMPLATE", TRACE_URL_TEMPLATE),
    }


if __name__ == "__main__":
    {"up": up, "down": down, "build": build}[sys.argv[1] if len(sys.argv) > 1 else "up"]()
