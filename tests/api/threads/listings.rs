//! Listings, cursors, tags and their counts.

use super::*;

#[tokio::test]
async fn listings_sort_filter_and_put_pinned_threads_first() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let first = app.create_thread(&ada, "First thread", &["rust"]).await;
    let second = app.create_thread(&bob, "Second thread", &["go"]).await;
    let third = app
        .create_thread(&ada, "Third thread", &["rust", "web"])
        .await;

    assert_eq!(
        ids(&read_as(app.get("/api/v1/threads").await).await),
        [third, second, first]
    );
    app.create_reply(&bob, first, "bump").await;
    assert_eq!(
        ids(&read_as(app.get("/api/v1/threads?sort=active").await).await),
        [first, third, second]
    );
    app.send_as(
        reqwest::Method::PUT,
        &format!("/api/v1/threads/{second}/vote"),
        &ada.access_token,
        &json!({"value": 1}),
    )
    .await;
    assert_eq!(
        ids(&read_as(app.get("/api/v1/threads?sort=top").await).await)[0],
        second
    );
    assert_eq!(
        ids(&read_as(app.get("/api/v1/threads?tag=rust").await).await),
        [third, first]
    );
    // As people type it: a capital letter or a leading `#` finds the same tag.
    assert_eq!(
        ids(&read_as(app.get("/api/v1/threads?tag=%23Rust").await).await),
        [third, first]
    );
    assert_eq!(
        ids(&read_as(app.get("/api/v1/threads?author=BOB").await).await),
        [second]
    );
    assert_eq!(
        ids(&read_as(app.get("/api/v1/threads?author=nobody").await).await),
        Vec::<i64>::new()
    );

    app.sql(&format!(
        "UPDATE threads SET pinned = true WHERE id = {first}"
    ));
    assert_eq!(
        ids(&read_as(app.get("/api/v1/threads").await).await),
        [first, third, second]
    );
    assert_eq!(
        ids(&read_as(app.get("/api/v1/threads?sort=active").await).await)[0],
        first
    );

    // The active order follows moderation too: a hidden thread leaves the public's list but
    // not staff's, and a deleted one leaves both.
    let moderator = app.staff("mod", "moderator").await;
    app.sql(&format!(
        "UPDATE threads SET hidden = true WHERE id = {third}"
    ));
    assert_eq!(
        ids(&read_as(app.get("/api/v1/threads?sort=active").await).await),
        [first, second]
    );
    let staff_active = app.get_as("/api/v1/threads?sort=active", &moderator.access_token);
    assert_eq!(
        ids(&read_as(staff_active.await).await),
        [first, third, second]
    );
    let deleted = app
        .send_as(
            reqwest::Method::DELETE,
            &format!("/api/v1/threads/{second}"),
            &bob.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(deleted.status().as_u16(), 204);
    let staff_active = app.get_as("/api/v1/threads?sort=active", &moderator.access_token);
    assert_eq!(ids(&read_as(staff_active.await).await), [first, third]);

    // Each bad query, its status and code, and the field a 422 names.
    for (bad, status, code, field) in [
        ("sort=hot", 400, "invalid_query", None),
        ("limit=x", 400, "invalid_query", None),
        ("limit=0", 422, "validation_failed", Some("limit")),
        ("limit=101", 422, "validation_failed", Some("limit")),
        ("tag=no%20way!", 422, "validation_failed", Some("tag")),
    ] {
        let response = app.get(&format!("/api/v1/threads?{bad}")).await;
        let problem = assert_problem(response, status, code).await;
        if let Some(field) = field {
            assert!(problem["errors"][field].is_array(), "{bad}: {problem}");
        }
    }
}

#[tokio::test]
async fn cursors_stay_correct_while_threads_are_posted_and_garbage_is_refused() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(
            app.create_thread(&ada, &format!("Thread number {n}"), &[])
                .await,
        );
    }
    let page1: Page<ThreadSummary> = read_as(app.get("/api/v1/threads?limit=3").await).await;
    // New threads arrive between page requests; they must neither shift nor repeat items.
    for n in 0..3 {
        app.create_thread(&ada, &format!("Newcomer number {n}"), &[])
            .await;
    }
    let mut seen = ids(&page1);
    let mut cursor = page1.next_cursor.clone();
    while let Some(c) = cursor {
        let page: Page<ThreadSummary> = read_as(
            app.get(&format!("/api/v1/threads?limit=3&cursor={c}"))
                .await,
        )
        .await;
        seen.extend(ids(&page));
        cursor = page.next_cursor;
    }
    created.reverse();
    assert_eq!(seen, created, "the original seven, newest first, once each");

    for garbage in ["garbage", "eyJsIjoidGhyZWFkczpsYXRlc3QiLCJrIjoxfQ", "%00"] {
        assert_problem(
            app.get(&format!("/api/v1/threads?cursor={garbage}")).await,
            400,
            "invalid_cursor",
        )
        .await;
    }
    let latest_cursor = page1.next_cursor.as_deref().expect("cursor");
    assert_problem(
        app.get(&format!("/api/v1/threads?sort=top&cursor={latest_cursor}"))
            .await,
        400,
        "invalid_cursor",
    )
    .await;
}

