#!/usr/bin/env bash
# A/B on one seeded durable PostgreSQL: mixed, server CPU per answer of two Release builds, interleaved (bench/README.md,
# "Issue 12 item 5, second pass"). BEFORE: the other build's output folder, e.g. from
#   git archive <commit> | tar -x -C /tmp/before && dotnet build /tmp/before/src/DmpApi -c Release -o /tmp/before-bin
# BENCH_SCENARIO: another lua scenario (read, search, create); BENCH_AB_PORT: the API port (5295).
# AFTER: this checkout's Release build (bin/Release/net10.0, built first). BENCH_PG_PORT (55472) must be free.
#   BEFORE=/tmp/before-bin bench/tools/ab-mixed-postgresql.sh
set -Eeuo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); BENCH=$ROOT/bench; PGP=${BENCH_PG_PORT:-55472}
WORK=$(mktemp -d /tmp/dmp-ab.XXXXXX)
eval "$(PGTEST_PORT=$PGP PGTEST_DURABLE=1 "$ROOT/scripts/postgres-test-server.sh" start)"
PGDIR=$PGTEST_DIR
trap 'rm -rf "$WORK"; PGTEST_PORT=$PGP "$ROOT/scripts/postgres-test-server.sh" stop "$PGDIR" >/dev/null 2>&1 || true' EXIT
psql -h 127.0.0.1 -p $PGP -U postgres -qc 'CREATE DATABASE ab;'
export ASPNETCORE_ENVIRONMENT=Production RateLimits__Enabled=false Database__Provider=PostgreSql ConnectionStrings__Dmp="Host=127.0.0.1;Port=$PGP;Username=postgres;Database=ab;Maximum Pool Size=100"
export Auth__SigningKey="ab-$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
AFTER=$ROOT/src/DmpApi/bin/Release/net10.0; BEFORE=${BEFORE:-}   # without BEFORE, this build alone, twice
(cd $AFTER && dotnet DmpApi.dll seed --patients 1000 --documents-per-patient 10 --ids "$WORK/ids" 2>/dev/null)
export BENCH_TOKEN=$(cd $AFTER && dotnet DmpApi.dll token practitioner --idnps 810001234567 --profession 10 --name "Dr Bench") BENCH_IDS=$WORK/ids BENCH_LUA=$BENCH/lua BENCH_SUMMARY=/dev/null
# CPU ticks (1/100 s) of every postgres process, and of the whole machine (busy, not idle or iowait).
pg_ticks() { local t=0 f; for f in /proc/[0-9]*/stat; do read -r line <"$f" 2>/dev/null || continue; [[ $line == *"(postgres)"* ]] || continue; set -- ${line#*) }; t=$((t + ${12} + ${13})); done; echo $t; }
machine_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
run() {
  local label=$1 dir=$2
  (cd $dir && exec dotnet DmpApi.dll --urls http://127.0.0.1:${BENCH_AB_PORT:-5295} >"$WORK/api-$label.log" 2>&1) &
  local pid=$!
  for _ in $(seq 120); do curl -sf -o /dev/null http://127.0.0.1:${BENCH_AB_PORT:-5295}/healthz && break; sleep 0.5; done
  wrk -t2 -c32 -d20s -s "$BENCH/lua/${BENCH_SCENARIO:-mixed}.lua" http://127.0.0.1:${BENCH_AB_PORT:-5295} >/dev/null
  local t0=$(awk '{print $14+$15}' /proc/$pid/stat) p0=$(pg_ticks) m0=$(machine_ticks)
  local out=$(wrk -t2 -c32 -d15s -s "$BENCH/lua/${BENCH_SCENARIO:-mixed}.lua" http://127.0.0.1:${BENCH_AB_PORT:-5295})
  local t1=$(awk '{print $14+$15}' /proc/$pid/stat) p1=$(pg_ticks) m1=$(machine_ticks)
  local rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  local n=$(echo "$out" | awk '/requests in/{print $1}')
  echo "$label: $rps answers/s, $(awk -v a=$t0 -v b=$t1 -v n=$n 'BEGIN{printf "%.3f", (b-a)*10/n}') ms server CPU/answer, $(awk -v a=$p0 -v b=$p1 -v n=$n 'BEGIN{printf "%.3f", (b-a)*10/n}') ms PostgreSQL, $(awk -v a=$m0 -v b=$m1 -v n=$n 'BEGIN{printf "%.3f", (b-a)*10/n}') ms machine, load $(cut -d' ' -f1 /proc/loadavg)"
  kill $pid; wait $pid 2>/dev/null || true
}
for i in 1 2; do
  [[ -n $BEFORE ]] && run "before" $BEFORE
  run "after" $AFTER
done
