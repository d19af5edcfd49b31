//! Meetup input parsed once at the edge, every bad field reported at once; the rules that tie
//! fields together (a place, an end after the start) are checked on the combined result, so a
//! PATCH is held to them as a creation is.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::markdown;
use crate::tags::{self, TagName};
use crate::validation::{self, Validator};

pub const TITLE_CHARS: (usize, usize) = (5, 200);
pub const DESCRIPTION_CHARS: usize = 20_000;
pub const MAX_TAGS: usize = 5;
pub const MAX_CAPACITY: i64 = 10_000;
pub const MAX_LENGTH: Duration = Duration::days(7);
pub const URL_CHARS: usize = 2_000;

crate::text_enum! {
    /// Whether a meetup still takes place.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum MeetupStatus ("meetup status") {
        Scheduled => "scheduled",
        Cancelled => "cancelled",
    }
}

crate::text_enum! {
    #[derive(Serialize, serde::Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum RsvpStatus ("RSVP status") {
        Going => "going",
        Waitlisted => "waitlisted",
    }
}

/// Where a meetup is held in person.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueInput {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[schema(
        min_length = 1,
        max_length = 300,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub address: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub city: String,
    /// ISO 3166-1 alpha-2 country code, such as `DE`.
    #[schema(value_type = CountryCodeSchema)]
    pub country: String,
}

/// A venue, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Venue {
    pub name: String,
    pub address: String,
    pub city: String,
    pub country: String,
}

/// The OpenAPI schema of a country code: every ISO 3166-1 alpha-2 code, as an enum.
pub struct CountryCodeSchema;

impl utoipa::PartialSchema for CountryCodeSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let mut codes: Vec<&'static str> = isocountry::CountryCode::iter()
            .map(|c| c.alpha2())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An ISO 3166-1 alpha-2 country code such as `DE`."))
            .enum_values(Some(codes))
            .into()
    }
}

impl utoipa::ToSchema for CountryCodeSchema {}

pub fn parse_country(raw: &str) -> Result<String, String> {
    isocountry::CountryCode::for_alpha2_caseless(raw.trim())
        .map(|c| c.alpha2().to_string())
        .map_err(|_| format!("{raw:?} is not an ISO 3166-1 alpha-2 country code such as \"DE\""))
}

/// Each bad venue field is reported as `venue.<field>`.
fn parse_venue(v: &mut Validator, raw: &VenueInput) -> Option<Venue> {
    let name = v.check("venue.name", validation::text(&raw.name, 1, 200, false));
    let address = v.check(
        "venue.address",
        validation::text(&raw.address, 1, 300, false),
    );
    let city = v.check("venue.city", validation::text(&raw.city, 1, 100, false));
    let country = v.check("venue.country", parse_country(&raw.country));
    Some(Venue {
        name: name?,
        address: address?,
        city: city?,
        country: country?,
    })
}

/// An absolute `http` or `https` URL.
pub fn parse_online_url(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > URL_CHARS {
        return Err(format!("must be at most {URL_CHARS} characters long"));
    }
    match url::Url::parse(trimmed) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(url.to_string())
        }
        _ => Err("must be an http or https URL such as https://meet.example/room".into()),
    }
}

pub fn parse_capacity(raw: f64) -> Result<i32, String> {
    if raw.fract() == 0.0 && (1.0..=MAX_CAPACITY as f64).contains(&raw) {
        Ok(raw as i32)
    } else {
        Err(format!("must be a whole number from 1 to {MAX_CAPACITY}"))
    }
}

pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, Vec<String>> {
    tags::parse_list(raw, MAX_TAGS, TagName::parse)
        .map(|t| t.into_iter().map(TagName::into_string).collect())
}

/// The fields of a meetup, whole and valid.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetupInput {
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub venue: Option<Venue>,
    pub online_url: Option<String>,
    pub capacity: Option<i32>,
    pub tags: Vec<String>,
}

impl MeetupInput {
    pub fn description_html(&self) -> String {
        markdown::render(&self.description)
    }
}

/// A request body's fields as sent: `None` is absent, `Some(None)` an explicit `null`.
#[derive(Debug, Default)]
pub struct RawMeetup<'a> {
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub timezone: Option<&'a str>,
    pub venue: Option<Option<&'a VenueInput>>,
    pub online_url: Option<Option<&'a str>>,
    pub capacity: Option<Option<f64>>,
    pub tags: Option<&'a [String]>,
}

