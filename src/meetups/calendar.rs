//! RFC 5545 calendars of meetups, built with the `icalendar` crate.
//!
//! Times are written in the meetup's own zone (`DTSTART;TZID=America/New_York:…`), as people
//! expect to see them. RFC 5545 wants a `VTIMEZONE` for every `TZID` used; each one carries
//! the zone's offsets over the span its meetups need (from chrono-tz's IANA data), so a client
//! without the IANA database still lands on the right instant, DST changes included.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use icalendar::{
    Calendar, CalendarComponent, CalendarDateTime, Component, Event, EventLike, EventStatus,
    Property,
};

use super::model::MeetupRow;
use crate::ids::MeetupId;
use crate::markdown;

pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";
/// The most meetups one feed carries.
pub const FEED_LIMIT: i64 = 500;

/// A calendar of these meetups, one `VEVENT` each.
pub fn calendar(name: &str, meetups: &[MeetupRow], base_url: &str) -> String {
    personal(name, meetups, &[], base_url)
}

/// A day to remember that is not a meetup (a mentorship's check-in), as an all-day event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayToRemember {
    /// Unique and stable: the same in every fetch of the feed.
    pub uid: String,
    pub summary: String,
    pub date: chrono::NaiveDate,
    pub url: String,
}

/// A member's own calendar: their meetups, and the days they have to remember.
pub fn personal(
    name: &str,
    meetups: &[MeetupRow],
    days: &[DayToRemember],
    base_url: &str,
) -> String {
    let mut calendar = build(name, meetups, base_url);
    for day in days {
        let mut event = Event::new();
        event
            .uid(&day.uid)
            .summary(&text(&day.summary))
            .all_day(day.date)
            .url(&day.url)
            .status(EventStatus::Confirmed);
        calendar.push(event.done());
    }
    calendar.to_string()
}

/// Every member- or site-written TEXT value (RFC 5545 §3.3.11) goes through here before the
/// `icalendar` crate escapes `\`, `;`, `,` and line breaks: a line break is written one way
/// (`\n`) whatever the writer typed (CR LF, CR, U+2028, U+2029), and other control
/// characters, which TEXT may not hold, go.
fn text(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\r' | '\u{2028}' | '\u{2029}' => Some('\n'),
            '\n' | '\t' => Some(c),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

fn build(name: &str, meetups: &[MeetupRow], base_url: &str) -> Calendar {
    let mut calendar = Calendar::new();
    // `Calendar::name` leaves NAME (RFC 7986) unescaped: the crate knows no value type for
    // it. Said to be TEXT, it is escaped like X-WR-CALNAME.
    let name = text(name);
    calendar.append_property(
        Property::new("NAME", &name)
            .add_parameter("VALUE", "TEXT")
            .done(),
    );
    calendar.append_property(Property::new("X-WR-CALNAME", &name));
    for (tz, from, to) in zone_spans(meetups).into_values() {
        if let Some(vtimezone) = vtimezone(tz, from, to) {
            calendar.push(vtimezone);
        }
    }
    for meetup in meetups {
        calendar.push(event(meetup, base_url));
    }
    calendar
}

fn zone_of(meetup: &MeetupRow) -> Tz {
    meetup.timezone.parse().unwrap_or(Tz::UTC)
}

type Span = (Tz, DateTime<Utc>, DateTime<Utc>);

/// Each zone the meetups use (by name, in a stable order), with the span of time its
/// definition must cover.
fn zone_spans(meetups: &[MeetupRow]) -> BTreeMap<&'static str, Span> {
    let mut spans: BTreeMap<&'static str, Span> = BTreeMap::new();
    for meetup in meetups {
        let tz = zone_of(meetup);
        let span = spans
            .entry(tz.name())
            .or_insert((tz, meetup.starts_at, meetup.ends_at));
        span.1 = span.1.min(meetup.starts_at);
        span.2 = span.2.max(meetup.ends_at);
    }
    spans
}

/// The stable identifier of a meetup's event, the same in every calendar that carries it.
pub fn uid(meetup_id: MeetupId, base_url: &str) -> String {
    format!("meetup-{meetup_id}@{}", host(base_url))
}

/// The host events' identifiers are scoped to: the web client's.
pub fn host(base_url: &str) -> String {
    url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "devforum".to_string())
}

pub fn page_link(meetup_id: MeetupId, base_url: &str) -> String {
    format!("{}/meetups/{meetup_id}", base_url.trim_end_matches('/'))
}

