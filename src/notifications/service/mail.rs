//! Notifications by email. A notification of a kind that mails gets a `notification.mail` job
//! from the database (the `notifications_mail` trigger), so no path that notifies can forget
//! it; the job decides when it runs ([`decide`]): at once for `always`, after the wait for
//! `away` (and not at all if the member read it or came back meanwhile), never past the daily
//! cap, and never twice (`mailed_at` is claimed under the row's lock and never cleared).
//!
//! Mentorship and meetups render their own message (stored with the notification, see
//! [`Draft`]); replies and mentions are rendered here when sent. Every message carries a
//! one-click unsubscribe link (RFC 8058) scoped to what it is about.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::unsubscribe::{Scope, UnsubscribeKeys};
use crate::email::{self, OutgoingEmail};
use crate::ids::NotificationId;
use crate::notifications::domain::{EmailPreference, NotificationKind};
use crate::notifications::model::mail::{self as model, MailRow};

/// The job that decides about, and sends, one notification's mail.
pub const MAIL_JOB: &str = "notification.mail";

impl crate::jobs::ConnTask for MailWork {
    const KIND: &'static str = MAIL_JOB;
    type Needs = MailContext;

    fn run(self, conn: &mut PgConnection, context: &MailContext) -> anyhow::Result<()> {
        let decision = deliver(conn, context, &self, Utc::now())?;
        tracing::debug!(notification = %self.notification_id, ?decision, "notification mail");
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct MailWork {
    pub notification_id: NotificationId,
}

/// A message a feature prepared for its notification: the template and its context. The
/// unsubscribe link is added when it is sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Draft {
    pub template: String,
    pub context: serde_json::Value,
}

impl Draft {
    pub fn new(template: &str, context: serde_json::Value) -> Self {
        Draft {
            template: template.to_string(),
            context,
        }
    }
}

/// What the mail job needs besides the database.
pub struct MailContext {
    pub keys: UnsubscribeKeys,
    pub base_url: String,
    pub wait: chrono::Duration,
    pub daily_cap: i64,
}

impl MailContext {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        MailContext {
            keys: UnsubscribeKeys::new(settings),
            base_url: settings.web.base_url.trim_end_matches('/').to_string(),
            wait: settings.notifications.mail_wait(),
            daily_cap: settings.notifications.daily_mail_cap,
        }
    }
}

