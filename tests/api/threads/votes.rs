//! Votes, and counters under concurrent writers.

use super::*;

#[tokio::test]
async fn votes_are_idempotent_changeable_and_never_on_ones_own_post() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let id = app.create_thread(&ada, "Vote on me please", &[]).await;
    let vote = |user: &TestUser, value: Value| {
        let token = user.access_token.clone();
        let app = &app;
        async move {
            app.send_as(
                reqwest::Method::PUT,
                &format!("/api/v1/threads/{id}/vote"),
                &token,
                &json!({"value": value}),
            )
            .await
        }
    };
    assert_eq!(
        json(vote(&bob, json!(1)).await).await,
        json!({"score": 1, "my_vote": 1})
    );
    assert_eq!(
        json(vote(&bob, json!(1)).await).await,
        json!({"score": 1, "my_vote": 1})
    );
    assert_eq!(
        json(vote(&bob, json!(-1)).await).await,
        json!({"score": -1, "my_vote": -1})
    );
    assert_eq!(
        json(vote(&bob, json!(0)).await).await,
        json!({"score": 0, "my_vote": 0})
    );
    assert_problem(vote(&ada, json!(1)).await, 403, "own_post").await;
    for bad in [json!(2), json!(-2), json!("up"), json!(null)] {
        assert_problem(vote(&bob, bad).await, 422, "validation_failed").await;
    }
    let anonymous = app
        .client
        .put(app.url(&format!("/api/v1/threads/{id}/vote")))
        .json(&json!({"value": 1}))
        .send()
        .await
        .expect("request");
    assert_problem(anonymous, 401, "unauthorized").await;
    vote(&bob, json!(1)).await;
    assert_eq!(
        json(
            app.get_as(&format!("/api/v1/threads/{id}"), &bob.access_token)
                .await
        )
        .await["my_vote"],
        1
    );

    // Replies too.
    let reply = json(app.create_reply(&bob, id, "a reply").await).await;
    let reply_path = format!("/api/v1/replies/{}/vote", reply["id"]);
    assert_eq!(
        json(
            app.send_as(
                reqwest::Method::PUT,
                &reply_path,
                &ada.access_token,
                &json!({"value": -1})
            )
            .await
        )
        .await,
        json!({"score": -1, "my_vote": -1})
    );
    assert_problem(
        app.send_as(
            reqwest::Method::PUT,
            &reply_path,
            &bob.access_token,
            &json!({"value": 1}),
        )
        .await,
        403,
        "own_post",
    )
    .await;
}

#[tokio::test]
async fn concurrent_votes_and_replies_converge_to_the_right_counts() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let id = app.create_thread(&ada, "Popular thread", &[]).await;
    let mut voters = Vec::new();
    for n in 0..12 {
        voters.push(app.member(&format!("voter{n}")).await);
    }
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for (n, voter) in voters.into_iter().enumerate() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let path = format!("/api/v1/threads/{id}/vote");
            // Everyone votes up twice (idempotent); a third of them then switch to down.
            for _ in 0..2 {
                app.send_as(
                    reqwest::Method::PUT,
                    &path,
                    &voter.access_token,
                    &json!({"value": 1}),
                )
                .await;
            }
            if n % 3 == 0 {
                app.send_as(
                    reqwest::Method::PUT,
                    &path,
                    &voter.access_token,
                    &json!({"value": -1}),
                )
                .await;
            }
            app.create_reply(&voter, id, "me too")
                .await
                .status()
                .as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), 201);
    }
    let thread: ThreadView = read_as(app.get(&format!("/api/v1/threads/{id}")).await).await;
    assert_eq!(thread.score, 8 - 4, "8 up, 4 down");
    assert_eq!(thread.reply_count, 12);
}
