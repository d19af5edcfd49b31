//! Live notifications: `GET /notifications/stream` (Server-Sent Events).
//!
//! Every change to a notification row signals `devforum_notifications` (the trigger of the
//! blocks-and-tag-follows migration; the payload is ids only). Each serve process holds one
//! connection in `LISTEN` and hands each signal to the streams its member has open in that
//! process ([`Hub`]), so a notification written through any process, or by any worker, reaches
//! every stream. What a stream sends is read from the table with the inbox's own filter, so it
//! shows nothing the inbox would not, and a reconnect with `Last-Event-ID` replays every
//! notification after that id.
//!
//! The reads are batched: the listener drains every signal that has arrived, then reads the
//! new entries of all the signalled members that have a stream open here in one statement
//! (from the lowest id their streams have sent) and their unread counts from the counter table
//! in another, on its own connection, and hands each member's part to their streams. A reply
//! that notifies a thousand members with streams open costs two statements, not two thousand.
//! A stream that falls behind (its buffer full), a member with more new entries than a batch
//! holds, and every stream after the listener reconnects read the table themselves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::web::Bytes;
use diesel::prelude::*;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::model::{self, InboxRow};
use super::views::{NotificationView, UnreadCount};
use crate::config::DatabaseSettings;
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::ids::{NotificationId, UserId};

/// The channel the notifications trigger signals.
pub const CHANNEL: &str = "devforum_notifications";

/// What a signal tells a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// A notification was created or regrouped (it has a new id).
    New(NotificationId),
    /// Something was read, hidden or restored: the unread count may have changed.
    Count,
}

/// Parses a signal's payload: `<user id> <notification id>` or `<user id>`.
pub fn parse_payload(payload: &str) -> Option<(UserId, Signal)> {
    let mut parts = payload.split(' ');
    let user = UserId(parts.next()?.parse().ok()?);
    let signal = match parts.next() {
        Some(id) => Signal::New(NotificationId(id.parse().ok()?)),
        None => Signal::Count,
    };
    parts.next().is_none().then_some((user, signal))
}

/// How many deliveries a stream may hold before it is "behind": it then stops taking them and
/// reads from the table instead, so a slow reader never grows the process's memory.
const STREAM_BUFFER: usize = 64;

/// What the hub hands a stream.
#[derive(Debug)]
pub enum Delivery {
    /// The member's new entries and unread count, read for all their streams at once.
    Batch(Arc<MemberBatch>),
    /// Read from the table: the listener reconnected and may have missed signals.
    Resync,
}

/// One member's part of a batch.
#[derive(Debug)]
pub struct MemberBatch {
    /// Entries above the lowest id the member's streams had sent, or among `also`, oldest first.
    rows: Vec<InboxRow>,
    /// The ids the signals named: an entry among them is sent even below a stream's position
    /// (it committed after a newer one had been sent).
    also: Vec<NotificationId>,
    unread: i64,
    /// False when the batch held as many entries as it may: the stream reads the rest itself.
    complete: bool,
}

/// One open stream as the hub sees it.
struct Registration {
    id: u64,
    sender: mpsc::Sender<Delivery>,
    /// The highest id the stream has sent; `i64::MAX` until it has read where it starts.
    position: Arc<AtomicI64>,
    /// Set when a delivery found the stream's buffer full.
    behind: Arc<AtomicBool>,
}

/// The open streams of this process, by member.
#[derive(Default)]
pub struct Hub {
    streams: Mutex<HashMap<UserId, Vec<Registration>>>,
    next_id: AtomicU64,
}

/// A stream's registration; dropping it leaves the hub.
pub struct Subscription {
    hub: Arc<Hub>,
    user: UserId,
    id: u64,
    deliveries: mpsc::Receiver<Delivery>,
    position: Arc<AtomicI64>,
    behind: Arc<AtomicBool>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut streams = self
            .hub
            .streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(list) = streams.get_mut(&self.user) {
            list.retain(|registration| registration.id != self.id);
            if list.is_empty() {
                streams.remove(&self.user);
            }
        }
    }
}

