#!/usr/bin/env python3
"""1,000 open notification streams on one `devforum serve` process: memory per stream and
delivery latency.

    DEVFORUM_BIN=target/release/devforum bench/notification_streams.py
    STREAMS=1000 REPLIES=20 bench/notification_streams.py   (the defaults)

Uses a database of its own (devforum_stream_bench, recreated each run): STREAMS members, each
signed in and holding `GET /api/v1/notifications/stream` open on the one server process
(worker on), all watching REPLIES threads. The members sign in through a second server process
(argon2's memory would otherwise stay in the measured one's resident set), which then stops;
their access tokens work on any process. Memory: the streaming server's resident set size with
no stream open, then with every stream open (after their opening events), divided by the number
of streams. Latency: REPLIES replies, one a second, each to its own watched thread (so no
notification groups with the one before), by a member who is not watching; for every stream,
the time from the reply's 201 to the arrival of its `notification` event (fan-out in the
worker, commit, LISTEN/NOTIFY, the stream's read of the row, the write to the socket). The
client is Python asyncio on the same two cores, so the figures include its own delay.
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = "devforum_stream_bench"
PORT = 18084
STREAMS = int(os.environ.get("STREAMS", "1000"))
REPLIES = int(os.environ.get("REPLIES", "20"))
PASSWORD = "bench password 1"


def run(cmd, env=None):
    result = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, **(env or {})), text=True,
                            capture_output=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


def log(message):
    print(message, file=sys.stderr, flush=True)


def psql(url, sql):
    return run(["psql", "-X", "-q", "-t", "-A", url, "-c", sql])


def call(method, path, body=None, token=None, port=PORT):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        text = response.read()
        return json.loads(text) if text else None


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Stream:
    """One open stream: a raw HTTP/1.1 connection read line by line."""

    def __init__(self, token):
        self.token = token
        self.arrivals = {}  # reply id -> monotonic arrival time
        self.opened = asyncio.Event()

    async def run(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", PORT, limit=1 << 20)
        writer.write((f"GET /api/v1/notifications/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n\r\n")
                     .encode())
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"stream refused: {status!r}")
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        event = None
        while True:
            line = await reader.readline()
            if not line:
                return
            # Chunked transfer: size lines and blank lines carry no event text.
            text = line.decode().rstrip("\r\n")
            if text.startswith("event: "):
                event = text[7:]
            elif text.startswith("data: "):
                data = json.loads(text[6:])
                if event == "unread":
                    self.opened.set()
                elif event == "notification" and "reply_id" in data:
                    self.arrivals.setdefault(data["reply_id"], time.monotonic())


async def main():
    bin_path = os.environ.get("DEVFORUM_BIN", "target/release/devforum")
    run(["scripts/pg", "start"])
    base = run(["scripts/pg", "url", "postgres"]).rsplit("/", 1)[0]
    admin = f"{base}/postgres"
    url = f"{base}/{DB}"
    psql(admin, f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(admin, f"CREATE DATABASE {DB}")
    env = dict(DATABASE_URL=url, DEVFORUM__LOG__LEVEL="warn",
               DEVFORUM__DATABASE__MIGRATE_ON_START="true",
               DEVFORUM__RATE_LIMITS__LOGIN_PER_MINUTE="100000",
               DEVFORUM__RATE_LIMITS__REGISTER_PER_HOUR="100000",
               DEVFORUM__RATE_LIMITS__REPLIES_PER_HOUR="100000",
               DEVFORUM__RATE_LIMITS__THREADS_PER_HOUR="100000",
               DEVFORUM__AUTH__ACCESS_TOKEN_TTL_SECS="900")

    def start(port, worker):
        process = subprocess.Popen(
            [bin_path, "serve"], cwd=ROOT,
            env=dict(os.environ, **env, DEVFORUM__SERVER__PORT=str(port),
                     DEVFORUM__WORKER__ENABLED="true" if worker else "false"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health")
                return process
            except OSError:
                time.sleep(0.2)
        sys.exit(f"devforum serve did not start on port {port}")

    signer = start(PORT + 1, worker=False)
    try:
        # One registered member gives the password hash every other member reuses.
        call("POST", "/auth/register", {"username": "bench_poster", "email": "poster@example.com",
                                        "password": PASSWORD}, port=PORT + 1)
        psql(url, f"""UPDATE users SET email_verified = true;
            INSERT INTO users (username, email, password_hash, email_verified)
            SELECT 'bench_reader_' || n, 'reader' || n || '@example.com',
                   (SELECT password_hash FROM users WHERE username = 'bench_poster'), true
            FROM generate_series(1, {STREAMS}) n""")
        call("POST", "/auth/register", {"username": "bench_replier", "email": "replier@example.com",
                                        "password": PASSWORD}, port=PORT + 1)
        # Both post more than a `new` account may (issue 23): an admin's pin makes them regular.
        psql(url, "UPDATE users SET email_verified = true, trust_level = 'regular', "
                  "trust_level_pinned = true WHERE username IN ('bench_poster', 'bench_replier')")
        poster = call("POST", "/auth/login", {"login": "bench_poster", "password": PASSWORD},
                      port=PORT + 1)
        replier = call("POST", "/auth/login", {"login": "bench_replier", "password": PASSWORD},
                       port=PORT + 1)
        threads = [call("POST", "/threads", {"title": f"Streams under load {n}",
                                             "body": "Every reader watches this."},
                        poster["access_token"], port=PORT + 1)["id"]
                   for n in range(REPLIES)]
        psql(url, f"""INSERT INTO thread_subscriptions (user_id, thread_id, level, reason)
            SELECT u.id, t, 'watching', 'chosen' FROM users u,
                   unnest(ARRAY[{','.join(str(t) for t in threads)}]::int8[]) t
            WHERE u.username LIKE 'bench_reader_%'""")
        log(f"signing in {STREAMS} members")
        loop = asyncio.get_running_loop()
        tokens = await asyncio.gather(*[
            loop.run_in_executor(None, lambda n=n: call(
                "POST", "/auth/login", {"login": f"bench_reader_{n}", "password": PASSWORD},
                port=PORT + 1)["access_token"])
            for n in range(1, STREAMS + 1)])
    finally:
        signer.terminate()
        signer.wait(timeout=30)

    server = start(PORT, worker=True)
    try:
        await asyncio.sleep(2)
        before = rss_kib(server.pid)
        streams = [Stream(token) for token in tokens]
        tasks = [asyncio.create_task(stream.run()) for stream in streams]
        await asyncio.wait_for(asyncio.gather(*[s.opened.wait() for s in streams]), 120)
        await asyncio.sleep(2)
        after = rss_kib(server.pid)
        log(f"{STREAMS} streams open: RSS {before} KiB -> {after} KiB")

        sent = {}
        posted = {}  # reply id -> its created_at (the database's clock)
        for thread in threads:
            started = time.monotonic()
            reply = await loop.run_in_executor(None, lambda thread=thread: call(
                "POST", f"/threads/{thread}/replies", {"body": "A reply for everyone."},
                replier["access_token"]))
            sent[reply["id"]] = time.monotonic()
            posted[reply["id"]] = reply["created_at"]
            # Replies a second apart, each in a thread of its own: one new notification each.
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
        await asyncio.sleep(5)
        latencies = []
        missing = 0
        for stream in streams:
            for reply_id, at in sent.items():
                arrived = stream.arrivals.get(reply_id)
                if arrived is None:
                    missing += 1
                else:
                    latencies.append((arrived - at) * 1000)
        for task in tasks:
            task.cancel()
        # Where the time goes, per reply: the worker's start on the fan-out (the notification
        # rows' time, the fan-out transaction's start, against the reply's, both the
        # database's clock), then the first and the last of the streams' arrivals after the
        # reply's 201 (the spread is the delivery to 1,000 streams and this client's reading).
        ids = ",".join(str(i) for i in sent)
        pickup = [float(x) * 1000 for x in psql(url, f"""
            SELECT extract(epoch FROM min(n.created_at) - r.created_at) FROM notifications n
            JOIN replies r ON r.id = n.reply_id WHERE n.reply_id IN ({ids})
            GROUP BY r.id, r.created_at""").split()]
        firsts, lasts = [], []
        for reply_id, at in sent.items():
            arrived = [s.arrivals[reply_id] for s in streams if reply_id in s.arrivals]
            if arrived:
                firsts.append((min(arrived) - at) * 1000)
                lasts.append((max(arrived) - at) * 1000)
        med = statistics.median
        log(f"per reply (median of {len(sent)}): fan-out started {med(pickup):.0f} ms after the "
            f"reply; first stream {med(firsts):.0f} ms, last stream {med(lasts):.0f} ms after "
            f"its 201")
        latencies.sort()
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
        print(f"| streams | RSS before | RSS with streams | per stream | deliveries | missing "
              f"| p50 | p99 | max |")
        print("|---|---|---|---|---|---|---|---|---|")
        print(f"| {STREAMS} | {before / 1024:.1f} MiB | {after / 1024:.1f} MiB "
              f"| {(after - before) / STREAMS:.1f} KiB | {len(latencies)} | {missing} "
              f"| {statistics.median(latencies):.0f} ms | {p(0.99):.0f} ms "
              f"| {latencies[-1]:.0f} ms |")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
