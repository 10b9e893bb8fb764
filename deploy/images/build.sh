#!/usr/bin/env bash
# Builds Jaring's images on this machine, with no image registry: a Debian bookworm root
# filesystem made by debootstrap and imported once, then every image FROM it.
#
#   deploy/images/build.sh [all|os|python|kafka|postgres|jaring]...   (default: all)
#
# Images (tags are what deploy/compose/local-images.yml and the testcontainers backend use):
#   jaring-os:bookworm           debootstrap --variant=minbase bookworm, trimmed (built once: cached
#                                until removed, `docker rmi jaring-os:bookworm` to make it again)
#   jaring-python:3.11-bookworm  deploy/images/base.Dockerfile: Debian's python3 (3.11)
#   jaring-kafka:<version>       deploy/images/kafka.Dockerfile: Kafka's jars by Maven from the POM
#   jaring-postgres:15-bookworm  deploy/images/postgres.Dockerfile: Debian's postgresql package
#   jaring:local                 deploy/Dockerfile with BASE=jaring-python:3.11-bookworm
# Dockerfile builds use Docker's layer cache: a second run takes seconds.
# Needs a running Docker engine (deploy/compose/compose.sh engine starts one) and, for the
# first image, debootstrap (apt-get install debootstrap) and root.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"

DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
OS_IMAGE="${JARING_OS_IMAGE:-jaring-os:bookworm}"
PYTHON_IMAGE="${JARING_PYTHON_IMAGE:-jaring-python:3.11-bookworm}"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' deploy/local/kafka/pom.xml)"
KAFKA_IMAGE="${JARING_KAFKA_IMAGE:-jaring-kafka:$KAFKA_VERSION}"
POSTGRES_IMAGE="${JARING_POSTGRES_IMAGE:-jaring-postgres:15-bookworm}"
JARING_IMAGE="${JARING_IMAGE:-jaring:local}"

# Docker >= 23 clients use BuildKit through the buildx plugin; Debian's docker.io has no
# buildx, so fall back to the classic builder there (it builds these Dockerfiles the same).
if ! docker buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=0
fi

say() { printf '%s\n' "$*" >&2; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

timed() {  # timed LABEL CMD...: run CMD, print how long it took
  local label="$1" start end ms
  shift
  start=$(date +%s%N)
  "$@"
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  say "$(printf '%-30s ready in %4d.%d s' "$label" $((ms / 1000)) $((ms % 1000 / 100)))"
}

build() {  # build TAG DOCKERFILE CONTEXT [ARGS...]; output to a log, its tail on failure
  local tag="$1" file="$2" context="$3" log
  shift 3
  log="$(mktemp -t jaring-build.XXXXXX.log)"
  if ! docker build -q --force-rm -t "$tag" -f "$file" "$@" "$context" >"$log" 2>&1; then
    say "building $tag failed; last lines of $log:"
    tail -n 40 "$log" >&2
    return 1
  fi
  rm -f "$log"
}

make_os() {
  if have_image "$OS_IMAGE"; then
    say "$OS_IMAGE is there (debootstrap runs once; docker rmi it to make it again)"
    return
  fi
  command -v debootstrap >/dev/null || { say "debootstrap is missing: apt-get install debootstrap"; return 1; }
  [ "$(id -u)" = 0 ] || { say "debootstrap needs root to make $OS_IMAGE"; return 1; }
  local root
  root="$(mktemp -d -t jaring-rootfs.XXXXXX)"
  say "making $OS_IMAGE with debootstrap (minbase bookworm from $DEBIAN_MIRROR; about a minute)…"
  if ! debootstrap --variant=minbase bookworm "$root" "$DEBIAN_MIRROR" >"$root.log" 2>&1; then
    say "debootstrap failed; last lines:"; tail -n 20 "$root.log" >&2; return 1
  fi
  rm -f "$root.log"
  # As Debian's official images do: the updates and security suites, no docs/man/locales from
  # later installs, no recommends, apt's caches cleaned after every install.
  cat >"$root/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR bookworm main
deb $DEBIAN_MIRROR bookworm-updates main
deb ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
EOF
  cat >"$root/etc/dpkg/dpkg.cfg.d/jaring-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat >"$root/etc/apt/apt.conf.d/90jaring" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
EOF
  # Extra trust anchors of this machine (a TLS-inspecting proxy in front of the package
  # registries, as on this machine kind): without them pip and Maven inside a build cannot
  # reach PyPI and Maven Central. The `ca-certificates` package, installed by the images
  # that need it, adds them to the system bundle (and Java's). JARING_EXTRA_CA_DIR= skips it.
  local ca_dir="${JARING_EXTRA_CA_DIR-/usr/local/share/ca-certificates}"
  if [ -n "$ca_dir" ] && compgen -G "$ca_dir/*.crt" >/dev/null; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp "$ca_dir"/*.crt "$root/usr/local/share/ca-certificates/"
    say "trusting the extra CA certificates of $ca_dir inside the images"
  fi
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
         "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  tar --numeric-owner -C "$root" -c . | docker import \
    -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["bash"]' -m "debootstrap --variant=minbase bookworm" - "$OS_IMAGE" >/dev/null
  rm -rf "$root"
}

make_python() {
  build "$PYTHON_IMAGE" deploy/images/base.Dockerfile deploy/images --build-arg "OS_BASE=$OS_IMAGE"
}

make_kafka() {
  build "$KAFKA_IMAGE" deploy/images/kafka.Dockerfile . --build-arg "OS_BASE=$OS_IMAGE"
}

make_postgres() {
  build "$POSTGRES_IMAGE" deploy/images/postgres.Dockerfile deploy/images --build-arg "OS_BASE=$OS_IMAGE"
}

make_jaring() {
  build "$JARING_IMAGE" deploy/Dockerfile . --build-arg "BASE=$PYTHON_IMAGE"
}

main() {
  local targets=("$@")
  [ ${#targets[@]} -gt 0 ] || targets=(all)
  for target in "${targets[@]}"; do
    case "$target" in
      all) timed "$OS_IMAGE" make_os; timed "$PYTHON_IMAGE" make_python; timed "$KAFKA_IMAGE" make_kafka
           timed "$POSTGRES_IMAGE" make_postgres; timed "$JARING_IMAGE" make_jaring ;;
      os) timed "$OS_IMAGE" make_os ;;
      python) timed "$PYTHON_IMAGE" make_python ;;
      kafka) timed "$KAFKA_IMAGE" make_kafka ;;
      postgres) timed "$POSTGRES_IMAGE" make_postgres ;;
      jaring) timed "$JARING_IMAGE" make_jaring ;;
      sizes) docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E '^jaring' | sort ;;
      *) say "unknown image: $target (all, os, python, kafka, postgres, jaring, sizes)"; exit 2 ;;
    esac
  done
}

main "$@"
