//! The use cases of private conversations. Only present participants see a conversation (a
//! `404` for anyone else, staff included); who may write is `rules`'; every write is one
//! transaction with the notifications it causes.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::domain::{self, NewConversation};
use super::model::{self, MessageWindow, OtherRow};
use super::rules::{self, Recipient};
use super::views::{ConversationView, MessageView};
use crate::accounts::service::erasure::Erasing;
use crate::accounts::User;
use crate::config::TrustSettings;
use crate::error::ApiError;
use crate::ids::{ConversationId, MessageId, UserId};
use crate::markdown;
use crate::notifications::{self, domain::ReadScope};
use crate::pagination::{self, Page};
use crate::rate_limit::PostingLimits;
use crate::trust::{self, rules::PostKind};

/// The job that tells a message's readers (`notifications::model::fan_out_message`).
pub const NOTIFY_MESSAGE_JOB: &str = "conversations.notify_message";

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct NotifyMessage {
    pub message_id: MessageId,
}

impl crate::jobs::ConnTask for NotifyMessage {
    const KIND: &'static str = NOTIFY_MESSAGE_JOB;
    type Needs = ();

    fn run(self, conn: &mut PgConnection, _: &()) -> anyhow::Result<()> {
        notifications::model::fan_out_message(conn, self.message_id)?;
        Ok(())
    }
}

/// The job [`model::post`] enqueues with a message, its id written in by the statement.
pub fn notify_job() -> crate::jobs::JobForNewRow {
    crate::jobs::JobForNewRow {
        spec: crate::jobs::JobSpec {
            kind: NOTIFY_MESSAGE_JOB,
            payload: serde_json::json!({ "message_id": 0 }),
        },
        id_at: "message_id",
    }
}

pub const INBOX_LISTING: &str = "conversations";
pub const MESSAGES_LISTING: &str = "conversation-messages";

/// What writing needs besides the database.
pub struct Writing<'a> {
    pub limits: &'a PostingLimits,
    pub trust: &'a TrustSettings,
}

/// A message's HTML: rendered once, code highlighted at once (messages are short, and no job
/// comes back to them).
fn render(body: &str) -> markdown::Rendered {
    let rendered = markdown::render_in_request(body);
    if rendered.highlight_pending {
        markdown::render_counting(body)
    } else {
        rendered
    }
}

fn recipient(row: &OtherRow) -> Recipient {
    Recipient {
        setting: row.messages,
        blocked_sender: row.blocked_sender,
        connected: row.connected,
    }
}

/// `author` starts a conversation with the members named: each must take messages from them
/// (one refusal, `403 cannot_message`, whoever refused and why); a `new` account starts a
/// few a day.
pub fn start(
    conn: &mut PgConnection,
    author: &User,
    input: &NewConversation,
    writing: &Writing<'_>,
) -> Result<ConversationView, ApiError> {
    let rendered = render(&input.body);
    trust::service::check_post(
        conn,
        author,
        Some(PostKind::Conversation),
        rendered.embeds,
        writing.trust,
    )?;
    writing.limits.threads.check_on(conn, &author.id)?;
    let found = model::members_by_username(conn, &input.to)?;
    let missing: Vec<&String> = input
        .to
        .iter()
        .filter(|name| !found.iter().any(|(_, n)| n.eq_ignore_ascii_case(name)))
        .collect();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        return Err(ApiError::invalid_field(
            "to",
            format!("no member has the username {}", names.join(", ")),
        ));
    }
    let others: Vec<UserId> = found.iter().map(|(id, _)| *id).collect();
    if others.contains(&author.id) {
        return Err(ApiError::invalid_field(
            "to",
            "must name other members, not yourself",
        ));
    }
    conn.transaction(|conn| {
        let facts = model::others(conn, author.id, &others)?;
        if facts.len() != others.len()
            || !facts
                .iter()
                .all(|row| rules::may_start_with(author.is_staff(), recipient(row)))
        {
            return Err(rules::cannot_message());
        }
        let (id, _) = model::insert(conn, author.id, &input.subject, None)?;
        let mut members = others.clone();
        members.push(author.id);
        model::join(conn, id, &members)?;
        let writer = model::Writer {
            author: author.id,
            staff: author.is_staff(),
            as_member: true,
        };
        // Someone named blocked the author since the check: nothing is kept.
        model::post(conn, id, writer, (&input.body, &rendered.html))?
            .ok_or_else(rules::cannot_message)?;
        view_of(conn, id, author.id)
    })
}

/// The conversation as `member` sees it, or 404.
fn view_of(
    conn: &mut PgConnection,
    id: ConversationId,
    member: UserId,
) -> Result<ConversationView, ApiError> {
    let row = model::find_for(conn, id, member)?.ok_or(ApiError::NotFound)?;
    let people = model::participants(conn, &[id])?;
    Ok(ConversationView::new(row, &people))
}

