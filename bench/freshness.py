#!/usr/bin/env python3
"""Freshness under write load: how long from a committed post to finding it in search.

    bench/freshness.py                       PostgreSQL engine, 50 replies/s for 30 s
    ENGINE=meilisearch bench/freshness.py    the same on Meilisearch (scripts/meilisearch)
    RATE=100 SECONDS=60 bench/freshness.py

Runs `devforum serve` with its worker on the search benchmark's database (bench/search.py
seeds and indexes it first). Replies go to random recent threads at a steady RATE per second,
each carrying a word no other document has; as soon as a reply is acknowledged (committed),
a poller searches for its word every 20 ms until the reply is a hit. Prints the distribution
of commit-to-searchable times.
"""

import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORT = 18083
ENGINE = os.environ.get("ENGINE", "postgres")
RATE = float(os.environ.get("RATE", "50"))
SECONDS = float(os.environ.get("SECONDS", "30"))
POLL = 0.02


def sh(*cmd):
    return subprocess.run(cmd, cwd=ROOT, check=True, text=True, stdout=subprocess.PIPE).stdout.strip()


def request(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as response:
        return response.status, json.load(response)


def word(n, run_id):
    """A word of letters only, unique to this post and run (digits would split it)."""
    value, letters = run_id * 1_000_000 + n, ""
    while True:
        value, digit = divmod(value, 26)
        letters += chr(ord("a") + digit)
        if value == 0:
            return "zqfresh" + letters


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    sh("scripts/pg", "start")
    base = sh("scripts/pg", "url", "postgres").rsplit("/", 1)[0]
    env = dict(os.environ, DATABASE_URL=f"{base}/devforum_search_bench", DEVFORUM__LOG__LEVEL="warn",
               DEVFORUM__SERVER__PORT=str(PORT), DEVFORUM__SEARCH__ENGINE=ENGINE,
               DEVFORUM__RATE_LIMITS__REPLIES_PER_HOUR="100000000",
               DEVFORUM__RATE_LIMITS__LOGIN_PER_MINUTE="1000")
    if ENGINE == "meilisearch":
        sh("scripts/meilisearch", "start")
        env.update(DEVFORUM__SEARCH__MEILISEARCH__URL=sh("scripts/meilisearch", "url"),
                   DEVFORUM__SEARCH__MEILISEARCH__API_KEY=sh("scripts/meilisearch", "key"),
                   DEVFORUM__SEARCH__MEILISEARCH__INDEX="devforum_bench")
    binary = os.environ.get("DEVFORUM_BIN", "target/release/devforum")
    server = subprocess.Popen([binary, "serve"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if request("GET", "/ready")[1]["search"]["state"] == "up":
                    break
            except Exception:
                pass
            time.sleep(0.2)
        _, login = request("POST", "/api/v1/auth/login",
                           {"login": "seed_user_1", "password": "seed password 123"})
        token = login["access_token"]
        _, page = request("GET", "/api/v1/threads?limit=100")
        threads = [t["id"] for t in page["items"]]
        run_id = int(time.time()) % 10_000
        latencies, lost = [], []
        lock = threading.Lock()

        def post_and_wait(n):
            secret = word(n, run_id)
            thread = random.choice(threads)
            _, reply = request("POST", f"/api/v1/threads/{thread}/replies",
                               {"body": f"Freshness probe {secret}."}, token)
            committed = time.monotonic()
            deadline = committed + 30
            while time.monotonic() < deadline:
                _, found = request("GET", f"/api/v1/search?q={secret}&type=reply&limit=5")
                if any(hit["id"] == reply["id"] for hit in found["hits"]):
                    with lock:
                        latencies.append(time.monotonic() - committed)
                    return
                time.sleep(POLL)
            with lock:
                lost.append(secret)

        total = int(RATE * SECONDS)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=64) as pool:
            futures = []
            for n in range(total):
                # A steady rate: each post leaves at its own moment, whatever the others do.
                delay = started + n / RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(post_and_wait, n))
            for future in futures:
                future.result()
        ms = [1000 * x for x in latencies]
        print(f"{ENGINE}: {len(ms)} replies at {RATE:g}/s for {SECONDS:g} s, commit to searchable: "
              f"p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms, "
              f"p99 {percentile(ms, 99):.0f} ms, max {max(ms):.0f} ms; never found: {len(lost)}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