/// What decides whether a notification mails.
#[derive(Debug, Clone)]
pub struct Facts {
    pub read: bool,
    pub hidden: bool,
    pub mailed: bool,
    pub created_at: DateTime<Utc>,
    pub preference: EmailPreference,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Notification mails the member got in the last 24 hours.
    pub sent_today: i64,
    /// A verified, unsuspended account.
    pub reachable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Send,
    /// Ask again at this time (the member is away-only and the wait is not over).
    Later(DateTime<Utc>),
    Skip(&'static str),
}

/// Whether a notification mails now, later or never.
pub fn decide(
    facts: &Facts,
    wait: chrono::Duration,
    daily_cap: i64,
    now: DateTime<Utc>,
) -> Decision {
    if facts.mailed {
        return Decision::Skip("already mailed");
    }
    if facts.read {
        return Decision::Skip("read");
    }
    if facts.hidden {
        return Decision::Skip("hidden");
    }
    if !facts.reachable {
        return Decision::Skip("unverified or suspended");
    }
    match facts.preference {
        EmailPreference::Never => return Decision::Skip("never"),
        EmailPreference::Always => {}
        EmailPreference::Away => {
            let due = facts.created_at + wait;
            if now < due {
                return Decision::Later(due);
            }
            if facts
                .last_seen_at
                .is_some_and(|seen| seen > facts.created_at)
            {
                return Decision::Skip("active since");
            }
        }
    }
    if facts.sent_today >= daily_cap {
        return Decision::Skip("daily cap");
    }
    Decision::Send
}

/// What [`decide`] weighs, from the loaded row.
fn facts_of(row: &MailRow) -> Facts {
    Facts {
        read: row.read,
        hidden: row.hidden,
        mailed: row.mailed,
        created_at: row.created_at,
        preference: row.preference,
        last_seen_at: row.last_seen_at,
        sent_today: row.sent_today,
        reachable: row.reachable,
    }
}

/// Runs one mail job: sends, asks again later, or lets it go. Safe to run twice.
pub fn deliver(
    conn: &mut PgConnection,
    context: &MailContext,
    work: &MailWork,
    now: DateTime<Utc>,
) -> anyhow::Result<Decision> {
    conn.transaction(|conn| {
        let Some(row) = model::load(conn, work.notification_id)? else {
            return Ok(Decision::Skip("gone"));
        };
        let decision = decide(&facts_of(&row), context.wait, context.daily_cap, now);
        match decision {
            Decision::Send => {
                model::mark_mailed(conn, work.notification_id)?;
                let message = compose(&row, context)?;
                email::enqueue_message(conn, &message)?;
            }
            Decision::Later(at) => {
                let payload = serde_json::to_value(work)?;
                crate::jobs::enqueue_at(
                    conn,
                    MAIL_JOB,
                    &payload,
                    at,
                    crate::jobs::DEFAULT_MAX_ATTEMPTS,
                )?;
            }
            Decision::Skip(_) => {}
        }
        Ok(decision)
    })
}

/// What a mail about this notification lets its reader stop: mail about the thread, or
/// all notification mail for the rest.
fn scope_of(row: &MailRow) -> Scope {
    match (row.kind, row.thread_id) {
        (NotificationKind::Reply | NotificationKind::Mention, Some(thread)) => {
            Scope::Thread(thread)
        }
        _ => Scope::Mail,
    }
}

fn compose(row: &MailRow, context: &MailContext) -> anyhow::Result<OutgoingEmail> {
    let scope = scope_of(row);
    let token = context.keys.issue(row.user_id, scope)?;
    let unsubscribe = Unsubscribe::links(
        &context.base_url,
        &token,
        scope.describe(row.title.as_deref()),
    );
    let draft = match &row.mail {
        Some(stored) => serde_json::from_value::<Draft>(stored.clone())?,
        None => generic_draft(row, &context.base_url),
    };
    let mut message = unsubscribe.render(&row.email, &draft)?;
    message.conversation = conversation_of(row);
    Ok(message)
}

/// What a notification's mail is about, so that mail clients thread every message about one
/// thread, meetup or mentorship request together.
fn conversation_of(row: &MailRow) -> Option<String> {
    row.thread_id
        .map(|id| format!("thread-{}", id.0))
        .or_else(|| row.meetup_id.map(|id| format!("meetup-{id}")))
        .or_else(|| {
            row.mentorship_request_id
                .map(|id| format!("mentorship-{id}"))
        })
        .or_else(|| row.conversation_id.map(|id| format!("conversation-{id}")))
}

/// The words of a notification no feature prepared a message for (replies, mentions, and
/// the mentorship steps without a template of their own).
pub fn headline(kind: NotificationKind, actor: &str, title: &str, count: i32) -> String {
    use NotificationKind as K;
    match kind {
        K::Reply if count > 1 => format!("{count} new replies in your thread “{title}”"),
        K::Reply => format!("{actor} replied to your thread “{title}”"),
        K::WatchedReply => format!("New replies in “{title}”"),
        K::Mention => format!("{actor} mentioned you in “{title}”"),
        K::NewThreadInTag => format!("{actor} started “{title}”"),
        K::MentorshipRequest => format!("{actor} asks you for mentorship"),
        K::MentorshipAccepted => format!("{actor} accepted your mentorship request"),
        K::MentorshipDeclined => format!("{actor} declined your mentorship request"),
        K::MentorshipWithdrawn => format!("{actor} withdrew their mentorship request"),
        K::MentorshipCompleted => format!("{actor} marked your mentorship as completed"),
        K::MentorshipExpired => "A mentorship request expired".to_string(),
        K::MeetupChanged => format!("The meetup “{title}” changed"),
        K::MeetupCancelled => format!("The meetup “{title}” was cancelled"),
        K::MeetupSeat => format!("You have a seat at “{title}”"),
        K::MeetupReminder => format!("“{title}” is coming up"),
        K::ContentHidden => "A moderator hid something you posted".to_string(),
        K::ContentRestored => "A moderator restored something you posted".to_string(),
        K::AccountSuspended => "Your account was suspended".to_string(),
        K::AccountUnsuspended => "Your account's suspension was lifted".to_string(),
        K::AppealDecided => "Your appeal was decided".to_string(),
        K::Solution => format!("{actor} marked your reply as the solution to “{title}”"),
        K::Message if count > 1 => format!("{count} new messages in “{title}”"),
        K::Message => format!("{actor} sent you a message in “{title}”"),
        K::WebhookDisabled => "A webhook was turned off".to_string(),
    }
}

/// `headline` as a sentence of the mail's body: a full stop unless it already ends as one
/// (a thread titled “Why?” ends its headline with `?”`, which takes none).
pub fn as_sentence(headline: &str) -> String {
    let last = headline
        .trim_end_matches(['”', '"', '’', '\'', ')'])
        .chars()
        .last();
    if matches!(last, Some('.' | '?' | '!' | '…')) {
        headline.to_string()
    } else {
        format!("{headline}.")
    }
}

fn generic_draft(row: &MailRow, base_url: &str) -> Draft {
    let actor = row.actor.as_deref().unwrap_or("Someone");
    let title = row.title.as_deref().unwrap_or_default();
    let link = match (
        row.thread_id,
        row.reply_id,
        row.meetup_id,
        row.mentorship_request_id,
    ) {
        (Some(thread), Some(reply), _, _) => {
            format!("{base_url}/threads/{}#reply-{reply}", thread.0)
        }
        (Some(thread), None, _, _) => format!("{base_url}/threads/{}", thread.0),
        (_, _, Some(meetup), _) => format!("{base_url}/meetups/{meetup}"),
        (_, _, _, Some(request)) => format!("{base_url}/mentorship-requests/{request}"),
        _ => match row.conversation_id {
            Some(conversation) => format!("{base_url}/messages/{conversation}"),
            None => format!("{base_url}/notifications"),
        },
    };
    let excerpt = match row.kind {
        NotificationKind::Reply | NotificationKind::Mention | NotificationKind::Message => row
            .body
            .as_deref()
            .map(|body| crate::markdown::excerpt(body, 600))
            .unwrap_or_default(),
        _ => String::new(),
    };
    Draft::new(
        "notification",
        serde_json::json!({
            "username": row.username,
            "headline": headline(row.kind, actor, title, row.count),
            "sentence": as_sentence(&headline(row.kind, actor, title, row.count)),
            "excerpt": excerpt,
            "link": link,
        }),
    )
}

/// The unsubscribe links of one message: the one-click URL for the `List-Unsubscribe` header
/// (the API; a POST unsubscribes) and the page a reader opens from the footer.
pub struct Unsubscribe {
    pub one_click: String,
    pub page: String,
    pub what: String,
}

impl Unsubscribe {
    pub fn links(base_url: &str, token: &str, what: String) -> Self {
        Unsubscribe {
            one_click: format!("{base_url}/api/v1/unsubscribe?token={token}"),
            page: format!("{base_url}/unsubscribe?token={token}"),
            what,
        }
    }

