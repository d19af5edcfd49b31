//! Community health (issue 46): each series of `GET /admin/stats` on a small community built
//! by hand where every figure is known, by day, week and month, with UTC boundaries, empty
//! days as zeros, the rollup's idempotence, a resumable backfill, who may read it, bad ranges
//! and CSV.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{json, spawn_app, TestApp, TestUser};
use crate::support::{a_meetup, a_thread};
use devforum::stats::service;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

async fn reply(app: &TestApp, by: &TestUser, thread: i64, at: &str) -> i64 {
    let response = app
        .send_as(
            Method::POST,
            &format!("/api/v1/threads/{thread}/replies"),
            &by.access_token,
            &json!({ "body": "Have you tried turning it off and on again?" }),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let id = json(response).await["id"].as_i64().expect("id");
    app.sql(&format!(
        "UPDATE replies SET created_at = '{at}' WHERE id = {id}"
    ));
    id
}

fn started(app: &TestApp, thread: i64, at: &str) {
    app.sql(&format!(
        "UPDATE threads SET created_at = '{at}' WHERE id = {thread}"
    ));
}

fn seen(app: &TestApp, user: &TestUser, days: &[&str]) {
    for d in days {
        app.sql(&format!(
            "INSERT INTO member_days (user_id, day) VALUES ({}, '{d}')",
            user.id
        ));
    }
}

/// The community of March 2026 (Monday the 2nd to Tuesday the 10th, and a little after):
///
/// - signups: ada and bob on the 2nd (bob at 23:59:59), cy on the 3rd at 00:00:00; everyone
///   else long before;
/// - seen: ada on the 2nd, 3rd and 10th, bob on the 2nd, cy on the 9th;
/// - threads on the 2nd by ada: answered by bob after 30 minutes (and solved by his reply
///   the same day), answered by cy after 3 hours (ada's own reply after 5 minutes does not
///   count; solved 18 days later, too late to count), answered by bob 7 days and 1 second
///   later (too late: not answered); a fourth, hidden thread;
/// - mentorship: 4 requests on the 3rd: accepted after 2 hours, declined after 24 hours (the
///   4th), expired on the 17th, one still pending;
/// - meetups on the 5th: 2 of 4 seats taken (RSVPs on the 4th and the 5th), one without a
///   capacity, one cancelled;
/// - reports on the 6th: one handled after 3 hours, one after 24 hours (the 7th), one open;
/// - appeals decided on the 10th: one overturned, one upheld.
async fn march(app: &TestApp) -> TestUser {
    let admin = app.staff("root", "admin").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cy = app.member("cyd").await;
    let others: Vec<TestUser> = {
        let mut v = Vec::new();
        for name in ["moe", "mee1", "mee2", "mee3", "mee4"] {
            v.push(app.member(name).await);
        }
        v
    };
    app.sql("UPDATE users SET created_at = '2025-06-01T00:00:00Z'");
    app.sql(&format!(
        "UPDATE users SET created_at = '2026-03-02T08:00:00Z' WHERE id = {}",
        ada.id
    ));
    app.sql(&format!(
        "UPDATE users SET created_at = '2026-03-02T23:59:59Z' WHERE id = {}",
        bob.id
    ));
    app.sql(&format!(
        "UPDATE users SET created_at = '2026-03-03T00:00:00Z' WHERE id = {}",
        cy.id
    ));
    seen(app, &ada, &["2026-03-02", "2026-03-03", "2026-03-10"]);
    seen(app, &bob, &["2026-03-02"]);
    seen(app, &cy, &["2026-03-09"]);

    // Threads.
    let quick = a_thread(app, &ada).titled("Quick answer").create().await;
    started(app, quick, "2026-03-02T09:00:00Z");
    let solution = reply(app, &bob, quick, "2026-03-02T09:30:00Z").await;
    let slow = a_thread(app, &ada).titled("Slow answer").create().await;
    started(app, slow, "2026-03-02T10:00:00Z");
    reply(app, &ada, slow, "2026-03-02T10:05:00Z").await;
    let late_solution = reply(app, &cy, slow, "2026-03-02T13:00:00Z").await;
    let never = a_thread(app, &ada).titled("Never answered").create().await;
    started(app, never, "2026-03-02T11:00:00Z");
    reply(app, &bob, never, "2026-03-09T11:00:01Z").await;
    let hidden = a_thread(app, &ada).titled("Hidden thread").create().await;
    started(app, hidden, "2026-03-02T12:00:00Z");
    app.sql(&format!(
        "UPDATE threads SET hidden = true WHERE id = {hidden}"
    ));
    for (thread, reply, at) in [
        (quick, solution, "2026-03-02T12:00:00Z"),
        (slow, late_solution, "2026-03-20T12:00:00Z"),
    ] {
        let response = app
            .send_as(
                Method::PUT,
                &format!("/api/v1/threads/{thread}/solution"),
                &ada.access_token,
                &json!({ "reply_id": reply }),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        app.sql(&format!(
            "UPDATE thread_solutions SET chosen_at = '{at}' WHERE thread_id = {thread}"
        ));
    }

    // Mentorship: mo mentors me1..me4.
    let mo = &others[0];
    app.sql(&format!(
        "INSERT INTO mentor_profiles (user_id, headline, bio, bio_html, skills, languages, \
         timezone, capacity, accepting_requests) \
         VALUES ({}, 'Rust', '', '', '{{rust}}', '{{en}}', 'UTC', 3, true)",
        mo.id
    ));
    for (mentee, status, answered) in [
        (&others[1], "accepted", Some("2026-03-03T10:00:00Z")),
        (&others[2], "declined", Some("2026-03-04T08:00:00Z")),
        (&others[3], "expired", Some("2026-03-17T08:00:00Z")),
        (&others[4], "pending", None),
    ] {
        app.sql(&format!(
            "INSERT INTO mentorship_requests (mentee_id, mentor_id, message, goals, status, \
             created_at, answered_at) VALUES ({}, {}, 'Hello', 'Rust', '{status}', \
             '2026-03-03T08:00:00Z', {})",
            mentee.id,
            mo.id,
            answered.map_or("NULL".to_string(), |at| format!("'{at}'"))
        ));
    }

    // Meetups on the 5th.
    let full_half = a_meetup(app, &ada)
        .titled("Half full")
        .seats(4)
        .create()
        .await;
    for (member, at) in [
        (&bob, "2026-03-04T12:00:00Z"),
        (&cy, "2026-03-05T00:00:00Z"),
    ] {
        let response = app
            .send_as(
                Method::PUT,
                &format!("/api/v1/meetups/{full_half}/rsvp"),
                &member.access_token,
                &json!({}),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        app.sql(&format!(
            "UPDATE meetup_rsvps SET created_at = '{at}' \
             WHERE meetup_id = {full_half} AND user_id = {}",
            member.id
        ));
    }
    let open_ended = a_meetup(app, &ada)
        .titled("No capacity")
        .with("capacity", Value::Null)
        .create()
        .await;
    let cancelled = a_meetup(app, &ada)
        .titled("Cancelled")
        .seats(10)
        .create()
        .await;
    app.sql(&format!(
        "UPDATE meetups SET status = 'cancelled', cancelled_at = now() WHERE id = {cancelled}"
    ));
    app.sql(&format!(
        "UPDATE meetups SET starts_at = '2026-03-05T18:00:00Z', ends_at = '2026-03-05T20:00:00Z' \
         WHERE id IN ({full_half}, {open_ended}, {cancelled})"
    ));

    // Reports on the 6th, by three members.
    for (reporter, status, handled) in [
        (&bob, "resolved", Some("2026-03-06T12:00:00Z")),
        (&cy, "dismissed", Some("2026-03-07T09:00:00Z")),
        (mo, "open", None),
    ] {
        app.sql(&format!(
            "INSERT INTO reports (reporter_id, target_type, target_id, reason, status, \
             handled_by, handled_at, created_at, reporter_trust_level) \
             VALUES ({}, 'thread', {quick}, 'spam', '{status}', {}, {}, \
             '2026-03-06T09:00:00Z', 'new')",
            reporter.id,
            if handled.is_some() {
                admin.id.to_string()
            } else {
                "NULL".into()
            },
            handled.map_or("NULL".to_string(), |at| format!("'{at}'"))
        ));
    }

    // Appeals decided on the 10th.
    for status in ["overturned", "upheld"] {
        app.sql(&format!(
            "WITH log AS (INSERT INTO moderation_log (actor_id, action, target_type, target_id) \
                          VALUES ({}, 'hide', 'thread', {quick}) RETURNING id) \
             INSERT INTO appeals (log_id, appellant_id, text, automatic, status, decided_by, \
                                  decided_at, created_at) \
             SELECT id, {}, 'Please', false, '{status}', {}, '2026-03-10T15:00:00Z', \
                    '2026-03-09T15:00:00Z' FROM log",
            admin.id, ada.id, admin.id
        ));
    }
    admin
}

fn roll_up_march(app: &TestApp) {
    service::rollup(
        &mut app.conn(),
        day("2026-03-01"),
        day("2026-03-31"),
        Utc::now(),
    )
    .expect("rollup");
}

async fn stats(app: &TestApp, who: &TestUser, query: &str) -> Value {
    let response = app
        .get_as(&format!("/api/v1/admin/stats?{query}"), &who.access_token)
        .await;
    assert_eq!(response.status().as_u16(), 200, "{query}");
    json(response).await
}

/// Figures written as the JSON answers them, separated by spaces; `-` is `null`.
fn points(figures: &str) -> Vec<Value> {
    figures
        .split_whitespace()
        .map(|f| match f {
            "-" => Value::Null,
            number => serde_json::from_str(number).expect("a number"),
        })
        .collect()
}

fn values(answer: &Value, series: &str) -> Vec<Value> {
    answer["series"][series]
        .as_array()
        .unwrap_or_else(|| panic!("no series {series}: {answer}"))
        .iter()
        .map(|point| point["v"].clone())
        .collect()
}

#[tokio::test]
async fn each_series_by_day_is_exact_with_utc_boundaries_and_empty_days_as_zero() {
    let app = spawn_app().await;
    let admin = march(&app).await;
    roll_up_march(&app);
    let answer = stats(&app, &admin, "from=2026-03-02&to=2026-03-10").await;
    let ts: Vec<&str> = answer["series"]["threads"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| p["t"].as_str().expect("t"))
        .collect();
    assert_eq!(ts.len(), 9);
    assert_eq!((ts[0], ts[8]), ("2026-03-02", "2026-03-10"));
    assert_eq!(answer["from"], json!("2026-03-02"));
    assert_eq!(answer["interval"], json!("day"));
    assert_eq!(answer["uncomputed_days"], json!(0));
    assert!(answer["computed_at"].is_string());

    // A row per series, a point per day from the 2nd to the 10th; "-" is null.
    for (series, want) in [
        ("signups", "2 1 0 0 0 0 0 0 0"),
        ("active_members", "2 1 0 0 0 0 0 1 1"),
        ("threads", "3 0 0 0 0 0 0 0 0"),
        ("replies", "3 0 0 0 0 0 0 1 0"),
        ("first_reply_minutes_p50", "105 - - - - - - - -"),
        ("first_reply_minutes_p90", "165 - - - - - - - -"),
        ("answered_share", "0.667 - - - - - - - -"),
        ("solved_share", "0.333 - - - - - - - -"),
        ("mentorship_requests", "0 4 0 0 0 0 0 0 0"),
        ("mentorship_accepted_share", "- 1 0 - - - - - -"),
        ("mentorship_response_hours_p50", "- 2 24 - - - - - -"),
        ("meetup_rsvps", "0 0 1 1 0 0 0 0 0"),
        ("meetup_fill_share", "- - - 0.5 - - - - -"),
        ("reports", "0 0 0 0 3 0 0 0 0"),
        ("report_resolution_hours_p50", "- - - - 3 24 - - -"),
        ("appeals_overturned_share", "- - - - - - - - 0.5"),
    ] {
        assert_eq!(values(&answer, series), points(want), "{series}");
    }
    assert_eq!(
        answer["series"].as_object().expect("series").len(),
        16,
        "every series of the contract"
    );

    // The whole range as one point: distinct members, shares over the sums.
    let totals = &answer["totals"];
    assert_eq!(totals["active_members"], json!(3));
    assert_eq!(totals["signups"], json!(3));
    assert_eq!(totals["replies"], json!(4));
    assert_eq!(totals["mentorship_accepted_share"], json!(0.5));
    assert_eq!(totals["mentorship_response_hours_p50"], json!(13));
    assert_eq!(totals["report_resolution_hours_p50"], json!(13.5));
    assert_eq!(totals["meetup_fill_share"], json!(0.5));
}

#[tokio::test]
async fn weeks_and_months_roll_up_the_days_with_distinct_members_and_exact_percentiles() {
    let app = spawn_app().await;
    let admin = march(&app).await;
    roll_up_march(&app);

    // Wednesday the 4th to Tuesday the 10th: the two whole weeks they fall in.
    let weeks = stats(&app, &admin, "from=2026-03-04&to=2026-03-10&interval=week").await;
    assert_eq!(
        (weeks["from"].clone(), weeks["to"].clone()),
        (json!("2026-03-02"), json!("2026-03-15"))
    );
    let ts: Vec<Value> = weeks["series"]["signups"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| p["t"].clone())
        .collect();
    assert_eq!(ts, vec![json!("2026-03-02"), json!("2026-03-09")]);
    // Weeks: ada and bob were seen in the first, ada and cy in the second (2 and 2 members,
    // not sums of days); percentiles over the week's values, not of daily percentiles.
    for (series, want) in [
        ("signups", "3 0"),
        ("active_members", "2 2"),
        ("replies", "3 1"),
        ("first_reply_minutes_p50", "105 -"),
        ("mentorship_accepted_share", "0.5 -"),
        ("mentorship_response_hours_p50", "13 -"),
        ("meetup_rsvps", "2 0"),
        ("meetup_fill_share", "0.5 -"),
        ("reports", "3 0"),
        ("report_resolution_hours_p50", "13.5 -"),
        ("appeals_overturned_share", "- 0.5"),
    ] {
        assert_eq!(values(&weeks, series), points(want), "{series}");
    }

    let month = stats(&app, &admin, "from=2026-03-15&to=2026-03-15&interval=month").await;
    assert_eq!(
        (month["from"].clone(), month["to"].clone()),
        (json!("2026-03-01"), json!("2026-03-31"))
    );
    let expect = |series: &str, want: Value| {
        assert_eq!(values(&month, series), vec![want], "{series}");
    };
    expect("active_members", json!(3));
    expect("threads", json!(3));
    expect("replies", json!(4));
    // The expiry on the 17th is an outcome too: 1 accepted of 3.
    expect("mentorship_accepted_share", json!(0.333));
    expect("mentorship_response_hours_p50", json!(13));
    expect("answered_share", json!(0.667));

    // Timestamps name their UTC day; a day not computed has no values, and says so.
    let february = stats(
        &app,
        &admin,
        "from=2026-02-27T23:00:00-02:00&to=2026-03-02T10:00:00Z",
    )
    .await;
    assert_eq!(february["from"], json!("2026-02-28"));
    assert_eq!(february["uncomputed_days"], json!(1));
    assert_eq!(
        values(&february, "signups"),
        vec![Value::Null, json!(0), json!(2)]
    );
}

#[derive(QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = diesel::sql_types::Text)]
    rows: String,
}

fn snapshot(app: &TestApp) -> String {
    diesel::sql_query(
        "SELECT coalesce(string_agg((to_jsonb(d) - 'computed_at')::text, E'\\n' ORDER BY day), '') \
         || coalesce((SELECT string_agg((to_jsonb(p) - 'computed_at')::text, E'\\n' \
                      ORDER BY period, starts_on) FROM stats_periods p), '') AS rows \
         FROM stats_days d",
    )
    .get_result::<Snapshot>(&mut app.conn())
    .expect("snapshot")
    .rows
}

#[tokio::test]
async fn the_rollup_run_twice_gives_the_same_rows_and_the_periodic_task_computes_the_recent_days() {
    let app = spawn_app().await;
    march(&app).await;
    roll_up_march(&app);
    let first = snapshot(&app);
    assert!(first.contains("\"day\": \"2026-03-02\""), "{first}");
    roll_up_march(&app);
    assert_eq!(snapshot(&app), first);
    assert_eq!(app.count("SELECT count(*) AS n FROM stats_days"), 31);

    // The periodic task, as the worker runs it: today and the 8 days before.
    app.sql("INSERT INTO jobs (kind, payload) VALUES ('stats.rollup', '{}')");
    let done = crate::helpers::wait_until(std::time::Duration::from_secs(10), || {
        app.count(
            "SELECT count(*) AS n FROM stats_days WHERE day = (now() AT TIME ZONE 'UTC')::date",
        ) == 1
    })
    .await;
    assert!(done, "the rollup job computed today");
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM stats_days \
             WHERE day >= (now() AT TIME ZONE 'UTC')::date - 8"
        ),
        9
    );
    // Today: everyone who signed in to build the community was seen today.
    assert!(app.count(
        "SELECT active_members::bigint AS n FROM stats_days WHERE day = (now() AT TIME ZONE 'UTC')::date"
    ) >= 1);
}

