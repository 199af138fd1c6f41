#!/usr/bin/env bash
# Regenerates api-spec/openapi.json and api-spec/CapabilityStatement.json: builds and starts the app on a throw-away
# SQLite database on a free local port, downloads /swagger/v1/swagger.json exactly as served and /fhir/metadata with its
# build- and host-dependent fields set to fixed values (api-spec/README.md), and stops the app. Needs node
# (scripts/install-test-tools.sh installs it) for the CapabilityStatement.
# Usage: scripts/update-api-spec.sh            (from anywhere in the repository)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/api-spec/openapi.json"
capabilities="$root/api-spec/CapabilityStatement.json"
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

# The fields that depend on the host, the build and the day get the fixed values that
# tests/DmpApi.ContractTests/Spec/CapabilityStatementNormalisation.cs compares with.
curl -fsS -H 'Accept: application/fhir+json' "$base/fhir/metadata" -o "$tmp/metadata.json"
node -e '
const fs = require("fs");
const s = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
s.url = "https://dmp.example.fr/fhir/metadata";
s.date = "2026-01-01";
if (s.software) s.software.version = "0.0.0";
if (s.implementation) s.implementation.url = "https://dmp.example.fr/fhir";
fs.writeFileSync(process.argv[2], JSON.stringify(s, null, 2) + "\n");
' "$tmp/metadata.json" "$capabilities"
echo "Wrote $capabilities ($(wc -c <"$capabilities") bytes). Review with: git diff -- api-spec/CapabilityStatement.json" >&2
