#!/usr/bin/env python3
"""GET /api/v1/search on the 100k-thread / 1M-reply data set, by query class, on both engines,
with Meilisearch's own search endpoint measured in the same run.

    bench/search.py                 seed devforum_search_bench, index it on both engines (timed),
                                    then load every query class
    SKIP_SEED=1 bench/search.py     reuse the seeded, indexed database and Meilisearch index
    ENGINES=postgres bench/search.py  one engine only (postgres, meilisearch or both)

Meilisearch is the private server of scripts/meilisearch (MEILISEARCH_BIN or `meilisearch` on
the PATH). Queries are chosen by their measured document frequency: common (in >= 10 % of
documents), medium (0.1-1 %), rare (< 0.01 %), then two words, a phrase, a typo, a tag filter,
a type filter and the empty query. Every class runs `wrk -t2 -c32 -d10s` (DURATION overrides)
against devforum, and for Meilisearch also against `POST /indexes/<uid>/search` with exactly
the request devforum sends, so devforum's cost over its engine is a ratio. Writes a markdown
table to stdout and the raw figures to .local/bench/search.json.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = "devforum_search_bench"
INDEX = "devforum_bench"
PORTS = {"postgres": 18081, "meilisearch": 18082}
DURATION = os.environ.get("DURATION", "10s")
SAMPLE_SEED = 20261124


def run(cmd, env=None, capture=True, check=True):
    merged = dict(os.environ, **(env or {}))
    result = subprocess.run(
        cmd, cwd=ROOT, env=merged, text=True, check=False,
        stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None,
    )
    if check and result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip() if capture else ""


def log(message):
    print(message, file=sys.stderr, flush=True)


def psql(url, sql):
    return run(["psql", "-X", "-q", "-t", "-A", "-F", "\t", url, "-c", sql])


class Bench:
    def __init__(self):
        run(["scripts/pg", "start"])
        base = run(["scripts/pg", "url", "postgres"]).rsplit("/", 1)[0]
        self.base = base
        self.url = f"{base}/{DB}"
        self.binary = os.environ.get("DEVFORUM_BIN", "target/release/devforum")
        self.engines = {
            "both": ["postgres", "meilisearch"],
            "postgres": ["postgres"],
            "meilisearch": ["meilisearch"],
        }[os.environ.get("ENGINES", "both")]
        self.figures = {"indexing": {}, "queries": {}, "classes": {}}

    # --- data -------------------------------------------------------------------------------

    def build(self):
        if "DEVFORUM_BIN" not in os.environ:
            log("building the release binary")
            run(["cargo", "build", "--release", "--locked", "--bin", "devforum"], capture=False)

    def seed(self):
        if os.environ.get("SKIP_SEED"):
            if "meilisearch" in self.engines and not self.meili_index_exists():
                self.reindex("meilisearch")
            return
        log("seeding 100k threads / 1M replies")
        psql(f"{self.base}/postgres", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        psql(f"{self.base}/postgres", f"CREATE DATABASE {DB}")
        run([self.binary, "seed", "--users", "2000", "--threads", "100000", "--replies", "1000000"],
            env={"DATABASE_URL": self.url}, capture=False)
        for engine in self.engines:
            self.reindex(engine)

    def engine_env(self, engine):
        env = {"DATABASE_URL": self.url, "DEVFORUM__LOG__LEVEL": "warn",
               "DEVFORUM__SEARCH__ENGINE": engine}
        if engine == "meilisearch":
            env.update({
                "DEVFORUM__SEARCH__MEILISEARCH__URL": self.meili_url,
                "DEVFORUM__SEARCH__MEILISEARCH__API_KEY": self.meili_key,
                "DEVFORUM__SEARCH__MEILISEARCH__INDEX": INDEX,
                "DEVFORUM__SEARCH__MEILISEARCH__TIMEOUT_MS": "10000",
            })
        return env

    def reindex(self, engine):
        log(f"reindexing on {engine}")
        started = time.monotonic()
        out = run([self.binary, "reindex"], env=self.engine_env(engine))
        elapsed = time.monotonic() - started
        log(out)
        self.figures["indexing"][engine] = {"seconds": round(elapsed, 1), "report": out}

    def meili_index_exists(self):
        request = urllib.request.Request(f"{self.meili_url}/indexes/{INDEX}/stats",
                                         headers={"Authorization": f"Bearer {self.meili_key}"})
        try:
            stats = json.load(urllib.request.urlopen(request, timeout=5))
            return stats.get("numberOfDocuments", 0) > 0
        except Exception:
            return False

    def start_meilisearch(self):
        if "meilisearch" not in self.engines:
            return
        run(["scripts/meilisearch", "start"], capture=False)
        self.meili_url = run(["scripts/meilisearch", "url"])
        self.meili_key = run(["scripts/meilisearch", "key"])

    # --- queries by class ---------------------------------------------------------------------

    def vocabulary(self, section):
        words, current = [], None
        with open(os.path.join(ROOT, "src/seed/vocabulary.txt")) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith("["):
                    current = line.strip("[]")
                elif current == section:
                    words.append(line)
        return words

    def document_count(self):
        return int(psql(self.url, "SELECT count(*) FROM search_documents"))

    def frequency(self, word):
        """Documents matching a query exactly as the PostgreSQL engine reads it."""
        literal = word.replace("'", "''")
        return int(psql(self.url,
            f"SELECT count(*) FROM search_documents WHERE document @@ "
            f"websearch_to_tsquery('english', search_text('{literal}'))"))

    def choose_queries(self):
        cache = os.path.join(ROOT, ".local/bench/search-queries.json")
        if os.environ.get("SKIP_SEED") and os.path.exists(cache):
            with open(cache) as f:
                return json.load(f)
        log("measuring document frequencies to choose the queries")
        total = self.document_count()
        technical = self.vocabulary("technical")
        array = ",".join(f'"{w}"' for w in technical)
        rows = psql(self.url, f"""
            WITH sample AS MATERIALIZED (
                SELECT document FROM search_documents TABLESAMPLE SYSTEM (2) REPEATABLE ({SAMPLE_SEED})),
            stats AS (SELECT word, ndoc FROM ts_stat('SELECT document FROM search_documents
                      TABLESAMPLE SYSTEM (2) REPEATABLE ({SAMPLE_SEED})')),
            vocab AS (SELECT w, (tsvector_to_array(to_tsvector('english', w)))[1] AS lexeme
                      FROM unnest('{{{array}}}'::text[]) AS w)
            SELECT v.w, s.ndoc::float / (SELECT count(*) FROM sample)
            FROM vocab v JOIN stats s ON s.word = v.lexeme""")
        share = {}
        for line in rows.splitlines():
            word, fraction = line.split("\t")
            share.setdefault(word, float(fraction))
        common = sorted((w for w, s in share.items() if s >= 0.12), key=lambda w: -share[w])
        medium = sorted((w for w, s in share.items() if 0.0015 <= s < 0.007 and len(w) >= 6),
                        key=lambda w: -share[w])
        # Rare: tokens seen once in the sample that are code identifiers, then checked in full.
        candidates = psql(self.url, f"""
            SELECT word FROM ts_stat('SELECT document FROM search_documents
                   TABLESAMPLE SYSTEM (2) REPEATABLE ({SAMPLE_SEED})')
            WHERE ndoc = 1 AND word ~ '^[a-z]{{12,}}$' ORDER BY word LIMIT 40""").splitlines()

        def pick(words, n, low, high):
            chosen = []
            step = max(1, len(words) // (n * 2))
            for word in words[::step]:
                count = self.frequency(word)
                if low <= count / total < high:
                    chosen.append({"q": word, "documents": count})
                if len(chosen) == n:
                    break
            return chosen

        classes = {
            "common": pick(common, 6, 0.10, 1.0),
            "medium": pick(medium, 6, 0.001, 0.01),
            "rare": pick(candidates, 6, 0.0, 0.0001),
        }
        common_q = [c["q"] for c in classes["common"]]
        medium_q = [c["q"] for c in classes["medium"]]
        phrases = ["borrow checker", "race condition", "memory leak", "connection pool"]
        queries = {
            "common": [{"q": c["q"]} for c in classes["common"]],
            "medium": [{"q": c["q"]} for c in classes["medium"]],
            "rare": [{"q": c["q"]} for c in classes["rare"]],
            "two words": [{"q": f"{a} {b}"} for a, b in zip(common_q, medium_q)],
            "phrase": [{"q": f'"{p}"'} for p in phrases],
            "typo": [{"q": w[:2] + w[3:]} for w in medium_q],
            "tag filter": [{"q": w, "tag": t} for w, t in zip(common_q, ["rust", "python", "javascript", "go", "postgres", "devops"])],
            "type filter": [{"q": w, "type": "thread"} for w in common_q],
            "empty": [{"q": ""}, {"q": "", "type": "thread"}],
        }
        for name, counted in classes.items():
            self.figures["classes"][name] = counted
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        with open(cache, "w") as f:
            json.dump(queries, f, indent=1)
        return queries

    # --- load -------------------------------------------------------------------------------

    def serve(self, engine):
        env = self.engine_env(engine)
        env.update({"DEVFORUM__SERVER__PORT": str(PORTS[engine]), "DEVFORUM__WORKER__ENABLED": "false",
                    "DEVFORUM__DATABASE__POOL_SIZE": os.environ.get("POOL_SIZE", "4")})
        server = subprocess.Popen([self.binary, "serve"], cwd=ROOT, env=dict(os.environ, **env),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                ready = json.load(urllib.request.urlopen(f"http://127.0.0.1:{PORTS[engine]}/ready", timeout=2))
                if ready["search"]["state"] == "up":
                    return server
            except Exception:
                pass
            time.sleep(0.2)
        server.kill()
        sys.exit(f"devforum on {engine} did not become ready")

    def wrk(self, script, url, env):
        out = run(["wrk", "-t2", "-c32", f"-d{DURATION}", "--latency", "-s", script, url],
                  env=env)
        figures = {"requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
        for label, key in [("50%", "p50"), ("95%", "p95"), ("99%", "p99")]:
            match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\b", out, re.M)
            if match:
                value, unit = float(match.group(1)), match.group(2)
                figures[key] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        figures["non_2xx"] = int(errors.group(1)) if errors else 0
        return figures

    def devforum_query(self, query):
        params = {"q": query["q"]}
        for key in ("type", "tag"):
            if key in query:
                params[key] = query[key]
        return urllib.parse.urlencode(params)

    def meili_body(self, query):
        """What devforum's Meilisearch adapter sends for this query (src/search/meili.rs)."""
        filters = []
        if "type" in query:
            filters.append(f'type = "{query["type"]}"')
        if "tag" in query:
            filters.append(f'tags = "{query["tag"]}"')
        body = {
            "q": query["q"], "offset": 0, "limit": 20, "facets": ["type", "tags"],
            "attributesToRetrieve": ["type", "id", "thread_id", "display_title", "tags", "username",
                                     "created_at", "starts_at", "city", "skills", "languages"],
            "attributesToCrop": ["body:30"], "attributesToHighlight": ["body"],
            "highlightPreTag": "\ue000", "highlightPostTag": "\ue001",
            "showRankingScore": True, "matchingStrategy": "all",
        }
        if filters:
            body["filter"] = " AND ".join(filters)
        if not query["q"]:
            body["sort"] = ["created_at:desc"]
        return json.dumps(body, ensure_ascii=False)

    def load(self, queries):
        for engine in self.engines:
            server = self.serve(engine)
            try:
                for name, class_queries in queries.items():
                    log(f"{engine}: {name}")
                    listed = "|".join(self.devforum_query(q) for q in class_queries)
                    figures = self.wrk("bench/search.lua", f"http://127.0.0.1:{PORTS[engine]}",
                                       {"QUERIES": listed})
                    self.figures["queries"].setdefault(name, {})[engine] = figures
                    if engine == "meilisearch":
                        bodies = "\n".join(self.meili_body(q) for q in class_queries)
                        direct = self.wrk("bench/meili_search.lua", self.meili_url,
                                          {"BODIES": bodies, "INDEX": INDEX, "MEILI_KEY": self.meili_key})
                        self.figures["queries"][name]["meilisearch direct"] = direct
            finally:
                server.terminate()
                server.wait()

    # --- report -----------------------------------------------------------------------------

    def report(self, queries):
        lines = ["| class (queries) | engine | req/s | p50 | p95 | p99 |", "|---|---|---|---|---|---|"]
        for name, per_engine in self.figures["queries"].items():
            shown = ", ".join(q["q"] or "(empty)" for q in queries[name][:3])
            extra = {key for q in queries[name] for key in q if key != "q"}
            label = f"{name} (`{shown}`{', …' if len(queries[name]) > 3 else ''}"
            label += f"; {', '.join(sorted(extra))})" if extra else ")"
            for engine, f in per_engine.items():
                ratio = ""
                if engine == "meilisearch" and "meilisearch direct" in per_engine:
                    ratio = f" ({f['requests_per_second'] / per_engine['meilisearch direct']['requests_per_second']:.0%} of direct)"
                lines.append(
                    f"| {label} | {engine} | {f['requests_per_second']:,.0f}{ratio} | "
                    f"{f.get('p50', 0):.1f} ms | {f.get('p95', 0):.1f} ms | {f.get('p99', 0):.1f} ms |"
                    + (f" {f['non_2xx']} non-2xx" if f["non_2xx"] else ""))
                label = ""
        print("\n".join(lines))
        if self.figures["classes"]:
            total = self.document_count()
            print("\nDocument frequencies of the chosen words (of %d documents):" % total)
            for name, counted in self.figures["classes"].items():
                print(f"- {name}: " + ", ".join(f"{c['q']} {c['documents'] / total:.3%}" for c in counted))
        for engine, indexing in self.figures["indexing"].items():
            print(f"\nreindex on {engine}: {indexing['seconds']} s ({indexing['report']})")
        os.makedirs(os.path.join(ROOT, ".local/bench"), exist_ok=True)
        with open(os.path.join(ROOT, ".local/bench/search.json"), "w") as f:
            json.dump(self.figures, f, indent=1)


def main():
    if not subprocess.run(["sh", "-c", "command -v wrk"], stdout=subprocess.DEVNULL).returncode == 0:
        sys.exit("install wrk (apt-get install wrk)")
    bench = Bench()
    bench.build()
    bench.start_meilisearch()
    bench.seed()
    queries = bench.choose_queries()
    bench.load(queries)
    bench.report(queries)


if __name__ == "__main__":
    main()