impl Hub {
    pub fn subscribe(self: &Arc<Self>, user: UserId) -> Subscription {
        let (sender, deliveries) = mpsc::channel(STREAM_BUFFER);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let position = Arc::new(AtomicI64::new(i64::MAX));
        let behind = Arc::new(AtomicBool::new(false));
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(user)
            .or_default()
            .push(Registration {
                id,
                sender,
                position: position.clone(),
                behind: behind.clone(),
            });
        Subscription {
            hub: self.clone(),
            user,
            id,
            deliveries,
            position,
            behind,
        }
    }

    /// How many streams are open in this process.
    pub fn open_streams(&self) -> usize {
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(Vec::len)
            .sum()
    }

    pub fn start(
        database: DatabaseSettings,
        shutdown: CancellationToken,
    ) -> std::io::Result<(Arc<Hub>, std::thread::JoinHandle<()>)> {
        let hub = Arc::new(Hub::default());
        let feeding = hub.clone();
        let thread = std::thread::Builder::new()
            .name("devforum-live-listener".into())
            .spawn(move || {
                let mut pause = Duration::from_millis(250);
                while !shutdown.is_cancelled() {
                    match listen(&database, &feeding, &shutdown) {
                        Ok(()) => break,
                        Err(error) => {
                            tracing::warn!(%error, "live listener lost its connection; reconnecting");
                            feeding.resync_all();
                            std::thread::sleep(pause);
                            pause = (pause * 2).min(Duration::from_secs(10));
                        }
                    }
                }
            })?;
        Ok((hub, thread))
    }

    /// Every stream reads from the table: signals may have been missed.
    fn resync_all(&self) {
        let streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        for registration in streams.values().flatten() {
            if registration.sender.try_send(Delivery::Resync).is_err() {
                registration.behind.store(true, Ordering::Relaxed);
            }
        }
    }

    /// The members among `signalled` with a stream open here, each with the lowest id their
    /// streams have sent.
    fn positions(
        &self,
        signalled: &HashMap<UserId, Vec<NotificationId>>,
    ) -> Vec<(UserId, NotificationId)> {
        let streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        signalled
            .keys()
            .filter_map(|user| {
                let lowest = streams
                    .get(user)?
                    .iter()
                    .map(|registration| registration.position.load(Ordering::Relaxed))
                    .min()?;
                Some((*user, NotificationId(lowest)))
            })
            .collect()
    }

    /// Reads what the signalled members' streams have not sent, in two statements on the
    /// listener's connection, and hands each member's part to their streams.
    fn deliver(
        &self,
        conn: &mut PgConnection,
        mut signalled: HashMap<UserId, Vec<NotificationId>>,
    ) -> QueryResult<()> {
        let members = self.positions(&signalled);
        if members.is_empty() {
            return Ok(());
        }
        let also: Vec<NotificationId> = members
            .iter()
            .flat_map(|(user, _)| signalled.get(user).into_iter().flatten().copied())
            .collect();
        let rows = model::inbox_after_for_many(conn, &members, &also, REPLAY_PAGE)?;
        let users: Vec<UserId> = members.iter().map(|(user, _)| *user).collect();
        let counts: HashMap<UserId, i64> = model::unread_counts(conn, &users)?
            .into_iter()
            .map(|(user, unread)| (user, i64::from(unread)))
            .collect();
        let mut by_member: HashMap<UserId, Vec<InboxRow>> = HashMap::new();
        for entry in rows {
            by_member.entry(entry.member).or_default().push(entry.row);
        }
        let batches = users
            .into_iter()
            .map(|user| {
                let rows = by_member.remove(&user).unwrap_or_default();
                let batch = MemberBatch {
                    complete: (rows.len() as i64) < REPLAY_PAGE,
                    rows,
                    also: signalled.remove(&user).unwrap_or_default(),
                    unread: counts.get(&user).copied().unwrap_or(0),
                };
                (user, batch)
            })
            .collect();
        self.hand_out(batches);
        Ok(())
    }

