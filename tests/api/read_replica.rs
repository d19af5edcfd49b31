//! A streaming read replica (`database.replica_url`), on real PostgreSQL servers: a primary of
//! the test's own and a replica made from it with `pg_basebackup`. Pausing the replica's
//! replay makes it fall behind on demand.

use std::time::Duration;

use devforum::startup::BuildOptions;
use serde_json::{json, Value};

use crate::helpers::{json, spawn_app_on, wait_until, TestApp, TestDatabase};
use crate::postgres_server::PostgresServer;

struct Topology {
    app: TestApp,
    replica: PostgresServer,
    database: String,
    // Dropped last: the app and the replica go first.
    _primary: PostgresServer,
}

async fn topology() -> Topology {
    let primary = PostgresServer::start();
    let db = TestDatabase::create_migrated_on(&primary.url("postgres"));
    let database = db.name.clone();
    let replica = PostgresServer::replica_of(&primary);
    let replica_url = replica.url(&database);
    let app = spawn_app_on(
        db,
        move |s| {
            s.database.replica_url = Some(replica_url.into());
            // The tests pause replay for a while; staleness alone must not take the replica
            // out of service here.
            s.database.replica_max_lag_secs = 600;
        },
        BuildOptions::default(),
    )
    .await;
    let topology = Topology {
        app,
        replica,
        database,
        _primary: primary,
    };
    assert!(
        topology.wait_for_replica("up").await,
        "the replica never came up: {}",
        topology.ready().await
    );
    topology
}

impl Topology {
    async fn ready(&self) -> Value {
        json(self.app.get("/ready").await).await
    }

    async fn wait_for_replica(&self, state: &str) -> bool {
        for _ in 0..100 {
            if self.ready().await["replica"]["state"] == state {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    fn on_replica(&self, statement: &str) -> String {
        self.replica.psql(&self.database, statement)
    }

    async fn reply_bodies(&self, thread: i64, token: Option<&str>) -> Vec<String> {
        let path = format!("/api/v1/threads/{thread}/replies");
        let response = match token {
            Some(token) => self.app.get_as(&path, token).await,
            None => self.app.get(&path).await,
        };
        assert_eq!(response.status().as_u16(), 200);
        json(response).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|reply| reply["body"].as_str().unwrap().to_string())
            .collect()
    }
}

#[tokio::test]
async fn a_member_always_reads_their_own_reply_while_others_read_the_lagging_replica() {
    let t = topology().await;
    let ada = t.app.member("ada_replica").await;
    let thread = t.app.create_thread(&ada, "Replicated thread", &[]).await;
    // The replica has the thread before replay is paused.
    let path = format!("/api/v1/threads/{thread}");
    let seen = wait_until(Duration::from_secs(10), || {
        t.on_replica(&format!("SELECT count(*) FROM threads WHERE id = {thread}")) == "1"
    })
    .await;
    assert!(seen);
    assert_eq!(t.on_replica("SELECT pg_wal_replay_pause()"), "");

    let posted = t
        .app
        .create_reply(&ada, thread, "Fresh from the primary")
        .await;
    assert_eq!(posted.status().as_u16(), 201);

    // The writer sees their reply at once, on the next read, whichever process serves it.
    assert_eq!(
        t.reply_bodies(thread, Some(&ada.access_token)).await,
        ["Fresh from the primary"]
    );
    // Everyone else reads the replica, which has not replayed it yet: proof the reads go there.
    assert!(t.reply_bodies(thread, None).await.is_empty());
    assert_eq!(t.app.get(&path).await.status().as_u16(), 200);
    // The monitor notices within a poll or two.
    let mut ready = t.ready().await;
    for _ in 0..50 {
        if ready["replica"]["lag_bytes"].as_i64().unwrap() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        ready = t.ready().await;
    }
    assert!(
        ready["replica"]["lag_bytes"].as_i64().unwrap() > 0,
        "{ready}"
    );
    let metrics = t.app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("devforum_replica_up 1"), "{metrics}");

    // Once it replays, everyone sees the reply.
    t.on_replica("SELECT pg_wal_replay_resume()");
    let mut caught_up = false;
    for _ in 0..100 {
        if t.reply_bodies(thread, None).await == ["Fresh from the primary"] {
            caught_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(caught_up, "the replica never caught up");
}

#[tokio::test]
async fn reads_go_on_on_the_primary_when_the_replica_stops_and_return_when_it_is_back() {
    let t = topology().await;
    let ada = t.app.member("ada_fallback").await;
    let thread = t.app.create_thread(&ada, "Still readable", &[]).await;
    t.replica.stop();
    // Not one read fails, not even the first ones that find the replica's connections gone.
    for _ in 0..10 {
        let response = t.app.get(&format!("/api/v1/threads/{thread}")).await;
        assert_eq!(response.status().as_u16(), 200);
        let listed = t.app.get("/api/v1/threads?limit=5").await;
        assert_eq!(listed.status().as_u16(), 200);
    }
    assert!(t.wait_for_replica("down").await);
    let ready = t.app.get("/ready").await;
    assert_eq!(ready.status().as_u16(), 200, "a replica down is not fatal");
    let metrics = t.app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("devforum_replica_up 0"));
    // Writes never needed it.
    let posted = t
        .app
        .create_reply(&ada, thread, "Written while the replica was away")
        .await;
    assert_eq!(posted.status().as_u16(), 201);

    t.replica.start_again();
    assert!(t.wait_for_replica("up").await);
    let found = wait_until(Duration::from_secs(10), || {
        t.on_replica("SELECT count(*) FROM replies") == "1"
    })
    .await;
    assert!(
        found,
        "the replica caught up with the write made while it was away"
    );
    let page = json(
        t.app
            .get(&format!("/api/v1/threads/{thread}/replies"))
            .await,
    )
    .await;
    assert_eq!(
        page["items"][0]["body"],
        json!("Written while the replica was away")
    );
}
