#!/usr/bin/env bash
# A search flood never starves the forum (#47, part 1: the bulkhead), on devforum_bench
# (bench/threads.sh's 100k threads / 1M replies; 252k search documents), release build,
# default pool (10 connections), worker off:
#   1. GET /threads/{id} (random ids of the newest 5,000) alone, wrk -t1 -c16 -d10s;
#   2. the same while a flood of tag + word searches runs (wrk -t1 -c32 -d25s, started 3 s
#      before): thread pages' req/s and non-2xx, and what the flood got (2xx and 503s);
#   alternated twice, for the build given (DEVFORUM_BIN, default target/release/devforum).
# BEFORE_BIN=… runs the same with that build first (e.g. the build before the bulkhead).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
url="$base/devforum_bench"
bin="${DEVFORUM_BIN:-target/release/devforum}"
[ -n "${DEVFORUM_BIN:-}" ] || cargo build --release --locked --bin devforum
sql() { psql -qtA "$url" -c "$1"; }
DATABASE_URL="$url" "$bin" migrate >/dev/null
max_id=$(sql "SELECT max(id) FROM threads")
export MIN_ID=$((max_id - 5000)) MAX_ID=$max_id PATH_TEMPLATE="/api/v1/threads/{id}"
export QUERIES="q=error&tag=rust|q=test&tag=python|q=function&tag=javascript|q=cache&tag=rust|q=build&tag=typescript|q=release&tag=go"
port=18089
server=""
stop() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; server=""; }
trap stop EXIT
start() {
    DATABASE_URL="$url" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=error DEVFORUM__WORKER__ENABLED=false \
        "$1" serve >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
}
summary() { grep -E "Requests/sec|Non-2xx|Socket errors|99%" <<<"$1" | sed 's/^/    /'; }
measure() {
    local name="$1" build="$2"
    start "$build"
    echo "== $name: GET /api/v1/threads/{id} alone"
    summary "$(wrk -t1 -c16 -d10s --latency -s bench/random_get.lua "http://127.0.0.1:$port")"
    wrk -t1 -c32 -d25s --latency -s bench/search.lua "http://127.0.0.1:$port" > /tmp/devforum-flood.txt &
    local flood=$!
    sleep 3
    echo "== $name: GET /api/v1/threads/{id} during a flood of tag + word searches (-c32)"
    summary "$(wrk -t1 -c16 -d10s --latency -s bench/random_get.lua "http://127.0.0.1:$port")"
    wait $flood
    echo "   the flood itself (25 s):"
    summary "$(cat /tmp/devforum-flood.txt)"
    stop
}
for pass in 1 2; do
    [ -n "${BEFORE_BIN:-}" ] && measure "before (pass $pass)" "$BEFORE_BIN"
    measure "$(basename "$bin") (pass $pass)" "$bin"
done
