//! Recurring meetups: a rule (RFC 5545 RRULE semantics, the subset API.md names: weekly or
//! monthly, an interval, weekdays or a day of the month, and a count or an end) read in the
//! meetup's own timezone, so an 18:00 meetup stays at 18:00 across daylight-saving changes.
//! Plain functions: the occurrences of a rule are computed without a database.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A series has at most this many occurrences (a rule that makes more is refused).
pub const MAX_OCCURRENCES: usize = 200;
/// Occurrences kept created ahead of time; the rest are made as time goes by.
pub const AHEAD: usize = 8;
/// The longest interval between periods.
pub const MAX_INTERVAL: u32 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Freq {
    Weekly,
    Monthly,
}

/// A day of the week as RFC 5545 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mo,
    Tu,
    We,
    Th,
    Fr,
    Sa,
    Su,
}

impl Day {
    pub fn weekday(self) -> Weekday {
        match self {
            Day::Mo => Weekday::Mon,
            Day::Tu => Weekday::Tue,
            Day::We => Weekday::Wed,
            Day::Th => Weekday::Thu,
            Day::Fr => Weekday::Fri,
            Day::Sa => Weekday::Sat,
            Day::Su => Weekday::Sun,
        }
    }
}

/// `recurrence` as a request sends it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceRequest {
    pub freq: Freq,
    /// Every `interval` weeks or months (1 to 12; default 1).
    #[schema(minimum = 1, maximum = 12)]
    pub interval: Option<u32>,
    /// Weekly: the weekdays (the start's must be one of them; default the start's). Monthly:
    /// the start's weekday, meaning "the same nth weekday of each month" (e.g. the 2nd
    /// Tuesday); months without it are skipped.
    pub by_weekday: Option<Vec<Day>>,
    /// Monthly: the day of the month (the start's; months without it are skipped).
    #[schema(minimum = 1, maximum = 31)]
    pub by_month_day: Option<u32>,
    /// How many occurrences in all, the first included (1 to 200).
    #[schema(minimum = 1, maximum = 200)]
    pub count: Option<u32>,
    /// No occurrence starts after this.
    pub until: Option<DateTime<Utc>>,
}

/// How a monthly rule picks its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MonthlyBy {
    /// The same day of the month.
    Date(u32),
    /// The same nth weekday (1 to 5).
    NthWeekday(u32, Weekday),
}

/// A validated rule, anchored at the first occurrence's local start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub freq: Freq,
    pub interval: u32,
    /// Weekly: the weekdays, Monday first.
    pub weekdays: Vec<Weekday>,
    pub monthly: Option<MonthlyBy>,
    pub count: Option<u32>,
    pub until: Option<DateTime<Utc>>,
    /// The first occurrence's start, as a wall-clock time in `timezone`.
    pub first: NaiveDateTime,
    pub timezone: String,
}

