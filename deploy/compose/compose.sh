#!/usr/bin/env bash
# Jaring's stack in containers: docker-compose.yml (+ deploy/compose/local-images.yml where the
# images are built here).
#
#   deploy/compose/compose.sh up        engine, images, stack up, wait until every container is healthy
#   deploy/compose/compose.sh down      stack down with its volumes; stop the engine if this script started it
#   deploy/compose/compose.sh test      up, the end-to-end suite against it, down (always), with timings
#   deploy/compose/compose.sh integration  engine, images, the integration tier with
#                                       JARING_TEST_BACKEND=containers (testcontainers), engine stopped
#   deploy/compose/compose.sh engine    only make sure a Docker engine answers
#   deploy/compose/compose.sh images    only build the local images (deploy/images/build.sh)
#   deploy/compose/compose.sh ps|logs [service]
#
# Settings:
#   JARING_IMAGES=local|official  local (default): build the images here from a debootstrap base
#                                 (no registry needed); official: pull apache/kafka, postgres,
#                                 python:3.11-slim as docker-compose.yml names them
#   JARING_KEEP_ENGINE=1          `down`/`test` leave a dockerd this script started running
# Works with `docker compose` (v2) and `docker-compose` (v1, Debian's).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
STATE="$REPO/.jaring/compose"
ENGINE_PID="$STATE/dockerd.pid"
ENGINE_LOG="$STATE/dockerd.log"
PROJECT="${COMPOSE_PROJECT_NAME:-jaring}"
IMAGES="${JARING_IMAGES:-local}"
HEALTH_TIMEOUT="${JARING_HEALTH_TIMEOUT:-300}"
mkdir -p "$STATE" 2>/dev/null || true  # not writable for another user: only `engine` then runs

say() { printf '%s\n' "$*" >&2; }
die() { say "compose.sh: $*"; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { local ms=$(( $(now_ms) - $1 )); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }

# --- the engine ------------------------------------------------------------------------------
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  say "installing $* with apt-get…"
  local log="$STATE/apt.log"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get -o DPkg::Lock::Timeout=300 update -qq \
         && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    return 1
  fi
}

compose_cmd() {
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null; then
    COMPOSE=(docker-compose)
  else
    apt_install docker-compose || die "neither \`docker compose\` (v2) nor docker-compose (v1) is installed"
    COMPOSE=(docker-compose)
  fi
}

engine() {
  if docker info >/dev/null 2>&1; then
    return
  fi
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    apt_install docker.io \
      || die "no Docker engine here: install one (Debian: apt-get install docker.io) and start it, or run this as root"
  fi
  if docker info >/dev/null 2>&1; then
    return  # the package's service started one
  fi
  if [ "$(id -u)" != 0 ]; then
    die "no Docker engine answers at ${DOCKER_HOST:-/var/run/docker.sock}: start it (sudo systemctl start docker, or sudo dockerd &) or join the docker group"
  fi
  say "starting dockerd in the background (log: $ENGINE_LOG)…"
  setsid dockerd >"$ENGINE_LOG" 2>&1 < /dev/null &
  echo $! >"$ENGINE_PID"
  local start
  start=$(now_ms)
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$ENGINE_PID")" 2>/dev/null; then
      rm -f "$ENGINE_PID"
      tail -n 20 "$ENGINE_LOG" >&2
      die "dockerd exited; see $ENGINE_LOG"
    fi
    [ $(( $(now_ms) - start )) -lt 60000 ] || die "dockerd did not answer within 60 s; see $ENGINE_LOG"
    sleep 0.5
  done
  say "dockerd is up ($(secs "$start") s)"
}

stop_engine() {  # only the dockerd this script started
  [ -f "$ENGINE_PID" ] || return 0
  if [ "${JARING_KEEP_ENGINE:-}" = 1 ]; then
    say "leaving dockerd (pid $(cat "$ENGINE_PID")) running: JARING_KEEP_ENGINE=1"
    return 0
  fi
  local pid
  pid="$(cat "$ENGINE_PID")"
  if kill -0 "$pid" 2>/dev/null && ! docker ps -q | grep -q .; then
    say "stopping the dockerd this script started (pid $pid)…"
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && die "dockerd (pid $pid) did not stop within 30 s"
  elif kill -0 "$pid" 2>/dev/null; then
    say "dockerd (pid $pid) still runs other containers: left running"
    return 0
  fi
  rm -f "$ENGINE_PID"
}

# --- images and the stack ----------------------------------------------------------------------
files() {
  FILES=(-f docker-compose.yml)
  [ "$IMAGES" = local ] && FILES+=(-f deploy/compose/local-images.yml)
  [ "${E2E:-}" = 1 ] && FILES+=(-f deploy/compose/e2e.yml)
  return 0
}

compose() { files; "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" "$@"; }

env_file() {
  if [ ! -f .env ]; then
    cp .env.example .env
    say "created .env from .env.example (change its secrets before anyone else can reach the stack)"
  fi
}

env_value() { sed -n "s/^$1=//p" .env | tail -n 1; }

images() {
  case "$IMAGES" in
    local)
      command -v debootstrap >/dev/null || docker image inspect jaring-os:bookworm >/dev/null 2>&1 \
        || apt_install debootstrap || die "debootstrap is missing (apt-get install debootstrap)"
      deploy/images/build.sh "${@:-all}" ;;
    official) compose build ;;
    *) die "JARING_IMAGES is '$IMAGES': local or official" ;;
  esac
}

