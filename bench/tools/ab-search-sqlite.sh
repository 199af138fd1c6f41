#!/usr/bin/env bash
# A/B on SQLite, as ab-mixed-postgresql.sh on PostgreSQL: server CPU per answer and p99 of two Release builds, each on a
# fresh copy of one seeded database, interleaved. BEFORE: the other build's output folder; AFTER: this checkout's Release
# build (built first). BENCH_SCENARIO: the lua scenario (search); BENCH_AB_PORT: the API port (5296).
#   BEFORE=/tmp/before-bin bench/tools/ab-search-sqlite.sh
set -Eeuo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); BENCH=$ROOT/bench; PORT=${BENCH_AB_PORT:-5296}; SCENARIO=${BENCH_SCENARIO:-search}
WORK=$(mktemp -d /tmp/dmp-ab-sqlite.XXXXXX); trap 'rm -rf "$WORK"' EXIT
AFTER=$ROOT/src/DmpApi/bin/Release/net10.0; BEFORE=${BEFORE:?set BEFORE to the other build output folder}
export ASPNETCORE_ENVIRONMENT=Production RateLimits__Enabled=false Database__Provider=Sqlite
export Auth__SigningKey="ab-$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
(cd $AFTER && ConnectionStrings__Dmp="Data Source=$WORK/seed.db" dotnet DmpApi.dll seed --patients 1000 --documents-per-patient 10 --ids "$WORK/ids" >/dev/null 2>&1)
export BENCH_TOKEN=$(cd $AFTER && dotnet DmpApi.dll token practitioner --idnps 810001234567 --profession 10 --name "Dr Bench") BENCH_IDS=$WORK/ids BENCH_LUA=$BENCH/lua BENCH_SUMMARY=/dev/null
run() {
  local label=$1 dir=$2; rm -f $WORK/run.db*; cp $WORK/seed.db $WORK/run.db
  (cd $dir && ConnectionStrings__Dmp="Data Source=$WORK/run.db" exec dotnet DmpApi.dll --urls http://127.0.0.1:$PORT >"$WORK/api-$label.log" 2>&1) &
  local pid=$!
  for _ in $(seq 120); do curl -sf -o /dev/null http://127.0.0.1:$PORT/healthz && break; sleep 0.5; done
  wrk -t2 -c32 -d20s -s "$BENCH/lua/$SCENARIO.lua" http://127.0.0.1:$PORT >/dev/null
  local t0=$(awk '{print $14+$15}' /proc/$pid/stat)
  local out=$(wrk -t2 -c32 -d15s --latency -s "$BENCH/lua/$SCENARIO.lua" http://127.0.0.1:$PORT)
  local t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  local rps=$(echo "$out" | awk '/Requests\/sec/{print $2}') n=$(echo "$out" | awk '/requests in/{print $1}') p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  echo "$label: $rps answers/s, p99 $p99, $(awk -v a=$t0 -v b=$t1 -v n=$n 'BEGIN{printf "%.3f", (b-a)*10/n}') ms server CPU/answer, load $(cut -d' ' -f1 /proc/loadavg)"
  kill $pid; wait $pid 2>/dev/null || true
}
for i in 1 2; do run before $BEFORE; run after $AFTER; done
