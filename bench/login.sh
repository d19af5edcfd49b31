#!/usr/bin/env bash
# Logins per second (argon2id-bound), and whether a login flood starves reads:
#   1. wrk -t2 -c32 -d10s on POST /auth/login alone;
#   2. the same flood with wrk -t1 -c8 -d10s on GET /users/{username} (one indexed read) beside it;
#   3. that read load alone, for comparison.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS devforum_bench" -c "CREATE DATABASE devforum_bench" 2>/dev/null
cargo build --release --locked --bin devforum
port=18080
DATABASE_URL="$base/devforum_bench" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=warn \
    DEVFORUM__RATE_LIMITS__LOGIN_PER_MINUTE=100000000 DEVFORUM__EMAIL__TRANSPORT=log \
    target/release/devforum serve >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
curl -fs -o /dev/null -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/auth/register" \
    -d '{"username":"bench_user","email":"bench@example.com","password":"bench password 123"}'

echo "== 1. login flood alone"
wrk -t2 -c32 -d10s --latency -s bench/login.lua "http://127.0.0.1:$port/api/v1/auth/login"
echo "== 2. reads during the login flood"
wrk -t1 -c32 -d12s -s bench/login.lua "http://127.0.0.1:$port/api/v1/auth/login" >/tmp/devforum-login-flood.txt &
flood=$!
sleep 1
wrk -t1 -c8 -d10s --latency "http://127.0.0.1:$port/api/v1/users/bench_user"
wait $flood
echo "== 3. reads alone"
wrk -t1 -c8 -d10s --latency "http://127.0.0.1:$port/api/v1/users/bench_user"