/// Reads `raw` for a series whose first occurrence starts at `starts_at` in `timezone`; the
/// problems by field (`recurrence.*`) when it cannot be.
pub fn parse(
    raw: &RecurrenceRequest,
    starts_at: DateTime<Utc>,
    timezone: &str,
) -> Result<Rule, Vec<(String, String)>> {
    let mut problems = Vec::new();
    let mut bad = |field: &str, message: &str| {
        problems.push((format!("recurrence.{field}"), message.to_string()));
    };
    let tz: Tz = timezone.parse().unwrap_or(Tz::UTC);
    let first = starts_at.with_timezone(&tz).naive_local();
    let interval = raw.interval.unwrap_or(1);
    if !(1..=MAX_INTERVAL).contains(&interval) {
        bad("interval", "must be 1 to 12");
    }
    let days: Vec<Weekday> = raw
        .by_weekday
        .iter()
        .flatten()
        .map(|day| day.weekday())
        .collect();
    let mut weekdays = Vec::new();
    let mut monthly = None;
    match raw.freq {
        Freq::Weekly => {
            if raw.by_month_day.is_some() {
                bad("by_month_day", "is for monthly rules");
            }
            weekdays = if days.is_empty() {
                vec![first.weekday()]
            } else {
                days.clone()
            };
            weekdays.sort_by_key(|day| day.num_days_from_monday());
            weekdays.dedup();
            if !weekdays.contains(&first.weekday()) {
                bad("by_weekday", "must include the first occurrence's weekday");
            }
        }
        Freq::Monthly => match (raw.by_month_day, days.as_slice()) {
            (Some(_), [_, ..]) => bad(
                "by_weekday",
                "a monthly rule takes a weekday or a date, not both",
            ),
            (Some(day), []) if day != first.day() => bad(
                "by_month_day",
                "must be the first occurrence's day of the month",
            ),
            (_, []) => monthly = Some(MonthlyBy::Date(first.day())),
            (None, [day]) if *day == first.weekday() => {
                monthly = Some(MonthlyBy::NthWeekday((first.day() - 1) / 7 + 1, *day))
            }
            (None, _) => bad(
                "by_weekday",
                "a monthly rule takes one weekday, the first occurrence's",
            ),
        },
    }
    match raw.count {
        Some(0) => bad("count", "must be at least 1"),
        Some(count) if count as usize > MAX_OCCURRENCES => bad("count", "must be at most 200"),
        _ => {}
    }
    if raw.count.is_none() && raw.until.is_none() {
        bad("count", "a series needs a count or an end (until)");
    }
    if let Some(until) = raw.until {
        if until < starts_at {
            bad("until", "must not be before the first occurrence");
        } else if let Err(problem) = crate::validation::date_in_range(until, Utc::now()) {
            bad("until", &problem);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let rule = Rule {
        freq: raw.freq,
        interval,
        weekdays,
        monthly,
        count: raw.count,
        until: raw.until,
        first,
        timezone: timezone.to_string(),
    };
    if starts(&rule).take(MAX_OCCURRENCES + 1).count() > MAX_OCCURRENCES {
        return Err(vec![(
            "recurrence.until".into(),
            format!("the series would have more than {MAX_OCCURRENCES} occurrences"),
        )]);
    }
    Ok(rule)
}

/// A wall-clock time in `tz` as an instant: an ambiguous time (clocks going back) is its
/// first instance; a time that does not exist (clocks going forward) is the same amount
/// later, after the gap (RFC 5545 §3.3.5).
pub fn resolve(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    for shift in 0..=3 {
        match tz.from_local_datetime(&(local + Duration::hours(shift))) {
            LocalResult::Single(at) => return at.with_timezone(&Utc),
            LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
            LocalResult::None => continue,
        }
    }
    Utc.from_utc_datetime(&local)
}

/// The dates of the period `n` periods after the first one (never before the first date).
fn period_dates(rule: &Rule, n: u32) -> Vec<NaiveDate> {
    let first = rule.first.date();
    match rule.freq {
        Freq::Weekly => {
            let monday = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
            let week = monday + Duration::weeks(i64::from(n * rule.interval));
            rule.weekdays
                .iter()
                .map(|day| week + Duration::days(i64::from(day.num_days_from_monday())))
                .filter(|date| *date >= first)
                .collect()
        }
        Freq::Monthly => {
            let months = first.year() * 12 + first.month0() as i32 + (n * rule.interval) as i32;
            let (year, month) = (months.div_euclid(12), months.rem_euclid(12) as u32 + 1);
            let date = match rule.monthly {
                Some(MonthlyBy::Date(day)) => NaiveDate::from_ymd_opt(year, month, day),
                Some(MonthlyBy::NthWeekday(nth, weekday)) => {
                    NaiveDate::from_weekday_of_month_opt(year, month, weekday, nth as u8)
                }
                None => None,
            };
            date.into_iter().collect()
        }
    }
}

/// Every occurrence's start, in order, within the rule's count and end (at most
/// `MAX_OCCURRENCES` plus one, so a caller can tell a rule that makes too many).
pub fn starts(rule: &Rule) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    let tz: Tz = rule.timezone.parse().unwrap_or(Tz::UTC);
    // Enough periods for MAX_OCCURRENCES + 1 even when most months lack the day.
    let periods = (MAX_OCCURRENCES as u32 + 1) * 3;
    (0..periods)
        .flat_map(move |n| period_dates(rule, n))
        .map(move |date| resolve(tz, date.and_time(rule.first.time())))
        .take_while(move |start| rule.until.is_none_or(|until| *start <= until))
        .take(
            rule.count
                .map_or(MAX_OCCURRENCES + 1, |count| count as usize),
        )
        .take(MAX_OCCURRENCES + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn request(freq: Freq) -> RecurrenceRequest {
        RecurrenceRequest {
            freq,
            interval: None,
            by_weekday: None,
            by_month_day: None,
            count: Some(4),
            until: None,
        }
    }

    fn all(rule: &Rule) -> Vec<String> {
        starts(rule).map(|s| s.to_rfc3339()).collect()
    }

    #[test]
    fn weekly_keeps_the_wall_clock_time_across_a_daylight_saving_change() {
        // Tuesday 17 March 2026, 18:00 in Berlin (UTC+1); Berlin moves to UTC+2 on 29 March.
        let rule = parse(
            &request(Freq::Weekly),
            at("2026-03-17T17:00:00Z"),
            "Europe/Berlin",
        )
        .unwrap();
        assert_eq!(
            all(&rule),
            [
                "2026-03-17T17:00:00+00:00",
                "2026-03-24T17:00:00+00:00",
                "2026-03-31T16:00:00+00:00",
                "2026-04-07T16:00:00+00:00",
            ]
        );
    }

    #[test]
    fn weekly_on_several_days_every_other_week() {
        let mut raw = request(Freq::Weekly);
        raw.interval = Some(2);
        raw.by_weekday = Some(vec![Day::Th, Day::Tu]);
        raw.count = Some(5);
        let rule = parse(&raw, at("2026-06-02T18:00:00Z"), "UTC").unwrap();
        assert_eq!(
            all(&rule),
            [
                "2026-06-02T18:00:00+00:00",
                "2026-06-04T18:00:00+00:00",
                "2026-06-16T18:00:00+00:00",
                "2026-06-18T18:00:00+00:00",
                "2026-06-30T18:00:00+00:00",
            ]
        );
    }

    #[test]
    fn monthly_by_date_skips_months_without_that_day_and_by_weekday_keeps_the_nth() {
        let rule = parse(&request(Freq::Monthly), at("2026-01-31T19:00:00Z"), "UTC").unwrap();
        assert_eq!(
            all(&rule),
            [
                "2026-01-31T19:00:00+00:00",
                "2026-03-31T19:00:00+00:00",
                "2026-05-31T19:00:00+00:00",
                "2026-07-31T19:00:00+00:00",
            ]
        );
        // 10 Feb 2026 is the 2nd Tuesday.
        let mut raw = request(Freq::Monthly);
        raw.by_weekday = Some(vec![Day::Tu]);
        raw.count = Some(3);
        let rule = parse(&raw, at("2026-02-10T18:00:00Z"), "UTC").unwrap();
        assert_eq!(
            all(&rule),
            [
                "2026-02-10T18:00:00+00:00",
                "2026-03-10T18:00:00+00:00",
                "2026-04-14T18:00:00+00:00",
            ]
        );
    }

    #[test]
    fn until_ends_a_series_and_bad_rules_are_named() {
        let mut raw = request(Freq::Weekly);
        raw.count = None;
        raw.until = Some(at("2026-06-16T18:00:00Z"));
        let rule = parse(&raw, at("2026-06-02T18:00:00Z"), "UTC").unwrap();
        assert_eq!(all(&rule).len(), 3);

        let fields = |raw: &RecurrenceRequest| -> Vec<String> {
            parse(raw, at("2026-06-02T18:00:00Z"), "UTC")
                .unwrap_err()
                .into_iter()
                .map(|(field, _)| field)
                .collect()
        };
        let mut too_many = request(Freq::Weekly);
        too_many.count = None;
        too_many.until = Some(at("2226-01-01T00:00:00Z"));
        assert_eq!(fields(&too_many), ["recurrence.until"]);
        let mut count = request(Freq::Weekly);
        count.count = Some(10_000);
        assert_eq!(fields(&count), ["recurrence.count"]);
        let mut endless = request(Freq::Weekly);
        endless.count = None;
        assert_eq!(fields(&endless), ["recurrence.count"]);
        let mut before = request(Freq::Weekly);
        before.until = Some(at("2026-01-01T00:00:00Z"));
        assert_eq!(fields(&before), ["recurrence.until"]);
        let mut other_day = request(Freq::Weekly);
        other_day.by_weekday = Some(vec![Day::Fr]);
        assert_eq!(fields(&other_day), ["recurrence.by_weekday"]);
        let mut interval = request(Freq::Monthly);
        interval.interval = Some(0);
        interval.by_month_day = Some(3);
        assert_eq!(
            fields(&interval),
            ["recurrence.interval", "recurrence.by_month_day"]
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_past_it_and_an_ambiguous_one_takes_the_first() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let gap = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(resolve(tz, gap).to_rfc3339(), "2026-03-29T01:30:00+00:00");
        let twice = NaiveDate::from_ymd_opt(2026, 10, 25)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(resolve(tz, twice).to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }
}
