//! A digest run's picture of the period, and each member's digest cut from it.
//!
//! A run reads the period once (every visible reply of the longest period, and the visible
//! threads they are in or that started in it, see `model::digest`), then assembles each due
//! member's three sections here, in memory, from that picture and the member's own lists (what
//! they watch, muted, blocked): one statement per member instead of one aggregation of the
//! whole period per member. The rules are the digest's, stated once:
//!
//! - **watched**: threads the member watches with replies since `since`, newest reply first;
//! - **tagged**: threads started since `since` in a tag they watch the first posts of, newest
//!   first, with the thread's reply count;
//! - **popular**: the other threads with the most replies since `since`, most first.
//!
//! Replies the member wrote or by a member they blocked do not count; threads they muted, by a
//! member they blocked, or (tagged and popular) in a tag they muted are left out; a member's
//! own new threads are not "tagged" news to them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::digest::{MemberLists, PeriodReply, PeriodThread};
use crate::ids::{ThreadId, UserId};

/// A thread in a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestThread {
    pub id: ThreadId,
    pub title: String,
    pub replies: i64,
}

/// One member's digest.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Sections {
    pub watched: Vec<DigestThread>,
    pub tagged: Vec<DigestThread>,
    pub popular: Vec<DigestThread>,
}

impl Sections {
    pub fn is_empty(&self) -> bool {
        self.watched.is_empty() && self.tagged.is_empty() && self.popular.is_empty()
    }
}

/// How many threads each section shows.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub watched: usize,
    pub tagged: usize,
    pub popular: usize,
}

/// The period as one run read it.
#[derive(Debug)]
pub struct Period {
    /// Visible replies, oldest first.
    replies: Vec<PeriodReply>,
    /// Each thread's replies (indexes into `replies`, oldest first).
    by_thread: HashMap<ThreadId, Vec<usize>>,
    /// Each author's replies (indexes into `replies`, oldest first).
    by_author: HashMap<UserId, Vec<usize>>,
    /// The visible threads those replies are in, and those started in the period.
    threads: HashMap<ThreadId, PeriodThread>,
    /// Every thread of `threads`, newest first (the tagged section reads down to `since`).
    started: Vec<ThreadId>,
    /// Per `since` asked for, every thread's replies after it, most first: shared by the
    /// members whose digest starts there (all who have not visited since their last one).
    totals: HashMap<DateTime<Utc>, Vec<(ThreadId, i64)>>,
}

/// How many `since` values keep their totals at once.
const TOTALS_KEPT: usize = 8;

/// A thread's replies since a member's `since`, as that member counts them.
#[derive(Debug, Clone, Copy)]
struct Fresh {
    replies: i64,
    latest: DateTime<Utc>,
}

/// One member's lists as sets.
struct Cut<'a> {
    member: UserId,
    blocked: HashSet<UserId>,
    watched: HashSet<ThreadId>,
    muted: HashSet<ThreadId>,
    watched_tags: HashSet<&'a str>,
    muted_tags: HashSet<&'a str>,
}

impl<'a> Cut<'a> {
    fn new(member: UserId, lists: &'a MemberLists) -> Self {
        Cut {
            member,
            blocked: lists.blocked.iter().copied().collect(),
            watched: lists.watched_threads.iter().copied().collect(),
            muted: lists.muted_threads.iter().copied().collect(),
            watched_tags: lists.watched_tags.iter().map(String::as_str).collect(),
            muted_tags: lists.muted_tags.iter().map(String::as_str).collect(),
        }
    }

    /// A reply counts unless the member wrote it or blocked its author.
    fn counts(&self, reply: &PeriodReply) -> bool {
        reply.author_id != self.member && !self.blocked.contains(&reply.author_id)
    }

    /// A thread may appear unless the member muted it or blocked its author.
    fn shows(&self, thread: &PeriodThread) -> bool {
        !self.muted.contains(&thread.id) && !self.blocked.contains(&thread.author_id)
    }

    fn in_muted_tag(&self, thread: &PeriodThread) -> bool {
        thread
            .tags
            .iter()
            .any(|tag| self.muted_tags.contains(tag.as_str()))
    }

