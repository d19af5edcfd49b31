//! Mentorship input parsed once at the edge: a mentor profile and a request, every bad field
//! reported at once.

use crate::error::ApiError;
use crate::markdown;
use crate::tags::{self, TagName};
use crate::validation::{self, Validator};

pub const HEADLINE_CHARS: usize = 120;
pub const BIO_CHARS: usize = 10_000;
pub const MAX_SKILLS: usize = 15;
pub const MAX_LANGUAGES: usize = 10;
pub const MAX_CAPACITY: i64 = 20;
pub const MESSAGE_CHARS: usize = 2_000;
pub const GOALS_CHARS: usize = 2_000;
pub const REASON_CHARS: usize = 1_000;

/// An ISO 639-1 language code (`en`, `de`, `pt`), stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageCode(String);

impl LanguageCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_lowercase();
        match isolang::Language::from_639_1(&code) {
            Some(_) => Ok(LanguageCode(code)),
            None => Err(format!(
                "{raw:?} is not an ISO 639-1 language code such as \"en\" or \"de\""
            )),
        }
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The OpenAPI schema of a language code: every ISO 639-1 code, as an enum.
pub struct LanguageCodeSchema;

impl utoipa::PartialSchema for LanguageCodeSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let mut codes: Vec<&'static str> = isolang::languages()
            .filter_map(|language| language.to_639_1())
            .collect();
        codes.sort_unstable();
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An ISO 639-1 language code such as `en`."))
            .enum_values(Some(codes))
            .into()
    }
}

impl utoipa::ToSchema for LanguageCodeSchema {}

/// A mentor profile as `PUT /mentors/me` sets it, with its bio rendered.
#[derive(Debug, Clone)]
pub struct MentorProfileInput {
    pub headline: String,
    pub bio: String,
    pub bio_html: String,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub timezone: String,
    pub capacity: i32,
    pub accepting_requests: bool,
    /// Paused until then; `None`: not away.
    pub away_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// The raw fields of a profile; `None` is a field left out.
#[derive(Debug, Default)]
pub struct RawProfile<'a> {
    pub headline: Option<&'a str>,
    pub bio: Option<&'a str>,
    pub skills: Option<&'a [String]>,
    pub languages: Option<&'a [String]>,
    pub timezone: Option<&'a str>,
    pub capacity: Option<f64>,
    pub accepting_requests: Option<bool>,
    pub away_until: Option<chrono::DateTime<chrono::Utc>>,
    /// The moment `away_until` is checked against.
    pub now: chrono::DateTime<chrono::Utc>,
}

impl MentorProfileInput {
    pub fn parse(raw: RawProfile<'_>) -> Result<Self, ApiError> {
        let mut v = Validator::new();
        let headline = v.require("headline", raw.headline, |s| {
            validation::text(s, 1, HEADLINE_CHARS, false)
        });
        // A profile may leave its bio empty; sending none at all keeps it empty too.
        let bio = v.check(
            "bio",
            validation::text(raw.bio.unwrap_or_default(), 0, BIO_CHARS, true),
        );
        let skills = match raw.skills {
            Some(skills) => v.check_all("skills", parse_skills(skills)),
            None => {
                v.add("skills", "is required".into());
                None
            }
        };
        let languages = match raw.languages {
            Some(languages) => v.check_all("languages", parse_languages(languages)),
            None => {
                v.add("languages", "is required".into());
                None
            }
        };
        let timezone = v.require("timezone", raw.timezone, validation::timezone);
        let capacity = match raw.capacity {
            Some(capacity) => v.check("capacity", parse_capacity(capacity)),
            None => {
                v.add("capacity", "is required".into());
                None
            }
        };
        if raw.accepting_requests.is_none() {
            v.add("accepting_requests", "is required".into());
        }
        if let Some(message) = raw
            .away_until
            .and_then(|until| away_problem(until, raw.now))
        {
            v.add("away_until", message);
        }
        v.finish()?;
        let bio = validation::validated(bio)?;
        Ok(MentorProfileInput {
            headline: validation::validated(headline)?,
            bio_html: markdown::render(&bio),
            bio,
            skills: validation::validated(skills)?,
            languages: validation::validated(languages)?,
            timezone: validation::validated(timezone)?,
            capacity: validation::validated(capacity)?,
            accepting_requests: raw.accepting_requests.unwrap_or(false),
            away_until: raw.away_until,
        })
    }
}

