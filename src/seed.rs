//! `devforum seed`: a realistic, reproducible data set for benchmarks and demos.
//!
//! A fixed random seed gives the same data every time. Activity is skewed as in real
//! communities: a few members write most threads, a few threads draw most replies, a few
//! tags are on most threads. Rows go in with multi-row inserts, thousands per statement.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::accounts::password;
use crate::accounts::Password;
use crate::markdown;
use crate::schema::{replies, thread_votes, threads, users};

#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    pub users: usize,
    pub threads: usize,
    pub replies: usize,
    pub seed: u64,
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub users: usize,
    pub threads: usize,
    pub replies: usize,
    pub votes: usize,
}

/// Reports progress: (stage, done, total).
pub trait Progress {
    fn update(&mut self, stage: &str, done: usize, total: usize);
}

impl<F: FnMut(&str, usize, usize)> Progress for F {
    fn update(&mut self, stage: &str, done: usize, total: usize) {
        self(stage, done, total)
    }
}

/// The password every seeded account has.
pub const SEED_PASSWORD: &str = "seed password 123";

const TAGS: &[&str] = &[
    "rust",
    "python",
    "javascript",
    "typescript",
    "go",
    "java",
    "kotlin",
    "swift",
    "c",
    "cpp",
    "web",
    "backend",
    "frontend",
    "databases",
    "postgres",
    "devops",
    "kubernetes",
    "docker",
    "linux",
    "security",
    "testing",
    "performance",
    "career",
    "mentoring",
    "open-source",
    "ai",
    "data",
    "mobile",
    "games",
    "embedded",
    "networking",
    "cloud",
    "architecture",
    "help",
    "showcase",
    "beginners",
    "async",
    "compilers",
    "wasm",
    "meetups",
];

const WORDS: &[&str] = &[
    "the",
    "a",
    "borrow",
    "checker",
    "lifetime",
    "async",
    "runtime",
    "query",
    "index",
    "cache",
    "latency",
    "throughput",
    "deploy",
    "container",
    "cluster",
    "function",
    "closure",
    "trait",
    "generic",
    "type",
    "error",
    "panic",
    "thread",
    "lock",
    "channel",
    "socket",
    "request",
    "response",
    "schema",
    "migration",
    "test",
    "benchmark",
    "profile",
    "memory",
    "allocation",
    "pointer",
    "reference",
    "vector",
    "string",
    "parser",
    "compiler",
    "macro",
    "module",
    "crate",
    "package",
    "library",
    "framework",
    "server",
    "client",
    "database",
    "table",
    "column",
    "join",
    "transaction",
    "why",
    "how",
    "does",
    "my",
    "code",
    "fail",
    "work",
    "slow",
    "fast",
    "with",
    "without",
    "when",
    "using",
    "after",
    "before",
    "best",
    "way",
    "to",
    "handle",
    "build",
    "ship",
];

