#!/bin/bash
# The official postgres image's contract, in short: on the first start initdb with
# POSTGRES_USER / POSTGRES_PASSWORD, create POSTGRES_DB, accept password logins over TCP;
# then run postgres in the foreground with any extra arguments.
set -euo pipefail

if [[ "${1:-postgres}" == -* ]]; then set -- postgres "$@"; fi
if [[ "${1:-postgres}" != postgres ]]; then exec "$@"; fi
shift || true

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  if [[ -z "${POSTGRES_PASSWORD:-}" && "$auth" != trust ]]; then
    echo "POSTGRES_PASSWORD is not set: set it (or POSTGRES_HOST_AUTH_METHOD=trust, for tests only)" >&2
    exit 1
  fi
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
  pwfile="$(mktemp)"
  printf '%s' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host="$auth" --no-instructions >/dev/null
  rm -f "$pwfile"
  echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
  if [[ "$POSTGRES_DB" != postgres ]]; then
    # A server on the Unix socket only, for the one statement; nothing listens on TCP yet.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w -s start
    psql -X -q -v ON_ERROR_STOP=1 -v db="$POSTGRES_DB" -U "$POSTGRES_USER" -d postgres <<<'CREATE DATABASE :"db";'
    pg_ctl -D "$PGDATA" -m fast -w -s stop
  fi
  echo "initialised $PGDATA: user $POSTGRES_USER, database $POSTGRES_DB"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
