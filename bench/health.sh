#!/usr/bin/env bash
# The HTTP ceiling: GET /health on a release build, load from wrk on the same machine.
#   bench/health.sh [log-level]    (default warn; `info` logs one line per request)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS devforum_bench" -c "CREATE DATABASE devforum_bench" 2>/dev/null
cargo build --release --locked --bin devforum
port=18080
DATABASE_URL="$base/devforum_bench" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL="${1:-warn}" \
    target/release/devforum serve >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
wrk -t2 -c64 -d10s --latency "http://127.0.0.1:$port/health"