#[tokio::test]
async fn a_backfill_goes_on_where_an_interrupted_run_stopped() {
    let app = spawn_app().await;
    march(&app).await;
    let today = Utc::now().date_naive();
    let since = day("2026-03-01");
    let mut seen = Vec::new();
    let done = service::backfill(
        &mut app.conn(),
        since,
        false,
        Utc::now(),
        &mut |_: &str, done: usize, total: usize| seen.push((done, total)),
    )
    .expect("backfill");
    let all = (today - since).num_days() + 1;
    assert_eq!(done.days, all);
    assert_eq!(done.resumed_after, None);
    assert_eq!(seen.last().copied(), Some((all as usize, all as usize)));
    assert_eq!(app.count("SELECT count(*) AS n FROM stats_days"), all);

    // Interrupted after March: April onwards was never done.
    app.sql("DELETE FROM stats_days WHERE day >= '2026-04-01'");
    app.sql("DELETE FROM stats_days WHERE day < '2026-04-01' AND day > '2026-03-20'");
    app.sql(
        "UPDATE stats_backfills SET done_through = '2026-03-31', finished_at = NULL \
         WHERE since = '2026-03-01'",
    );
    let resumed = service::backfill(
        &mut app.conn(),
        since,
        false,
        Utc::now(),
        &mut |_: &str, _: usize, _: usize| {},
    )
    .expect("resume");
    assert_eq!(resumed.resumed_after, Some(day("2026-03-31")));
    assert_eq!(resumed.days, (today - day("2026-04-01")).num_days() + 1);
    // March was not done again (the rows deleted above stay missing); April on was.
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM stats_days WHERE day > '2026-03-20' AND day < '2026-04-01'"
        ),
        0
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM stats_days"), all - 11);

    // --restart does it all again.
    let again = service::backfill(
        &mut app.conn(),
        since,
        true,
        Utc::now(),
        &mut |_: &str, _: usize, _: usize| {},
    )
    .expect("restart");
    assert_eq!((again.days, again.resumed_after), (all, None));
    assert_eq!(app.count("SELECT count(*) AS n FROM stats_days"), all);
}

