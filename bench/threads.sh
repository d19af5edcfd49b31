#!/usr/bin/env bash
# The forum's hot paths on the 100k-thread / 1M-reply data set, release build, wrk -c32 on the
# same machine:
#   bench/threads.sh            seed devforum_bench (if empty) and run every scenario
#   SKIP_SEED=1 bench/threads.sh  reuse the seeded database as it is
#   DEVFORUM_BIN=path bench/threads.sh  measure another build (a before/after comparison)
#   ONLY=replies bench/threads.sh  only the scenarios whose name matches (a grep -E pattern)
#   WORKER_ENABLED=true bench/threads.sh  the server runs its job worker too (the work a post
#                                   leaves for later: search sync, notifications, rendering)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
url="$base/devforum_bench"
bin="${DEVFORUM_BIN:-target/release/devforum}"
[ -n "${DEVFORUM_BIN:-}" ] || cargo build --release --locked --bin devforum
if [ -z "${SKIP_SEED:-}" ]; then
    psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS devforum_bench WITH (FORCE)" -c "CREATE DATABASE devforum_bench"
    DATABASE_URL="$url" "$bin" seed --users 2000 --threads 100000 --replies 1000000
fi
port=18080
DATABASE_URL="$url" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=warn DEVFORUM__WORKER__ENABLED="${WORKER_ENABLED:-false}" \
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
# The database's own ceiling, measured in the same run on the same server: pgbench's
# select-only transaction (one prepared primary-key SELECT), 32 clients, over TCP on loopback as
# the API connects. Its tables live in a database of their own (scale 10, made once).
pgbench_url="$base/devforum_pgbench"
if ! psql -tA "$base/postgres" -c "SELECT 1 FROM pg_database WHERE datname = 'devforum_pgbench'" | grep -q 1; then
    psql -q "$base/postgres" -c "CREATE DATABASE devforum_pgbench"
    pgbench -i -q -s 10 "$pgbench_url" >/dev/null 2>&1
fi
ceiling=$(pgbench -n -S -M prepared -c32 -j2 -T10 "$pgbench_url" 2>/dev/null \
    | grep -oE "tps = [0-9.]+" | grep -oE "[0-9.]+" | cut -d. -f1)
echo "== pgbench -S -M prepared -c32 -j2 -T10 (the database's ceiling): $ceiling tps"
run() {
    if [ -n "${ONLY:-}" ] && ! grep -qE "$ONLY" <<<"$1"; then return; fi
    local name="$1" out; shift
    echo "== $name"
    out="$(wrk -t2 -c32 -d10s --latency "$@")"
    grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors" <<<"$out"
    local rps; rps="$(grep -oE "Requests/sec: +[0-9.]+" <<<"$out" | grep -oE "[0-9.]+$" | cut -d. -f1)"
    python3 -c "print(f'    ratio to pgbench -S: {$ceiling / max($rps, 1):.1f}x below ({$rps} req/s against {$ceiling} tps)')"
}

# The public pages (#42). First the sitemaps as a crawler first asks for them: built from the
# database on this fresh server, then from its copy.
if [ -z "${ONLY:-}" ] || grep -qE "$ONLY" <<<"sitemap"; then
    for pass in built cached; do
        for file in sitemap.xml sitemaps/threads-1.xml sitemaps/threads-2.xml; do
            curl -fs -o /dev/null -w "== GET /$file ($pass): %{time_total} s, %{size_download} bytes\n" \
                "http://127.0.0.1:$port/$file"
        done
    done
fi
# Canonical paths of 300 random threads among the newest 5,000, and their ETags.
pages="$(mktemp)"; revalidations="$(mktemp)"
trap 'kill $server 2>/dev/null || true; rm -f "$pages" "$revalidations"' EXIT
if [ -z "${ONLY:-}" ] || grep -qE "$ONLY" <<<"pages"; then
    for _ in $(seq 300); do
        id=$((MIN_ID + RANDOM % 5000))
        location="$(curl -fs -o /dev/null -w '%{redirect_url}' "http://127.0.0.1:$port/t/$id" || true)"
        [ -n "$location" ] || continue
        path="/${location#*://*/}"
        etag="$(curl -fsI "http://127.0.0.1:$port$path" | tr -d '\r' | sed -n 's/^etag: //Ip')"
        echo "$path" >> "$pages"
        printf '%s\t%s\n' "$path" "$etag" >> "$revalidations"
    done
fi
PATHS_FILE="$pages" run "pages: GET /t/{id}/{slug} as a visitor (random among the newest 5,000)" \
    -s bench/pages.lua "http://127.0.0.1:$port"
PATHS_FILE="$pages" run "pages: GET /t/{id}/{slug} as a visitor, Accept-Encoding: gzip" \
    -H "Accept-Encoding: gzip" -s bench/pages.lua "http://127.0.0.1:$port"
PATHS_FILE="$revalidations" run "pages: GET /t/{id}/{slug} with If-None-Match (304)" \
    -s bench/pages.lua "http://127.0.0.1:$port"

