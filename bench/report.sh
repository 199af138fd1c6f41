#!/usr/bin/env bash
# Writes bench/results/<date>.md and the short table of bench/README.md from run.sh's rows (called by run.sh).
# usage: report.sh ROWS WORK ELAPSED_SECONDS CONNECTIONS DURATION WARMUP
set -Eeuo pipefail
ROWS=$1 WORK=$2 ELAPSED=$3 CONNECTIONS=$4 DURATION=$5 WARMUP=$6
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$BENCH/results"
OUT=$BENCH/results/$(date -u +%Y-%m-%d).md
if [[ -e $OUT ]]; then OUT=$BENCH/results/$(date -u +%Y-%m-%d-%H%M).md; fi

# One table row per API measurement, with the baseline measured just before it (same scenario).
table() {
  awk -F'\t' -v want="$1" '
    $1 == "baseline" { base[$2] = $4; next }
    want == "" || $1 == want {
      ratio = (base[$2] > 0) ? sprintf("%.1f%%", 100 * $4 / base[$2]) : "-"
      check = ($9 == "-") ? "-" : (($9 >= $10 && $9 - $10 <= '"$CONNECTIONS"') ? "yes" : "NO")
      printf "| %s | %s | %s | %.0f | %.2f | %.2f | %s | %.0f | %s | %s | %s | %s / %s (%s) | %s |\n",
        $1, $2, $3, $4, $5, $6, $7, base[$2], ratio, $13, $8, $9, $10, check, $11
    }' "$ROWS"
}
HEADER='| Database | Scenario | Documents | req/s | p50 ms | p99 ms | Errors | Baseline req/s | Ratio | Server CPU ms/request | Peak MB | Audit records / answered | Load |
|---|---|---|---|---|---|---|---|---|---|---|---|---|'

# The targets of bench/README.md, on SQLite.
targets() {
  awk -F'\t' '
    $1 == "baseline" { base[$2] = $4; next }
    $1 == "sqlite" {
      key = $2 "@" $3
      rps[key] = $4; p50[key] = $5; p99[key] = $6; ratio[key] = (base[$2] > 0) ? $4 / base[$2] : 0; mem[key] = $8
      if (!($2 in small) || $3 < small[$2]) small[$2] = $3
      if (!($2 in large) || $3 > large[$2]) large[$2] = $3
      if ($7 > 0) errors = errors " " $2 "@" $3 "=" $7
    }
    function verdict(ok) { return ok ? "met" : "**not met**" }
    END {
      if (length(small) == 0) { print "- SQLite: not measured in this run (BENCH_DATABASES, BENCH_SCENARIOS)"; exit }
      r = "read@" small["read"]; s = "search@" small["search"]; c = "create@" small["create"]
      printf "- Read by id: %.1f%% of baseline (target ≥ 25%%), p99 %.2f ms (target < 10 ms): %s\n", 100 * ratio[r], p99[r], verdict(ratio[r] >= 0.25 && p99[r] < 10)
      printf "- Patient search (10 results): %.1f%% of baseline (target ≥ 10%%), p99 %.2f ms (target < 25 ms): %s\n", 100 * ratio[s], p99[s], verdict(ratio[s] >= 0.10 && p99[s] < 25)
      printf "- Create: %.0f per second, each committed before its 201 (target ≥ 1,500): %s\n", rps[c], verdict(rps[c] >= 1500)
      if (large["search"] > small["search"]) {
        l = "search@" large["search"]
        printf "- Scale: search p50 %.2f ms at %s documents vs %.2f ms at %s (target ≤ 1.5×): %.2f×, %s\n", p50[l], large["search"], p50[s], small["search"], p50[l] / p50[s], verdict(p50[l] <= 1.5 * p50[s])
        printf "- Memory with %s documents: peak %d MB (target < 400 MB): %s\n", large["search"], mem[l], verdict(mem[l] < 400)
      } else {
        print "- Scale and memory at 1,000,000 documents: not measured in this run (BENCH_LARGE_PATIENTS=0)"
      }
      print "- Errors: " (errors == "" ? "none" : errors)
    }' "$ROWS"
  # Issue 12: the mixed scenario on durable PostgreSQL, one instance and two on the same database.
  awk -F'\t' '
    $2 == "mixed" && $1 == "postgresql" { one = $4; oneErrors = $7 }
    $2 == "mixed" && $1 == "postgresql×2" { two = $4; twoErrors = $7 }
    function verdict(ok) { return ok ? "met" : "**not met**" }
    END {
      if (one == "") { print "- Mixed on PostgreSQL: not measured in this run (BENCH_FLEET=0 or no postgresql)"; exit }
      printf "- Mixed on durable PostgreSQL (70%% read, 20%% search, 10%% create), one instance: %.0f answers/s (target ≥ 1,500), %d errors: %s\n", one, oneErrors, verdict(one >= 1500 && oneErrors == 0)
      if (two != "")
        printf "- Same load over two instances on the same database and cores: %.0f answers/s, %.0f%% of one (target ≥ 90%%), %d errors: %s\n", two, 100 * two / one, twoErrors, verdict(two >= 0.9 * one && twoErrors == 0)
    }' "$ROWS"
}

