//! Live streams across servers.

use super::*;

#[tokio::test]
async fn a_notification_written_through_one_server_reaches_a_stream_on_another_and_a_reconnect_replays_what_was_missed(
) {
    let app = spawn_app().await;
    let (other, other_shutdown) = second_server(&app).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let first = app.create_thread(&ada, "Streams across servers", &[]).await;
    let second = app.create_thread(&ada, "Replays after a gap", &[]).await;
    let cyds = app.create_thread(&cyd, "Cyd's own thread", &[]).await;

    let mut stream = EventReader::open(&other, &app.client, &ada, None).await;
    let opening = stream.next_named("unread").await;
    assert_eq!(opening.data, json!({"unread": 0}));

    // Written through the first server and fanned out by its worker.
    let reply = app.reply_id(&bob, first, "Hello across processes").await;
    let told = stream.next_named("notification").await;
    assert_eq!(told.data["kind"], "reply");
    assert_eq!(told.data["reply_id"], reply);
    assert_eq!(told.data["actor"]["username"], "bob");
    assert_eq!(told.id, told.data["id"].as_i64());
    assert_eq!(stream.next_named("unread").await.data, json!({"unread": 1}));

    // Reading it changes the count on the stream.
    let id = told.id.unwrap();
    app.post_as(
        &format!("/api/v1/notifications/{id}/read"),
        &ada.access_token,
    )
    .await;
    assert_eq!(stream.next_named("unread").await.data, json!({"unread": 0}));

    // Away: two events for ada and one for cyd happen while the stream is closed.
    drop(stream);
    app.reply_id(&bob, second, "While you were away").await;
    app.reply_id(&bob, first, "Another one here").await;
    app.reply_id(&bob, cyds, "For cyd only").await;
    app.notified().await;

    let mut stream = EventReader::open(&other, &app.client, &ada, Some(id)).await;
    let replayed_first = stream.next().await.unwrap();
    let replayed_second = stream.next().await.unwrap();
    assert_eq!(replayed_first.name, "notification");
    assert_eq!(replayed_second.name, "notification");
    let mut threads = [
        replayed_first.data["thread_id"].as_i64().unwrap(),
        replayed_second.data["thread_id"].as_i64().unwrap(),
    ];
    threads.sort();
    assert_eq!(threads, [first, second], "both of ada's, none of cyd's");
    assert!(replayed_first.id < replayed_second.id, "oldest first");
    assert_eq!(stream.next().await.unwrap().data, json!({"unread": 2}));

    // A muted thread sends nothing: the next event is the one of a thread ada still follows.
    assert_eq!(app.subscribe(&ada, first, "muted").await.status(), 200);
    app.reply_id(&bob, first, "Into the void").await;
    app.notified().await;
    app.reply_id(&bob, second, "Heard").await;
    let next = stream.next_named("notification").await;
    assert_eq!(next.data["thread_id"], second);

    // Stopping the server closes its streams cleanly.
    other_shutdown.cancel();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while stream.next().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ended when its server stopped");
}

#[tokio::test]
async fn the_stream_needs_a_token_and_a_numeric_last_event_id() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let anonymous = app
        .call(Method::GET, "/api/v1/notifications/stream", None, None)
        .await;
    assert_problem(anonymous, 401, "unauthorized").await;
    let bad = app
        .client
        .get(app.url("/api/v1/notifications/stream"))
        .bearer_auth(&ada.access_token)
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    assert_problem(bad, 400, "invalid_last_event_id").await;
}

#[tokio::test]
async fn one_batch_gives_each_stream_its_own_members_events_once() {
    let app = spawn_app().await;
    let (other, _other_shutdown) = second_server(&app).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let thread = app.create_thread(&ada, "Heard by two members", &[]).await;
    let cyds = app.create_thread(&cyd, "Heard by one", &[]).await;
    assert_eq!(app.subscribe(&cyd, thread, "watching").await.status(), 200);

    // Ada has two streams open (two tabs), cyd one; all on the same server.
    let mut ada_one = EventReader::open(&other, &app.client, &ada, None).await;
    let mut ada_two = EventReader::open(&other, &app.client, &ada, None).await;
    let mut cyd_one = EventReader::open(&other, &app.client, &cyd, None).await;
    for stream in [&mut ada_one, &mut ada_two, &mut cyd_one] {
        assert_eq!(stream.next_named("unread").await.data, json!({"unread": 0}));
    }

    // One reply notifies both members: each stream gets its member's notification, then the
    // member's count, and nothing of the other member's.
    let reply = app.reply_id(&bob, thread, "For both of you").await;
    let mut ada_ids = Vec::new();
    for stream in [&mut ada_one, &mut ada_two] {
        let told = stream.next().await.expect("an event");
        assert_eq!(
            (told.name.as_str(), told.data["reply_id"].as_i64()),
            ("notification", Some(reply))
        );
        ada_ids.push(told.id.expect("an id"));
        assert_eq!(
            stream.next().await.expect("the count").data,
            json!({"unread": 1})
        );
    }
    assert_eq!(ada_ids[0], ada_ids[1], "the same notification in both tabs");
    let told = cyd_one.next().await.expect("an event");
    assert_eq!(told.name, "notification");
    assert_ne!(told.id, Some(ada_ids[0]), "cyd's own notification");
    assert_eq!(
        cyd_one.next().await.expect("the count").data,
        json!({"unread": 1})
    );

    // A reply only cyd hears of reaches cyd alone: after it, ada's streams show no
    // notification, only counts, until the count her reading makes.
    app.reply_id(&bob, cyds, "For cyd only").await;
    assert_eq!(
        cyd_one.next_named("unread").await.data,
        json!({"unread": 2})
    );
    let read = ada_ids[0];
    app.post_as(
        &format!("/api/v1/notifications/{read}/read"),
        &ada.access_token,
    )
    .await;
    for stream in [&mut ada_one, &mut ada_two] {
        loop {
            let next = stream.next().await.expect("an event");
            assert_eq!(
                next.name, "unread",
                "no other member's notification: {:?}",
                next.data
            );
            if next.data == json!({"unread": 0}) {
                break;
            }
        }
    }
}
