#!/usr/bin/env bash
# What one shared rate-limit check costs PostgreSQL (issue 21): the statement of
# rate_limit::SHARED_CHECK under pgbench, on a scratch database of scripts/pg's server,
#   1. over 10,000 client addresses (the usual case), 1 and 8 clients;
#   2. on one address hammered by 8 clients at once (every check waits for the row lock).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS devforum_rl_bench" -c "CREATE DATABASE devforum_rl_bench"
trap 'psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS devforum_rl_bench"' EXIT
psql -q "$base/devforum_rl_bench" -c "CREATE UNLOGGED TABLE rate_limit_buckets (key text PRIMARY KEY, tat timestamptz NOT NULL)"
hot="$(mktemp)"; sed 's/random(1, 10000)/random(1, 1)/' bench/rate_limit_check.sql > "$hot"
run() { echo "== $1"; shift; pgbench -n -M prepared -j 2 -T 10 "$@" "$base/devforum_rl_bench" 2>&1 | grep -E "latency average|tps ="; }
run "10,000 addresses, 1 client" -c 1 -f bench/rate_limit_check.sql
run "10,000 addresses, 8 clients" -c 8 -f bench/rate_limit_check.sql
run "one address, 8 clients" -c 8 -f "$hot"
rm -f "$hot"