    /// Renders `draft` for `to` with the footer and the RFC 8058 headers.
    pub fn render(&self, to: &str, draft: &Draft) -> anyhow::Result<OutgoingEmail> {
        let mut context = draft.context.clone();
        if let Some(fields) = context.as_object_mut() {
            fields.insert(
                "unsubscribe".to_string(),
                serde_json::json!({ "link": self.page, "what": self.what }),
            );
        }
        let mut message = email::render(&draft.template, to, context)?;
        message
            .text
            .push_str(&format!("\n\n--\n{}: {}\n", self.what, self.page));
        message.list_unsubscribe = Some(self.one_click.clone());
        // Whatever its template, mail with an unsubscribe link is mail the member chose.
        if message.category == email::Category::Account {
            message.category = email::Category::Notification;
        }
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_headline_ends_its_sentence_once() {
        assert_eq!(
            as_sentence("ada replied to your thread “Borrowing”"),
            "ada replied to your thread “Borrowing”."
        );
        assert_eq!(
            as_sentence("ada replied to your thread “Why?”"),
            "ada replied to your thread “Why?”"
        );
        assert_eq!(
            as_sentence("ada started “It works!”"),
            "ada started “It works!”"
        );
        assert_eq!(
            as_sentence("Your account was suspended"),
            "Your account was suspended."
        );
    }

    fn facts(preference: EmailPreference) -> Facts {
        Facts {
            read: false,
            hidden: false,
            mailed: false,
            created_at: DateTime::from_timestamp(1_000_000, 0).unwrap_or_default(),
            preference,
            last_seen_at: None,
            sent_today: 0,
            reachable: true,
        }
    }

    #[test]
    fn always_sends_at_once_and_never_never_does() {
        let f = facts(EmailPreference::Always);
        assert_eq!(
            decide(&f, Duration::minutes(10), 20, f.created_at),
            Decision::Send
        );
        let f = facts(EmailPreference::Never);
        assert_eq!(
            decide(
                &f,
                Duration::minutes(10),
                20,
                f.created_at + Duration::hours(1)
            ),
            Decision::Skip("never")
        );
    }

    #[test]
    fn away_waits_then_sends_unless_the_member_came_back_or_read_it() {
        let f = facts(EmailPreference::Away);
        let wait = Duration::minutes(10);
        let due = f.created_at + wait;
        assert_eq!(decide(&f, wait, 20, f.created_at), Decision::Later(due));
        assert_eq!(decide(&f, wait, 20, due), Decision::Send);

        let back = Facts {
            last_seen_at: Some(f.created_at + Duration::minutes(3)),
            ..f.clone()
        };
        assert_eq!(decide(&back, wait, 20, due), Decision::Skip("active since"));
        let seen_before = Facts {
            last_seen_at: Some(f.created_at - Duration::minutes(3)),
            ..f.clone()
        };
        assert_eq!(decide(&seen_before, wait, 20, due), Decision::Send);
        let read = Facts {
            read: true,
            ..f.clone()
        };
        assert_eq!(decide(&read, wait, 20, due), Decision::Skip("read"));
    }

    #[test]
    fn one_mail_ever_nothing_hidden_and_the_cap_holds() {
        let wait = Duration::zero();
        let base = facts(EmailPreference::Always);
        let now = base.created_at;
        let mailed = Facts {
            mailed: true,
            ..base.clone()
        };
        assert_eq!(
            decide(&mailed, wait, 20, now),
            Decision::Skip("already mailed")
        );
        let hidden = Facts {
            hidden: true,
            ..base.clone()
        };
        assert_eq!(decide(&hidden, wait, 20, now), Decision::Skip("hidden"));
        let capped = Facts {
            sent_today: 20,
            ..base.clone()
        };
        assert_eq!(decide(&capped, wait, 20, now), Decision::Skip("daily cap"));
        let unverified = Facts {
            reachable: false,
            ..base
        };
        assert_eq!(
            decide(&unverified, wait, 20, now),
            Decision::Skip("unverified or suspended")
        );
    }
}
