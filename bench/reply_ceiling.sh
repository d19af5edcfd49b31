#!/usr/bin/env bash
# The database's ceiling for a reply's work, without the HTTP server: pgbench (-M prepared,
# 32 clients, 2 threads, 10 s each) runs the reply's statements on the seeded devforum_bench:
# as the server sent them before issue 38's last change (eight round trips, with the jobs
# trigger's NOTIFY, then without it), as it sends them now (one statement posts the reply:
# three round trips with the member's row and the rate limit), and with the rate limit kept
# in memory (docs/PERFORMANCE.md, "Where a reply's time goes").
#   bench/reply_ceiling.sh
# The rows it adds are benchmark rows: jobs of kind bench.*, deleted at the end; replies stay,
# as the POST scenario's do.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
url="$base/devforum_bench"
run() { pgbench -n -M prepared -c32 -j2 -T10 -f "$1" "$url" 2>/dev/null \
    | grep -oE "tps = [0-9]+" | grep -oE "[0-9]+"; }
# The shape before, with the jobs trigger's NOTIFY: the same transaction notifying before COMMIT.
with_notify="$(mktemp --suffix=.sql)"
sed "s/^COMMIT;$/SELECT pg_notify('devforum_jobs', '');\nCOMMIT;/" \
    bench/reply_ceiling/eight_round_trips.sql > "$with_notify"
trap 'rm -f "$with_notify"; psql -qX "$url" -c "DELETE FROM jobs WHERE kind LIKE '"'"'bench.%'"'"'"' EXIT
echo "before: 8 round trips, NOTIFY in the transaction: $(run "$with_notify") tps"
echo "before: 8 round trips, no NOTIFY:                 $(run bench/reply_ceiling/eight_round_trips.sql) tps"
echo "now: one statement (3 round trips):               $(run bench/reply_ceiling/one_statement.sql) tps"
echo "one statement, rate limit in memory (2):          $(run bench/reply_ceiling/one_statement_no_rate_limit.sql) tps"