run "GET /api/v1/threads?limit=20" "http://127.0.0.1:$port/api/v1/threads?limit=20"
# Where a member left off (#43): seed_user_2 opened 5,000 of the newest 20,000 threads, read to
# a random point of each; their lists carry unread counts and "new" marks (one query more for
# their positions on the page, one for since when threads are new).
if [ -z "${ONLY:-}" ] || grep -qE "$ONLY" <<<"reading"; then
    psql -q "$url" -c "DELETE FROM thread_reads WHERE user_id = (SELECT id FROM users WHERE username = 'seed_user_2')" \
        -c "INSERT INTO thread_reads (user_id, thread_id, last_read_reply_id, read_replies)
            SELECT u.id, t.id, NULL, (random() * a.reply_count)::int
              FROM users u, threads t JOIN thread_activity a ON a.thread_id = t.id
             WHERE u.username = 'seed_user_2' AND t.id > $max_id - 20000 AND random() < 0.25
             ORDER BY t.id DESC LIMIT 5000" -c "ANALYZE thread_reads"
    reader=$(curl -fs -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/auth/login" \
        -d '{"login":"seed_user_2","password":"seed password 123"}' \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
    echo "== seed_user_2 opened $(psql -tA "$url" -c "SELECT count(*) FROM thread_reads r JOIN users u ON u.id = r.user_id WHERE u.username = 'seed_user_2'") threads"
    run "reading: GET /api/v1/threads?limit=20 as a member who opened 5,000 threads (unread counts)" \
        -H "Authorization: Bearer $reader" "http://127.0.0.1:$port/api/v1/threads?limit=20"
    run "reading: GET /api/v1/threads?sort=active&limit=20 as that member" \
        -H "Authorization: Bearer $reader" "http://127.0.0.1:$port/api/v1/threads?sort=active&limit=20"
    run "reading: GET /api/v1/threads?filter=unread&limit=20 as that member" \
        -H "Authorization: Bearer $reader" "http://127.0.0.1:$port/api/v1/threads?filter=unread&limit=20"
    run "reading: GET /api/v1/threads?filter=new&limit=20 as that member" \
        -H "Authorization: Bearer $reader" "http://127.0.0.1:$port/api/v1/threads?filter=new&limit=20"
fi
run "GET /api/v1/threads?sort=active&limit=20" "http://127.0.0.1:$port/api/v1/threads?sort=active&limit=20"
for status in unsolved unanswered solved; do
    run "GET /api/v1/threads?status=$status&limit=20" "http://127.0.0.1:$port/api/v1/threads?status=$status&limit=20"
done
PATH_TEMPLATE="/api/v1/threads/{id}" run "GET /api/v1/threads/{id} (random among the newest 5,000)" \
    -s bench/random_get.lua "http://127.0.0.1:$port"
PATH_TEMPLATE="/api/v1/threads/{id}" run "GET /api/v1/threads/{id} signed in (random among the newest 5,000)" \
    -H "Authorization: Bearer $token" -s bench/random_get.lua "http://127.0.0.1:$port"
PATH_TEMPLATE="/api/v1/threads/{id}/replies?limit=50" run "GET /api/v1/threads/{id}/replies?limit=50 (random among the newest 5,000)" \
    -s bench/random_get.lua "http://127.0.0.1:$port"
PATH_TEMPLATE="/api/v1/threads/{id}/replies?limit=50" run "GET /api/v1/threads/{id}/replies?limit=50, Accept-Encoding: gzip" \
    -H "Accept-Encoding: gzip" -s bench/random_get.lua "http://127.0.0.1:$port"
PATH_TEMPLATE="/api/v1/threads/{id}/replies?limit=50" run "GET /api/v1/threads/{id}/replies?limit=50, Accept-Encoding: gzip, deflate, br, zstd (a browser's; answered with gzip)" \
    -H "Accept-Encoding: gzip, deflate, br, zstd" -s bench/random_get.lua "http://127.0.0.1:$port"
PATH_TEMPLATE="/api/v1/threads/{id}/replies?limit=50" run "GET /api/v1/threads/{id}/replies?limit=50, Accept-Encoding: br" \
    -H "Accept-Encoding: br" -s bench/random_get.lua "http://127.0.0.1:$port"
TOKEN=$token run "POST /api/v1/threads/{id}/replies (random among the newest 5,000)" \
    -s bench/post_reply.lua "http://127.0.0.1:$port"
# A reply as answers often are: a sentence and a short Rust block (highlighted since #41).
REPLY_JSON='{"body":"Clone it before the loop:\n\n```rust\nlet names = users.iter().map(|u| u.name.clone()).collect::<Vec<_>>();\nfor name in &names {\n    println!(\"{name}\");\n}\n```\n\nThat ends the borrow."}' \
TOKEN=$token run "POST /api/v1/threads/{id}/replies with a 4-line Rust block" \
    -s bench/post_reply.lua "http://127.0.0.1:$port"
