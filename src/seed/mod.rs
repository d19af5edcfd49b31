//! `devforum seed`: a realistic, reproducible data set for benchmarks and demos.
//!
//! A fixed random seed gives the same data every time. Activity is skewed as in real
//! communities: a few members write most threads, a few threads draw most replies, a few
//! tags are on most threads; words follow Zipf's law (`text`). Rows go in with multi-row
//! inserts, thousands per statement.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub mod text;

pub use text::Vocabulary;

use crate::accounts::password;
use crate::accounts::Password;
use crate::ids::{MeetupId, ThreadId, UserId};
use crate::markdown;
use crate::meetups::domain::RsvpStatus;
pub use crate::progress::Progress;
use crate::schema::{
    meetup_rsvps, meetups, mentor_profiles, replies, thread_votes, threads, users,
};

#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    pub users: usize,
    pub threads: usize,
    pub replies: usize,
    pub mentors: usize,
    pub meetups: usize,
    pub seed: u64,
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub users: usize,
    pub threads: usize,
    pub replies: usize,
    pub votes: usize,
    pub mentors: usize,
    pub meetups: usize,
    pub rsvps: usize,
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

fn title(rng: &mut StdRng) -> String {
    Vocabulary::get().title(rng)
}

fn body(rng: &mut StdRng, paragraphs: std::ops::Range<usize>) -> String {
    Vocabulary::get().body(rng, paragraphs)
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
    author_id: UserId,
    title: String,
    body: String,
    body_html: String,
    excerpt: String,
    tags: Vec<String>,
    pinned: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = replies)]
struct SeedReply {
    thread_id: ThreadId,
    author_id: UserId,
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

    let user_ids = seed_users(conn, options.users, start, &mut report, progress)?;
    anyhow::ensure!(
        !user_ids.is_empty() || options.threads == 0,
        "no users to write threads as"
    );
    let threads = seed_threads(
        conn,
        &mut rng,
        &user_ids,
        options.threads,
        (start, now),
        &mut report,
        progress,
    )?;
    seed_replies(
        conn,
        &mut rng,
        &user_ids,
        &threads,
        options.replies,
        now,
        &mut report,
        progress,
    )?;
    seed_votes(conn, &mut rng, &user_ids, &threads, &mut report, progress)?;
    seed_mentors(
        conn,
        &mut rng,
        &user_ids,
        options.mentors,
        &mut report,
        progress,
    )?;
    seed_meetups(
        conn,
        &mut rng,
        &user_ids,
        options.meetups,
        now,
        &mut report,
        progress,
    )?;
    recount(conn, progress)?;
    Ok(report)
}

/// `count` members who all share the seed password; the ones there already when seeded before.
fn seed_users(
    conn: &mut PgConnection,
    count: usize,
    start: DateTime<Utc>,
    report: &mut SeedReport,
    progress: &mut dyn Progress,
) -> anyhow::Result<Vec<UserId>> {
    let password = Password::parse(SEED_PASSWORD).map_err(anyhow::Error::msg)?;
    let password_hash = password::hash(&password)?;
    let mut user_ids: Vec<UserId> = Vec::with_capacity(count);
    for chunk_start in (0..count).step_by(2000) {
        let chunk_end = (chunk_start + 2000).min(count);
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
        let ids: Vec<UserId> = diesel::insert_into(users::table)
            .values(&batch)
            .on_conflict_do_nothing()
            .returning(users::id)
            .get_results(conn)?;
        report.users += ids.len();
        user_ids.extend(ids);
        progress.update("users", chunk_end, count);
    }
    if user_ids.is_empty() {
        // Seeded before: write as the accounts already there.
        user_ids = users::table
            .filter(users::username.like("seed\\_user\\_%"))
            .select(users::id)
            .order(users::id)
            .load(conn)?;
    }
    Ok(user_ids)
}

/// Threads over the year, oldest first, so ids and creation times agree as they do in
/// production; each thread's id and creation time.
fn seed_threads(
    conn: &mut PgConnection,
    rng: &mut StdRng,
    user_ids: &[UserId],
    count: usize,
    (start, now): (DateTime<Utc>, DateTime<Utc>),
    report: &mut SeedReport,
    progress: &mut dyn Progress,
) -> anyhow::Result<Vec<(ThreadId, DateTime<Utc>)>> {
    let span_secs = (now - start).num_seconds().max(1);
    let mut threads: Vec<(ThreadId, DateTime<Utc>)> = Vec::with_capacity(count);
    for chunk_start in (0..count).step_by(1000) {
        let chunk_end = (chunk_start + 1000).min(count);
        let batch: Vec<SeedThread> = (chunk_start..chunk_end)
            .map(|i| {
                let created_at =
                    start + Duration::seconds(span_secs * i as i64 / count.max(1) as i64);
                let body = body(rng, 1..5);
                let tags = pick_tags(rng, 0..4);
                SeedThread {
                    author_id: user_ids[skewed(rng, user_ids.len(), 3.0)],
                    title: title(rng),
                    body_html: markdown::render(&body),
                    excerpt: markdown::excerpt(&body, crate::threads::rules::EXCERPT_CHARS),
                    body,
                    tags,
                    pinned: i % 20_000 == 7,
                    created_at,
                    updated_at: created_at,
                }
            })
            .collect();
        let rows: Vec<(ThreadId, DateTime<Utc>)> = diesel::insert_into(threads::table)
            .values(&batch)
            .returning((threads::id, threads::created_at))
            .get_results(conn)?;
        report.threads += rows.len();
        threads.extend(rows);
        progress.update("threads", chunk_end, count);
    }
    Ok(threads)
}