#[tokio::test]
async fn tags_have_live_thread_counts() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let one = app
        .create_thread(&ada, "Rust and web", &["rust", "web"])
        .await;
    app.create_thread(&ada, "Rust only here", &["rust"]).await;
    let tags = json(app.get("/api/v1/tags").await).await;
    assert_eq!(
        tags["items"],
        json!([{"name": "rust", "thread_count": 2}, {"name": "web", "thread_count": 1}])
    );
    app.send_as(
        reqwest::Method::PATCH,
        &format!("/api/v1/threads/{one}"),
        &ada.access_token,
        &json!({"tags": ["go"]}),
    )
    .await;
    let tags = json(app.get("/api/v1/tags").await).await;
    assert_eq!(
        tags["items"],
        json!([{"name": "go", "thread_count": 1}, {"name": "rust", "thread_count": 1}])
    );
    app.send_as(
        reqwest::Method::DELETE,
        &format!("/api/v1/threads/{one}"),
        &ada.access_token,
        &json!({}),
    )
    .await;
    assert_eq!(
        json(app.get("/api/v1/tags").await).await["items"],
        json!([{"name": "rust", "thread_count": 1}])
    );
}

#[tokio::test]
async fn listings_run_a_fixed_number_of_statements_whatever_the_page_size() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let mut thread_id = 0;
    for n in 0..30 {
        thread_id = app
            .create_thread(&ada, &format!("Thread number {n}"), &["rust"])
            .await;
    }
    for n in 0..30 {
        app.create_reply(&ada, thread_id, &format!("reply {n}"))
            .await;
    }
    let mut conn = diesel::PgConnection::establish(&app.db.url).expect("connect");
    let counter = StatementCounter::default();
    conn.set_instrumentation(counter.clone());
    let mut count = |f: &mut dyn FnMut(&mut diesel::PgConnection)| {
        *counter.0.lock().expect("lock") = 0;
        f(&mut conn);
        *counter.0.lock().expect("lock")
    };
    let list = |limit: i64| {
        move |conn: &mut diesel::PgConnection| {
            let filter = devforum::threads::model::ThreadFilter {
                sort: devforum::threads::domain::Sort::Latest,
                tag: Some("rust".into()),
                author_id: None,
                status: Some(devforum::threads::domain::ThreadStatus::Unsolved),
                after: None,
                audience: devforum::visibility::Audience::Public,
                reading: None,
                reader: None,
                limit,
            };
            let page = devforum::threads::service::list_threads(conn, &filter, Some("ada"), None)
                .expect("list");
            assert_eq!(page.items.len() as i64, limit);
        }
    };
    let small = count(&mut list(2));
    let large = count(&mut list(25));
    assert_eq!(
        small, large,
        "thread listing: {small} statements for 2 items, {large} for 25"
    );
    let replies = |limit: i64| {
        move |conn: &mut diesel::PgConnection| {
            let page = devforum::threads::service::list_replies(
                conn,
                devforum::ids::ThreadId(thread_id),
                None,
                None,
                limit,
            )
            .expect("list");
            assert_eq!(page.items.len() as i64, limit);
        }
    };
    let small = count(&mut replies(2));
    let large = count(&mut replies(25));
    assert_eq!(
        small, large,
        "reply listing: {small} statements for 2 items, {large} for 25"
    );
    assert!(large <= 2, "{large} statements");
}

/// `tags.thread_count` is kept by a trigger in SQL; it must count exactly the threads that
/// `visibility::public_threads` lets the public see, whatever moderation and authors did.
#[tokio::test]
async fn tag_counts_follow_this_rule() {
    use devforum::schema::{tags, threads};
    use diesel::prelude::*;

    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let mut ids = Vec::new();
    for (n, tags) in [
        &["rust", "async"][..],
        &["rust"],
        &["rust", "web"],
        &["async"],
    ]
    .iter()
    .enumerate()
    {
        ids.push(
            app.create_thread(&ada, &format!("Thread number {n}"), tags)
                .await,
        );
    }
    let mut conn = app.db.connect();
    diesel::update(threads::table.find(ids[0]))
        .set(threads::hidden.eq(true))
        .execute(&mut conn)
        .expect("hide");
    diesel::update(threads::table.find(ids[2]))
        .set(threads::deleted_at.eq(diesel::dsl::now))
        .execute(&mut conn)
        .expect("delete");
    diesel::update(threads::table.find(ids[3]))
        .set(threads::tags.eq(vec!["web".to_string()]))
        .execute(&mut conn)
        .expect("retag");

    let public: Vec<Vec<String>> = threads::table
        .filter(devforum::visibility::public_threads())
        .select(threads::tags)
        .load(&mut conn)
        .expect("public threads");
    let mut expected = std::collections::BTreeMap::<String, i32>::new();
    for tag in public.into_iter().flatten() {
        *expected.entry(tag).or_default() += 1;
    }
    let counted: std::collections::BTreeMap<String, i32> = tags::table
        .filter(tags::thread_count.gt(0))
        .select((tags::name, tags::thread_count))
        .load::<(String, i32)>(&mut conn)
        .expect("tags")
        .into_iter()
        .collect();
    assert_eq!(
        counted,
        std::collections::BTreeMap::from([("rust".to_string(), 1), ("web".to_string(), 1)])
    );
    assert_eq!(counted, expected);
}
