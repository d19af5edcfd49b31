//! The dashboard's arithmetic: how days group into points, and how a point's figures come
//! from its days' rollups (counts add up; shares divide sums; percentiles are exact over the
//! days' stored values).

use chrono::{Datelike, Duration, Months, NaiveDate};

use super::domain::Interval;

/// A thread is "answered" by a reply from someone else within this many days.
pub const ANSWER_WINDOW_DAYS: i64 = 7;

/// Days whose figures can still change, counting back from today: the answer window, and
/// yesterday's late arrivals. The periodic rollup recomputes these; older days are kept.
pub const SETTLING_DAYS: i64 = ANSWER_WINDOW_DAYS + 1;

/// The series, in the contract's order (the CSV's columns).
pub const SERIES: [&str; 16] = [
    "signups",
    "active_members",
    "threads",
    "replies",
    "first_reply_minutes_p50",
    "first_reply_minutes_p90",
    "answered_share",
    "solved_share",
    "mentorship_requests",
    "mentorship_accepted_share",
    "mentorship_response_hours_p50",
    "meetup_rsvps",
    "meetup_fill_share",
    "reports",
    "report_resolution_hours_p50",
    "appeals_overturned_share",
];

/// The first day of the point `day` belongs to.
pub fn bucket_start(day: NaiveDate, interval: Interval) -> NaiveDate {
    match interval {
        Interval::Day => day,
        Interval::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Interval::Month => day.with_day(1).unwrap_or(day),
    }
}

/// The last day of the point starting on `start`.
pub fn bucket_end(start: NaiveDate, interval: Interval) -> NaiveDate {
    match interval {
        Interval::Day => start,
        Interval::Week => start + Duration::days(6),
        Interval::Month => start
            .checked_add_months(Months::new(1))
            .map_or(start, |next| next - Duration::days(1)),
    }
}

/// The points covering `from..=to`, whole weeks or months (the range grows to their edges).
pub fn buckets(from: NaiveDate, to: NaiveDate, interval: Interval) -> Vec<NaiveDate> {
    let mut starts = Vec::new();
    let mut start = bucket_start(from, interval);
    while start <= to {
        starts.push(start);
        start = bucket_end(start, interval) + Duration::days(1);
    }
    starts
}

/// The value below which `p` of the sorted `values` lie, interpolated between neighbours
/// (PostgreSQL's `percentile_cont`); `None` for no values.
pub fn percentile(sorted: &[i32], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = p.clamp(0.0, 1.0) * last as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let low = f64::from(sorted[below]);
    let high = f64::from(sorted[above.min(last)]);
    Some(low + (high - low) * (position - below as f64))
}

/// `part / whole`; `None` when there is nothing to divide.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Rounded to 3 decimals, as the dashboard answers every figure.
pub fn rounded(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// One day's rollup, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayFigures {
    pub signups: i64,
    pub active_members: i64,
    pub threads: i64,
    pub answered: i64,
    pub solved: i64,
    pub first_reply_seconds: Vec<i32>,
    pub replies: i64,
    pub mentorship_requests: i64,
    pub mentorship_outcomes: i64,
    pub mentorship_accepted: i64,
    pub mentorship_response_seconds: Vec<i32>,
    pub meetup_rsvps: i64,
    pub meetup_going: i64,
    pub meetup_capacity: i64,
    pub reports: i64,
    pub report_resolution_seconds: Vec<i32>,
    pub appeals_decided: i64,
    pub appeals_overturned: i64,
}

impl DayFigures {
    /// Adds another day's figures to these (a week, a month, a whole range).
    pub fn add(&mut self, day: &DayFigures) {
        self.signups += day.signups;
        self.active_members += day.active_members;
        self.threads += day.threads;
        self.answered += day.answered;
        self.solved += day.solved;
        self.first_reply_seconds
            .extend_from_slice(&day.first_reply_seconds);
        self.replies += day.replies;
        self.mentorship_requests += day.mentorship_requests;
        self.mentorship_outcomes += day.mentorship_outcomes;
        self.mentorship_accepted += day.mentorship_accepted;
        self.mentorship_response_seconds
            .extend_from_slice(&day.mentorship_response_seconds);
        self.meetup_rsvps += day.meetup_rsvps;
        self.meetup_going += day.meetup_going;
        self.meetup_capacity += day.meetup_capacity;
        self.reports += day.reports;
        self.report_resolution_seconds
            .extend_from_slice(&day.report_resolution_seconds);
        self.appeals_decided += day.appeals_decided;
        self.appeals_overturned += day.appeals_overturned;
    }