/// Replies: most go to a few popular (and more recent) threads.
#[allow(clippy::too_many_arguments)]
fn seed_replies(
    conn: &mut PgConnection,
    rng: &mut StdRng,
    user_ids: &[UserId],
    threads: &[(ThreadId, DateTime<Utc>)],
    count: usize,
    now: DateTime<Utc>,
    report: &mut SeedReport,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    if threads.is_empty() {
        return Ok(());
    }
    for chunk_start in (0..count).step_by(5000) {
        let chunk_end = (chunk_start + 5000).min(count);
        let batch: Vec<SeedReply> = (chunk_start..chunk_end)
            .map(|_| {
                let index = threads.len() - 1 - skewed(rng, threads.len(), 2.5);
                let (thread_id, thread_created) = threads[index];
                let room = (now - thread_created).num_seconds().max(1);
                let created_at = thread_created + Duration::seconds(rng.random_range(1..=room));
                let body = body(rng, 1..3);
                SeedReply {
                    thread_id,
                    author_id: user_ids[skewed(rng, user_ids.len(), 2.0)],
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
        progress.update("replies", chunk_end, count);
    }
    Ok(())
}

/// Votes: a skewed handful per thread.
fn seed_votes(
    conn: &mut PgConnection,
    rng: &mut StdRng,
    user_ids: &[UserId],
    threads: &[(ThreadId, DateTime<Utc>)],
    report: &mut SeedReport,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    let mut votes: Vec<(ThreadId, UserId, i16)> = Vec::new();
    for (thread_id, _) in threads {
        let count = skewed(rng, 25, 3.0);
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
    Ok(())
}

/// Counters from the rows themselves, then fresh planner statistics.
fn recount(conn: &mut PgConnection, progress: &mut dyn Progress) -> anyhow::Result<()> {
    progress.update("counters", 0, 1);
    diesel::sql_query(
        "UPDATE thread_activity a \
         SET reply_count = r.n, answers = r.answers, \
             last_activity_at = greatest(a.last_activity_at, r.last) \
         FROM (SELECT r.thread_id, count(*) AS n, max(r.created_at) AS last, \
                      count(*) FILTER (WHERE r.author_id <> t.author_id) AS answers \
               FROM replies r JOIN threads t ON t.id = r.thread_id \
               WHERE r.deleted_at IS NULL AND NOT r.hidden GROUP BY r.thread_id) r \
         WHERE a.thread_id = r.thread_id",
    )
    .execute(conn)?;
    // Four questions in ten that were answered have a solution: their first answer, chosen
    // by the asker.
    diesel::sql_query(
        "WITH chosen AS ( \
             INSERT INTO thread_solutions (thread_id, reply_id, chosen_by, chosen_at) \
             SELECT DISTINCT ON (r.thread_id) r.thread_id, r.id, t.author_id, r.created_at \
             FROM replies r JOIN threads t ON t.id = r.thread_id \
             WHERE r.author_id <> t.author_id AND t.id % 10 < 4 \
               AND r.deleted_at IS NULL AND NOT r.hidden \
             ORDER BY r.thread_id, r.created_at, r.id \
             ON CONFLICT DO NOTHING \
             RETURNING thread_id) \
         UPDATE threads SET solved = true FROM chosen WHERE threads.id = chosen.thread_id",
    )
    .execute(conn)?;
    diesel::sql_query(
        "UPDATE threads SET score = v.s FROM (SELECT thread_id, sum(value) AS s FROM thread_votes GROUP BY thread_id) v \
         WHERE threads.id = v.thread_id",
    )
    .execute(conn)?;
    diesel::sql_query(
        "ANALYZE users, threads, thread_activity, thread_solutions, replies, thread_votes, tags, \
         mentor_profiles, meetups, meetup_rsvps",
    )
    .execute(conn)?;
    progress.update("counters", 1, 1);
    Ok(())
}

const LANGUAGES: &[&str] = &["en", "de", "fr", "es", "pt", "ja", "hi", "zh"];

/// (city, country, zone) of seeded venues.
const CITIES: &[(&str, &str, &str)] = &[
    ("Berlin", "DE", "Europe/Berlin"),
    ("Lisbon", "PT", "Europe/Lisbon"),
    ("New York", "US", "America/New_York"),
    ("São Paulo", "BR", "America/Sao_Paulo"),
    ("Tokyo", "JP", "Asia/Tokyo"),
    ("Bengaluru", "IN", "Asia/Kolkata"),
];

fn pick_tags(rng: &mut StdRng, range: std::ops::Range<usize>) -> Vec<String> {
    let mut tags: Vec<String> = (0..rng.random_range(range))
        .map(|_| TAGS[skewed(rng, TAGS.len(), 2.0)].to_string())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

#[derive(Insertable)]
#[diesel(table_name = mentor_profiles)]
struct SeedMentor {
    user_id: UserId,
    headline: String,
    bio: String,
    bio_html: String,
    skills: Vec<String>,
    languages: Vec<String>,
    timezone: String,
    capacity: i32,
    accepting_requests: bool,
}

/// Mentor profiles for the first `count` members (the most active ones write the most).
fn seed_mentors(
    conn: &mut PgConnection,
    rng: &mut StdRng,
    user_ids: &[UserId],
    count: usize,
    report: &mut SeedReport,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    let count = count.min(user_ids.len());
    let batch: Vec<SeedMentor> = user_ids[..count]
        .iter()
        .map(|user_id| {
            let bio = body(rng, 1..3);
            let mut languages = vec![LANGUAGES[skewed(rng, LANGUAGES.len(), 2.0)].to_string()];
            if rng.random_bool(0.4) {
                languages.push("en".to_string());
            }
            languages.dedup();
            let (_, _, zone) = CITIES[rng.random_range(0..CITIES.len())];
            SeedMentor {
                user_id: *user_id,
                headline: title(rng).chars().take(120).collect(),
                bio_html: markdown::render(&bio),
                bio,
                skills: pick_tags(rng, 1..6),
                languages,
                timezone: zone.to_string(),
                capacity: rng.random_range(1..=10),
                accepting_requests: rng.random_bool(0.8),
            }
        })
        .collect();
    for chunk in batch.chunks(2000) {
        report.mentors += diesel::insert_into(mentor_profiles::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    progress.update("mentors", count, count);
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = meetups)]
struct SeedMeetup {
    organizer_id: UserId,
    title: String,
    description: String,
    description_html: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    timezone: String,
    venue_name: Option<String>,
    venue_address: Option<String>,
    venue_city: Option<String>,
    venue_country: Option<String>,
    online_url: Option<String>,
    capacity: Option<i32>,
    tags: Vec<String>,
}

/// Upcoming meetups over the next four months, a third online only, with RSVPs: most go to a
/// few popular meetups, never beyond their capacity.
fn seed_meetups(
    conn: &mut PgConnection,
    rng: &mut StdRng,
    user_ids: &[UserId],
    count: usize,
    now: DateTime<Utc>,
    report: &mut SeedReport,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    if user_ids.is_empty() || count == 0 {
        return Ok(());
    }
    let batch: Vec<SeedMeetup> = (0..count)
        .map(|i| {
            let (city, country, zone) = CITIES[skewed(rng, CITIES.len(), 1.5)];
            let online_only = rng.random_bool(0.3);
            let starts_at = now
                + Duration::hours(24 + (i as i64 * 24 * 120 / count as i64))
                + Duration::minutes(rng.random_range(0..60));
            let description = body(rng, 1..3);
            SeedMeetup {
                organizer_id: user_ids[skewed(rng, user_ids.len(), 3.0)],
                title: title(rng),
                description_html: markdown::render(&description),
                description,
                starts_at,
                ends_at: starts_at + Duration::hours(rng.random_range(2..=4)),
                timezone: zone.to_string(),
                venue_name: (!online_only).then(|| format!("{city} Tech Hub")),
                venue_address: (!online_only)
                    .then(|| format!("{} Main Street", rng.random_range(1..200))),
                venue_city: (!online_only).then(|| city.to_string()),
                venue_country: (!online_only).then(|| country.to_string()),
                online_url: (online_only || rng.random_bool(0.2))
                    .then(|| format!("https://meet.example/seed-{i}")),
                capacity: rng.random_bool(0.8).then(|| rng.random_range(10..=200)),
                tags: pick_tags(rng, 0..3),
            }
        })
        .collect();
    let mut created: Vec<(MeetupId, Option<i32>)> = Vec::with_capacity(count);
    for chunk in batch.chunks(1000) {
        created.extend(
            diesel::insert_into(meetups::table)
                .values(chunk)
                .returning((meetups::id, meetups::capacity))
                .get_results::<(MeetupId, Option<i32>)>(conn)?,
        );
    }
    report.meetups = created.len();
    progress.update("meetups", count, count);
    for (meetup_id, capacity) in created {
        let wanted = skewed(rng, 150, 3.0);
        let seats = capacity.map_or(wanted, |c| wanted.min(c as usize));
        let mut members: Vec<UserId> = (0..seats)
            .map(|_| user_ids[rng.random_range(0..user_ids.len())])
            .collect();
        members.sort_unstable();
        members.dedup();
        let rows: Vec<_> = members
            .iter()
            .map(|user_id| {
                (
                    meetup_rsvps::meetup_id.eq(meetup_id),
                    meetup_rsvps::user_id.eq(*user_id),
                    meetup_rsvps::status.eq(RsvpStatus::Going),
                )
            })
            .collect();
        report.rsvps += diesel::insert_into(meetup_rsvps::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    progress.update("rsvps", count, count);
    Ok(())
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