    fn in_watched_tag(&self, thread: &PeriodThread) -> bool {
        thread
            .tags
            .iter()
            .any(|tag| self.watched_tags.contains(tag.as_str()))
    }
}

impl Period {
    pub fn new(mut replies: Vec<PeriodReply>, threads: Vec<PeriodThread>) -> Self {
        replies.sort_unstable_by_key(|reply| reply.created_at);
        let mut by_thread: HashMap<ThreadId, Vec<usize>> = HashMap::new();
        let mut by_author: HashMap<UserId, Vec<usize>> = HashMap::new();
        for (index, reply) in replies.iter().enumerate() {
            by_thread.entry(reply.thread_id).or_default().push(index);
            by_author.entry(reply.author_id).or_default().push(index);
        }
        let mut started: Vec<&PeriodThread> = threads.iter().collect();
        started.sort_unstable_by_key(|t| std::cmp::Reverse((t.created_at, t.id)));
        let started = started.into_iter().map(|thread| thread.id).collect();
        let threads = threads.into_iter().map(|t| (t.id, t)).collect();
        Period {
            replies,
            by_thread,
            by_author,
            threads,
            started,
            totals: HashMap::new(),
        }
    }

    /// The distinct threads of these replies (what `period_threads` is asked for).
    pub fn threads_of(replies: &[PeriodReply]) -> Vec<ThreadId> {
        let ids: HashSet<ThreadId> = replies.iter().map(|reply| reply.thread_id).collect();
        ids.into_iter().collect()
    }

    /// `member`'s digest of what happened after `since` (which must lie within the period the
    /// run read).
    pub fn digest(
        &mut self,
        member: UserId,
        lists: &MemberLists,
        since: DateTime<Utc>,
        limits: Limits,
    ) -> Sections {
        let cut = Cut::new(member, lists);
        let watched = self.watched(&cut, since, limits.watched);
        let tagged = self.tagged(&cut, since, limits.tagged);
        let shown: HashSet<ThreadId> = watched
            .iter()
            .map(|(id, _)| *id)
            .chain(tagged.iter().copied())
            .collect();
        let popular = self.popular(&cut, since, &shown, limits.popular);
        let view = |id: ThreadId, replies: i64| {
            self.threads.get(&id).map(|thread| DigestThread {
                id,
                title: thread.title.clone(),
                replies,
            })
        };
        Sections {
            watched: watched
                .into_iter()
                .filter_map(|(id, f)| view(id, f.replies))
                .collect(),
            tagged: tagged
                .into_iter()
                .filter_map(|id| {
                    let count = self.threads.get(&id)?.reply_count;
                    view(id, i64::from(count))
                })
                .collect(),
            popular: popular
                .into_iter()
                .filter_map(|(id, replies)| view(id, replies))
                .collect(),
        }
    }

    /// Watched threads with replies that count, newest reply first (each watched thread's own
    /// replies are read: members watch few).
    fn watched(&self, cut: &Cut<'_>, since: DateTime<Utc>, limit: usize) -> Vec<(ThreadId, Fresh)> {
        let mut watched: Vec<(ThreadId, Fresh)> = cut
            .watched
            .iter()
            .filter(|id| self.threads.get(id).is_some_and(|t| cut.shows(t)))
            .filter_map(|id| {
                // Oldest first, so the last reply counted is the latest.
                let (replies, latest) = self
                    .after(self.by_thread.get(id)?, since)
                    .filter(|reply| cut.counts(reply))
                    .fold((0, None), |(n, _), reply| (n + 1, Some(reply.created_at)));
                Some((
                    *id,
                    Fresh {
                        replies,
                        latest: latest?,
                    },
                ))
            })
            .collect();
        watched.sort_unstable_by(|(a, fa), (b, fb)| (fb.latest, b).cmp(&(fa.latest, a)));
        watched.truncate(limit);
        watched
    }

    /// New threads in a watched tag and in no muted one, not the member's own, newest first.
    fn tagged(&self, cut: &Cut<'_>, since: DateTime<Utc>, limit: usize) -> Vec<ThreadId> {
        self.started
            .iter()
            .filter_map(|id| self.threads.get(id))
            .take_while(|thread| thread.created_at > since)
            .filter(|t| t.author_id != cut.member && cut.shows(t))
            .filter(|t| cut.in_watched_tag(t) && !cut.in_muted_tag(t))
            .take(limit)
            .map(|t| t.id)
            .collect()
    }

