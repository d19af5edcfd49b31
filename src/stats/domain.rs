//! What a dashboard read asks for: a range of UTC days, an interval and a format.

use chrono::{DateTime, Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::validation::{validated, Validator};

crate::text_enum! {
    /// How a range is cut into points: UTC days, ISO weeks (from Monday) or calendar months.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Interval ("interval") {
        Day => "day",
        Week => "week",
        Month => "month",
    }
}

crate::text_enum! {
    /// JSON (the default) or CSV, a row per point.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Format ("format") {
        Json => "json",
        Csv => "csv",
    }
}

/// A range as asked: both ends inclusive, `from <= to`, not after `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub interval: Interval,
    pub format: Format,
}

/// Days a range without `from` covers (ending at `to`, today by default).
pub const DEFAULT_DAYS: i64 = 30;

/// The longest range per interval, in days: two years by day, ten by week or month.
pub fn max_days(interval: Interval) -> i64 {
    match interval {
        Interval::Day => 731,
        Interval::Week | Interval::Month => 3653,
    }
}

/// An RFC 3339 date (`2026-12-01`) or timestamp (`2026-12-01T10:00:00Z`, any offset): the
/// UTC day it falls on.
pub fn parse_day(raw: &str) -> Result<NaiveDate, String> {
    let raw = raw.trim();
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| DateTime::parse_from_rfc3339(raw).map(|at| at.to_utc().date_naive()))
        .map_err(|_| "must be an RFC 3339 date (2026-12-01) or timestamp".to_string())?;
    if (1900..=9999).contains(&day.year()) {
        Ok(day)
    } else {
        Err("must be a day of the years 1900 to 9999".to_string())
    }
}

/// Reads `from`, `to`, `interval` and `format` as of `today` (UTC), naming every bad field.
pub fn parse_query(
    from: Option<&str>,
    to: Option<&str>,
    interval: Option<&str>,
    format: Option<&str>,
    today: NaiveDate,
) -> Result<StatsQuery, ApiError> {
    let mut v = Validator::new();
    let from = from.and_then(|raw| v.check("from", parse_day(raw)));
    let to = to.and_then(|raw| v.check("to", parse_day(raw)));
    let interval = match interval {
        Some(raw) => v.check(
            "interval",
            raw.parse::<Interval>()
                .map_err(|_| "must be day, week or month".to_string()),
        ),
        None => Some(Interval::Day),
    };
    let format = match format {
        Some(raw) => v.check(
            "format",
            raw.parse::<Format>()
                .map_err(|_| "must be json or csv".to_string()),
        ),
        None => Some(Format::Json),
    };
    v.finish()?;
    let interval = validated(interval)?;
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
    let mut v = Validator::new();
    if from > to {
        v.add("from", "must not be after to".to_string());
    } else if from > today {
        v.add("from", "must not be after today (UTC)".to_string());
    } else if (to - from).num_days() + 1 > max_days(interval) {
        v.add(
            "to",
            format!(
                "a range by {interval} may cover at most {} days",
                max_days(interval)
            ),
        );
    }
    v.finish()?;
    Ok(StatsQuery {
        from,
        to: to.min(today),
        interval,
        format: validated(format)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn dates_and_timestamps_name_their_utc_day() {
        assert_eq!(parse_day("2026-03-01"), Ok(day("2026-03-01")));
        assert_eq!(parse_day("2026-03-01T23:30:00Z"), Ok(day("2026-03-01")));
        // 23:30 at UTC−2 is 01:30 the next day in UTC.
        assert_eq!(
            parse_day("2026-03-01T23:30:00-02:00"),
            Ok(day("2026-03-02"))
        );
        assert!(parse_day("yesterday").is_err());
        assert!(parse_day("2026-02-30").is_err());
        assert!(parse_day("0001-01-01").is_err());
        assert!(parse_day("+262143-12-31").is_err());
    }

    #[test]
    fn a_range_defaults_to_the_last_thirty_days_by_day() {
        let today = day("2026-12-07");
        let q = parse_query(None, None, None, None, today).unwrap();
        assert_eq!((q.from, q.to), (day("2026-11-08"), today));
        assert_eq!((q.interval, q.format), (Interval::Day, Format::Json));
    }

    #[test]
    fn bad_and_too_long_ranges_are_refused_and_the_future_is_cut_off() {
        let today = day("2026-12-07");
        let refused = |from, to, interval| {
            matches!(
                parse_query(from, to, interval, None, today),
                Err(ApiError::Validation(_))
            )
        };
        assert!(refused(Some("2026-12-05"), Some("2026-12-01"), None));
        assert!(refused(Some("2026-12-08"), Some("2026-12-09"), None));
        assert!(refused(Some("2024-12-06"), Some("2026-12-07"), None));
        assert!(!refused(Some("2024-12-07"), Some("2026-12-07"), None));
        assert!(!refused(Some("2017-01-01"), None, Some("month")));
        assert!(refused(Some("2016-01-01"), None, Some("week")));
        assert!(refused(None, None, Some("hour")));
        assert!(refused(Some("soon"), None, None));
        let q = parse_query(Some("2026-12-01"), Some("2026-12-31"), None, None, today).unwrap();
        assert_eq!(q.to, today);
    }
}
