#!/usr/bin/env bash
# Where the server's CPU goes in one scenario (bench/README.md "Profiling"): builds Release, seeds a small SQLite
# database, starts the API with perf maps, warms it, then samples its CPU with `perf record -g` while wrk drives the
# scenario, and prints bench/tools/perf-breakdown.py's summary (also saved under bench/results/).
#
#   bench/profile.sh [read|search|binary|create|mix|mixed] [seconds]     (default: read 12)
#   extra arguments after the seconds are frames to break down, e.g. bench/profile.sh read 12 'ResourceStore+<ReadAsync>'
#   BENCH_PROFILE_DATABASE=postgresql profiles on a durable PostgreSQL (fsync on) started on BENCH_PG_PORT (55442), as run.sh does.
set -Eeuo pipefail
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
SCENARIO=${1:-read}
SECONDS_SAMPLED=${2:-12}
shift $(($# > 2 ? 2 : $#))
PORT=${BENCH_PROFILE_PORT:-5210}
PATIENTS=${BENCH_PATIENTS:-1000}
DATABASE=${BENCH_PROFILE_DATABASE:-sqlite}
PG_PORT=${BENCH_PG_PORT:-55442}
log() { echo "profile [$(date -u +%H:%M:%S)]: $*" >&2; }

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
command -v perf >/dev/null || need+=(linux-perf)
[[ $DATABASE == postgresql ]] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && need+=(postgresql)
if ((${#need[@]})); then
  log "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

WORK=$(mktemp -d /tmp/dmp-profile.XXXXXX)
SERVER_PID=""
PGDIR=""
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null
  [[ -n $PGDIR ]] && { PGTEST_PORT=$PG_PORT "$ROOT/scripts/postgres-test-server.sh" stop "$PGDIR" || true; }
  if [[ -n ${BENCH_PROFILE_KEEP:-} ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
log "building Release"
dotnet build "$ROOT/src/DmpApi" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; exit 1; }
cd "$ROOT/src/DmpApi/bin/Release/net10.0"
export ASPNETCORE_ENVIRONMENT=Production RateLimits__Enabled=false
case $DATABASE in
  sqlite) export Database__Provider=Sqlite ConnectionStrings__Dmp="Data Source=$WORK/profile.db" ;;
  postgresql)
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT (fsync and synchronous commit on)"
    # pg_stat_statements: the statements' own time, printed after the managed profile.
    eval "$(PGTEST_PORT=$PG_PORT PGTEST_DURABLE=1 PGTEST_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all" "$ROOT/scripts/postgres-test-server.sh" start)"
    PGDIR=$PGTEST_DIR
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc 'CREATE DATABASE profile;'
    export Database__Provider=PostgreSql ConnectionStrings__Dmp="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=profile;Maximum Pool Size=100" ;;
  *) log "unknown database $DATABASE (sqlite or postgresql)"; exit 2 ;;
esac
export Auth__SigningKey="profile-$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
log "seeding $PATIENTS records × 10 documents"
dotnet DmpApi.dll seed --patients "$PATIENTS" --documents-per-patient 10 --ids "$WORK/ids" 2>/dev/null
export BENCH_TOKEN BENCH_IDS=$WORK/ids BENCH_LUA=$BENCH/lua BENCH_SUMMARY=/dev/null
BENCH_TOKEN=$(dotnet DmpApi.dll token practitioner --idnps 810001234567 --profession 10 --name "Dr Bench")
# Perf maps name the JIT's code; with W^X on, code runs from a second mapping the maps do not cover.
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet DmpApi.dll --urls "http://127.0.0.1:$PORT" >"$WORK/api.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 120); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.5; done
log "warming up (30 s mixed, then 10 s of $SCENARIO)"
wrk -t2 -c32 -d30s -s "$BENCH/lua/mix.lua" "http://127.0.0.1:$PORT" >/dev/null
wrk -t2 -c32 -d10s -s "$BENCH/lua/$SCENARIO.lua" "http://127.0.0.1:$PORT" >/dev/null
log "sampling the server's CPU for $SECONDS_SAMPLED s of $SCENARIO"
wrk -t2 -c32 -d$((SECONDS_SAMPLED + 4))s -s "$BENCH/lua/$SCENARIO.lua" "http://127.0.0.1:$PORT" >"$WORK/wrk.out" &
WRK_PID=$!
sleep 2
[[ $DATABASE == postgresql ]] && psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d profile -qc 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset();' >/dev/null
perf record -e cpu-clock -F 999 -g -p "$SERVER_PID" -o "$WORK/perf.data" -- sleep "$SECONDS_SAMPLED" >/dev/null 2>&1
wait "$WRK_PID"
perf script -i "$WORK/perf.data" 2>/dev/null >"$WORK/perf.txt"
mkdir -p "$BENCH/results"
SUFFIX=""; [[ $DATABASE != sqlite ]] && SUFFIX=-$DATABASE
OUT=$BENCH/results/profile-$SCENARIO$SUFFIX-$(date -u +%Y-%m-%d-%H%M).txt
{
  echo "# bench/profile.sh $SCENARIO $SECONDS_SAMPLED ($DATABASE) — $(git -C "$ROOT" rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
  grep -E "Requests/sec|Latency" "$WORK/wrk.out" | sed 's/^/# wrk: /'
  python3 "$BENCH/tools/perf-breakdown.py" "$WORK/perf.txt" "$@"
  if [[ $DATABASE == postgresql ]]; then
    echo; echo "PostgreSQL statements while sampled (pg_stat_statements: calls, total ms, ms per call, rows):"
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d profile -AtF ' | ' -c "SELECT calls, round(total_exec_time::numeric, 1), round((total_exec_time / calls)::numeric, 3), rows, left(regexp_replace(query, '\s+', ' ', 'g'), 160) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'profile') ORDER BY total_exec_time DESC LIMIT 25"
  fi
} | tee "$OUT"
log "saved $OUT"
