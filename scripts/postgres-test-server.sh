#!/usr/bin/env bash
# Throwaway PostgreSQL server for the integration tests (DESIGN.md §6).
#
#   eval "$(scripts/postgres-test-server.sh start)"   # sets PGTEST_DIR and DMP_TEST_POSTGRES
#   dotnet test DmpApi.sln
#   scripts/postgres-test-server.sh stop "$PGTEST_DIR"
#
# `start` prints only shell `export` lines on stdout (progress goes to stderr), so its output can be
# eval'ed. The server lives entirely in a fresh temp folder (data, log, unix socket) and listens on
# 127.0.0.1 only; it does not use or touch Debian's own cluster/service. PGTEST_PORT overrides 55432;
# PGTEST_DURABLE=1 keeps fsync and synchronous commit on (bench/run.sh).
# Needs Debian's postgresql package (.ci/run installs it when missing).
set -Eeuo pipefail   # -E: the ERR trap in `start` also fires inside functions

PORT="${PGTEST_PORT:-55432}"
MARKER=.dmp-postgres-test   # `stop` only deletes folders carrying this file: never an arbitrary path

log() { echo "postgres-test-server: $*" >&2; }

# Highest installed major version that has the server binaries (a client-only install also makes
# /usr/lib/postgresql/N/bin, with psql but no initdb).
bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; return 0; fi
  done
  log "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)"
  return 1
}

# The server refuses to run as root: as root, drop to the `postgres` user; otherwise run as ourselves.
# `env -C /` because the caller's folder (e.g. under /root) may be unreadable to postgres; no
# subshell, so the ERR trap below runs once, in this shell.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- env -C / "$@"; else "$@"; fi
}

cmd_start() {
  local bin dir
  bin=$(bindir)
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd -r -M -s /usr/sbin/nologin postgres
  fi
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    log "something already answers on 127.0.0.1:$PORT (a leftover test server?); set PGTEST_PORT or stop it"
    return 1
  fi

  # Under /tmp rather than $TMPDIR: the postgres user must be able to reach it (not so under /root).
  dir=$(mktemp -d /tmp/dmp-postgres.XXXXXX)
  touch "$dir/$MARKER"
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres: "$dir"; fi
  # From here on, a failure must not leave a server or a folder behind.
  trap 'trap - ERR; log "start failed; server log:"; tail -n 20 "$dir/server.log" >&2 2>/dev/null || true; cmd_stop "$dir"' ERR

  log "initdb in $dir ($bin)"
  # C locale: does not depend on which locales the machine generated.
  as_pg "$bin/initdb" -D "$dir/data" --auth=trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null

  log "starting on 127.0.0.1:$PORT"
  # fsync etc. off: the data is thrown away, so speed beats durability (PGTEST_DURABLE=1 keeps PostgreSQL's
  # durable defaults: the benchmark measures commits that are on disk). More connections than the
  # default 100 because each test database gets its own Npgsql pool.
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  if [[ "${PGTEST_DURABLE:-0}" == 1 ]]; then durability=""; fi
  # PGTEST_OPTIONS: more server settings, e.g. bench/profile.sh's pg_stat_statements.
  durability="$durability ${PGTEST_OPTIONS:-}"
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $PORT -k $dir $durability -c max_connections=300" >/dev/null

  local i
  for ((i = 0; i < 60; i++)); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.5
  done
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT" || { log "pg_isready never answered"; false; }
  trap - ERR
  log "ready"

  echo "export PGTEST_DIR='$dir'"
  echo "export DMP_TEST_POSTGRES='Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres;Include Error Detail=true'"
}

cmd_stop() {
  local dir="${1:?usage: $0 stop DIR}"
  if [[ ! -f "$dir/$MARKER" ]]; then
    log "$dir is not a folder made by '$0 start'; leaving it alone"
    return 1
  fi
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    log "stopping server in $dir"
    as_pg "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || log "pg_ctl stop failed"
  fi
  rm -rf "$dir"
  log "removed $dir"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) shift; cmd_stop "$@" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