    /// The point's value of each series (in `SERIES` order): counts as they are, shares and
    /// percentiles `None` when there was nothing to measure. `active_members` is given, since
    /// distinct members over several days are not a sum of days.
    pub fn values(mut self, active_members: Option<i64>) -> [Option<f64>; 16] {
        for values in [
            &mut self.first_reply_seconds,
            &mut self.mentorship_response_seconds,
            &mut self.report_resolution_seconds,
        ] {
            values.sort_unstable();
        }
        let minutes = |values: &[i32], p| percentile(values, p).map(|s| s / 60.0);
        let hours = |values: &[i32], p| percentile(values, p).map(|s| s / 3600.0);
        let count = |n: i64| Some(n as f64);
        [
            count(self.signups),
            active_members.map(|n| n as f64),
            count(self.threads),
            count(self.replies),
            minutes(&self.first_reply_seconds, 0.5),
            minutes(&self.first_reply_seconds, 0.9),
            share(self.answered, self.threads),
            share(self.solved, self.threads),
            count(self.mentorship_requests),
            share(self.mentorship_accepted, self.mentorship_outcomes),
            hours(&self.mentorship_response_seconds, 0.5),
            count(self.meetup_rsvps),
            share(self.meetup_going, self.meetup_capacity),
            count(self.reports),
            hours(&self.report_resolution_seconds, 0.5),
            share(self.appeals_overturned, self.appeals_decided),
        ]
        .map(|value| value.map(rounded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first_and_ranges_grow_to_their_edges() {
        // 2026-12-02 is a Wednesday.
        assert_eq!(
            bucket_start(day("2026-12-02"), Interval::Week),
            day("2026-11-30")
        );
        assert_eq!(
            bucket_end(day("2026-11-30"), Interval::Week),
            day("2026-12-06")
        );
        assert_eq!(
            bucket_start(day("2026-02-17"), Interval::Month),
            day("2026-02-01")
        );
        assert_eq!(
            bucket_end(day("2026-02-01"), Interval::Month),
            day("2026-02-28")
        );
        assert_eq!(
            bucket_end(day("2028-02-01"), Interval::Month),
            day("2028-02-29")
        );
        assert_eq!(
            buckets(day("2026-12-02"), day("2026-12-14"), Interval::Week),
            vec![day("2026-11-30"), day("2026-12-07"), day("2026-12-14")]
        );
        assert_eq!(
            buckets(day("2026-11-30"), day("2027-01-01"), Interval::Month),
            vec![day("2026-11-01"), day("2026-12-01"), day("2027-01-01")]
        );
        assert_eq!(
            buckets(day("2026-12-01"), day("2026-12-03"), Interval::Day).len(),
            3
        );
    }

    #[test]
    fn percentiles_interpolate_as_percentile_cont_does() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7], 0.9), Some(7.0));
        assert_eq!(percentile(&[1800, 10800], 0.5), Some(6300.0));
        assert_eq!(percentile(&[1800, 10800], 0.9), Some(9900.0));
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), Some(2.5));
        assert_eq!(percentile(&[1, 2, 3, 4, 5], 0.5), Some(3.0));
    }

    #[test]
    fn a_point_adds_its_days_and_measures_shares_over_the_sums() {
        let mut week = DayFigures::default();
        week.add(&DayFigures {
            threads: 2,
            answered: 1,
            first_reply_seconds: vec![10800],
            meetup_going: 2,
            meetup_capacity: 4,
            ..DayFigures::default()
        });
        week.add(&DayFigures {
            threads: 1,
            answered: 1,
            first_reply_seconds: vec![1800],
            meetup_going: 4,
            meetup_capacity: 4,
            ..DayFigures::default()
        });
        let values = week.values(Some(5));
        let of = |name| values[SERIES.iter().position(|s| *s == name).unwrap()];
        assert_eq!(of("threads"), Some(3.0));
        assert_eq!(of("active_members"), Some(5.0));
        assert_eq!(of("answered_share"), Some(0.667));
        assert_eq!(of("first_reply_minutes_p50"), Some(105.0));
        assert_eq!(of("first_reply_minutes_p90"), Some(165.0));
        assert_eq!(of("meetup_fill_share"), Some(0.75));
        assert_eq!(of("solved_share"), Some(0.0));
        assert_eq!(of("mentorship_accepted_share"), None);
        assert_eq!(of("report_resolution_hours_p50"), None);
        assert_eq!(of("reports"), Some(0.0));
    }
}
