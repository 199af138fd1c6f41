#!/usr/bin/env bash
# Regenerates api-spec/openapi.json: builds and starts the app on a throw-away SQLite database on a free local port,
# downloads /swagger/v1/swagger.json exactly as served, and stops the app.
# Usage: scripts/update-api-spec.sh            (from anywhere in the repository)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/api-spec/openapi.json"
tmp="$(mktemp -d)"
pid=""

cleanup() {
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        pkill -TERM -P "$pid" 2>/dev/null || true # the app process that `dotnet run` started
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# A free port: ask the kernel for one (bind to port 0), then release it for the app.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || shuf -i 20000-60000 -n 1)"
base="http://127.0.0.1:$port"

echo "Building src/DmpApi ..." >&2
dotnet build "$root/src/DmpApi" --nologo -v quiet >&2

echo "Starting the app on $base (SQLite in $tmp) ..." >&2
ConnectionStrings__Dmp="Data Source=$tmp/dmp.db" \
    dotnet run --no-build --project "$root/src/DmpApi" --urls "$base" >"$tmp/app.log" 2>&1 &
pid=$!

for _ in $(seq 1 120); do
    if curl -fsS "$base/healthz" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "The app exited before answering /healthz:" >&2
        cat "$tmp/app.log" >&2
        exit 1
    fi
    sleep 0.5
done
curl -fsS "$base/healthz" >/dev/null || { echo "The app did not answer /healthz within 60 s:" >&2; cat "$tmp/app.log" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
curl -fsS "$base/swagger/v1/swagger.json" -o "$tmp/openapi.json"
mv "$tmp/openapi.json" "$out"
echo "Wrote $out ($(wc -c <"$out") bytes). Review with: git diff -- api-spec/openapi.json" >&2