fn event(meetup: &MeetupRow, base_url: &str) -> Event {
    let tz = zone_of(meetup);
    let link = page_link(meetup.id, base_url);
    let mut event = Event::new();
    event
        .uid(&uid(meetup.id, base_url))
        .sequence(u32::try_from(meetup.sequence).unwrap_or(0))
        .timestamp(meetup.updated_at)
        .created(meetup.created_at)
        .last_modified(meetup.updated_at)
        .summary(&text(&meetup.title))
        .description(&text(&format!(
            "{}\n\n{link}",
            markdown::plain_text(&meetup.description, 4_000)
        )))
        .starts(CalendarDateTime::from_date_time(
            meetup.starts_at.with_timezone(&tz),
        ))
        .ends(CalendarDateTime::from_date_time(
            meetup.ends_at.with_timezone(&tz),
        ))
        .url(meetup.online_url.as_deref().unwrap_or(&link))
        .status(if meetup.is_cancelled() {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    if let Some(venue) = meetup.venue() {
        event.location(&text(&format!(
            "{}, {}, {}, {}",
            venue.name, venue.address, venue.city, venue.country
        )));
    } else if let Some(url) = &meetup.online_url {
        event.location(&text(url));
    }
    if !meetup.tags.is_empty() {
        event.add_property("CATEGORIES", meetup.tags.join(","));
    }
    event.done()
}

/// UTC offset of `tz` at `at`, in seconds east of UTC.
fn offset_at(tz: Tz, at: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The instants in `(from, to]` at which `tz` changes its offset. Offsets hold for months, so
/// a daily scan finds every change and a bisection pins it to the second.
fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut found = Vec::new();
    let step = Duration::days(1);
    let mut at = from;
    while at < to {
        let next = (at + step).min(to);
        if offset_at(tz, at) != offset_at(tz, next) {
            let (mut before, mut after) = (at, next);
            while after - before > Duration::seconds(1) {
                let middle = before + (after - before) / 2;
                if offset_at(tz, middle) == offset_at(tz, before) {
                    before = middle;
                } else {
                    after = middle;
                }
            }
            found.push(after);
        }
        at = next;
    }
    found
}

fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.abs();
    let (hours, minutes, rest) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if rest == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{rest:02}")
    }
}

fn local_time(at: DateTime<Utc>, offset_seconds: i32) -> NaiveDateTime {
    at.naive_utc() + Duration::seconds(i64::from(offset_seconds))
}

/// One `STANDARD` or `DAYLIGHT` observance beginning at `onset` (`None`: since long ago).
fn observance(tz: Tz, onset: Option<DateTime<Utc>>, from: i32, at: DateTime<Utc>) -> String {
    let offset = tz.offset_from_utc_datetime(&at.naive_utc());
    let to = offset.fix().local_minus_utc();
    let kind = if offset.dst_offset().is_zero() {
        "STANDARD"
    } else {
        "DAYLIGHT"
    };
    let start = onset
        .map(|onset| local_time(onset, from))
        .unwrap_or_default();
    let name = offset
        .abbreviation()
        .map(|name| format!("TZNAME:{name}\r\n"))
        .unwrap_or_default();
    format!(
        "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n{name}END:{kind}\r\n",
        start.format("%Y%m%dT%H%M%S"),
        format_offset(from),
        format_offset(to),
    )
}