fn words(rng: &mut StdRng, count: usize) -> String {
    (0..count)
        .map(|_| WORDS[rng.random_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn title(rng: &mut StdRng) -> String {
    let count = rng.random_range(4..11);
    let mut title = words(rng, count);
    if let Some(first) = title.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    title.push('?');
    title
}

fn body(rng: &mut StdRng, paragraphs: std::ops::Range<usize>) -> String {
    let mut parts = Vec::new();
    for _ in 0..rng.random_range(paragraphs) {
        let count = rng.random_range(12..60);
        let mut paragraph = words(rng, count);
        if rng.random_bool(0.3) {
            paragraph.push_str(" **important**");
        }
        parts.push(paragraph + ".");
        if rng.random_bool(0.15) {
            parts.push(format!(
                "```rust\nfn {}() {{}}\n```",
                WORDS[rng.random_range(0..WORDS.len())]
            ));
        }
        if rng.random_bool(0.1) {
            parts.push("See [the docs](https://doc.rust-lang.org/book/).".to_string());
        }
    }
    parts.join("\n\n")
}

/// An index in `0..n` skewed towards 0: `exponent` > 1 concentrates activity.
fn skewed(rng: &mut StdRng, n: usize, exponent: f64) -> usize {
    let u: f64 = rng.random();
    ((u.powf(exponent) * n as f64) as usize).min(n.saturating_sub(1))
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct SeedUser {
    username: String,
    email: String,
    password_hash: String,
    email_verified: bool,
    display_name: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = threads)]
struct SeedThread {
    author_id: i64,
    title: String,
    body: String,
    body_html: String,
    excerpt: String,
    tags: Vec<String>,
    pinned: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_activity_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = replies)]
struct SeedReply {
    thread_id: i64,
    author_id: i64,
    body: String,
    body_html: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

pub fn seed(
    conn: &mut PgConnection,
    options: SeedOptions,
    progress: &mut dyn Progress,
) -> anyhow::Result<SeedReport> {
    let mut rng = StdRng::seed_from_u64(options.seed);
    let now = Utc::now();
    let start = now - Duration::days(365);
    let mut report = SeedReport::default();

    let password = Password::parse(SEED_PASSWORD).map_err(anyhow::Error::msg)?;
    let password_hash = password::hash(&password)?;
    let mut user_ids: Vec<i64> = Vec::with_capacity(options.users);
    for chunk_start in (0..options.users).step_by(2000) {
        let chunk_end = (chunk_start + 2000).min(options.users);
        let batch: Vec<SeedUser> = (chunk_start..chunk_end)
            .map(|i| SeedUser {
                username: format!("seed_user_{i}"),
                email: format!("seed_user_{i}@seed.example"),
                password_hash: password_hash.clone(),
                email_verified: true,
                display_name: Some(format!("Seed User {i}")),
                created_at: start - Duration::days(30),
            })
            .collect();
        let ids: Vec<i64> = diesel::insert_into(users::table)
            .values(&batch)
            .on_conflict_do_nothing()
            .returning(users::id)
            .get_results(conn)?;
        report.users += ids.len();
        user_ids.extend(ids);
        progress.update("users", chunk_end, options.users);
    }
    if user_ids.is_empty() {
        // Seeded before: write as the accounts already there.
        user_ids = users::table
            .filter(users::username.like("seed\\_user\\_%"))
            .select(users::id)
            .order(users::id)
            .load(conn)?;
    }
    anyhow::ensure!(
        !user_ids.is_empty() || options.threads == 0,
        "no users to write threads as"
    );

    // Threads, oldest first, so ids and creation times agree as they do in production.
    let span_secs = (now - start).num_seconds().max(1);
    let mut thread_meta: Vec<(i64, DateTime<Utc>)> = Vec::with_capacity(options.threads);
    for chunk_start in (0..options.threads).step_by(1000) {
        let chunk_end = (chunk_start + 1000).min(options.threads);
        let batch: Vec<SeedThread> = (chunk_start..chunk_end)
            .map(|i| {
                let created_at =
                    start + Duration::seconds(span_secs * i as i64 / options.threads.max(1) as i64);
                let body = body(&mut rng, 1..5);
                let mut tags: Vec<String> = (0..rng.random_range(0..4))
                    .map(|_| TAGS[skewed(&mut rng, TAGS.len(), 2.0)].to_string())
                    .collect();
                tags.sort();
                tags.dedup();
                SeedThread {
                    author_id: user_ids[skewed(&mut rng, user_ids.len(), 3.0)],
                    title: title(&mut rng),
                    body_html: markdown::render(&body),
                    excerpt: markdown::excerpt(&body, crate::threads::service::EXCERPT_CHARS),
                    body,
                    tags,
                    pinned: i % 20_000 == 7,
                    created_at,
                    updated_at: created_at,
                    last_activity_at: created_at,
                }
            })
            .collect();
        let rows: Vec<(i64, DateTime<Utc>)> = diesel::insert_into(threads::table)
            .values(&batch)
            .returning((threads::id, threads::created_at))
            .get_results(conn)?;
        report.threads += rows.len();
        thread_meta.extend(rows);
        progress.update("threads", chunk_end, options.threads);
    }

    // Replies: most go to a few popular (and more recent) threads.
    if !thread_meta.is_empty() {
        for chunk_start in (0..options.replies).step_by(5000) {
            let chunk_end = (chunk_start + 5000).min(options.replies);
            let batch: Vec<SeedReply> = (chunk_start..chunk_end)
                .map(|_| {
                    let index = thread_meta.len() - 1 - skewed(&mut rng, thread_meta.len(), 2.5);
                    let (thread_id, thread_created) = thread_meta[index];
                    let room = (now - thread_created).num_seconds().max(1);
                    let created_at = thread_created + Duration::seconds(rng.random_range(1..=room));
                    let body = body(&mut rng, 1..3);
                    SeedReply {
                        thread_id,
                        author_id: user_ids[skewed(&mut rng, user_ids.len(), 2.0)],
                        body_html: markdown::render(&body),
                        body,
                        created_at,
                        updated_at: created_at,
                    }
                })
                .collect();
            report.replies += diesel::insert_into(replies::table)
                .values(&batch)
                .execute(conn)?;
            progress.update("replies", chunk_end, options.replies);
        }
    }

    // Votes: a skewed handful per thread, never by the author.
    let mut votes: Vec<(i64, i64, i16)> = Vec::new();
    for (thread_id, _) in &thread_meta {
        let count = skewed(&mut rng, 25, 3.0);
        for _ in 0..count {
            let user = user_ids[rng.random_range(0..user_ids.len())];
            let value = if rng.random_bool(0.8) { 1 } else { -1 };
            votes.push((*thread_id, user, value));
        }
    }
    votes.sort_unstable_by_key(|(t, u, _)| (*t, *u));
    votes.dedup_by_key(|(t, u, _)| (*t, *u));
    for (done, chunk) in votes.chunks(10_000).enumerate() {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(t, u, v)| {
                (
                    thread_votes::thread_id.eq(*t),
                    thread_votes::user_id.eq(*u),
                    thread_votes::value.eq(*v),
                )
            })
            .collect();
        report.votes += diesel::insert_into(thread_votes::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(conn)?;
        progress.update("votes", ((done + 1) * 10_000).min(votes.len()), votes.len());
    }

    // Counters from the rows themselves, then fresh planner statistics.
    progress.update("counters", 0, 1);
    diesel::sql_query(
        "UPDATE threads SET reply_count = r.n, last_activity_at = greatest(threads.last_activity_at, r.last) \
         FROM (SELECT thread_id, count(*) AS n, max(created_at) AS last FROM replies \
               WHERE deleted_at IS NULL AND NOT hidden GROUP BY thread_id) r \
         WHERE threads.id = r.thread_id",
    )
    .execute(conn)?;
    diesel::sql_query(
        "UPDATE threads SET score = v.s FROM (SELECT thread_id, sum(value) AS s FROM thread_votes GROUP BY thread_id) v \
         WHERE threads.id = v.thread_id",
    )
    .execute(conn)?;
    diesel::sql_query("ANALYZE users, threads, replies, thread_votes, tags").execute(conn)?;
    progress.update("counters", 1, 1);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_text() {
        let mut a = StdRng::seed_from_u64(7);
        let mut b = StdRng::seed_from_u64(7);
        assert_eq!(title(&mut a), title(&mut b));
        assert_eq!(body(&mut a, 1..4), body(&mut b, 1..4));
    }

    #[test]
    fn skew_stays_in_range_and_favours_the_front() {
        let mut rng = StdRng::seed_from_u64(1);
        let picks: Vec<usize> = (0..10_000).map(|_| skewed(&mut rng, 100, 3.0)).collect();
        assert!(picks.iter().all(|p| *p < 100));
        let front = picks.iter().filter(|p| **p < 10).count();
        assert!(front > 4000, "{front} of 10000 in the first tenth");
    }
}