    /// Gives each member's batch to every stream they have open here; a stream whose buffer
    /// is full is marked behind instead (it will read the table).
    fn hand_out(&self, batches: Vec<(UserId, MemberBatch)>) {
        let streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        for (user, batch) in batches {
            let Some(list) = streams.get(&user) else {
                continue;
            };
            let batch = Arc::new(batch);
            for registration in list {
                if registration
                    .sender
                    .try_send(Delivery::Batch(batch.clone()))
                    .is_err()
                {
                    registration.behind.store(true, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Holds `LISTEN` on a connection of its own; each round drains every signal that has
/// arrived and delivers them as one batch.
fn listen(
    database: &DatabaseSettings,
    hub: &Hub,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let mut conn = db::connect(database)?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
    hub.resync_all();
    while !shutdown.is_cancelled() {
        let mut signalled: HashMap<UserId, Vec<NotificationId>> = HashMap::new();
        for notification in conn.notifications_iter() {
            let notification = notification?;
            match parse_payload(&notification.payload) {
                Some((user, signal)) => {
                    let ids = signalled.entry(user).or_default();
                    if let Signal::New(id) = signal {
                        ids.push(id);
                    }
                }
                None => tracing::warn!(payload = %notification.payload, "unreadable live signal"),
            }
        }
        if signalled.is_empty() {
            std::thread::sleep(Duration::from_millis(10));
        } else {
            hub.deliver(&mut conn, signalled)?;
        }
    }
    Ok(())
}

/// One Server-Sent Event.
pub fn event(
    name: &str,
    id: Option<NotificationId>,
    data: &impl serde::Serialize,
) -> serde_json::Result<Bytes> {
    let data = serde_json::to_string(data)?;
    let mut text = String::with_capacity(data.len() + 48);
    if let Some(id) = id {
        text.push_str(&format!("id: {}\n", id.0));
    }
    text.push_str(&format!("event: {name}\ndata: {data}\n\n"));
    Ok(Bytes::from(text))
}

/// A comment line that keeps proxies from closing an idle stream.
pub fn heartbeat() -> Bytes {
    Bytes::from_static(b": keep-alive\n\n")
}

/// Entries read at a time, by a batch or by a stream catching up.
pub const REPLAY_PAGE: i64 = 100;

/// How long a stream stays quiet before it sends a heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// What the stream endpoint needs: the hub and the server's shutdown.
#[derive(Clone)]
pub struct LiveStreams {
    pub hub: Arc<Hub>,
    pub shutdown: CancellationToken,
}

struct Stream {
    pool: DbPool,
    user: UserId,
    subscription: Subscription,
    last: NotificationId,
    shutdown: CancellationToken,
    deadline: tokio::time::Instant,
    heartbeat: Duration,
    started: bool,
    replay: bool,
}

/// Opens a member's stream: first what they have not seen (after `last_event_id`, or only the
/// unread count for a new stream), then each notification as it comes, until the access
/// token's lifetime ends (the client reconnects with a fresh token) or the server stops.
pub fn open(
    pool: DbPool,
    hub: &Arc<Hub>,
    user: UserId,
    last_event_id: Option<NotificationId>,
    shutdown: CancellationToken,
    lifetime: Duration,
    heartbeat: Duration,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> {
    let subscription = hub.subscribe(user);
    let stream = Stream {
        pool,
        user,
        subscription,
        last: last_event_id.unwrap_or(NotificationId(0)),
        shutdown,
        deadline: tokio::time::Instant::now() + lifetime,
        heartbeat,
        started: false,
        replay: last_event_id.is_some(),
    };
    futures_util::stream::unfold(stream, |mut stream| async move {
        let chunk = stream.next_chunk().await?;
        Some((chunk, stream))
    })
}

impl Stream {
    async fn next_chunk(&mut self) -> Option<Result<Bytes, actix_web::Error>> {
        if !self.started {
            self.started = true;
            if !self.replay {
                let (pool, user) = (self.pool.clone(), self.user);
                match db::read(&pool, Cost::Large, move |conn| {
                    Ok(model::latest_id(conn, user)?)
                })
                .await
                {
                    Ok(latest) => self.last = latest,
                    Err(error) => return Some(Err(error.into())),
                }
            }
            let mut chunk = b"retry: 3000\n\n".to_vec();
            return Some(match self.catch_up(&[]).await {
                Ok(events) => {
                    chunk.extend_from_slice(&events);
                    Ok(Bytes::from(chunk))
                }
                Err(error) => Err(error.into()),
            });
        }
        loop {
            let delivery = tokio::select! {
                _ = self.shutdown.cancelled() => return None,
                _ = tokio::time::sleep_until(self.deadline) => return None,
                _ = tokio::time::sleep(self.heartbeat) => return Some(Ok(heartbeat())),
                delivery = self.subscription.deliveries.recv() => delivery?,
            };
            let mut batches = Vec::new();
            let mut resync = false;
            let mut next = Some(delivery);
            while let Some(delivery) = next {
                match delivery {
                    Delivery::Batch(batch) => batches.push(batch),
                    Delivery::Resync => resync = true,
                }
                next = self.subscription.deliveries.try_recv().ok();
            }
            let behind = self.subscription.behind.swap(false, Ordering::Relaxed);
            let events = if resync || behind || batches.iter().any(|batch| !batch.complete) {
                let also: Vec<NotificationId> = batches
                    .iter()
                    .flat_map(|batch| batch.also.iter().copied())
                    .filter(|id| *id <= self.last)
                    .collect();
                self.catch_up(&also).await
            } else {
                self.send(&batches)
            };
            match events {
                Ok(events) if events.is_empty() => continue,
                Ok(events) => return Some(Ok(Bytes::from(events))),
                Err(error) => {
                    tracing::warn!(%error, "live stream could not read the inbox; closing it");
                    return None;
                }
            }
        }
    }

    /// The events of batches read for this member: each entry above what this stream has sent
    /// (or named by a signal below it), then the newest unread count.
    fn send(&mut self, batches: &[Arc<MemberBatch>]) -> Result<Vec<u8>, ApiError> {
        let mut out = Vec::new();
        let Some(newest) = batches.last() else {
            return Ok(out);
        };
        let before = self.last;
        for batch in batches {
            for row in &batch.rows {
                if row.id > self.last || (row.id <= before && batch.also.contains(&row.id)) {
                    let view = NotificationView::new(row.clone());
                    self.last = self.last.max(view.id);
                    out.extend_from_slice(
                        &event("notification", Some(view.id), &view)
                            .map_err(anyhow::Error::from)?,
                    );
                }
            }
        }
        self.subscription
            .position
            .store(self.last.0, Ordering::Relaxed);
        let unread = UnreadCount {
            unread: newest.unread,
        };
        out.extend_from_slice(&event("unread", None, &unread).map_err(anyhow::Error::from)?);
        Ok(out)
    }

    async fn catch_up(&mut self, also: &[NotificationId]) -> Result<Vec<u8>, ApiError> {
        let mut out = Vec::new();
        let mut also = also.to_vec();
        loop {
            let (pool, user, after, ids) = (self.pool.clone(), self.user, self.last, also.clone());
            let rows = db::read(&pool, Cost::Large, move |conn| {
                Ok(model::inbox_after(conn, user, after, &ids, REPLAY_PAGE)?)
            })
            .await?;
            let full = rows.len() as i64 == REPLAY_PAGE;
            for row in rows {
                let view = NotificationView::new(row);
                self.last = self.last.max(view.id);
                out.extend_from_slice(
                    &event("notification", Some(view.id), &view).map_err(anyhow::Error::from)?,
                );
            }
            also.clear();
            if !full {
                break;
            }
        }
        self.subscription
            .position
            .store(self.last.0, Ordering::Relaxed);
        // The same counter table the hub's batches read.
        let (pool, user) = (self.pool.clone(), self.user);
        let counted = db::read(&pool, Cost::Large, move |conn| {
            Ok(model::unread_counts(conn, &[user])?)
        })
        .await?;
        let unread = counted.first().map_or(0, |(_, unread)| i64::from(*unread));
        out.extend_from_slice(
            &event("unread", None, &UnreadCount { unread }).map_err(anyhow::Error::from)?,
        );
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_a_member_and_maybe_a_notification() {
        assert_eq!(
            parse_payload("7 42"),
            Some((UserId(7), Signal::New(NotificationId(42))))
        );
        assert_eq!(parse_payload("7"), Some((UserId(7), Signal::Count)));
        assert_eq!(parse_payload("7 x"), None);
        assert_eq!(parse_payload("7 1 2"), None);
        assert_eq!(parse_payload(""), None);
    }

    fn batch(unread: i64) -> MemberBatch {
        MemberBatch {
            rows: Vec::new(),
            also: Vec::new(),
            unread,
            complete: true,
        }
    }

    fn unread_of(delivery: Option<Delivery>) -> Option<i64> {
        match delivery? {
            Delivery::Batch(batch) => Some(batch.unread),
            Delivery::Resync => None,
        }
    }

    #[tokio::test]
    async fn the_hub_reaches_only_the_members_streams_and_forgets_closed_ones() {
        let hub = Arc::new(Hub::default());
        let mut ada = hub.subscribe(UserId(1));
        let mut ada_again = hub.subscribe(UserId(1));
        let mut bob = hub.subscribe(UserId(2));
        hub.hand_out(vec![(UserId(1), batch(3))]);
        assert_eq!(unread_of(ada.deliveries.recv().await), Some(3));
        assert_eq!(unread_of(ada_again.deliveries.recv().await), Some(3));
        assert!(bob.deliveries.try_recv().is_err());
        assert_eq!(hub.open_streams(), 3);
        drop(ada_again);
        drop(bob);
        assert_eq!(hub.open_streams(), 1);
        // A stream that does not read is never given more than its buffer, and knows it.
        for n in 0..1000 {
            hub.hand_out(vec![(UserId(1), batch(n))]);
        }
        let mut held = 0;
        while ada.deliveries.try_recv().is_ok() {
            held += 1;
        }
        assert_eq!(held, STREAM_BUFFER);
        assert!(ada.behind.load(Ordering::Relaxed));
    }

    #[test]
    fn a_batch_reads_each_member_from_the_lowest_position_of_their_streams() {
        let hub = Arc::new(Hub::default());
        let ada = hub.subscribe(UserId(1));
        let ada_again = hub.subscribe(UserId(1));
        let _bob = hub.subscribe(UserId(2));
        ada.position.store(40, Ordering::Relaxed);
        ada_again.position.store(25, Ordering::Relaxed);
        let signalled = HashMap::from([
            (UserId(1), vec![NotificationId(41)]),
            (UserId(3), vec![NotificationId(9)]),
        ]);
        // Bob was not signalled and Cyd has no stream here: only Ada is read, from 25.
        assert_eq!(
            hub.positions(&signalled),
            vec![(UserId(1), NotificationId(25))]
        );
        // A stream that has not read where it starts holds no one back.
        let _new = hub.subscribe(UserId(2));
        let signalled = HashMap::from([(UserId(2), vec![])]);
        assert_eq!(
            hub.positions(&signalled),
            vec![(UserId(2), NotificationId(i64::MAX))]
        );
    }
}
