//! The dashboard's answer: JSON (`{computed_at, series: {name: [{t, v}]}, totals}`) or CSV.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use super::domain::Interval;
use super::rules::SERIES;
use super::service::Stats;

/// A figure: a whole number when it is one (counts), else rounded to 3 decimals; `null` for
/// a share or percentile with nothing to measure, or a point with no computed day.
#[derive(Debug, Clone, Copy, PartialEq, ToSchema)]
#[schema(value_type = Option<f64>)]
pub struct Figure(pub Option<f64>);

impl Serialize for Figure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => serializer.serialize_i64(v as i64),
            Some(v) => serializer.serialize_f64(v),
            None => serializer.serialize_none(),
        }
    }
}

/// One point of a series: the first UTC day of its day, week or month, and its value.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Point {
    #[schema(value_type = String, format = Date, example = "2026-12-07")]
    pub t: NaiveDate,
    pub v: Figure,
}

/// Community health over a range (staff).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsView {
    /// When the freshest day of the range was computed; `null` when none was.
    pub computed_at: Option<DateTime<Utc>>,
    /// The range answered: as asked, grown to whole weeks or months, never past today (UTC).
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    pub interval: Interval,
    /// Days of the range not computed yet (a point made only of such days has `null`s):
    /// `devforum stats backfill` computes them.
    pub uncomputed_days: i64,
    /// Each series (`signups`, `active_members`, `threads`, `replies`,
    /// `first_reply_minutes_p50`, `first_reply_minutes_p90`, `answered_share`,
    /// `solved_share`, `mentorship_requests`, `mentorship_accepted_share`,
    /// `mentorship_response_hours_p50`, `meetup_rsvps`, `meetup_fill_share`, `reports`,
    /// `report_resolution_hours_p50`, `appeals_overturned_share`): a point per day, week or
    /// month, none missing.
    pub series: BTreeMap<String, Vec<Point>>,
    /// The whole range as one point (active members: distinct over the range).
    pub totals: BTreeMap<String, Figure>,
}

impl From<Stats> for StatsView {
    fn from(stats: Stats) -> Self {
        let mut series: BTreeMap<String, Vec<Point>> = SERIES
            .iter()
            .map(|name| (name.to_string(), Vec::with_capacity(stats.points.len())))
            .collect();
        for (t, values) in &stats.points {
            for (name, value) in SERIES.iter().zip(values) {
                if let Some(points) = series.get_mut(*name) {
                    points.push(Point {
                        t: *t,
                        v: Figure(*value),
                    });
                }
            }
        }
        StatsView {
            computed_at: stats.computed_at,
            from: stats.from,
            to: stats.to,
            interval: stats.interval,
            uncomputed_days: stats.uncomputed_days,
            series,
            totals: SERIES
                .iter()
                .zip(stats.totals)
                .map(|(name, value)| (name.to_string(), Figure(value)))
                .collect(),
        }
    }
}

/// The range as CSV: a header (`t` and the series in the contract's order), then a row per
/// point; an empty cell where a figure is `null`.
pub fn csv(stats: &Stats) -> String {
    let mut out = String::from("t");
    for name in SERIES {
        out.push(',');
        out.push_str(name);
    }
    out.push_str("\r\n");
    for (t, values) in &stats.points {
        let _ = write!(out, "{t}");
        for value in values {
            out.push(',');
            if let Some(v) = value {
                let _ = write!(out, "{v}");
            }
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_figures_are_integers_and_empty_ones_null_in_json_and_csv() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let mut values = [Some(0.0); 16];
        values[0] = Some(3.0);
        values[6] = Some(0.667);
        values[7] = None;
        let stats = Stats {
            from: day,
            to: day,
            interval: Interval::Day,
            computed_at: None,
            uncomputed_days: 0,
            points: vec![(day, values)],
            totals: values,
        };
        let text = csv(&stats);
        let mut lines = text.split("\r\n");
        assert_eq!(
            lines.next().unwrap().split(',').collect::<Vec<_>>()[..3],
            ["t", "signups", "active_members"]
        );
        assert_eq!(
            lines.next().unwrap(),
            "2026-12-07,3,0,0,0,0,0,0.667,,0,0,0,0,0,0,0,0"
        );
        let json = serde_json::to_value(StatsView::from(stats)).unwrap();
        assert_eq!(
            json["series"]["signups"][0],
            serde_json::json!({"t": "2026-12-07", "v": 3})
        );
        assert_eq!(
            json["series"]["solved_share"][0]["v"],
            serde_json::Value::Null
        );
        assert_eq!(json["totals"]["answered_share"], serde_json::json!(0.667));
    }
}
