#!/usr/bin/env bash
# Community health (#46) on the 100k-thread / 1M-reply data set (devforum_bench, seeded by
# bench/threads.sh: threads over a year, replies weighted to recent days), release build.
# Adds a year of what that set lacks, marked so it is removed afterwards: signups spread over
# the year, 3,000 mentorship requests with outcomes, 300 past meetups with a capacity and
# their going count, 2,000 reports (most handled) and 300 decided appeals. Then:
#   1. `devforum stats backfill` of a year (366 days), printed with its time;
#   2. `devforum stats rollup --day` of yesterday and of today (today holds most of the set's
#      replies: the heaviest day), and the periodic run (today and the 8 settling days);
#   3. GET /admin/stats for a year by day, by week and by month, and 30 days by day, one
#      connection (wrk -t1 -c1 -d10s: latency is the server's time plus loopback), and a year
#      by day with 8 connections;
#   4. a reply's POST with and without the indexes the rollup added to replies (BRIN on
#      created_at), alternated twice (wrk -t2 -c32 -d10s), since it adds work to that path.
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

MARK='stats bench'
cleanup_rows() {
    sql "DELETE FROM appeals WHERE text = '$MARK';
         DELETE FROM reports WHERE details = '$MARK';
         DELETE FROM mentorship_requests WHERE message = '$MARK';
         DELETE FROM meetups WHERE title = '$MARK';
         UPDATE users SET role = 'member' WHERE username = 'seed_user_2';
         DELETE FROM stats_days; DELETE FROM stats_periods; DELETE FROM stats_backfills;" >/dev/null
}
cleanup_rows
echo "== a year of activity"
sql "UPDATE users SET created_at = now() - ((id * 7919) % 365) * interval '1 day' - (id % 86400) * interval '1 second'
     WHERE username LIKE 'seed_user_%'" >/dev/null
# Mentorship: the seeded mentors (first 200 members) asked by others, a third answered within
# hours, a third within days, the rest expired or withdrawn; at most one open request a pair.
sql "WITH asked AS (
         SELECT n, now() - (n % 365) * interval '1 day' - (n % 1440) * interval '1 minute' AS at
         FROM generate_series(1, 3000) n)
     INSERT INTO mentorship_requests (mentee_id, mentor_id, message, goals, status, created_at,
                                      updated_at, answered_at)
     SELECT (SELECT min(id) FROM users) + 200 + (n % 1500), (SELECT min(id) FROM users) + (n % 200),
            '$MARK', 'Learn', s.status, at, at,
            CASE WHEN s.status IN ('accepted', 'completed', 'declined') THEN at + (n % 72) * interval '1 hour'
                 WHEN s.status = 'expired' THEN at + interval '14 days'
                 WHEN s.status = 'withdrawn' THEN at + interval '1 day' END
     FROM asked, LATERAL (SELECT (ARRAY['declined', 'declined', 'completed', 'declined', 'expired',
                                        'withdrawn'])[1 + n % 6] AS status) s" >/dev/null
sql "INSERT INTO meetups (organizer_id, title, description, description_html, starts_at, ends_at,
                          timezone, online_url, capacity, going_count, status, created_at, updated_at)
     SELECT (SELECT min(id) FROM users) + (n % 50), '$MARK', 'Talks', '<p>Talks</p>',
            now() - (n % 365) * interval '1 day', now() - (n % 365) * interval '1 day' + interval '2 hours',
            'UTC', 'https://meet.example/x', 20 + n % 30, (n * 13) % (20 + n % 30), 'scheduled',
            now() - interval '400 days', now() - interval '400 days'
     FROM generate_series(1, 300) n" >/dev/null
sql "INSERT INTO reports (reporter_id, target_type, target_id, reason, details, status, action,
                          handled_by, handled_at, created_at, reporter_trust_level)
     SELECT (SELECT min(id) FROM users) + (n % 2000), 'thread', (SELECT min(id) FROM threads) + n,
            'spam', '$MARK', CASE WHEN n % 10 = 0 THEN 'open' WHEN n % 3 = 0 THEN 'dismissed' ELSE 'resolved' END,
            CASE WHEN n % 10 <> 0 AND n % 3 <> 0 THEN 'none' END,
            CASE WHEN n % 10 <> 0 THEN (SELECT min(id) FROM users) END,
            CASE WHEN n % 10 <> 0 THEN now() - (n % 365) * interval '1 day' + (n % 48) * interval '1 hour' END,
            now() - (n % 365) * interval '1 day', 'member'
     FROM generate_series(1, 2000) n" >/dev/null
sql "WITH log AS (
         INSERT INTO moderation_log (actor_id, action, target_type, target_id, created_at)
         SELECT (SELECT min(id) FROM users), 'hide', 'thread', (SELECT min(id) FROM threads) + n,
                now() - (n % 365) * interval '1 day' - interval '1 day'
         FROM generate_series(1, 300) n RETURNING id, target_id, created_at)
     INSERT INTO appeals (log_id, appellant_id, text, automatic, status, decided_by, decided_at, created_at)
     SELECT id, (SELECT min(id) FROM users) + 1, '$MARK', false,
            CASE WHEN target_id % 4 = 0 THEN 'overturned' ELSE 'upheld' END,
            (SELECT min(id) FROM users), created_at + interval '1 day', created_at
     FROM log" >/dev/null