/// Parses a creation (`current` = None) or a change to `current`, then checks the rules that
/// tie fields together on the result. `now` decides what "in the future" means.
pub fn parse(
    raw: RawMeetup<'_>,
    current: Option<&MeetupInput>,
    now: DateTime<Utc>,
) -> Result<MeetupInput, ApiError> {
    let mut v = Validator::new();
    let creating = current.is_none();
    let required = |v: &mut Validator, field: &str, present: bool| {
        if creating && !present {
            v.add(field, "is required".into());
        }
    };
    required(&mut v, "title", raw.title.is_some());
    required(&mut v, "description", raw.description.is_some());
    required(&mut v, "starts_at", raw.starts_at.is_some());
    required(&mut v, "ends_at", raw.ends_at.is_some());
    required(&mut v, "timezone", raw.timezone.is_some());
    validation::check_date(&mut v, "starts_at", raw.starts_at, now);
    validation::check_date(&mut v, "ends_at", raw.ends_at, now);
    let title = raw.title.and_then(|t| {
        v.check(
            "title",
            validation::text(t, TITLE_CHARS.0, TITLE_CHARS.1, false),
        )
    });
    let description = raw.description.and_then(|d| {
        v.check(
            "description",
            validation::text(d, 1, DESCRIPTION_CHARS, true),
        )
    });
    let timezone = raw
        .timezone
        .and_then(|t| v.check("timezone", validation::timezone(t)));
    let venue = raw
        .venue
        .map(|venue| venue.and_then(|venue| parse_venue(&mut v, venue)));
    let online_url = raw
        .online_url
        .map(|url| url.and_then(|url| v.check("online_url", parse_online_url(url))));
    let capacity = raw
        .capacity
        .map(|capacity| capacity.and_then(|c| v.check("capacity", parse_capacity(c))));
    let tags = raw.tags.and_then(|t| v.check_all("tags", parse_tags(t)));
    if !v.is_valid() {
        v.finish()?;
    }

    let empty = MeetupInput {
        title: String::new(),
        description: String::new(),
        starts_at: now,
        ends_at: now,
        timezone: String::new(),
        venue: None,
        online_url: None,
        capacity: None,
        tags: Vec::new(),
    };
    let base = current.unwrap_or(&empty);
    let times_changed = raw.starts_at.is_some() || raw.ends_at.is_some();
    let meetup = MeetupInput {
        title: title.unwrap_or_else(|| base.title.clone()),
        description: description.unwrap_or_else(|| base.description.clone()),
        starts_at: raw.starts_at.unwrap_or(base.starts_at),
        ends_at: raw.ends_at.unwrap_or(base.ends_at),
        timezone: timezone.unwrap_or_else(|| base.timezone.clone()),
        venue: venue.unwrap_or_else(|| base.venue.clone()),
        online_url: online_url.unwrap_or_else(|| base.online_url.clone()),
        capacity: capacity.unwrap_or(base.capacity),
        tags: tags.unwrap_or_else(|| base.tags.clone()),
    };
    let mut v = Validator::new();
    if times_changed && meetup.starts_at <= now {
        v.add("starts_at", "must be in the future".into());
    }
    if meetup.ends_at <= meetup.starts_at {
        v.add("ends_at", "must be after starts_at".into());
    } else if meetup.ends_at - meetup.starts_at > MAX_LENGTH {
        v.add("ends_at", "must be within 7 days of starts_at".into());
    }
    if meetup.venue.is_none() && meetup.online_url.is_none() {
        v.add(
            "venue",
            "a meetup needs a venue or an online_url (or both)".into(),
        );
    }
    v.finish()?;
    Ok(meetup)
}

/// A listing's own filters, parsed (the page size and cursor are pagination's).
#[derive(Debug, PartialEq, Eq)]
pub struct ListingFields {
    pub tag: Option<String>,
    pub city: Option<String>,
}

pub const CITY_CHARS: usize = 100;