wait_healthy() {
  local start ids id name health state pending
  start=$(now_ms)
  mapfile -t ids < <(compose ps -q)
  [ ${#ids[@]} -gt 0 ] || die "no container came up"
  while :; do
    pending=()
    for id in "${ids[@]}"; do
      read -r name state health < <(docker inspect -f \
        '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
      case "$state/$health" in
        running/healthy | running/none) ;;
        running/unhealthy | exited/* | dead/*)
          docker logs --tail 40 "$id" >&2 || true
          die "${name#/} is $state/$health" ;;
        *) pending+=("${name#/}") ;;
      esac
    done
    [ ${#pending[@]} -eq 0 ] && break
    [ $(( $(now_ms) - start )) -lt $(( HEALTH_TIMEOUT * 1000 )) ] \
      || { compose ps >&2; die "not healthy within ${HEALTH_TIMEOUT} s: ${pending[*]}"; }
    sleep 1
  done
}

ports_free() {
  local port busy=()
  for port in "$@"; do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && busy+=("$port")
  done
  [ ${#busy[@]} -eq 0 ] || die "ports ${busy[*]} are taken on this machine (is \`make up\`'s local stack running? \`make down\`)"
}

up() {
  engine; compose_cmd; env_file
  local start
  start=$(now_ms); images; say "images ready in $(secs "$start") s"
  if [ -z "$(compose ps -q 2>/dev/null)" ]; then ports_free 8100 8101 8102 8103 ${E2E:+${JARING_E2E_PROVIDER_PORT:-8104}}; fi
  start=$(now_ms)
  # --no-build: the images were just built (or pulled); compose must not try a registry itself.
  compose up -d --no-build
  wait_healthy
  say "stack healthy $(secs "$start") s after \`up\`:"
  compose ps >&2
  say "console: http://127.0.0.1:8100; APIs: :8101 (enrollment), :8102 (claims), :8103 (notifications); \`$0 down\` stops it"
}

down() {
  compose_cmd
  if docker info >/dev/null 2>&1; then
    compose down -v --remove-orphans
  fi
  stop_engine
}

e2e() {
  local mail="$STATE/e2e-mail" provider_port="${JARING_E2E_PROVIDER_PORT:-8104}" rc=0 start
  rm -rf "$mail"; mkdir -p "$mail"; chmod 0777 "$mail"  # the sink runs as uid 10001
  export E2E=1 JARING_E2E_MAIL_DIR="$mail"
  start=$(now_ms)
  trap 'E2E=1 down || true' EXIT
  up
  local secret password
  secret="$(env_value JARING_AUTH_SECRET)"
  password="$(env_value POSTGRES_PASSWORD)"
  say "running the end-to-end suite against the compose stack…"
  # The suite's kafka_bootstrap / database_url fixtures are given the stack's own addresses
  # (inside its network; not published) so that the suite starts no Kafka or PostgreSQL of its
  # own: tests that go through pipeline() only talk to the APIs and the stand-ins.
  JARING_ENROLLMENT_URL=http://127.0.0.1:8101 JARING_CLAIMS_URL=http://127.0.0.1:8102 \
  JARING_NOTIFICATIONS_URL=http://127.0.0.1:8103 JARING_PROVIDER_URL="http://127.0.0.1:$provider_port" \
  JARING_SMTP_SINK_DIR="$mail" JARING_AUTH_SECRET="$secret" \
  KAFKA_BOOTSTRAP_SERVERS=kafka:9092 DATABASE_URL="postgresql://jaring:$password@postgres:5432/jaring" \
    "${PYTEST[@]}" -m e2e tests/e2e -p no:cacheprovider -rs "$@" || rc=$?
  if [ $rc -ne 0 ]; then
    say "the suite failed (exit $rc); last lines of each service's log:"
    for s in enrollment claims notifications; do compose logs --no-color --tail 30 "$s" >&2 || true; done
  fi
  trap - EXIT
  E2E=1 down
  say "compose-test took $(secs "$start") s in all (exit $rc)"
  return $rc
}

integration() {
  local rc=0 start
  engine; compose_cmd
  IMAGES=local images os kafka postgres  # testcontainers needs no service image
  start=$(now_ms)
  JARING_TEST_BACKEND=containers "${PYTEST[@]}" -m integration -p no:cacheprovider "$@" || rc=$?
  say "integration tier on containers took $(secs "$start") s (exit $rc)"
  stop_engine
  return $rc
}

PYTEST=("$REPO/.venv/bin/python" -m pytest)
[ -x "$REPO/.venv/bin/python" ] || PYTEST=(python3 -m pytest)

cmd="${1:-}"
shift || true
case "$cmd" in
  engine) engine ;;
  engine-stop) stop_engine ;;
  images) engine; compose_cmd; images ;;
  up) up ;;
  down) down ;;
  test) e2e "$@" ;;
  integration) integration "$@" ;;
  ps) compose_cmd; compose ps ;;
  logs) compose_cmd; compose logs --no-color --tail 100 "$@" ;;
  *) say "usage: $0 up|down|test|integration|engine|engine-stop|images|ps|logs [service]"; exit 2 ;;
esac
