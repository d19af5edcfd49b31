//! Live notifications: `GET /notifications/stream` (Server-Sent Events).
//!
//! Every change to a notification row signals `devforum_notifications` (the trigger of the
//! blocks-and-tag-follows migration; the payload is ids only). Each serve process holds one
//! connection in `LISTEN` and hands each signal to the streams its member has open in that
//! process ([`Hub`]), so a notification written through any process, or by any worker, reaches
//! every stream. A stream reads what it sends from the table with the inbox's own filter, so
//! it shows nothing the inbox would not, and a reconnect with `Last-Event-ID` replays every
//! notification after that id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::web::Bytes;
use diesel::prelude::*;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::model;
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

/// How many signals a stream may hold before it is "behind": it then stops taking signals and
/// replays from the table instead, so a slow reader never grows the process's memory.
const STREAM_BUFFER: usize = 64;

/// The open streams of this process, by member.
/// The streams one member has open here: (registration id, where its signals go).
type MemberStreams = Vec<(u64, mpsc::Sender<Signal>)>;

#[derive(Default)]
pub struct Hub {
    streams: Mutex<HashMap<UserId, MemberStreams>>,
    next_id: AtomicU64,
}

/// A stream's registration; dropping it leaves the hub.
pub struct Subscription {
    hub: Arc<Hub>,
    user: UserId,
    id: u64,
    pub signals: mpsc::Receiver<Signal>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut streams = self
            .hub
            .streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(list) = streams.get_mut(&self.user) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                streams.remove(&self.user);
            }
        }
    }
}

impl Hub {
    pub fn subscribe(self: &Arc<Self>, user: UserId) -> Subscription {
        let (sender, signals) = mpsc::channel(STREAM_BUFFER);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(user)
            .or_default()
            .push((id, sender));
        Subscription {
            hub: self.clone(),
            user,
            id,
            signals,
        }
    }

    /// Hands a signal to every stream `user` has open here. A full stream gets a `Count`
    /// later or nothing: it notices the lag itself (see [`Subscription`]'s reader).
    pub fn dispatch(&self, user: UserId, signal: Signal) {
        let streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(list) = streams.get(&user) {
            for (_, sender) in list {
                // Full: the stream is behind and will replay from the table.
                let _ = sender.try_send(signal);
            }
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

    /// Starts the LISTEN thread that feeds this hub until `shutdown`.
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
                            // Streams replay what they may have missed.
                            feeding.wake_all();
                            std::thread::sleep(pause);
                            pause = (pause * 2).min(Duration::from_secs(10));
                        }
                    }
                }
            })?;
        Ok((hub, thread))
    }

    /// Tells every stream to look at the table again (after the listener lost signals).
    fn wake_all(&self) {
        let streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        for list in streams.values() {
            for (_, sender) in list {
                let _ = sender.try_send(Signal::Count);
            }
        }
    }
}

fn listen(
    database: &DatabaseSettings,
    hub: &Hub,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let mut conn = db::connect(database)?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
    hub.wake_all();
    while !shutdown.is_cancelled() {
        for notification in conn.notifications_iter() {
            let notification = notification?;
            match parse_payload(&notification.payload) {
                Some((user, signal)) => hub.dispatch(user, signal),
                None => tracing::warn!(payload = %notification.payload, "unreadable live signal"),
            }
        }
        // libpq offers no blocking wait through diesel; a 10 ms nap bounds the added latency
        // at the cost of a non-blocking socket read.
        std::thread::sleep(Duration::from_millis(10));
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

/// A comment line: keeps proxies from closing an idle stream.
pub fn heartbeat() -> Bytes {
    Bytes::from_static(b": keep-alive\n\n")
}

/// How many notifications one catch-up reads; a stream reads again while pages are full.
pub const REPLAY_PAGE: i64 = 100;

/// How often an idle stream sends a heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// What the stream endpoint needs from its process: the hub and the shutdown signal.
#[derive(Clone)]
pub struct LiveStreams {
    pub hub: Arc<Hub>,
    pub shutdown: CancellationToken,
}

/// One member's stream: where it is, and what wakes it.
struct Stream {
    pool: DbPool,
    user: UserId,
    subscription: Subscription,
    /// The newest notification id sent (or present when the stream opened).
    last: NotificationId,
    shutdown: CancellationToken,
    /// When the stream ends so the client reconnects with a fresh token (a suspended or
    /// signed-out member's stream does not outlive their access token).
    deadline: tokio::time::Instant,
    heartbeat: Duration,
    started: bool,
    replay: bool,
}

/// The Server-Sent Events of `user`'s stream: on opening, `retry`, the notifications after
/// `last_event_id` (when reconnecting) and the unread count; then each new notification and
/// each change of the count, as they commit, in any process; heartbeats while idle. Ends at
/// `lifetime` or when the process stops.
pub fn open(
    pool: DbPool,
    hub: &Arc<Hub>,
    user: UserId,
    last_event_id: Option<NotificationId>,
    shutdown: CancellationToken,
    lifetime: Duration,
    heartbeat: Duration,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> {
    // Subscribe before reading the table, so nothing committed in between is missed.
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
    /// The next bytes to send; `None` ends the stream.
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
            let signal = tokio::select! {
                _ = self.shutdown.cancelled() => return None,
                _ = tokio::time::sleep_until(self.deadline) => return None,
                _ = tokio::time::sleep(self.heartbeat) => return Some(Ok(heartbeat())),
                signal = self.subscription.signals.recv() => signal?,
            };
            // Everything that queued up meanwhile is one catch-up.
            let mut also = Vec::new();
            let mut next = Some(signal);
            while let Some(signal) = next {
                if let Signal::New(id) = signal {
                    if id <= self.last {
                        also.push(id);
                    }
                }
                next = self.subscription.signals.try_recv().ok();
            }
            match self.catch_up(&also).await {
                Ok(events) if events.is_empty() => continue,
                Ok(events) => return Some(Ok(Bytes::from(events))),
                Err(error) => {
                    tracing::warn!(%error, "live stream could not read the inbox; closing it");
                    return None;
                }
            }
        }
    }

    /// The notifications not sent yet, oldest first, then the unread count.
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
        let (pool, user) = (self.pool.clone(), self.user);
        let unread = db::read(&pool, Cost::Large, move |conn| {
            Ok(model::unread_count(conn, user)?)
        })
        .await?;
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

    #[tokio::test]
    async fn the_hub_reaches_only_the_members_streams_and_forgets_closed_ones() {
        let hub = Arc::new(Hub::default());
        let mut ada = hub.subscribe(UserId(1));
        let mut ada_again = hub.subscribe(UserId(1));
        let mut bob = hub.subscribe(UserId(2));
        hub.dispatch(UserId(1), Signal::New(NotificationId(5)));
        assert_eq!(
            ada.signals.recv().await,
            Some(Signal::New(NotificationId(5)))
        );
        assert_eq!(
            ada_again.signals.recv().await,
            Some(Signal::New(NotificationId(5)))
        );
        assert!(bob.signals.try_recv().is_err());
        assert_eq!(hub.open_streams(), 3);
        drop(ada_again);
        drop(bob);
        assert_eq!(hub.open_streams(), 1);
        // A stream that does not read is never given more than its buffer.
        for n in 0..1000 {
            hub.dispatch(UserId(1), Signal::New(NotificationId(n)));
        }
        let mut held = 0;
        while ada.signals.try_recv().is_ok() {
            held += 1;
        }
        assert_eq!(held, STREAM_BUFFER);
    }
}