/// The `VTIMEZONE` of `tz` over `[from, to]`: the observance in force at `from` (from the
/// change that began it, looked up to a year back) and every change up to `to`.
fn vtimezone(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<CalendarComponent> {
    let mut text = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", tz.name());
    let onset = transitions(tz, from - Duration::days(366), from)
        .last()
        .copied();
    let before_onset = onset.map_or(offset_at(tz, from), |o| {
        offset_at(tz, o - Duration::seconds(1))
    });
    text.push_str(&observance(tz, onset, before_onset, from));
    for change in transitions(tz, from, to) {
        let before = offset_at(tz, change - Duration::seconds(1));
        text.push_str(&observance(tz, Some(change), before, change));
    }
    text.push_str("END:VTIMEZONE\r\n");
    match text.parse::<CalendarComponent>() {
        Ok(component) => Some(component),
        Err(error) => {
            tracing::error!(%error, zone = tz.name(), "could not build a VTIMEZONE");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_york_changes_its_clocks_on_the_first_sunday_of_november_2026() {
        let tz: Tz = "America/New_York".parse().expect("zone");
        let from = Utc.with_ymd_and_hms(2026, 10, 20, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        // 02:00 EDT (06:00 UTC) on 1 November 2026 becomes 01:00 EST.
        assert_eq!(
            transitions(tz, from, to),
            [Utc.with_ymd_and_hms(2026, 11, 1, 6, 0, 0).unwrap()]
        );
        let zone = vtimezone(tz, from, to).expect("vtimezone");
        let text = Calendar::new().push(zone).done().to_string();
        assert!(text.contains("TZID:America/New_York"), "{text}");
        assert!(text.contains("BEGIN:DAYLIGHT"), "{text}");
        assert!(text.contains("DTSTART:20260308T020000"), "{text}");
        assert!(text.contains("BEGIN:STANDARD"), "{text}");
        assert!(text.contains("DTSTART:20261101T020000"), "{text}");
        assert!(text.contains("TZOFFSETFROM:-0400"), "{text}");
        assert!(text.contains("TZOFFSETTO:-0500"), "{text}");
    }

    #[test]
    fn zones_without_changes_have_one_observance() {
        let now = Utc::now();
        assert!(transitions(Tz::UTC, now, now + Duration::days(30)).is_empty());
        let zone = vtimezone(Tz::Asia__Kolkata, now, now + Duration::days(30)).expect("zone");
        let text = Calendar::new().push(zone).done().to_string();
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 1, "{text}");
        assert!(text.contains("TZOFFSETTO:+0530"), "{text}");
    }

    #[test]
    fn offsets_are_written_as_rfc_5545_wants() {
        assert_eq!(format_offset(-4 * 3600), "-0400");
        assert_eq!(format_offset(5 * 3600 + 1800), "+0530");
        assert_eq!(format_offset(0), "+0000");
        assert_eq!(format_offset(-(3600 + 75)), "-010115");
    }

    fn meetup(title: &str, description: &str, venue: &str) -> MeetupRow {
        let now = Utc::now();
        MeetupRow {
            id: MeetupId(7),
            organizer_id: crate::ids::UserId(1),
            title: title.into(),
            description: description.into(),
            description_html: String::new(),
            starts_at: now,
            ends_at: now + Duration::hours(2),
            timezone: "Europe/Berlin".into(),
            venue_name: Some(venue.into()),
            venue_address: Some(venue.into()),
            venue_city: Some("Berlin".into()),
            venue_country: Some("DE".into()),
            online_url: None,
            capacity: None,
            tags: vec!["rust".into()],
            going_count: 0,
            waitlist_count: 0,
            status: super::super::domain::MeetupStatus::Scheduled,
            sequence: 0,
            created_at: now,
            updated_at: now,
            cancelled_at: None,
            hidden: false,
            series_id: None,
            occurrence: None,
        }
    }

    #[test]
    fn every_text_property_is_escaped_and_reads_back_as_written() {
        let hostile = "a;b,c\\d\u{2028}e\r\nf";
        let as_read = "a;b,c\\d\ne\nf";
        let feed = personal(
            hostile,
            &[meetup(hostile, hostile, hostile)],
            &[DayToRemember {
                uid: "check-in-1@forum.example".into(),
                summary: hostile.into(),
                date: Utc::now().date_naive(),
                url: "https://forum.example/x".into(),
            }],
            "https://forum.example",
        );
        assert!(!feed.contains('\u{2028}'), "{feed}");
        let unfolded = feed.replace("\r\n ", "");
        for property in ["NAME;VALUE=TEXT", "X-WR-CALNAME", "SUMMARY"] {
            assert!(
                unfolded.contains(&format!("{property}:a\\;b\\,c\\\\d\\ne\\nf\r\n")),
                "{property}: {unfolded}"
            );
        }
        let parsed: Calendar = feed.parse().expect("the feed parses");
        assert_eq!(parsed.get_name(), Some(as_read));
        let events: Vec<&Event> = parsed
            .components
            .iter()
            .filter_map(|c| match c {
                CalendarComponent::Event(event) => Some(event),
                _ => None,
            })
            .collect();
        assert_eq!(events.len(), 2);
        for event in events {
            assert_eq!(event.get_summary(), Some(as_read));
        }
        let meetup_event = parsed
            .components
            .iter()
            .find_map(|c| match c {
                CalendarComponent::Event(event) if event.get_location().is_some() => Some(event),
                _ => None,
            })
            .expect("the meetup");
        assert_eq!(
            meetup_event.get_location(),
            Some(format!("{as_read}, {as_read}, Berlin, DE").as_str())
        );
        assert!(meetup_event
            .get_description()
            .is_some_and(|d| d.starts_with("a;b,c\\d")));
    }

    #[test]
    fn uids_are_stable_and_name_the_site() {
        assert_eq!(
            uid(MeetupId(7), "https://forum.example/"),
            "meetup-7@forum.example"
        );
        assert_eq!(uid(MeetupId(7), "not a url"), "meetup-7@devforum");
    }
}