/// The longest pause a mentor may announce.
pub const MAX_AWAY_DAYS: i64 = 366;

/// What is wrong with pausing until `until`, if anything: it must lie ahead, within a year.
pub fn away_problem(
    until: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    if until <= now {
        Some("must be in the future (send null to be back)".into())
    } else if until > now + chrono::Duration::days(MAX_AWAY_DAYS) {
        Some(format!("must be within {MAX_AWAY_DAYS} days"))
    } else {
        None
    }
}

/// 1–15 skills, normalised as tags ("Rust Async" → "rust-async"), duplicates dropped.
pub fn parse_skills(raw: &[String]) -> Result<Vec<String>, Vec<String>> {
    let skills = tags::parse_list(raw, MAX_SKILLS, TagName::normalise)?;
    if skills.is_empty() {
        return Err(vec!["must name at least one skill".into()]);
    }
    Ok(skills.into_iter().map(TagName::into_string).collect())
}

/// 1–10 ISO 639-1 codes, duplicates dropped.
pub fn parse_languages(raw: &[String]) -> Result<Vec<String>, Vec<String>> {
    if raw.len() > MAX_LANGUAGES {
        return Err(vec![format!("at most {MAX_LANGUAGES} entries are allowed")]);
    }
    let mut errors = Vec::new();
    let mut codes: Vec<String> = Vec::new();
    for entry in raw {
        match LanguageCode::parse(entry) {
            Ok(code) => {
                let code = code.into_string();
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if codes.is_empty() {
        return Err(vec!["must name at least one language".into()]);
    }
    Ok(codes)
}

/// A whole number of mentees from 1 to 20 (JSON does not tell `3` from `3.0`, so neither does
/// this).
pub fn parse_capacity(raw: f64) -> Result<i32, String> {
    if raw.fract() == 0.0 && (1.0..=MAX_CAPACITY as f64).contains(&raw) {
        Ok(raw as i32)
    } else {
        Err(format!("must be a whole number from 1 to {MAX_CAPACITY}"))
    }
}

/// A request as `POST /mentorship-requests` makes it.
#[derive(Debug, Clone)]
pub struct RequestInput {
    pub mentor: String,
    pub message: String,
    pub goals: String,
}

impl RequestInput {
    pub fn parse(
        mentor: Option<&str>,
        message: Option<&str>,
        goals: Option<&str>,
    ) -> Result<Self, ApiError> {
        let mut v = Validator::new();
        let mentor = v.require("mentor", mentor, |s| {
            let name = s.trim();
            if name.is_empty() {
                Err("must not be empty".to_string())
            } else {
                Ok(name.to_string())
            }
        });
        let message = v.require("message", message, |s| {
            validation::text(s, 1, MESSAGE_CHARS, true)
        });
        let goals = v.require("goals", goals, |s| {
            validation::text(s, 1, GOALS_CHARS, true)
        });
        v.finish()?;
        Ok(RequestInput {
            mentor: validation::validated(mentor)?,
            message: validation::validated(message)?,
            goals: validation::validated(goals)?,
        })
    }
}

/// The optional note a mentor gives with an answer; blank means none.
pub fn parse_reason(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let reason = validation::text(raw, 0, REASON_CHARS, true)
        .map_err(|message| ApiError::invalid_field("reason", message))?;
    Ok(Some(reason).filter(|r| !r.is_empty()))
}

/// The directory's own filters, parsed (the page size and cursor are pagination's).
#[derive(Debug, PartialEq, Eq)]
pub struct DirectoryFields {
    pub skill: Option<String>,
    pub language: Option<String>,
}

/// A skill (any case: normalised to a tag) and a language code.
pub fn parse_directory_fields(
    skill: Option<&str>,
    language: Option<&str>,
) -> Result<DirectoryFields, ApiError> {
    let mut v = Validator::new();
    let skill =
        skill.and_then(|raw| v.check("skill", TagName::normalise(raw).map(TagName::into_string)));
    let language = language.and_then(|raw| {
        v.check(
            "language",
            LanguageCode::parse(raw).map(LanguageCode::into_string),
        )
    });
    v.finish()?;
    Ok(DirectoryFields { skill, language })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn language_codes() {
        assert_eq!(
            LanguageCode::parse(" EN ").map(LanguageCode::into_string),
            Ok("en".into())
        );
        for bad in ["", "eng", "xx", "e", "english"] {
            assert!(LanguageCode::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_languages(&strings(&["de", "DE", "pt"])),
            Ok(strings(&["de", "pt"]))
        );
        assert_eq!(
            parse_languages(&strings(&["de", "zz", "qq"]))
                .err()
                .map(|e| e.len()),
            Some(2)
        );
        assert!(parse_languages(&[]).is_err());
        assert!(parse_languages(&strings(&["en"; 11])).is_err());
    }

    #[test]
    fn skills_are_normalised_and_bounded() {
        assert_eq!(
            parse_skills(&strings(&["Rust Async", "rust-async", "go"])),
            Ok(strings(&["rust-async", "go"]))
        );
        assert!(parse_skills(&[]).is_err());
        let sixteen: Vec<String> = (0..16).map(|i| format!("s{i}")).collect();
        assert!(parse_skills(&sixteen).is_err());
    }

    #[test]
    fn capacity_is_a_whole_number_from_1_to_20() {
        assert_eq!(parse_capacity(1.0), Ok(1));
        assert_eq!(parse_capacity(20.0), Ok(20));
        for bad in [0.0, 21.0, -1.0, 2.5, f64::NAN] {
            assert!(parse_capacity(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_profile_reports_every_bad_field_at_once() {
        let skills = strings(&["no way!"]);
        let languages = strings(&["klingon"]);
        let raw = RawProfile {
            headline: Some(""),
            bio: None,
            skills: Some(&skills),
            languages: Some(&languages),
            timezone: Some("Mars/Olympus"),
            capacity: Some(0.0),
            accepting_requests: None,
            away_until: Some(chrono::Utc::now() - chrono::Duration::days(1)),
            now: chrono::Utc::now(),
        };
        match MentorProfileInput::parse(raw) {
            Err(ApiError::Validation(errors)) => assert_eq!(
                errors.keys().map(String::as_str).collect::<Vec<_>>(),
                [
                    "accepting_requests",
                    "away_until",
                    "capacity",
                    "headline",
                    "languages",
                    "skills",
                    "timezone"
                ]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_pause_lies_ahead_within_a_year() {
        let now = chrono::Utc::now();
        assert!(away_problem(now + chrono::Duration::days(7), now).is_none());
        assert!(away_problem(now, now).is_some());
        assert!(away_problem(now - chrono::Duration::hours(1), now).is_some());
        assert!(away_problem(now + chrono::Duration::days(MAX_AWAY_DAYS + 1), now).is_some());
    }

    #[test]
    fn a_valid_profile_renders_its_bio() {
        let skills = strings(&["Rust"]);
        let languages = strings(&["en"]);
        let profile = MentorProfileInput::parse(RawProfile {
            headline: Some("Systems programmer"),
            bio: Some("I *like* <script>x</script> code"),
            skills: Some(&skills),
            languages: Some(&languages),
            timezone: Some("Europe/Berlin"),
            capacity: Some(3.0),
            accepting_requests: Some(true),
            away_until: None,
            now: chrono::Utc::now(),
        })
        .expect("valid");
        assert_eq!(profile.skills, ["rust"]);
        assert!(profile.bio_html.contains("<em>like</em>"));
        assert!(!profile.bio_html.contains("<script"));
    }

    #[test]
    fn reasons() {
        assert_eq!(parse_reason(None).ok(), Some(None));
        assert_eq!(parse_reason(Some("  ")).ok(), Some(None));
        assert_eq!(
            parse_reason(Some("Full this month")).ok(),
            Some(Some("Full this month".into()))
        );
        assert!(parse_reason(Some(&"x".repeat(1001))).is_err());
    }
}