    /// The threads with the most replies that count, among those not `shown` already: the
    /// period's totals after `since` (shared), less the replies of the member and of members
    /// they blocked, read down from the top until no thread further down can rank higher.
    fn popular(
        &mut self,
        cut: &Cut<'_>,
        since: DateTime<Utc>,
        shown: &HashSet<ThreadId>,
        limit: usize,
    ) -> Vec<(ThreadId, i64)> {
        let mut deducted: HashMap<ThreadId, i64> = HashMap::new();
        let own = (!cut.blocked.contains(&cut.member)).then_some(&cut.member);
        for author in own.into_iter().chain(cut.blocked.iter()) {
            let Some(indexes) = self.by_author.get(author) else {
                continue;
            };
            for reply in self.after(indexes, since) {
                *deducted.entry(reply.thread_id).or_default() += 1;
            }
        }
        self.ensure_totals(since);
        let Some(totals) = self.totals.get(&since) else {
            return Vec::new();
        };
        let mut picked: Vec<(ThreadId, i64)> = Vec::new();
        for &(id, total) in totals {
            // Counts only fall from the totals, so once the totals fall below the last pick,
            // nothing further down can rank higher.
            if picked.len() >= limit && picked.last().is_some_and(|&(_, last)| total < last) {
                break;
            }
            let replies = total - deducted.get(&id).copied().unwrap_or(0);
            let candidate = replies > 0
                && !shown.contains(&id)
                && self
                    .threads
                    .get(&id)
                    .is_some_and(|t| cut.shows(t) && !cut.in_muted_tag(t));
            if candidate {
                picked.push((id, replies));
                picked.sort_unstable_by(|(a, ra), (b, rb)| (rb, b).cmp(&(ra, a)));
                picked.truncate(limit);
            }
        }
        picked
    }