#[tokio::test]
async fn staff_read_the_dashboard_members_do_not_and_bad_ranges_are_refused() {
    let app = spawn_app().await;
    let admin = march(&app).await;
    roll_up_march(&app);
    let moderator = app.staff("modo", "moderator").await;
    let member = app.member("someone").await;
    let path = "/api/v1/admin/stats?from=2026-03-01&to=2026-03-31";

    assert_eq!(app.get(path).await.status().as_u16(), 401);
    let refused = app.get_as(path, &member.access_token).await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(
        app.get_as(path, &moderator.access_token)
            .await
            .status()
            .as_u16(),
        200
    );

    for (query, field) in [
        ("from=2026-03-10&to=2026-03-01", "from"),
        ("from=2024-01-01&to=2026-03-01", "to"),
        ("from=2016-01-01&to=2026-03-01&interval=week", "to"),
        ("from=2999-01-01", "from"),
        ("from=last-week", "from"),
        ("to=2026-02-30", "to"),
        ("interval=hour", "interval"),
        ("format=xml", "format"),
    ] {
        let response = app
            .get_as(&format!("/api/v1/admin/stats?{query}"), &admin.access_token)
            .await;
        assert_eq!(response.status().as_u16(), 422, "{query}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{query}"
        );
        let problem = json(response).await;
        assert!(problem["errors"][field].is_array(), "{query}: {problem}");
    }
    // Ten years by month is fine.
    assert_eq!(
        app.get_as(
            "/api/v1/admin/stats?from=2017-01-01&to=2026-12-01&interval=month",
            &admin.access_token
        )
        .await
        .status()
        .as_u16(),
        200
    );
}

#[tokio::test]
async fn csv_has_a_header_and_a_row_per_point() {
    let app = spawn_app().await;
    let admin = march(&app).await;
    roll_up_march(&app);
    let response = app
        .get_as(
            "/api/v1/admin/stats?from=2026-03-02&to=2026-03-10&interval=week&format=csv",
            &admin.access_token,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(response.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .contains("devforum-stats-2026-03-02-2026-03-15-by-week.csv"));
    let body = response.text().await.expect("body");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "t,signups,active_members,threads,replies,first_reply_minutes_p50,\
         first_reply_minutes_p90,answered_share,solved_share,mentorship_requests,\
         mentorship_accepted_share,mentorship_response_hours_p50,meetup_rsvps,\
         meetup_fill_share,reports,report_resolution_hours_p50,appeals_overturned_share"
    );
    assert_eq!(
        lines[1..],
        [
            "2026-03-02,3,2,3,3,105,165,0.667,0.333,4,0.5,13,2,0.5,3,13.5,",
            "2026-03-09,0,2,0,1,,,,,0,,,0,,0,,0.5",
        ]
    );
}
