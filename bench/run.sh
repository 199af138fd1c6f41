#!/usr/bin/env bash
# DmpApi load benchmark (bench/README.md): builds Release, seeds, starts the API and a bare Kestrel baseline that
# answers the API's own bytes behind the same JWT validation, drives both with wrk (32 connections, after a warm-up)
# and writes bench/results/<date>.md plus the short table in bench/README.md.
#
#   bench/run.sh                      # everything (SQLite and PostgreSQL, scale at 10,000 and 1,000,000 documents)
#   BENCH_DATABASES=sqlite BENCH_LARGE_PATIENTS=0 bench/run.sh   # quicker: SQLite only, no 1,000,000 scale run
#
# Settings (environment): BENCH_DURATION (s, default 15), BENCH_WARMUP (s, 5), BENCH_SERVER_WARMUP (s of mixed load after each API start, 20), BENCH_CONNECTIONS (32),
# BENCH_PATIENTS (1000 records × 10 documents), BENCH_LARGE_PATIENTS (100000 × 10; 0 skips the scale run),
# BENCH_DATABASES ("sqlite postgresql"), BENCH_SCALE_DATABASES ("sqlite"), BENCH_SCENARIOS ("read search binary create mix profile"; empty: none),
# BENCH_FLEET (1: on PostgreSQL, the mixed scenario with one instance then two on the same database; 0 skips it),
# BENCH_API_PORT (5200; a second instance takes the port after the baseline's), BENCH_BASELINE_PORT (5201), BENCH_PG_PORT (55442), BENCH_KEEP=1 keeps the work folder,
# BENCH_LARGE_SQLITE=/path/large_sqlite.db reuses a SQLite database seeded earlier by the same seed command (its ids
# file, written by --ids, next to it as large_sqlite.ids; its seed log as seed.log, whose final count the run waits for)
# instead of seeding the large one.
set -Eeuo pipefail
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
API_PORT=${BENCH_API_PORT:-5200}
BASELINE_PORT=${BENCH_BASELINE_PORT:-5201}
PG_PORT=${BENCH_PG_PORT:-55442}
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-5}
SERVER_WARMUP=${BENCH_SERVER_WARMUP:-20}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
PATIENTS=${BENCH_PATIENTS:-1000}
LARGE_PATIENTS=${BENCH_LARGE_PATIENTS:-100000}
DATABASES=${BENCH_DATABASES:-sqlite postgresql}
SCALE_DATABASES=${BENCH_SCALE_DATABASES:-sqlite}
SCENARIOS=${BENCH_SCENARIOS-read search binary create mix profile}
IDNPS=810001234567
STARTED=$(date -u +%s)

log() { echo "bench [$(date -u +%H:%M:%S)]: $*" >&2; }

WORK=$(mktemp -d /tmp/dmp-bench.XXXXXX)
SERVER_PID=""
BASELINE_PID=""
PGDIR=""
cleanup() {
  local pid
  for pid in $SERVER_PID ${SECOND_PID:-} $BASELINE_PID; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  if [[ -n $PGDIR ]]; then PGTEST_PORT=$PG_PORT "$ROOT/scripts/postgres-test-server.sh" stop "$PGDIR" || true; fi
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then log "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# --- What the run needs (a fresh Debian machine with the .NET SDK) -------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v curl >/dev/null || need+=(curl)
if [[ " $DATABASES $SCALE_DATABASES " == *" postgresql "* ]] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if ((${#need[@]})); then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

log "building Release (API and baseline)"
dotnet build "$ROOT/src/DmpApi" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; exit 1; }
dotnet build "$BENCH/Baseline" -c Release -nologo -v q >>"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; exit 1; }
API_DIR=$ROOT/src/DmpApi/bin/Release/net10.0
BASELINE_DIR=$BENCH/Baseline/bin/Release/net10.0

# Production settings (appsettings.json, Information logging) with a throwaway signing key shared by API, baseline and
# token; one requester drives the load, so per-requester rate limiting is off (README).
export ASPNETCORE_ENVIRONMENT=Production
export Auth__SigningKey="bench-$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
export RateLimits__Enabled=false
api() { (cd "$API_DIR" && exec dotnet DmpApi.dll "$@"); }
export BENCH_TOKEN
BENCH_TOKEN=$(api token practitioner --idnps "$IDNPS" --profession 10 --name "Dr Bench")
export BENCH_LUA=$BENCH/lua

sqlite_path() {  # the file of a SQLite database by name (the large one may have been seeded before the run)
  if [[ $1 == large_sqlite && -n ${BENCH_LARGE_SQLITE:-} ]]; then echo "$BENCH_LARGE_SQLITE"; else echo "$WORK/$1.db"; fi
}
provider_of() { case $1 in sqlite) echo Sqlite ;; postgresql) echo PostgreSql ;; esac; }
connection_of() {
  case $1 in
    sqlite) echo "Data Source=$(sqlite_path "$2")" ;;
    postgresql) echo "Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=$2;Maximum Pool Size=100" ;;
  esac
}
audit_count() {
  case $1 in
    sqlite) sqlite3 "$(sqlite_path "$2")" 'SELECT COUNT(*) FROM "AuditRecords";' ;;
    postgresql) psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$2" -tAc 'SELECT COUNT(*) FROM "AuditRecords";' ;;
  esac
}