{
  echo "# Benchmark $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -r); server and wrk share it."
  echo "- Commit: $(git -C "$BENCH/.." rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$BENCH/.." diff --quiet 2>/dev/null || echo ' (with uncommitted changes)'); .NET $(dotnet --version)."
  echo "- wrk: $CONNECTIONS connections; after each API start ${BENCH_SERVER_WARMUP:-20} s of mixed load (JIT warm-up, not counted); ${WARMUP} s warm-up then ${DURATION} s measured per scenario; practitioner token (médecin, normal mode TREAT), every request consent-checked and audited; rate limiting off (one requester)."
  echo "- Run time: $((ELAPSED / 60)) min $((ELAPSED % 60)) s."
  for f in "$WORK"/*.seeded; do [[ -e $f ]] && echo "- Seeding ($(basename "$f" .seeded)): $(cat "$f")"; done
  echo "- Load: the 1-minute load average before each scenario (Load column); other engineers build and test on the same 2 cores."
  echo
  echo "## Targets (SQLite)"
  echo
  targets
  echo
  echo "## All measurements"
  echo
  echo "$HEADER"
  table ""
  echo
  echo "Ratio: API req/s ÷ baseline req/s measured just before it (bare Kestrel, same JWT validation, same response bytes)."
  echo "Audit records / answered: records committed during the measured run vs responses wrk counted; requests still in"
  echo "flight when wrk stops are answered and traced after it stopped counting, so up to $CONNECTIONS more records is exact."
  echo "Peak MB: the server's VmHWM (peak resident memory), reset before each measured run."
  echo "Server CPU ms/request: the server process's user + system CPU time during the measured run ÷ responses counted;"
  echo "other processes' load barely moves it."
  echo
  echo "### Every run, baseline included"
  echo
  echo "| Server | Scenario | req/s | p50 ms | p99 ms | Server CPU ms/request |"
  echo "|---|---|---|---|---|---|"
  awk -F'\t' '{ printf "| %s | %s | %.0f | %.2f | %.2f | %s |\n", $1, $2, $4, $5, $6, $13 }' "$ROWS"
  echo
  echo "Status codes per run: $(awk -F'\t' '{ printf "%s/%s: %s; ", $1, $2, $12 }' "$ROWS")"
} >"$OUT"

# The short table in the README, between its markers.
short=$(mktemp)
{
  echo "<!-- results: written by bench/report.sh -->"
  echo "Last run: [$(basename "$OUT")](results/$(basename "$OUT"))"
  echo
  targets
  echo
  echo "| Database | Scenario | Documents | req/s | p50 ms | p99 ms | Ratio to baseline | Server CPU ms/request | Peak MB |"
  echo "|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' '$1 == "baseline" { base[$2] = $4; next }
    { printf "| %s | %s | %s | %.0f | %.2f | %.2f | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, (base[$2] > 0) ? sprintf("%.1f%%", 100 * $4 / base[$2]) : "-", $13, $8 }' "$ROWS"
  echo "<!-- /results -->"
} >"$short"
if grep -q '<!-- results' "$BENCH/README.md" 2>/dev/null; then
  awk -v f="$short" '
    /<!-- results/ { while ((getline line < f) > 0) print line; skip = 1; next }
    /<!-- \/results -->/ { skip = 0; next }
    !skip' "$BENCH/README.md" >"$BENCH/README.md.new" && mv "$BENCH/README.md.new" "$BENCH/README.md"
fi
rm -f "$short"
echo "bench: results in $OUT" >&2
