#!/usr/bin/env bash
# Mentorship, meetups and the calendar feed on their own seeded database (2,000 members,
# 1,000 mentor profiles, 5,000 upcoming meetups with RSVPs), release build, wrk -c32 on the
# same machine:
#   bench/community.sh            seed devforum_community_bench and run every scenario
#   SKIP_SEED=1 bench/community.sh  reuse the seeded database as it is
#   DEVFORUM_BIN=path bench/community.sh  measure another build (a before/after comparison)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
db=devforum_community_bench
url="$base/$db"
bin="${DEVFORUM_BIN:-target/release/devforum}"
[ -n "${DEVFORUM_BIN:-}" ] || cargo build --release --locked --bin devforum
if [ -z "${SKIP_SEED:-}" ]; then
    psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    DATABASE_URL="$url" "$bin" seed --users 2000 --threads 1000 --replies 5000 \
        --mentors 1000 --meetups 5000
fi
port=18081
DATABASE_URL="$url" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=warn DEVFORUM__WORKER__ENABLED=false \
    DEVFORUM__RATE_LIMITS__LOGIN_PER_MINUTE=1000 DEVFORUM__DATABASE__POOL_SIZE="${POOL_SIZE:-4}" \
    "$bin" serve >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done

token=$(curl -fs -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/auth/login" \
    -d '{"login":"seed_user_1999","password":"seed password 123"}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
run() { echo "== $1"; shift; wrk -t2 -c32 -d10s --latency "$@" | grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors"; }
api="http://127.0.0.1:$port/api/v1"

run "GET /mentors?limit=20" "$api/mentors?limit=20"
run "GET /mentors?skill=rust&language=en&accepting=true&limit=20" "$api/mentors?skill=rust&language=en&accepting=true&limit=20"
run "GET /meetups?limit=20" "$api/meetups?limit=20"
run "GET /meetups?city=Tokyo&limit=20" "$api/meetups?city=Tokyo&limit=20"
export MIN_ID=$(psql -tA "$url" -c "SELECT min(id) FROM meetups") MAX_ID=$(psql -tA "$url" -c "SELECT max(id) FROM meetups")
PATH_TEMPLATE="/api/v1/meetups/{id}" run "GET /meetups/{id} (random)" -s bench/random_get.lua "http://127.0.0.1:$port"
PATH_TEMPLATE="/api/v1/meetups/{id}/calendar.ics" run "GET /meetups/{id}/calendar.ics (random)" \
    -s bench/random_get.lua "http://127.0.0.1:$port"
run "GET /meetups/calendar.ics (500 events, 6 zones)" "$api/meetups/calendar.ics"
TOKEN=$token run "PUT /meetups/{id}/rsvp (random, one member)" -s bench/rsvp.lua "http://127.0.0.1:$port"
# Every request on one meetup: the row lock serialises them.
TOKEN=$token MIN_ID=$MIN_ID MAX_ID=$MIN_ID run "PUT /meetups/{id}/rsvp (one hot meetup)" -s bench/rsvp.lua "http://127.0.0.1:$port"
