#!/usr/bin/env bash
# One digest run on the 100k-thread / 1M-reply set (devforum_bench, seeded by bench/threads.sh):
# DUE seeded members (default: all of them) made due a weekly digest, one `notification.digests`
# job, and a `devforum worker` alone on it (concurrency 1, mail logged, not sent). Prints the
# job's time from claim to end and the digests it enqueued.
#   bench/digest.sh
#   DUE=200 DEVFORUM_BIN=<another build> bench/digest.sh
#   DB=<a copy of devforum_bench> bench/digest.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
url="$base/${DB:-devforum_bench}"
bin="${DEVFORUM_BIN:-target/release/devforum}"
[ -n "${DEVFORUM_BIN:-}" ] || cargo build --release --locked --bin devforum
sql() { psql -qtA "$url" -c "$1"; }
due="${DUE:-1000000}"

sql "DELETE FROM jobs WHERE kind IN ('notification.digests', 'email.send')"
# The POST benchmarks leave their fan-out jobs pending (their server runs no worker): parked
# for the run, so the worker measured here runs the digest alone, then put back.
park="status = 'pending' AND kind <> 'notification.digests'"
sql "UPDATE jobs SET run_at = run_at + interval '100 years' WHERE $park"
sql "UPDATE users SET digest = 'never' WHERE username LIKE 'seed\\_user\\_%'"
sql "UPDATE users SET digest = 'weekly', last_digest_at = now() - interval '8 days', last_seen_at = NULL,
            email_verified = true, email_undeliverable_at = NULL, suspended_at = NULL
     WHERE id IN (SELECT id FROM users WHERE username LIKE 'seed\\_user\\_%' ORDER BY id LIMIT $due)"
echo "== members due a weekly digest: $(sql "SELECT count(*) FROM users WHERE digest = 'weekly' AND last_digest_at < now() - interval '7 days'")"
echo "== replies in the last 7 days: $(sql "SELECT count(*) FROM replies WHERE created_at > now() - interval '7 days'")"
job=$(sql "INSERT INTO jobs (kind, payload) VALUES ('notification.digests', '{}') RETURNING id" | head -1)

log="$(mktemp)"
DATABASE_URL="$url" DEVFORUM__LOG__LEVEL=info DEVFORUM__EMAIL__TRANSPORT=log \
    DEVFORUM__WORKER__CONCURRENCY=1 DEVFORUM__WORKER__LEASE_SECS=7200 \
    DEVFORUM__NOTIFICATIONS__DIGEST_INTERVAL_SECS=0 \
    "$bin" worker > "$log" 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null || true; rm -f "$log"
      sql "UPDATE jobs SET run_at = run_at - interval '"'"'100 years'"'"' WHERE $park AND run_at > now() + interval '"'"'50 years'"'"'"' EXIT
started=$(date +%s.%N)
until [ -z "$(sql "SELECT 1 FROM jobs WHERE id = $job AND status IN ('pending', 'running')")" ]; do sleep 0.2; done
ended=$(date +%s.%N)
status=$(sql "SELECT coalesce((SELECT status FROM jobs WHERE id = $job), 'done')")
# The run's own count (its log line): the worker's mail lane sends some while the run goes on.
for _ in $(seq 50); do grep -q "digest run" "$log" && break; sleep 0.1; done
digests=$(grep "digest run" "$log" | grep -oE "sent=[0-9]+" | tail -1 | cut -d= -f2)
echo "== digest run: $status in $(python3 -c "print(round($ended - $started, 1))") s; ${digests:-?} digests sent"
sql "DELETE FROM jobs WHERE kind = 'email.send'"
