#!/usr/bin/env bash
# Private conversations (#44) on the 100k-thread data set (devforum_bench, seeded by
# bench/threads.sh), release build, worker off, wrk -t2 -c32 -d10s:
#   1. the inbox of a member in 1,000 conversations (5 messages each, a message notification
#      for each, half of them read) against their notification list, same member, same run;
#   2. posting a message in one of those conversations against posting a reply, same run.
# Adds the rows it needs to seed_user_3 (and seed_user_4 … seed_user_1003); run again, it
# reuses them.
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

port=18084
DATABASE_URL="$url" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=warn DEVFORUM__WORKER__ENABLED=false \
    DEVFORUM__RATE_LIMITS__REPLIES_PER_HOUR=100000000 DEVFORUM__RATE_LIMITS__LOGIN_PER_MINUTE=1000 \
    DEVFORUM__DATABASE__POOL_SIZE="${POOL_SIZE:-4}" \
    "$bin" serve >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done

member=$(sql "SELECT id FROM users WHERE username = 'seed_user_3'")
if [ "$(sql "SELECT count(*) FROM conversation_participants WHERE user_id = $member")" -lt 1000 ]; then
    sql "WITH others AS (
             SELECT id, row_number() OVER (ORDER BY id) AS n FROM users
             WHERE username ~ '^seed_user_[0-9]+$' AND id <> $member ORDER BY id LIMIT 1000
         ), made AS (
             INSERT INTO conversations (author_id, subject, created_at, last_message_at)
             SELECT o.id, 'Bench conversation ' || o.n, now() - o.n * interval '1 minute',
                    now() - o.n * interval '1 minute'
             FROM others o ORDER BY o.n RETURNING id, author_id, last_message_at
         ), joined AS (
             INSERT INTO conversation_participants (conversation_id, user_id, last_message_at)
             SELECT id, author_id, last_message_at FROM made
             UNION ALL SELECT id, $member, last_message_at FROM made
         )
         INSERT INTO messages (conversation_id, author_id, body, body_html, created_at)
         SELECT m.id, CASE WHEN k % 2 = 0 THEN $member ELSE m.author_id END,
                'Message ' || k, '<p>Message ' || k || '</p>', m.last_message_at
         FROM made m, generate_series(1, 5) k"
    sql "UPDATE conversations c SET last_message_id = x.last
         FROM (SELECT conversation_id, max(id) AS last FROM messages GROUP BY conversation_id) x
         WHERE x.conversation_id = c.id AND c.last_message_id = 0"
    # Half of them read up to the end; each has its message notification (read or not).
    sql "UPDATE conversation_participants p SET last_read_message_id = c.last_message_id
         FROM conversations c WHERE c.id = p.conversation_id AND p.user_id = $member AND c.id % 2 = 0"
    sql "INSERT INTO notifications (user_id, kind, actor_id, conversation_id, message_id, count, read_at)
         SELECT $member, 'message', c.author_id, c.id, c.last_message_id, 3,
                CASE WHEN c.id % 2 = 0 THEN now() END
         FROM conversations c JOIN conversation_participants p ON p.conversation_id = c.id
         WHERE p.user_id = $member"
    sql "ANALYZE conversations; ANALYZE conversation_participants; ANALYZE messages; ANALYZE notifications"
fi
read -r min_id max_id <<<"$(sql "SELECT min(conversation_id), max(conversation_id) FROM conversation_participants WHERE user_id = $member" | tr '|' ' ')"
max_thread=$(sql "SELECT max(id) FROM threads")
token=$(curl -fs -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/auth/login" \
    -d '{"login":"seed_user_3","password":"seed password 123"}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
echo "== seed_user_3: $(sql "SELECT count(*) FROM conversation_participants WHERE user_id = $member") conversations, $(sql "SELECT count(*) FROM notifications WHERE user_id = $member") notifications"
run() {
    local name="$1"; shift
    local out; out="$(wrk -t2 -c32 -d10s --latency "$@")"
    echo "== $name"
    grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors" <<<"$out"
}
run "GET /api/v1/notifications?limit=20 (the reference)" \
    -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/notifications?limit=20"
run "GET /api/v1/conversations?limit=20 (1,000 conversations, 500 with unread messages)" \
    -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/conversations?limit=20"
MIN_ID=$min_id MAX_ID=$max_id PATH_TEMPLATE="/api/v1/conversations/{id}/messages" \
    run "GET /api/v1/conversations/{id}/messages (random among them)" \
    -H "Authorization: Bearer $token" -s bench/random_get.lua "http://127.0.0.1:$port"
# Writes alternate, twice each, so that neither always runs on the other's dirty pages.
for pass in 1 2; do
    MIN_ID=$((max_thread - 5000)) MAX_ID=$max_thread TOKEN=$token \
        run "POST /api/v1/threads/{id}/replies (the reference, pass $pass)" -s bench/post_reply.lua "http://127.0.0.1:$port"
    MIN_ID=$min_id MAX_ID=$max_id TOKEN=$token \
        run "POST /api/v1/conversations/{id}/messages (random among them, pass $pass)" -s bench/post_message.lua "http://127.0.0.1:$port"
done
