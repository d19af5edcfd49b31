//! Atom 1.0 feeds (`atom_syndication`): the latest threads, a tag's threads, and a thread's
//! replies. Built from the views the pages show, so they hold only what a visitor could see.

use atom_syndication::{
    CategoryBuilder, Content, ContentBuilder, Entry, EntryBuilder, Feed, FeedBuilder,
    FixedDateTime, LinkBuilder, Person, PersonBuilder, Text,
};
use chrono::{DateTime, Utc};

use super::urls::Site;
use crate::accounts::views::MemberSummary;
use crate::threads::views::{ReplyView, ThreadSummary, ThreadView};

/// Entries in a list feed (latest, a tag's).
pub const LIST_ENTRIES: i64 = 30;

fn at(time: DateTime<Utc>) -> FixedDateTime {
    time.fixed_offset()
}

fn author(site: &Site, member: &MemberSummary) -> Person {
    PersonBuilder::default()
        .name(
            member
                .display_name
                .clone()
                .unwrap_or_else(|| member.username.clone()),
        )
        .uri(Some(site.profile(&member.username)))
        .build()
}

fn html(value: &str) -> Content {
    ContentBuilder::default()
        .value(Some(value.to_string()))
        .content_type(Some("html".to_string()))
        .build()
}

fn link(rel: &str, href: String, media_type: &str) -> atom_syndication::Link {
    LinkBuilder::default()
        .rel(rel.to_string())
        .href(href)
        .mime_type(Some(media_type.to_string()))
        .build()
}

/// A feed of thread summaries: `title`, the page it mirrors (`alternate`) and itself (`self`).
pub fn threads(
    site: &Site,
    title: &str,
    alternate: String,
    itself: String,
    threads: &[ThreadSummary],
) -> Feed {
    let entries: Vec<Entry> = threads
        .iter()
        .map(|thread| {
            let url = site.thread(thread.id.get(), &thread.slug);
            EntryBuilder::default()
                .title(thread.title.as_str())
                .id(url.clone())
                .updated(at(thread.last_activity_at))
                .published(Some(at(thread.created_at)))
                .author(author(site, &thread.author))
                .link(link("alternate", url, "text/html"))
                .summary(Some(Text::plain(thread.excerpt.as_str())))
                .categories(
                    thread
                        .tags
                        .iter()
                        .map(|tag| CategoryBuilder::default().term(tag.clone()).build())
                        .collect::<Vec<_>>(),
                )
                .build()
        })
        .collect();
    let updated = threads
        .iter()
        .map(|thread| thread.last_activity_at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    feed(title, alternate, itself, updated, entries)
}

/// A thread's feed: the opening post, then its newest replies, newest first.
pub fn thread(site: &Site, view: &ThreadView, newest_replies: &[ReplyView]) -> Feed {
    let url = site.thread(view.id.get(), &view.slug);
    let mut entries: Vec<Entry> = newest_replies
        .iter()
        .map(|reply| {
            let reply_url = format!("{url}#reply-{}", reply.id);
            EntryBuilder::default()
                .title(format!("Re: {}", view.title))
                .id(reply_url.clone())
                .updated(at(reply.updated_at))
                .published(Some(at(reply.created_at)))
                .author(author(site, &reply.author))
                .link(link("alternate", reply_url, "text/html"))
                .content(Some(html(&reply.body_html)))
                .build()
        })
        .collect();
    entries.push(
        EntryBuilder::default()
            .title(view.title.as_str())
            .id(url.clone())
            .updated(at(view.updated_at))
            .published(Some(at(view.created_at)))
            .author(author(site, &view.author))
            .link(link("alternate", url.clone(), "text/html"))
            .content(Some(html(&view.body_html)))
            .build(),
    );
    let updated = view.last_activity_at.max(view.updated_at);
    feed(
        &view.title,
        url,
        site.thread_feed(view.id.get()),
        updated,
        entries,
    )
}

fn feed(
    title: &str,
    alternate: String,
    itself: String,
    updated: DateTime<Utc>,
    entries: Vec<Entry>,
) -> Feed {
    FeedBuilder::default()
        .title(title)
        .id(itself.clone())
        .updated(at(updated))
        .link(link("alternate", alternate, "text/html"))
        .link(link("self", itself, "application/atom+xml"))
        .entries(entries)
        .build()
}