    /// The replies among `indexes` (oldest first) written after `since`.
    fn after<'s>(
        &'s self,
        indexes: &'s [usize],
        since: DateTime<Utc>,
    ) -> impl Iterator<Item = &'s PeriodReply> + 's {
        let first = indexes.partition_point(|&i| self.replies[i].created_at <= since);
        indexes[first..].iter().map(|&i| &self.replies[i])
    }

    /// Counts every thread's replies after `since` once, for every member starting there.
    fn ensure_totals(&mut self, since: DateTime<Utc>) {
        if self.totals.contains_key(&since) {
            return;
        }
        if self.totals.len() >= TOTALS_KEPT {
            self.totals.clear();
        }
        let first = self
            .replies
            .partition_point(|reply| reply.created_at <= since);
        let mut counts: HashMap<ThreadId, i64> = HashMap::new();
        for reply in &self.replies[first..] {
            *counts.entry(reply.thread_id).or_default() += 1;
        }
        let mut ranked: Vec<(ThreadId, i64)> = counts.into_iter().collect();
        ranked.sort_unstable_by(|(a, ca), (b, cb)| (cb, b).cmp(&(ca, a)));
        self.totals.insert(since, ranked);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    const LIMITS: Limits = Limits {
        watched: 10,
        tagged: 10,
        popular: 5,
    };
    const ME: UserId = UserId(1);
    const OTHER: UserId = UserId(2);
    const BLOCKED: UserId = UserId(3);

    fn at(hours_ago: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("time") - Duration::hours(hours_ago)
    }

    fn thread(id: i64, author: UserId, tags: &[&str], hours_ago: i64) -> PeriodThread {
        PeriodThread {
            id: ThreadId(id),
            title: format!("thread {id}"),
            author_id: author,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            created_at: at(hours_ago),
            reply_count: 7,
        }
    }

    fn reply(thread: i64, author: UserId, hours_ago: i64) -> PeriodReply {
        PeriodReply {
            thread_id: ThreadId(thread),
            author_id: author,
            created_at: at(hours_ago),
        }
    }

    fn ids(section: &[DigestThread]) -> Vec<i64> {
        section.iter().map(|t| t.id.get()).collect()
    }

    #[test]
    fn replies_count_only_after_since_and_not_ones_own_or_a_blocked_members() {
        let mut period = Period::new(
            vec![
                reply(10, OTHER, 1),
                reply(10, OTHER, 2),
                reply(10, ME, 1),
                reply(10, BLOCKED, 1),
                reply(10, OTHER, 30),
            ],
            vec![thread(10, OTHER, &[], 100)],
        );
        let lists = MemberLists {
            blocked: vec![BLOCKED],
            watched_threads: vec![ThreadId(10)],
            ..MemberLists::default()
        };
        let digest = period.digest(ME, &lists, at(24), LIMITS);
        assert_eq!(ids(&digest.watched), [10]);
        assert_eq!(digest.watched[0].replies, 2);
        assert!(
            digest.popular.is_empty(),
            "a watched thread is not popular too"
        );
        // Nothing after since: nothing to tell.
        assert!(period.digest(ME, &lists, at(0), LIMITS).is_empty());
    }

    #[test]
    fn sections_order_and_leave_out_what_the_member_muted_or_blocked() {
        let mut period = Period::new(
            vec![
                reply(1, OTHER, 5),
                reply(2, OTHER, 1),
                reply(3, OTHER, 2),
                reply(3, OTHER, 3),
                reply(4, OTHER, 2),
                reply(5, OTHER, 2),
                reply(6, OTHER, 2),
            ],
            vec![
                thread(1, OTHER, &[], 100),
                thread(2, OTHER, &[], 100),
                thread(3, OTHER, &[], 100),
                thread(4, BLOCKED, &[], 100),
                thread(5, OTHER, &["noise"], 100),
                thread(6, OTHER, &[], 100),
                thread(7, OTHER, &["rust"], 3),
                thread(8, OTHER, &["rust"], 2),
                thread(9, ME, &["rust"], 1),
                thread(11, OTHER, &["rust", "noise"], 1),
                thread(12, OTHER, &["rust"], 48),
            ],
        );
        let lists = MemberLists {
            blocked: vec![BLOCKED],
            watched_threads: vec![ThreadId(1), ThreadId(2)],
            muted_threads: vec![ThreadId(6)],
            watched_tags: vec!["rust".into()],
            muted_tags: vec!["noise".into()],
        };
        let digest = period.digest(ME, &lists, at(24), LIMITS);
        assert_eq!(ids(&digest.watched), [2, 1], "newest reply first");
        assert_eq!(
            ids(&digest.tagged),
            [8, 7],
            "newest first, not mine, not muted"
        );
        assert_eq!(digest.tagged[0].replies, 7, "the thread's own count");
        assert_eq!(ids(&digest.popular), [3], "most replies; no blocked, muted");
    }

    #[test]
    fn each_section_keeps_to_its_limit_and_ties_go_to_the_newer_thread() {
        let replies = (1..=8).map(|id| reply(id, OTHER, 1)).collect();
        let threads = (1..=8).map(|id| thread(id, OTHER, &[], 100)).collect();
        let mut period = Period::new(replies, threads);
        let digest = period.digest(ME, &MemberLists::default(), at(24), LIMITS);
        assert_eq!(ids(&digest.popular), [8, 7, 6, 5, 4]);
    }

    /// The digest's rules read the slow way: every reply after `since` aggregated for this
    /// member alone (what each member's statement did before a run read the period once).
    fn by_the_rules(
        replies: &[PeriodReply],
        threads: &[PeriodThread],
        member: UserId,
        lists: &MemberLists,
        since: DateTime<Utc>,
    ) -> Sections {
        let cut = Cut::new(member, lists);
        let by_id: HashMap<ThreadId, &PeriodThread> = threads.iter().map(|t| (t.id, t)).collect();
        let mut fresh: HashMap<ThreadId, Fresh> = HashMap::new();
        for reply in replies
            .iter()
            .filter(|r| r.created_at > since && cut.counts(r))
        {
            let entry = fresh.entry(reply.thread_id).or_insert(Fresh {
                replies: 0,
                latest: reply.created_at,
            });
            entry.replies += 1;
            entry.latest = entry.latest.max(reply.created_at);
        }
        let visible = |id: &ThreadId| by_id.get(id).filter(|t| cut.shows(t)).copied();
        let mut watched: Vec<(ThreadId, Fresh)> = fresh
            .iter()
            .filter(|(id, _)| cut.watched.contains(id) && visible(id).is_some())
            .map(|(id, f)| (*id, *f))
            .collect();
        watched.sort_by(|(a, fa), (b, fb)| (fb.latest, b).cmp(&(fa.latest, a)));
        watched.truncate(LIMITS.watched);
        let mut tagged: Vec<&PeriodThread> = threads
            .iter()
            .filter(|t| t.created_at > since && t.author_id != member && cut.shows(t))
            .filter(|t| cut.in_watched_tag(t) && !cut.in_muted_tag(t))
            .collect();
        tagged.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.id)));
        tagged.truncate(LIMITS.tagged);
        let shown: HashSet<ThreadId> = watched
            .iter()
            .map(|(id, _)| *id)
            .chain(tagged.iter().map(|t| t.id))
            .collect();
        let mut popular: Vec<(ThreadId, i64)> = fresh
            .iter()
            .filter(|(id, _)| !shown.contains(id))
            .filter(|(id, _)| visible(id).is_some_and(|t| !cut.in_muted_tag(t)))
            .map(|(id, f)| (*id, f.replies))
            .collect();
        popular.sort_by(|(a, ra), (b, rb)| (rb, b).cmp(&(ra, a)));
        popular.truncate(LIMITS.popular);
        let view = |id: ThreadId, replies: i64| DigestThread {
            id,
            title: by_id[&id].title.clone(),
            replies,
        };
        Sections {
            watched: watched
                .into_iter()
                .map(|(id, f)| view(id, f.replies))
                .collect(),
            tagged: tagged
                .into_iter()
                .map(|t| view(t.id, i64::from(t.reply_count)))
                .collect(),
            popular: popular.into_iter().map(|(id, r)| view(id, r)).collect(),
        }
    }

    #[test]
    fn the_shared_totals_give_every_member_what_the_rules_give_them_alone() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};

        let mut rng = StdRng::seed_from_u64(38);
        for round in 0..40 {
            let authors = 6;
            let threads: Vec<PeriodThread> = (1..=30)
                .map(|id| {
                    let tags: &[&str] = match id % 4 {
                        0 => &["rust"],
                        1 => &["noise"],
                        2 => &["rust", "noise"],
                        _ => &[],
                    };
                    let author = UserId(rng.random_range(1..=authors));
                    thread(id, author, tags, rng.random_range(0..200))
                })
                .collect();
            let replies: Vec<PeriodReply> = (0..rng.random_range(0..300))
                .map(|_| {
                    reply(
                        rng.random_range(1..=30),
                        UserId(rng.random_range(1..=authors)),
                        rng.random_range(0..170),
                    )
                })
                .collect();
            let mut period = Period::new(replies.clone(), threads.clone());
            for member in 1..=authors {
                let some_threads = |rng: &mut StdRng| {
                    (0..rng.random_range(0..6))
                        .map(|_| ThreadId(rng.random_range(1..=30)))
                        .collect()
                };
                let lists = MemberLists {
                    blocked: (1..=authors)
                        .filter(|&a| a != member && rng.random_bool(0.2))
                        .map(UserId)
                        .collect(),
                    watched_threads: some_threads(&mut rng),
                    muted_threads: some_threads(&mut rng),
                    watched_tags: vec!["rust".into()],
                    muted_tags: if rng.random_bool(0.5) {
                        vec!["noise".into()]
                    } else {
                        vec![]
                    },
                };
                // Most members start where the period does; some came by since.
                let since = if rng.random_bool(0.7) {
                    at(168)
                } else {
                    at(rng.random_range(0..168))
                };
                let member = UserId(member);
                assert_eq!(
                    period.digest(member, &lists, since, LIMITS),
                    by_the_rules(&replies, &threads, member, &lists, since),
                    "round {round}, member {member}"
                );
            }
        }
    }

    #[test]
    fn threads_of_names_each_thread_once() {
        let mut ids = Period::threads_of(&[reply(1, OTHER, 1), reply(1, ME, 2), reply(2, ME, 1)]);
        ids.sort();
        assert_eq!(ids, [ThreadId(1), ThreadId(2)]);
    }
}