echo "    $(sql "SELECT count(*) FROM threads") threads, $(sql "SELECT count(*) FROM replies") replies, $(sql "SELECT count(*) FROM member_days") member days, $(sql "SELECT count(*) FROM mentorship_requests") mentorship requests, $(sql "SELECT count(*) FROM reports") reports"

today=$(sql "SELECT (now() AT TIME ZONE 'UTC')::date")
yesterday=$(sql "SELECT (now() AT TIME ZONE 'UTC')::date - 1")
since=$(sql "SELECT (now() AT TIME ZONE 'UTC')::date - 365")
echo "== devforum stats backfill --since $since (a year)"
DATABASE_URL="$url" DEVFORUM__LOG__LEVEL=warn "$bin" stats backfill --since "$since" --restart
echo "== devforum stats rollup --day $yesterday"
DATABASE_URL="$url" DEVFORUM__LOG__LEVEL=warn "$bin" stats rollup --day "$yesterday"
echo "== devforum stats rollup --day $today (the set's heaviest day: $(sql "SELECT replies FROM stats_days WHERE day = '$today'") replies)"
DATABASE_URL="$url" DEVFORUM__LOG__LEVEL=warn "$bin" stats rollup --day "$today"
echo "== devforum stats rollup (the periodic run: today and the 8 days settling)"
DATABASE_URL="$url" DEVFORUM__LOG__LEVEL=warn "$bin" stats rollup

port=18088
DATABASE_URL="$url" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=warn DEVFORUM__WORKER__ENABLED=false \
    DEVFORUM__RATE_LIMITS__REPLIES_PER_HOUR=100000000 DEVFORUM__RATE_LIMITS__LOGIN_PER_MINUTE=1000 \
    DEVFORUM__DATABASE__POOL_SIZE="${POOL_SIZE:-4}" \
    "$bin" serve >/dev/null 2>&1 &
server=$!
started=$(sql "SELECT now()")
cleanup() {
    kill $server 2>/dev/null || true
    sql "DELETE FROM jobs WHERE status = 'pending' AND created_at > '$started'" >/dev/null || true
    sql "CREATE INDEX IF NOT EXISTS replies_created_brin ON replies USING brin (created_at) WITH (autosummarize = on)" >/dev/null || true
    cleanup_rows || true
}
trap cleanup EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
sql "UPDATE users SET role = 'moderator' WHERE username = 'seed_user_2'" >/dev/null
login() {
    curl -fs -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/auth/login" \
        -d "{\"login\":\"$1\",\"password\":\"seed password 123\"}" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
staff=$(login seed_user_2)
run() {
    local name="$1" out; shift
    echo "== $name"
    out="$(wrk "$@")"
    grep -E "Requests/sec|Latency  |50%|90%|99%|Non-2xx|Socket errors" <<<"$out"
}
year="from=$since&to=$today"
curl -fs -H "authorization: Bearer $staff" "http://127.0.0.1:$port/api/v1/admin/stats?$year" \
    | python3 -c 'import json, sys; d = json.load(sys.stdin); print("    a year by day:", len(d["series"]["replies"]), "points; totals:", {k: d["totals"][k] for k in ("active_members", "threads", "replies", "answered_share", "first_reply_minutes_p50", "mentorship_accepted_share", "meetup_fill_share", "report_resolution_hours_p50")})'
for query in "$year" "$year&interval=week" "$year&interval=month" "from=$(sql "SELECT (now() AT TIME ZONE 'UTC')::date - 29")&to=$today" "$year&format=csv"; do
    run "GET /api/v1/admin/stats?$query, one connection" -t1 -c1 -d10s --latency \
        -H "authorization: Bearer $staff" "http://127.0.0.1:$port/api/v1/admin/stats?$query"
done
run "GET /api/v1/admin/stats?$year, 8 connections" -t2 -c8 -d10s --latency \
    -H "authorization: Bearer $staff" "http://127.0.0.1:$port/api/v1/admin/stats?$year"

max_id=$(sql "SELECT max(id) FROM threads")
export MAX_ID=$max_id MIN_ID=$((max_id - 5000)) TOKEN="$(login seed_user_1)"
for pass in 1 2; do
    sql "DROP INDEX IF EXISTS replies_created_brin" >/dev/null
    run "POST /api/v1/threads/{id}/replies without the BRIN index (pass $pass)" -t2 -c32 -d10s --latency \
        -s bench/post_reply.lua "http://127.0.0.1:$port"
    sql "CREATE INDEX replies_created_brin ON replies USING brin (created_at) WITH (autosummarize = on)" >/dev/null
    run "POST /api/v1/threads/{id}/replies with it (pass $pass)" -t2 -c32 -d10s --latency \
        -s bench/post_reply.lua "http://127.0.0.1:$port"
done
