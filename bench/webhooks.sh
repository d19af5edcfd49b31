#!/usr/bin/env bash
# Webhooks (#45) on the 100k-thread data set (devforum_bench, seeded by bench/threads.sh),
# release build, wrk -t2 -c32 -d10s:
#   1. a reply's POST with no hook against the same with 20 active hooks listening to
#      `reply.created` (the server's worker off: the request writes the outbox's job, the
#      deliveries happen in a worker), alternated twice, same run;
#   2. 1,000 events delivered to a receiver on loopback (20 hooks × 50 replies' events) by one
#      `devforum worker` process: the time from enqueueing to the last delivery, and
#      deliveries per second.
# Leaves no hook behind (the replies it posts stay, as bench/threads.sh's do).
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

# A receiver that answers 204 at once (Python's threading server on loopback).
hook_port=18085
python3 - "$hook_port" <<'PY' > /dev/null 2>&1 &
import http.server, sys
class Ok(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(204); self.end_headers()
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Ok).serve_forever()
PY
receiver=$!
port=18086
DATABASE_URL="$url" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=warn DEVFORUM__WORKER__ENABLED=false \
    DEVFORUM__RATE_LIMITS__REPLIES_PER_HOUR=100000000 DEVFORUM__RATE_LIMITS__LOGIN_PER_MINUTE=1000 \
    DEVFORUM__DATABASE__POOL_SIZE="${POOL_SIZE:-4}" \
    "$bin" serve >/dev/null 2>&1 &
server=$!
cleanup() {
    kill $server $receiver 2>/dev/null || true
    sql "DELETE FROM webhooks; DELETE FROM webhook_events; DELETE FROM jobs WHERE kind LIKE 'webhooks.%'" || true
}
trap cleanup EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
sql "DELETE FROM webhooks; DELETE FROM webhook_events; DELETE FROM jobs WHERE kind LIKE 'webhooks.%'"

started=$(sql "SELECT now()")
max_id=$(sql "SELECT max(id) FROM threads")
export MAX_ID=$max_id MIN_ID=$((max_id - 5000))
TOKEN=$(curl -fs -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/auth/login" \
    -d '{"login":"seed_user_1","password":"seed password 123"}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
export TOKEN
run() {
    local name="$1" out; shift
    echo "== $name"
    out="$(wrk -t2 -c32 -d10s --latency "$@")"
    grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors" <<<"$out"
}
hooks() {
    # Each step starts from the same queue: the jobs the steps before left (a reply's search
    # sync and notifications, the outbox's events) would otherwise grow it run after run.
    sql "DELETE FROM jobs WHERE status = 'pending' AND created_at > '$started'"
    sql "DELETE FROM webhooks"
    if [ "$1" -gt 0 ]; then
        sql "INSERT INTO webhooks (url, events, format, secret)
             SELECT 'http://127.0.0.1:$hook_port/hook/' || n, ARRAY['reply.created'], 'standard',
                    'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
             FROM generate_series(1, $1) n"
    fi
}
for pass in 1 2; do
    hooks 0
    run "POST /api/v1/threads/{id}/replies, no hook (pass $pass)" -s bench/post_reply.lua "http://127.0.0.1:$port"
    hooks 20
    run "POST /api/v1/threads/{id}/replies, 20 hooks listening (pass $pass)" -s bench/post_reply.lua "http://127.0.0.1:$port"
done
echo "    outbox jobs written in the last step (20 hooks listening): $(sql "SELECT count(*) FROM jobs WHERE kind = 'webhooks.event'")"
sql "DELETE FROM jobs WHERE status = 'pending' AND created_at > '$started'"
kill $server 2>/dev/null || true

# 2. 1,000 deliveries: 20 hooks × the events of 50 replies, delivered by one worker process.
# The POSTs above left their other jobs pending (the server ran no worker): parked for the run,
# so the worker does webhooks' work alone, and put back after.
park="status = 'pending' AND kind NOT LIKE 'webhooks.%'"
sql "UPDATE jobs SET run_at = run_at + interval '100 years' WHERE $park"
trap 'cleanup; sql "UPDATE jobs SET run_at = run_at - interval '"'"'100 years'"'"' WHERE $park AND run_at > now() + interval '"'"'50 years'"'"'"' EXIT
hooks 20
sql "INSERT INTO jobs (kind, payload)
     SELECT 'webhooks.event', jsonb_build_object('type', 'reply.created', 'subject', id)
     FROM (SELECT id FROM replies WHERE NOT hidden AND deleted_at IS NULL ORDER BY id DESC LIMIT 50) r"
start=$(date +%s.%N)
DATABASE_URL="$url" DEVFORUM__LOG__LEVEL=warn DEVFORUM__WEBHOOKS__ALLOW_HOSTS="127.0.0.1:$hook_port" \
    "$bin" worker >/dev/null 2>&1 &
worker=$!
for _ in $(seq 600); do
    done_count=$(sql "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'")
    [ "$done_count" -ge 1000 ] && break
    sleep 0.1
done
end=$(date +%s.%N)
kill $worker 2>/dev/null || true
failed=$(sql "SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'")
python3 -c "s = $end - $start; print(f'== 1,000 events (20 hooks x 50 replies) delivered by one worker: {s:.2f} s, {1000 / s:.0f} deliveries/s ({$done_count} delivered, {$failed} not)')"
