//! The dashboard's use cases: bringing the rollups up to date (the periodic task, a backfill)
//! and reading a range from them.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::domain::{Interval, StatsQuery};
use super::model;
use super::rules::{self, DayFigures, SETTLING_DAYS};
use crate::error::ApiError;
use crate::jobs::ConnTask;
use crate::progress::Progress;

/// Days computed per transaction by a backfill.
pub const BACKFILL_CHUNK_DAYS: i64 = 31;

/// Computes and stores the days `from..=to` and the weeks and months they touch, in one
/// transaction; rollups never run side by side (a transaction-scoped advisory lock).
pub fn rollup(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    conn.transaction(|conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('stats.rollup'))")
            .execute(conn)?;
        let days = model::compute_days(conn, from, to, now)?;
        model::compute_periods(conn, from, to, now)?;
        Ok(days)
    })
}

/// Recomputes the days still settling, as of `now`: today back to `SETTLING_DAYS` ago.
pub fn rollup_recent(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let today = now.date_naive();
    rollup(conn, today - Duration::days(SETTLING_DAYS), today, now)
}

/// The periodic rollup (`stats.rollup_every_secs`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Rollup {}

impl ConnTask for Rollup {
    const KIND: &'static str = "stats.rollup";
    type Needs = ();

    fn run(self, conn: &mut PgConnection, _: &()) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let days = rollup_recent(conn, Utc::now())?;
        tracing::info!(
            days,
            elapsed_ms = started.elapsed().as_millis(),
            "stats rolled up"
        );
        Ok(())
    }
}

/// What a backfill did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backfilled {
    /// Days computed by this run.
    pub days: i64,
    /// Where an earlier run had got to (this run went on from the day after).
    pub resumed_after: Option<NaiveDate>,
}

/// Computes every day from `since` to today, `BACKFILL_CHUNK_DAYS` per transaction, oldest
/// first, noting after each chunk how far it got: run again, it goes on from there (unless
/// `restart`); a finished backfill run again only recomputes what changed since it ended.
pub fn backfill(
    conn: &mut PgConnection,
    since: NaiveDate,
    restart: bool,
    now: DateTime<Utc>,
    progress: &mut dyn Progress,
) -> Result<Backfilled, ApiError> {
    let today = now.date_naive();
    if since > today {
        return Err(ApiError::invalid_field(
            "since",
            "must not be after today (UTC)",
        ));
    }
    let state = model::begin_backfill(conn, since, restart, now)?;
    let resumed_after = state.done_through.filter(|_| state.finished_at.is_none());
    let start = resumed_after.map_or(since, |done| done + Duration::days(1));
    let total = (today - since).num_days() + 1;
    let mut day = start;
    progress.update("days", (start - since).num_days() as usize, total as usize);
    while day <= today {
        let last = (day + Duration::days(BACKFILL_CHUNK_DAYS - 1)).min(today);
        rollup(conn, day, last, now)?;
        let finished = (last == today).then_some(Utc::now());
        model::advance_backfill(conn, since, last, finished)?;
        progress.update(
            "days",
            ((last - since).num_days() + 1) as usize,
            total as usize,
        );
        day = last + Duration::days(1);
    }
    Ok(Backfilled {
        days: (today - start).num_days() + 1,
        resumed_after,
    })
}

/// A range's figures, point by point, as read from the rollups.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// The range read: the one asked for, grown to whole weeks or months, and never past today.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub interval: Interval,
    /// When the freshest of its days was computed (`None`: none was).
    pub computed_at: Option<DateTime<Utc>>,
    /// Days of the range with no rollup yet (before the first run, or a backfill).
    pub uncomputed_days: i64,
    /// Each point's first day and its values in `rules::SERIES` order.
    pub points: Vec<(NaiveDate, [Option<f64>; 16])>,
    pub totals: [Option<f64>; 16],
}

/// Reads `query`'s range from the rollups (a point with no computed day has no values).
pub fn read(
    conn: &mut PgConnection,
    query: &StatsQuery,
    today: NaiveDate,
) -> Result<Stats, ApiError> {
    let starts = rules::buckets(query.from, query.to, query.interval);
    let from = rules::bucket_start(query.from, query.interval);
    let to = starts
        .last()
        .map_or(query.to, |last| rules::bucket_end(*last, query.interval))
        .min(today)
        .max(query.to);
    let rows = model::days(conn, from, to)?;
    let periods = match query.interval {
        Interval::Day => Vec::new(),
        interval => model::periods(conn, interval, from, to)?,
    };
    let computed_at = rows.iter().map(|row| row.computed_at).max();
    let uncomputed_days = (to - from).num_days() + 1 - rows.len() as i64;
    let totals_active = if rows.is_empty() {
        None
    } else {
        Some(model::members_seen(conn, from, to)?)
    };

    let mut totals = DayFigures::default();
    let mut points = Vec::with_capacity(starts.len());
    let mut rows = rows.into_iter().peekable();
    for start in starts {
        let end = rules::bucket_end(start, query.interval);
        let mut point = DayFigures::default();
        let mut days = 0;
        let mut day_active = None;
        while let Some(row) = rows.next_if(|row| row.day <= end) {
            day_active = Some(i64::from(row.active_members));
            let figures = row.figures();
            totals.add(&figures);
            point.add(&figures);
            days += 1;
        }
        let values = if days == 0 {
            [None; 16]
        } else {
            let active = match query.interval {
                Interval::Day => day_active,
                _ => periods
                    .iter()
                    .find(|period| period.starts_on == start)
                    .map(|period| i64::from(period.active_members)),
            };
            point.values(active)
        };
        points.push((start, values));
    }
    Ok(Stats {
        from,
        to,
        interval: query.interval,
        computed_at,
        uncomputed_days,
        points,
        totals: totals.values(totals_active),
    })
}