wait_for() {
  local i
  for ((i = 0; i < 120; i++)); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.5
  done
  log "$1 never answered"
  return 1
}

seed() {  # db name patients
  log "seeding $3 records × 10 documents into $1 ($2)"
  Database__Provider=$(provider_of "$1") ConnectionStrings__Dmp=$(connection_of "$1" "$2") \
    api seed --patients "$3" --documents-per-patient 10 --ids "$WORK/$2.ids" 2> >(tee "$WORK/$2.seed.log" | tr '\r' '\n' | grep --line-buffered -E '^\[#+\.*\] [0-9,]+/[0-9,]+ records, [0-9,]+ documents' | awk 'NR % 20 == 0' >&2)
  tr '\r' '\n' <"$WORK/$2.seed.log" | grep '^Seeded' | tail -1 >"$WORK/$2.seeded"
  log "$(cat "$WORK/$2.seeded")"
  if [[ $1 == postgresql ]]; then
    # A server in service is not just out of a bulk load: statistics taken and the load's dirty pages written, so that
    # neither autovacuum nor the checkpointer works through the first measured run (it ran slower than the one after it).
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$2" -qc 'VACUUM ANALYZE;' -c 'CHECKPOINT;'
  fi
}

start_api() {  # db name
  (cd "$API_DIR" && Database__Provider=$(provider_of "$1") ConnectionStrings__Dmp=$(connection_of "$1" "$2") \
    exec dotnet DmpApi.dll --urls "http://127.0.0.1:$API_PORT") >"$WORK/api-$2.log" 2>&1 &
  SERVER_PID=$!
  wait_for "http://127.0.0.1:$API_PORT/healthz"
  # A fresh process spends its first tens of seconds compiling (tiered JIT: the profiler showed a third of the CPU in
  # the JIT's thread 20 s after start): the mixed load warms every scenario's code once, so that the figures are the
  # steady state a long-running server has. Each scenario still has its own warm-up below.
  export BENCH_IDS=$WORK/$2.ids
  BENCH_SUMMARY=/dev/null wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SERVER_WARMUP}s" -s "$BENCH/lua/mix.lua" "http://127.0.0.1:$API_PORT" >/dev/null
}

stop_api() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# A second instance of the API on the same database (a fleet of two; migrations already ran), warmed as the first was.
SECOND_PORT=$((BASELINE_PORT + 1))
SECOND_PID=""
start_second_api() {  # db name
  (cd "$API_DIR" && Database__Provider=$(provider_of "$1") ConnectionStrings__Dmp=$(connection_of "$1" "$2") Database__MigrateOnStartup=false \
    exec dotnet DmpApi.dll --urls "http://127.0.0.1:$SECOND_PORT") >"$WORK/api2-$2.log" 2>&1 &
  SECOND_PID=$!
  wait_for "http://127.0.0.1:$SECOND_PORT/healthz"
  BENCH_SUMMARY=/dev/null wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SERVER_WARMUP}s" -s "$BENCH/lua/mix.lua" "http://127.0.0.1:$SECOND_PORT" >/dev/null
}
stop_second_api() {
  kill "$SECOND_PID" 2>/dev/null || true
  wait "$SECOND_PID" 2>/dev/null || true
  SECOND_PID=""
}

