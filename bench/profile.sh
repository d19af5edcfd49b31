#!/usr/bin/env bash
# Where a request's time goes (issue 22): one scenario of bench/threads.sh under wrk while
# `perf record` samples the release server, then the top frames by self time, and what
# PostgreSQL ran per request (pg_stat_statements: calls per request, mean time).
#
#   bench/profile.sh thread        GET /api/v1/threads/{id}
#   bench/profile.sh list          GET /api/v1/threads?limit=20
#   bench/profile.sh replies       GET /api/v1/threads/{id}/replies?limit=50
#   bench/profile.sh replies-gzip  the same with Accept-Encoding: gzip
#   bench/profile.sh reply         POST /api/v1/threads/{id}/replies
#   bench/profile.sh page          GET /t/{id}/{slug}, a thread's public page, as a visitor
#
# Needs the seeded devforum_bench (bench/threads.sh makes it) and Debian's linux-perf.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scenario="${1:?thread | list | replies | replies-gzip | reply | page}"
command -v perf >/dev/null || { echo "install linux-perf (apt-get install linux-perf)" >&2; exit 1; }
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
url="$base/devforum_bench"
bin="${DEVFORUM_BIN:-target/release/devforum}"
[ -n "${DEVFORUM_BIN:-}" ] || cargo build --release --locked --bin devforum
# pg_stat_statements needs to be preloaded: once per server, then a restart.
if ! psql -tA "$base/postgres" -c "SHOW shared_preload_libraries" | grep -q pg_stat_statements; then
    psql -q "$base/postgres" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
    scripts/pg stop; scripts/pg start
fi
psql -q "$url" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"

port=18090
DATABASE_URL="$url" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=warn DEVFORUM__WORKER__ENABLED=false \
    DEVFORUM__RATE_LIMITS__REPLIES_PER_HOUR=100000000 DEVFORUM__RATE_LIMITS__LOGIN_PER_MINUTE=1000 \
    DEVFORUM__DATABASE__POOL_SIZE="${POOL_SIZE:-4}" \
    "$bin" serve >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done

max_id=$(psql -tA "$url" -c "SELECT max(id) FROM threads")
export MAX_ID=$max_id MIN_ID=$((max_id - 5000))
token=$(curl -fs -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/auth/login" \
    -d '{"login":"seed_user_1","password":"seed password 123"}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
case "$scenario" in
    thread) export PATH_TEMPLATE="/api/v1/threads/{id}"; args=(-s bench/random_get.lua "http://127.0.0.1:$port") ;;
    list) args=("http://127.0.0.1:$port/api/v1/threads?limit=20") ;;
    replies) export PATH_TEMPLATE="/api/v1/threads/{id}/replies?limit=50"; args=(-s bench/random_get.lua "http://127.0.0.1:$port") ;;
    replies-gzip) export PATH_TEMPLATE="/api/v1/threads/{id}/replies?limit=50"; args=(-H "Accept-Encoding: gzip" -s bench/random_get.lua "http://127.0.0.1:$port") ;;
    reply) export TOKEN=$token; args=(-s bench/post_reply.lua "http://127.0.0.1:$port") ;;
    page)
        PATHS_FILE="$(mktemp)"; export PATHS_FILE
        for _ in $(seq 300); do
            location="$(curl -fs -o /dev/null -w '%{redirect_url}' "http://127.0.0.1:$port/t/$((MIN_ID + RANDOM % 5000))" || true)"
            [ -z "$location" ] || echo "/${location#*://*/}" >> "$PATHS_FILE"
        done
        args=(-s bench/pages.lua "http://127.0.0.1:$port") ;;
    *) echo "unknown scenario $scenario" >&2; exit 2 ;;
esac

wrk -t2 -c32 -d3s "${args[@]}" >/dev/null   # warm up
psql -q "$url" -c "SELECT pg_stat_statements_reset()" >/dev/null
# What the database wrote: WAL bytes, and row updates per table with how many were HOT.
tables="SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
        WHERE relname IN ('threads', 'thread_activity', 'replies', 'users', 'jobs', 'rate_limit_buckets', 'thread_subscriptions', 'notifications')"
wal_before=$(psql -tA "$url" -c "SELECT pg_current_wal_lsn()")
psql -tA -F' ' "$url" -c "$tables" > "${TMPDIR:-/tmp}/profile-tables-before"
data="$(mktemp)"
wrk -t2 -c32 -d10s "${args[@]}" > "$data.wrk" &
load=$!
perf record -F 999 -p "$server" -o "$data" -- sleep 8 2>/dev/null >/dev/null
wait $load
requests=$(grep -oE "^ *[0-9]+ requests" "$data.wrk" | grep -oE "[0-9]+")
grep -E "Requests/sec" "$data.wrk"
echo "== server CPU by function (self time, top 25)"
perf report -i "$data" --no-children --sort symbol --percent-limit 0.7 --stdio 2>/dev/null \
    | grep -E "^ +[0-9]" | cut -c1-140 | sed "s/ *$//" | head -25
echo "== server CPU by library"
perf report -i "$data" --no-children --sort dso --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -8
echo "== statements per request ($requests requests)"
psql -q "$url" -c "SELECT round(calls::numeric / $requests, 2) AS per_request,
        round(mean_exec_time::numeric, 3) AS mean_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS statement
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND calls > $requests / 20 ORDER BY calls DESC LIMIT 12"
sleep 1   # table statistics reach the shared counters within a second
echo "== what the database wrote per request"
psql -tA "$url" -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$wal_before') / $requests) || ' WAL bytes'"
psql -tA -F' ' "$url" -c "$tables" | sort | join - <(sort "${TMPDIR:-/tmp}/profile-tables-before") \
    | awk -v n="$requests" '{ ins = $2 - $5; upd = $3 - $6; hot = $4 - $7;
        if (ins + upd > 0) printf "%-22s %5.2f inserts, %5.2f updates (%d%% HOT)\n", $1, ins / n, upd / n, upd ? 100 * hot / upd : 0 }'
rm -f "$data" "$data.wrk" "${TMPDIR:-/tmp}/profile-tables-before"