/// One conversation of the caller's, or 404 (for everyone else, staff included).
pub fn get(
    conn: &mut PgConnection,
    id: ConversationId,
    member: &User,
) -> Result<ConversationView, ApiError> {
    view_of(conn, id, member.id)
}

/// The caller's conversations, newest activity first.
pub fn inbox(
    conn: &mut PgConnection,
    member: &User,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<ConversationView>, ApiError> {
    let after: Option<(DateTime<Utc>, ConversationId)> =
        pagination::decode_optional(INBOX_LISTING, cursor)?;
    let rows = model::inbox(conn, member.id, after, limit + 1)?;
    let (rows, next_cursor) = pagination::split_page(rows, limit, |row| {
        let entry = &row.conversation;
        pagination::encode(INBOX_LISTING, &(entry.last_message_at, entry.id))
    });
    let items = rows
        .into_iter()
        .map(ConversationView::listed)
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::from)?;
    Ok(Page { items, next_cursor })
}

/// Which page of messages is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagesAsked<'a> {
    /// The newest, or (with a cursor) those before the previous page.
    Latest(Option<&'a str>),
    /// Those after this id (what arrived since the page was loaded).
    After(MessageId),
}

/// A page of the conversation's messages, oldest first within the page. The newest page comes
/// first; its `next_cursor` leads to older ones.
pub fn messages(
    conn: &mut PgConnection,
    id: ConversationId,
    member: &User,
    asked: MessagesAsked<'_>,
    limit: i64,
) -> Result<Page<MessageView>, ApiError> {
    if !model::is_present(conn, id, member.id)? {
        return Err(ApiError::NotFound);
    }
    match asked {
        MessagesAsked::Latest(cursor) => {
            let before: Option<MessageId> = pagination::decode_optional(MESSAGES_LISTING, cursor)?;
            let rows = model::messages(conn, id, MessageWindow::Before(before), limit + 1)?;
            let (mut rows, next_cursor) = pagination::split_page(rows, limit, |row| {
                pagination::encode(MESSAGES_LISTING, &row.id)
            });
            rows.reverse();
            Ok(Page {
                items: rows.into_iter().map(MessageView::new).collect(),
                next_cursor,
            })
        }
        MessagesAsked::After(after) => {
            let rows = model::messages(conn, id, MessageWindow::After(after), limit)?;
            Ok(Page {
                items: rows.into_iter().map(MessageView::new).collect(),
                next_cursor: None,
            })
        }
    }
}

/// `author` writes in a conversation they are in: the others are told (`message`, grouped
/// per conversation until read), unless none of them takes messages from the author
/// (`403 cannot_message`).
pub fn post(
    conn: &mut PgConnection,
    id: ConversationId,
    author: &User,
    body: &str,
    writing: &Writing<'_>,
) -> Result<MessageView, ApiError> {
    let rendered = render(body);
    trust::service::check_post(conn, author, None, rendered.embeds, writing.trust)?;
    writing.limits.replies.check_on(conn, &author.id)?;
    // One statement writes the message with everything it changes, if the author is in the
    // conversation and someone in it takes it; when it wrote nothing, the rule says why.
    let writer = model::Writer {
        author: author.id,
        staff: author.is_staff(),
        as_member: true,
    };
    match model::post(conn, id, writer, (body, &rendered.html))? {
        Some(message) => Ok(MessageView::new(message)),
        None => Err(refusal(conn, id, author)),
    }
}

/// Why a message was not written, as things stand now: the author is not in the conversation
/// (`404`), or nobody in it takes messages from them (`403 cannot_message`).
fn refusal(conn: &mut PgConnection, id: ConversationId, author: &User) -> ApiError {
    let present = match model::present_facts(conn, id, author.id) {
        Ok(present) => present,
        Err(error) => return error.into(),
    };
    if !present.iter().any(|row| row.user_id == author.id) {
        return ApiError::NotFound;
    }
    let others: Vec<Recipient> = present
        .iter()
        .filter(|row| row.user_id != author.id)
        .map(recipient)
        .collect();
    if rules::may_write_in(author.is_staff(), &others) {
        // Someone left or unblocked in between: the member may simply send it again.
        ApiError::conflict(
            "conversation_changed",
            "The conversation changed while your message was sent; send it again.",
        )
    } else {
        rules::cannot_message()
    }
}

/// The caller read the conversation: their position moves to its newest message and its
/// notifications are read.
pub fn mark_read(
    conn: &mut PgConnection,
    id: ConversationId,
    member: &User,
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        if !model::mark_read(conn, id, member.id)? {
            return Err(ApiError::NotFound);
        }
        notifications::model::mark_read_in(conn, member.id, ReadScope::Conversation(id))?;
        Ok(())
    })
}

