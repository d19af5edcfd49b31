//! What the API shows of meetups, RSVPs and attendee lists.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::views::MemberSummary;
use crate::ids::{MeetupId, SeriesId};

use super::domain::Venue;
use super::domain::{MeetupStatus, RsvpStatus};
use super::model::{MeetupRow, MemberRow, RsvpRow};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VenueView {
    pub name: String,
    pub address: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl From<Venue> for VenueView {
    fn from(venue: Venue) -> Self {
        VenueView {
            name: venue.name,
            address: venue.address,
            city: venue.city,
            country: venue.country,
        }
    }
}

impl MemberRow {
    pub fn summary(&self) -> MemberSummary {
        MemberSummary {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            avatar_url: self.avatar_url.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeetupView {
    pub id: MeetupId,
    pub title: String,
    /// The readable part of the meetup's public page URL (`/m/{id}/{slug}`).
    pub slug: String,
    /// The Markdown as written.
    pub description: String,
    /// Rendered and sanitised HTML.
    pub description_html: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The IANA zone the meetup is held in.
    pub timezone: String,
    pub venue: Option<VenueView>,
    pub online_url: Option<String>,
    /// `null`: no limit.
    pub capacity: Option<i32>,
    pub tags: Vec<String>,
    pub organizer: MemberSummary,
    pub going_count: i32,
    pub waitlist_count: i32,
    pub status: MeetupStatus,
    /// Bumped on every change; the calendar's `SEQUENCE`.
    pub sequence: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Only staff ever see `true`.
    pub hidden: bool,
    /// The series this meetup is an occurrence of (a recurring meetup); `null` for a one-off.
    #[schema(value_type = Option<i64>)]
    pub series_id: Option<SeriesId>,
    /// The caller's RSVP, when signed in (`null`: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_rsvp: Option<Option<RsvpStatus>>,
    /// When the caller is on the waitlist: their place in it (1 is next to get a seat).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_waitlist_position: Option<i64>,
}

impl MeetupView {
    pub fn new(row: MeetupRow, organizer: &MemberRow, my_rsvp: Option<Option<RsvpStatus>>) -> Self {
        let venue = row.venue().map(VenueView::from);
        let status = row.status;
        MeetupView {
            id: row.id,
            slug: crate::slugs::of(&row.title, "meetup"),
            title: row.title,
            description: row.description,
            description_html: row.description_html,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            timezone: row.timezone,
            venue,
            online_url: row.online_url,
            capacity: row.capacity,
            tags: row.tags,
            organizer: organizer.summary(),
            going_count: row.going_count,
            waitlist_count: row.waitlist_count,
            status,
            sequence: row.sequence,
            created_at: row.created_at,
            updated_at: row.updated_at,
            cancelled_at: row.cancelled_at,
            hidden: row.hidden,
            series_id: row.series_id,
            my_rsvp,
            my_waitlist_position: None,
        }
    }
}

/// A listing entry: the meetup without its description.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeetupSummary {
    pub id: MeetupId,
    pub title: String,
    /// The readable part of the meetup's public page URL (`/m/{id}/{slug}`).
    pub slug: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub venue: Option<VenueView>,
    pub online_url: Option<String>,
    pub capacity: Option<i32>,
    pub tags: Vec<String>,
    pub organizer: MemberSummary,
    pub going_count: i32,
    pub waitlist_count: i32,
    pub status: MeetupStatus,
    pub hidden: bool,
    /// The series this meetup is an occurrence of; `null` for a one-off.
    #[schema(value_type = Option<i64>)]
    pub series_id: Option<SeriesId>,
}

impl MeetupSummary {
    pub fn new((row, organizer): (MeetupRow, MemberRow)) -> Self {
        let view = MeetupView::new(row, &organizer, None);
        MeetupSummary {
            id: view.id,
            slug: view.slug,
            title: view.title,
            starts_at: view.starts_at,
            ends_at: view.ends_at,
            timezone: view.timezone,
            venue: view.venue,
            online_url: view.online_url,
            capacity: view.capacity,
            tags: view.tags,
            organizer: view.organizer,
            going_count: view.going_count,
            waitlist_count: view.waitlist_count,
            status: view.status,
            hidden: view.hidden,
            series_id: view.series_id,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RsvpView {
    pub meetup_id: MeetupId,
    pub status: RsvpStatus,
    /// 1 for the first in line; only while waitlisted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waitlist_position: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttendeeView {
    pub username: String,
    pub display_name: Option<String>,
    /// When the RSVP was made.
    pub rsvp_at: DateTime<Utc>,
}

impl AttendeeView {
    pub fn new((rsvp, member): (RsvpRow, MemberRow)) -> Self {
        AttendeeView {
            username: member.username,
            display_name: member.display_name,
            rsvp_at: rsvp.created_at,
        }
    }
}

/// Going and waitlisted members, each in RSVP order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttendeeList {
    pub going: Vec<AttendeeView>,
    pub waitlisted: Vec<AttendeeView>,
}
