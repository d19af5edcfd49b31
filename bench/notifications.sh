#!/usr/bin/env bash
# Notifications on the 100k-thread data set (devforum_bench, seeded by bench/threads.sh),
# release build, worker on:
#   1. fan-out: one reply to a thread 10,000 members watch; time from the reply's 201 to the
#      last notification row (the worker runs notify_reply);
#   2. the inbox and the unread count of a member with 2,000 notifications (1,000 unread)
#      under wrk -t2 -c32 -d10s.
# Adds 10,000 members (bench_watcher_N) and the rows it needs; run again, it reuses them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
url="$base/devforum_bench"
bin="${DEVFORUM_BIN:-target/release/devforum}"
[ -n "${DEVFORUM_BIN:-}" ] || cargo build --release --locked --bin devforum
sql() { psql -qtA "$url" -c "$1"; }

port=18083
DATABASE_URL="$url" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=warn \
    DEVFORUM__RATE_LIMITS__REPLIES_PER_HOUR=100000000 DEVFORUM__RATE_LIMITS__LOGIN_PER_MINUTE=1000 \
    "$bin" serve >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done

thread=$(sql "SELECT min(id) FROM threads WHERE NOT hidden AND NOT locked AND deleted_at IS NULL")
sql "INSERT INTO users (username, email, password_hash, email_verified)
     SELECT 'bench_watcher_' || n, 'bench_watcher_' || n || '@example.com', 'x', true
     FROM generate_series(1, 10000) n ON CONFLICT DO NOTHING"
sql "INSERT INTO thread_subscriptions (user_id, thread_id, level, reason)
     SELECT id, $thread, 'watching', 'chosen' FROM users WHERE username LIKE 'bench\\_watcher\\_%'
     ON CONFLICT DO NOTHING"
token=$(curl -fs -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/auth/login" \
    -d '{"login":"seed_user_1","password":"seed password 123"}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

echo "== fan-out: one reply, $(sql "SELECT count(*) FROM thread_subscriptions WHERE thread_id = $thread AND level = 'watching'") watchers"
started=$(date +%s.%N)
reply=$(curl -fs -H "authorization: Bearer $token" -H 'content-type: application/json' \
    "http://127.0.0.1:$port/api/v1/threads/$thread/replies" -d '{"body":"A reply ten thousand members hear of."}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
until [ "$(sql "SELECT count(*) FROM jobs WHERE kind = 'notify_reply'")" = 0 ]; do sleep 0.01; done
ended=$(date +%s.%N)
echo "notified $(sql "SELECT count(*) FROM notification_deliveries WHERE event = 'reply:$reply'") members in $(python3 -c "print(round(($ended - $started) * 1000))") ms"

# A member with 2,000 notifications (mentions: replies would group), half of them read.
user=$(sql "SELECT id FROM users WHERE username = 'seed_user_2'")
if [ "$(sql "SELECT count(*) FROM notifications WHERE user_id = $user")" -lt 2000 ]; then
    sql "INSERT INTO notifications (user_id, kind, actor_id, thread_id, reply_id, read_at)
         SELECT $user, 'mention', r.author_id, r.thread_id, r.id,
                CASE WHEN row_number() OVER () % 2 = 0 THEN now() END
         FROM replies r WHERE NOT r.hidden AND r.deleted_at IS NULL ORDER BY r.id DESC LIMIT 2000"
fi
reader=$(curl -fs -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/auth/login" \
    -d '{"login":"seed_user_2","password":"seed password 123"}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
run() { echo "== $1"; shift; wrk -t2 -c32 -d10s --latency "$@" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"; }
run "GET /api/v1/notifications/unread-count ($(sql "SELECT count(*) FROM notifications WHERE user_id = $user AND read_at IS NULL") unread)" \
    -H "authorization: Bearer $reader" "http://127.0.0.1:$port/api/v1/notifications/unread-count"
run "GET /api/v1/notifications?limit=20" -H "authorization: Bearer $reader" "http://127.0.0.1:$port/api/v1/notifications?limit=20"
run "GET /api/v1/notifications?unread=true&limit=20" -H "authorization: Bearer $reader" "http://127.0.0.1:$port/api/v1/notifications?unread=true&limit=20"