/// The caller leaves: the conversation leaves their inbox and refuses them from now on; its
/// unread notifications go with it.
pub fn leave(conn: &mut PgConnection, id: ConversationId, member: &User) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        if !model::leave(conn, id, member.id)? {
            return Err(ApiError::NotFound);
        }
        notifications::model::mark_read_in(conn, member.id, ReadScope::Conversation(id))?;
        Ok(())
    })
}

/// The pair's conversation, opened by an accepted mentorship request (inside its
/// transaction): made the first time with the mentee's request as its first message (by the
/// mentee), found again afterwards, with the new request added and anyone who left back in.
/// Mentorship bypasses the messages setting: the mentee asked, the mentor accepted.
pub fn open_for_mentorship(
    conn: &mut PgConnection,
    mentor: &User,
    mentee: UserId,
    mentee_name: &str,
    message: &str,
    goals: &str,
) -> Result<ConversationId, ApiError> {
    let pair = domain::mentorship_pair(mentor.id, mentee);
    let subject = format!("Mentorship: {mentee_name} and {}", mentor.username);
    let subject: String = subject.chars().take(domain::MAX_SUBJECT).collect();
    let (id, _) = model::insert(conn, mentee, &subject, Some(&pair))?;
    model::join(conn, id, &[mentee, mentor.id])?;
    let body = domain::mentorship_opening(message, goals);
    let body: String = body.chars().take(domain::MAX_BODY).collect();
    let html = render(&body).html;
    let writer = model::Writer {
        author: mentee,
        staff: false,
        as_member: false,
    };
    model::post(conn, id, writer, (&body, &html))?;
    // The mentor accepted having read it (the request told them): it is not news to them,
    // and the mentee hears of the acceptance itself.
    model::mark_read(conn, id, mentor.id)?;
    Ok(id)
}

/// The message a participant reports: the one named (it must be a visible message of this
/// conversation), or the newest from someone else. `404` for anyone not in the conversation.
pub fn reportable_message(
    conn: &mut PgConnection,
    id: ConversationId,
    reporter: &User,
    message: Option<MessageId>,
) -> Result<MessageId, ApiError> {
    if !model::is_present(conn, id, reporter.id)? {
        return Err(ApiError::NotFound);
    }
    match message {
        Some(message) => match model::find_message(conn, message)? {
            Some(row) if row.conversation_id == id && !row.hidden => Ok(message),
            _ => Err(ApiError::invalid_field(
                "message_id",
                "is not a message of this conversation",
            )),
        },
        None => model::latest_from_others(conn, id, reporter.id)?.ok_or_else(|| {
            ApiError::invalid_field(
                "message_id",
                "there is no message of someone else to report",
            )
        }),
    }
}

/// Whether `member` is in the conversation of message `id` (what they may report).
pub fn participant_sees(
    conn: &mut PgConnection,
    id: MessageId,
    member: &User,
) -> Result<bool, ApiError> {
    Ok(match model::find_message(conn, id)? {
        Some(row) => !row.hidden && model::is_present(conn, row.conversation_id, member.id)?,
        None => false,
    })
}

/// A reported message as staff see it: that message alone, never the conversation.
pub fn reported_message(
    conn: &mut PgConnection,
    id: MessageId,
) -> Result<Option<MessageView>, ApiError> {
    Ok(model::find_message(conn, id)?.map(MessageView::new))
}

/// A message hidden or restored by moderation, for the author's notification.
pub struct Moderated {
    pub author: UserId,
    pub conversation: ConversationId,
    pub subject: String,
}

/// Hides or restores a message under its row lock; `None` when it already was so, `404` when
/// there is no such message.
pub fn set_hidden(
    conn: &mut PgConnection,
    id: MessageId,
    hidden: bool,
) -> Result<Option<Moderated>, ApiError> {
    let (author, conversation, was) = model::lock_message(conn, id)?.ok_or(ApiError::NotFound)?;
    if was == hidden {
        return Ok(None);
    }
    model::set_hidden(conn, id, hidden)?;
    let subject = model::subject(conn, conversation)?.unwrap_or_default();
    Ok(Some(Moderated {
        author,
        conversation,
        subject,
    }))
}

/// An account is erased: it leaves every conversation; its messages stay, under the
/// tombstone's reference, for the others, and its names leave the subjects (a mentorship's
/// names its pair).
pub fn on_member_erased(conn: &mut PgConnection, erasing: &Erasing<'_>) -> Result<(), ApiError> {
    for (id, subject) in model::subjects_of(conn, erasing.member.id)? {
        let scrubbed = crate::accounts::service::erasure::scrubbed(&subject, erasing.member);
        if scrubbed != subject {
            model::set_subject(conn, id, &scrubbed)?;
        }
    }
    model::leave_all(conn, erasing.member.id)?;
    Ok(())
}
