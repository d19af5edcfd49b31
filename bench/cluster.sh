#!/usr/bin/env bash
# The cluster of scripts/cluster under load (issue 21), release build, wrk through nginx on the
# same 2-core machine:
#
#   bench/cluster.sh                  seed (10k threads, 100k replies) and run every scenario
#   SKIP_SEED=1 bench/cluster.sh      keep the cluster's data as it is
#   DEVFORUM_BIN=path bench/cluster.sh   another build
#
# 1. the thread list and a thread page: straight to one API process, through nginx with one
#    API process, through nginx with two;
# 2. a rolling restart of both API processes (scripts/cluster rolling-restart) while wrk reads
#    the thread list and thread pages through nginx: the target is zero failed requests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
[ -n "${DEVFORUM_BIN:-}" ] || { cargo build --release --locked --bin devforum; DEVFORUM_BIN="$PWD/target/release/devforum"; }
export DEVFORUM_BIN
DIR="${CLUSTER_DIR:-$PWD/.local/cluster}"
primary="postgres://postgres:postgres@127.0.0.1:55432/devforum"

if [ -z "${SKIP_SEED:-}" ]; then
    CLUSTER_FRESH=1 scripts/cluster start
    scripts/cluster stop
    # Seeding writes a lot of WAL: make the replica afterwards, from the seeded primary.
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    as_pg "$bindir/pg_ctl" -D "$DIR/pg-primary" -l "$DIR/pg-primary/server.log" -o "-p 55432" -w start >/dev/null
    DATABASE_URL="$primary" "$DEVFORUM_BIN" seed --users 1000 --threads 10000 --replies 100000 >/dev/null
    as_pg "$bindir/pg_ctl" -D "$DIR/pg-primary" -m fast -w stop >/dev/null
    rm -rf "$DIR/pg-replica"
fi
scripts/cluster start
trap 'scripts/cluster stop' EXIT

max_id=$(psql -tA "$primary" -c "SELECT max(id) FROM threads")
export MAX_ID=$max_id MIN_ID=$((max_id - 5000)) PATH_TEMPLATE="/api/v1/threads/{id}"
run() { # name, then wrk's arguments
    echo "== $1"; shift
    wrk -t2 -c32 -d10s --latency "$@" | grep -E "Requests/sec|Latency  |99%|Non-2xx|Socket errors" || true
}
scenarios() { # base URL, label
    run "$2: GET /api/v1/threads?limit=20" "$1/api/v1/threads?limit=20"
    run "$2: GET /api/v1/threads/{id}" -s bench/random_get.lua "$1"
}

scenarios http://127.0.0.1:8081 "one API process, direct"
scripts/cluster stop-api 2
sleep 3
scenarios http://127.0.0.1:8080 "nginx, one API process"
scripts/cluster start-api 2
sleep 3
scenarios http://127.0.0.1:8080 "nginx, two API processes"

echo "== rolling restart of both API processes under load (nginx, GET /api/v1/threads?limit=20, 40 s)"
out="$(mktemp)"
wrk -t2 -c32 -d40s "http://127.0.0.1:8080/api/v1/threads?limit=20" > "$out" 2>&1 &
load=$!
sleep 5
scripts/cluster rolling-restart
wait $load
grep -E "requests in|Requests/sec|Non-2xx|Socket errors" "$out" || true
if grep -qE "Non-2xx|Socket errors" "$out"; then
    echo "rolling restart: FAILED REQUESTS (see above)"
else
    echo "rolling restart: zero failed requests"
fi
rm -f "$out"
