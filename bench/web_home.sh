#!/usr/bin/env bash
# How long the home page of the seeded 100k-thread database takes to show its list in Debian's
# Chromium, served by a release build with the built client (issue 17: within 1 s on loopback).
# Needs the database bench/threads.sh seeds (devforum_bench) and web/node_modules
# (scripts/web build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
bin="${DEVFORUM_BIN:-target/release/devforum}"
[ -n "${DEVFORUM_BIN:-}" ] || cargo build --release --locked --bin devforum
scripts/web ensure
port=18081
DATABASE_URL="$base/devforum_bench" DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=warn \
    DEVFORUM__WORKER__ENABLED=false DEVFORUM__WEB__DIST_DIR=web/dist \
    "$bin" serve >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
DEVFORUM_URL="http://127.0.0.1:$port" CHROMIUM="$(command -v chromium)" node bench/web_home.mjs