/// The tag and city filters, and a window whose end is after its start.
pub fn parse_listing_fields(
    tag: Option<&str>,
    city: Option<&str>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<ListingFields, ApiError> {
    let mut v = Validator::new();
    validation::check_date(&mut v, "from", from, now);
    validation::check_date(&mut v, "to", to, now);
    let tag = tag.and_then(|t| v.check("tag", TagName::parse(t).map(TagName::into_string)));
    let city = city.and_then(|c| v.check("city", validation::text(c, 1, CITY_CHARS, false)));
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            v.add("to", "must be after from".into());
        }
    }
    v.finish()?;
    Ok(ListingFields { tag, city })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn venue() -> VenueInput {
        VenueInput {
            name: "Hall 1".into(),
            address: "Main St 1".into(),
            city: "Berlin".into(),
            country: "de".into(),
        }
    }

    fn fields(result: Result<MeetupInput, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::Validation(errors)) => errors.keys().cloned().collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_meetup() {
        let now = Utc::now();
        let tags = vec!["rust".to_string()];
        let v = venue();
        let meetup = parse(
            RawMeetup {
                title: Some("Rust night"),
                description: Some("Talks and *pizza*"),
                starts_at: Some(now + Duration::days(3)),
                ends_at: Some(now + Duration::days(3) + Duration::hours(3)),
                timezone: Some("Europe/Berlin"),
                venue: Some(Some(&v)),
                online_url: None,
                capacity: Some(Some(40.0)),
                tags: Some(&tags),
            },
            None,
            now,
        )
        .expect("valid");
        assert_eq!(meetup.venue.map(|v| v.country), Some("DE".into()));
        assert_eq!(meetup.capacity, Some(40));
    }

    #[test]
    fn every_bad_field_is_named_and_the_cross_field_rules_hold() {
        let now = Utc::now();
        let bad_venue = VenueInput {
            country: "XX".into(),
            ..venue()
        };
        let missing = fields(parse(
            RawMeetup {
                online_url: Some(Some("ftp://files.example")),
                venue: Some(Some(&bad_venue)),
                capacity: Some(Some(0.0)),
                ..RawMeetup::default()
            },
            None,
            now,
        ));
        assert_eq!(
            missing,
            [
                "capacity",
                "description",
                "ends_at",
                "online_url",
                "starts_at",
                "timezone",
                "title",
                "venue.country"
            ]
        );
        let past = fields(parse(
            RawMeetup {
                title: Some("Rust night"),
                description: Some("Talks"),
                starts_at: Some(now - Duration::hours(1)),
                ends_at: Some(now + Duration::days(8)),
                timezone: Some("UTC"),
                ..RawMeetup::default()
            },
            None,
            now,
        ));
        assert_eq!(past, ["ends_at", "starts_at", "venue"]);
        let backwards = fields(parse(
            RawMeetup {
                title: Some("Rust night"),
                description: Some("Talks"),
                starts_at: Some(now + Duration::hours(2)),
                ends_at: Some(now + Duration::hours(1)),
                timezone: Some("UTC"),
                online_url: Some(Some("https://meet.example/x")),
                ..RawMeetup::default()
            },
            None,
            now,
        ));
        assert_eq!(backwards, ["ends_at"]);
    }

    #[test]
    fn a_change_is_checked_against_the_whole_meetup() {
        let now = Utc::now();
        let current = MeetupInput {
            title: "Rust night".into(),
            description: "Talks".into(),
            starts_at: now + Duration::days(1),
            ends_at: now + Duration::days(1) + Duration::hours(2),
            timezone: "UTC".into(),
            venue: None,
            online_url: Some("https://meet.example/x".into()),
            capacity: None,
            tags: vec![],
        };
        // Removing the only place is refused; moving the end before the start too.
        let no_place = RawMeetup {
            online_url: Some(None),
            ..RawMeetup::default()
        };
        assert_eq!(fields(parse(no_place, Some(&current), now)), ["venue"]);
        let early_end = RawMeetup {
            ends_at: Some(now),
            ..RawMeetup::default()
        };
        assert_eq!(fields(parse(early_end, Some(&current), now)), ["ends_at"]);
        let retitled = parse(
            RawMeetup {
                title: Some("Rust evening"),
                capacity: Some(None),
                ..RawMeetup::default()
            },
            Some(&current),
            now,
        )
        .expect("valid");
        assert_eq!(retitled.title, "Rust evening");
        assert_eq!(retitled.starts_at, current.starts_at);
    }

    #[test]
    fn urls_and_countries() {
        assert!(parse_online_url("https://meet.example/room?id=1").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://x.example",
            "meet.example",
            "https://",
        ] {
            assert!(parse_online_url(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_country(" us "), Ok("US".into()));
        assert!(parse_country("USA").is_err());
        assert!(parse_capacity(10_000.0).is_ok());
        assert!(parse_capacity(10_001.0).is_err());
    }
}
