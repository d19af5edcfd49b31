#!/usr/bin/env bash
# GET /api/v1/search on the 100k-thread / 1M-reply data set, release build, wrk -c32 on the
# same machine, one scenario per kind of query:
#   bench/search.sh              seed devforum_search_bench, index it (devforum reindex, timed)
#                                and run every scenario
#   SKIP_SEED=1 bench/search.sh  reuse the seeded, indexed database as it is
# A database of its own: bench/threads.sh adds ~50k identical replies to devforum_bench,
# which no real forum has and which would skew every query towards them.
# The engine is search.engine: PostgreSQL by default; with DEVFORUM__SEARCH__ENGINE=meilisearch
# (and DEVFORUM__SEARCH__MEILISEARCH__URL / __API_KEY) the same scenarios run on Meilisearch.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
url="$base/devforum_search_bench"
cargo build --release --locked --bin devforum
if [ -z "${SKIP_SEED:-}" ]; then
    psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS devforum_search_bench WITH (FORCE)" \
        -c "CREATE DATABASE devforum_search_bench"
    DATABASE_URL="$url" target/release/devforum seed --users 2000 --threads 100000 --replies 1000000
    DATABASE_URL="$url" DEVFORUM__LOG__LEVEL=warn target/release/devforum reindex
fi
port=18081
DATABASE_URL="$url" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=warn DEVFORUM__WORKER__ENABLED=false \
    DEVFORUM__DATABASE__POOL_SIZE="${POOL_SIZE:-4}" \
    target/release/devforum serve >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done

run() {
    echo "== $1"
    QUERIES="$2" wrk -t2 -c32 -d10s --latency -s bench/search.lua "http://127.0.0.1:$port" \
        | grep -E "Requests/sec|Latency  |50%|90%|95%|99%|Non-2xx|Socket errors"
}
run "one word" "q=borrow|q=latency|q=closure|q=database|q=migration|q=compiler"
run "two words" "q=borrow%20checker|q=async%20runtime|q=database%20migration|q=memory%20allocation"
run "one word, type=thread" "q=borrow&type=thread|q=latency&type=thread|q=compiler&type=thread"
run "one word, tag" "q=borrow&tag=rust|q=latency&tag=performance|q=closure&tag=javascript"
run "typo (corrected)" "q=borow|q=latancy|q=compilr"
run "empty query (recent)" "q=&type=thread|q="