ROWS=$WORK/rows.tsv
: >"$ROWS"

# measure TARGET SCENARIO PORT PID DB NAME DOCUMENTS: warm-up, then the measured run; one row in $ROWS.
measure() {
  local target=$1 scenario=$2 port=$3 pid=$4 db=$5 name=$6 documents=$7
  local load before="" after="" audit="-" hwm
  export BENCH_IDS=$WORK/$name.ids
  load=$(cut -d' ' -f1 /proc/loadavg)
  BENCH_SUMMARY=/dev/null wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$BENCH/lua/$scenario.lua" "http://127.0.0.1:$port" >/dev/null
  sleep 0.5   # the warm-up's last requests (at most one per connection, p99 well under 0.5 s) are answered and traced
  if [[ -n $db ]]; then before=$(audit_count "$db" "$name"); fi
  echo 5 >"/proc/$pid/clear_refs"   # resets VmHWM: the peak reported is this scenario's
  local ticks0 ticks1
  ticks0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")   # server CPU time (user + system), in clock ticks
  BENCH_SUMMARY=$WORK/summary wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$BENCH/lua/$scenario.lua" "http://127.0.0.1:$port" >"$WORK/wrk.out"
  sleep 1   # requests in flight when wrk stopped are still answered, and traced (p99 well under 1 s)
  if [[ -n $db ]]; then after=$(audit_count "$db" "$name"); audit=$((after - before)); fi
  hwm=$(awk '/VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$pid/status")
  ticks1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  local requests rps p50 p99 socket_errors non2xx statuses seconds max
  # shellcheck disable=SC1091
  source "$WORK/summary"
  # Server CPU per answered request: a figure that other processes' load barely moves (it includes the in-flight tail).
  local cpu_ms
  cpu_ms=$(awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.2f", (n > 0 ? 1000 * t / hz / n : 0) }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$scenario" "$documents" "$rps" "$p50" "$p99" \
    "$((socket_errors + non2xx))" "$hwm" "$audit" "$requests" "$load" "$statuses" "$cpu_ms" >>"$ROWS"
  log "$target $scenario ($documents documents): $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $((socket_errors + non2xx)) [$statuses], peak ${hwm} MB, audit $audit for $requests answered, server CPU $cpu_ms ms/request, load $load"
}

# measure_pair SCENARIO DB NAME DOCUMENTS: the same load as measure, its connections split between the two instances
# (two wrk at once, half the connections each, as a load balancer would); one row "DB×2": requests, req/s, errors and
# server CPU added up, p50 and p99 the worse of the two, peak memory the larger.
measure_pair() {
  local scenario=$1 db=$2 name=$3 documents=$4 half=$((CONNECTIONS / 2))
  local load before after hwm ticks0 ticks1 one drivers=()
  export BENCH_IDS=$WORK/$name.ids
  load=$(cut -d' ' -f1 /proc/loadavg)
  # Waits name the two wrk processes: a bare `wait` would also wait for the servers started in the background.
  for one in "$API_PORT" "$SECOND_PORT"; do
    BENCH_SUMMARY=/dev/null wrk -t1 -c"$half" -d"${WARMUP}s" -s "$BENCH/lua/$scenario.lua" "http://127.0.0.1:$one" >/dev/null &
    drivers+=($!)
  done
  wait "${drivers[@]}"
  drivers=()
  sleep 0.5
  before=$(audit_count "$db" "$name")
  echo 5 >"/proc/$SERVER_PID/clear_refs"; echo 5 >"/proc/$SECOND_PID/clear_refs"
  ticks0=$(cat "/proc/$SERVER_PID/stat" "/proc/$SECOND_PID/stat" | awk '{ t += $14 + $15 } END { print t }')
  BENCH_SUMMARY=$WORK/summary.1 wrk -t1 -c"$half" -d"${DURATION}s" -s "$BENCH/lua/$scenario.lua" "http://127.0.0.1:$API_PORT" >"$WORK/wrk.1.out" &
  drivers+=($!)
  BENCH_SUMMARY=$WORK/summary.2 wrk -t1 -c"$half" -d"${DURATION}s" -s "$BENCH/lua/$scenario.lua" "http://127.0.0.1:$SECOND_PORT" >"$WORK/wrk.2.out" &
  drivers+=($!)
  wait "${drivers[@]}"
  sleep 1
  after=$(audit_count "$db" "$name")
  hwm=$(cat "/proc/$SERVER_PID/status" "/proc/$SECOND_PID/status" | awk '/VmHWM/ { m = ($2 > m) ? $2 : m } END { printf "%d", m / 1024 }')
  ticks1=$(cat "/proc/$SERVER_PID/stat" "/proc/$SECOND_PID/stat" | awk '{ t += $14 + $15 } END { print t }')
  local requests rps p50 p99 socket_errors non2xx statuses seconds max
  local r=0 x=0 a50=0 a99=0 errors=0 all=""
  for one in 1 2; do
    # shellcheck disable=SC1090
    source "$WORK/summary.$one"
    r=$((r + requests)); x=$(awk -v a="$x" -v b="$rps" 'BEGIN { print a + b }')
    a50=$(awk -v a="$a50" -v b="$p50" 'BEGIN { print (b > a) ? b : a }'); a99=$(awk -v a="$a99" -v b="$p99" 'BEGIN { print (b > a) ? b : a }')
    errors=$((errors + socket_errors + non2xx)); all="$all${all:+ | }$statuses"
  done
  local cpu_ms
  cpu_ms=$(awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v n="$r" 'BEGIN { printf "%.2f", (n > 0 ? 1000 * t / hz / n : 0) }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$db×2" "$scenario" "$documents" "$x" "$a50" "$a99" \
    "$errors" "$hwm" "$((after - before))" "$r" "$load" "$all" "$cpu_ms" >>"$ROWS"
  log "$db×2 $scenario ($documents documents): $x req/s, p50 $a50 ms, p99 $a99 ms (worse instance), errors $errors [$all], peak ${hwm} MB, audit $((after - before)) for $r answered, server CPU $cpu_ms ms/request, load $load"
}

# --- Databases ------------------------------------------------------------------------------------------------
if [[ " $DATABASES $SCALE_DATABASES " == *" postgresql "* ]]; then
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT (fsync and synchronous commit on)"
  eval "$(PGTEST_PORT=$PG_PORT PGTEST_DURABLE=1 "$ROOT/scripts/postgres-test-server.sh" start)"
  PGDIR=$PGTEST_DIR
fi

SMALL_DOCS=$((PATIENTS * 10))
first=""
for db in $DATABASES; do
  name="small_$db"
  seed "$db" "$name" "$PATIENTS"
  start_api "$db" "$name"
  if [[ -z $first ]]; then
    first=$db
    # The baseline answers exactly the bytes the API answered here.
    mkdir -p "$WORK/responses"
    read -r patient document binary _ < <(grep ' visible$' "$WORK/$name.ids" | head -1)
    auth=(-H "Authorization: Bearer $BENCH_TOKEN" -H "Accept: application/fhir+json")
    base=http://127.0.0.1:$API_PORT/fhir
    curl -sf "${auth[@]}" "$base/DocumentReference/$document" >"$WORK/responses/read.json"
    curl -sf "${auth[@]}" "$base/DocumentReference?patient=$patient" >"$WORK/responses/search.json"
    curl -sf "${auth[@]}" "$base/Binary/$binary" >"$WORK/responses/binary.bin"
    for query in "Condition?patient=$patient" "MedicationStatement?patient=$patient&status=active" "Immunization?patient=$patient" \
      "Observation?patient=$patient&code=http://loinc.org%7C29463-7&_sort=-date"; do
      curl -sf "${auth[@]}" "$base/$query" >"$WORK/responses/profile-${query%%\?*}.json"
    done
    curl -sf "${auth[@]}" -H "Content-Type: application/fhir+json" -X POST "$base/AllergyIntolerance" \
      -d '{"resourceType":"AllergyIntolerance","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"300913006"}]},"patient":{"reference":"Patient/'"$patient"'"}}' \
      >"$WORK/responses/create.json"
    (cd "$BASELINE_DIR" && Responses__Folder=$WORK/responses exec dotnet Baseline.dll --urls "http://127.0.0.1:$BASELINE_PORT") >"$WORK/baseline.log" 2>&1 &
    BASELINE_PID=$!
    wait_for "http://127.0.0.1:$BASELINE_PORT/healthz"
  fi
  for scenario in $SCENARIOS; do
    # Baseline and API back to back, so that each ratio compares runs made under the same machine load.
    measure baseline "$scenario" "$BASELINE_PORT" "$BASELINE_PID" "" "$name" "-"
    measure "$db" "$scenario" "$API_PORT" "$SERVER_PID" "$db" "$name" "$SMALL_DOCS"
  done
  if [[ $db == postgresql && ${BENCH_FLEET:-1} == 1 ]]; then
    # Issue 12's fleet figures: the mixed scenario with one instance, then the same connections over two instances.
    measure baseline mixed "$BASELINE_PORT" "$BASELINE_PID" "" "$name" "-"
    measure "$db" mixed "$API_PORT" "$SERVER_PID" "$db" "$name" "$SMALL_DOCS"
    start_second_api "$db" "$name"
    measure_pair mixed "$db" "$name" "$SMALL_DOCS"
    stop_second_api
  fi
  stop_api
done
if [[ -n $PGDIR && " $SCALE_DATABASES " != *" postgresql "* ]]; then
  PGTEST_PORT=$PG_PORT "$ROOT/scripts/postgres-test-server.sh" stop "$PGDIR" || true
  PGDIR=""
fi

# --- Scale: the search scenario at 10,000 documents (above) and at the large size -------------------------------
if ((LARGE_PATIENTS > 0)); then
  for db in $SCALE_DATABASES; do
    name="large_$db"
    if [[ $db == sqlite && -n ${BENCH_LARGE_SQLITE:-} ]]; then
      while ! tr '\r' '\n' <"$(dirname "$BENCH_LARGE_SQLITE")/seed.log" | grep -q '^Seeded'; do
        log "waiting for the seeding of $BENCH_LARGE_SQLITE to finish"
        sleep 30
      done
      log "reusing $BENCH_LARGE_SQLITE (seeded earlier)"
      cp "$(dirname "$BENCH_LARGE_SQLITE")/$name.ids" "$WORK/$name.ids"
      echo "$(tr '\r' '\n' <"$(dirname "$BENCH_LARGE_SQLITE")/seed.log" | grep '^Seeded' | tail -1) (seeded before this run, by the same command)" >"$WORK/$name.seeded"
      LARGE_PATIENTS=$(cut -d' ' -f1 "$WORK/$name.ids" | sort -u | wc -l)
    else
      seed "$db" "$name" "$LARGE_PATIENTS"
    fi
    start_api "$db" "$name"
    measure baseline search "$BASELINE_PORT" "$BASELINE_PID" "" "$name" "-"
    measure "$db" search "$API_PORT" "$SERVER_PID" "$db" "$name" "$((LARGE_PATIENTS * 10))"
    measure "$db" read "$API_PORT" "$SERVER_PID" "$db" "$name" "$((LARGE_PATIENTS * 10))"
    stop_api
  done
fi

ELAPSED=$(($(date -u +%s) - STARTED))
"$BENCH/report.sh" "$ROWS" "$WORK" "$ELAPSED" "$CONNECTIONS" "$DURATION" "$WARMUP"
