#!/usr/bin/env bash
# The database's ceiling for a reply's work, without the HTTP server: pgbench (-M prepared,
# 32 clients, 2 threads, 10 s each) runs the reply's statements on the seeded devforum_bench
# as the server sends them today, then as one statement, so the gain of each restructuring is
# known before it is built (docs/PERFORMANCE.md, "Where a reply's time goes").
#   bench/reply_ceiling.sh
# The variants after the first run with the jobs table's NOTIFY trigger disabled (enabled
# again at the end). The rows it adds are benchmark rows: jobs of kind bench.*, deleted at the
# end; replies stay, as the POST scenario's do.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
url="$base/devforum_bench"
run() { pgbench -n -M prepared -c32 -j2 -T10 -f "bench/reply_ceiling/$1.sql" "$url" 2>/dev/null \
    | grep -oE "tps = [0-9]+" | grep -oE "[0-9]+"; }
restore() { psql -qX "$url" -c "ALTER TABLE jobs ENABLE TRIGGER jobs_notify_insert" \
    -c "DELETE FROM jobs WHERE kind LIKE 'bench.%'"; }
trap restore EXIT
echo "today (8 round trips):                          $(run today) tps"
psql -qX "$url" -c "ALTER TABLE jobs DISABLE TRIGGER jobs_notify_insert"
echo "today, no NOTIFY in the transaction:            $(run today) tps"
echo "one statement (3 round trips):                  $(run one_statement) tps"
echo "one statement, rate limit in memory (2):        $(run one_statement_no_rate_limit) tps"
