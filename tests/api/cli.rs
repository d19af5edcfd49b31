//! The `devforum` binary itself: serving, JSON logs with request ids, graceful SIGTERM,
//! production's refusal of a default secret, create-admin, and dkim-keygen.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use devforum::schema::users;
use diesel::prelude::*;

use crate::helpers::{config_dir, TestDatabase};

fn devforum(db: &TestDatabase) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_devforum"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DEVFORUM_CONFIG_DIR", config_dir())
        .env("DATABASE_URL", &db.url)
        .env("DEVFORUM__SERVER__PORT", "0")
        .env("DEVFORUM__EMAIL__TRANSPORT", "log");
    command
}

struct Running {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

fn start_serving(mut command: Command) -> Running {
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn devforum");
    let stderr = child.stderr.take().expect("stderr");
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    Running { child, lines }
}

impl Running {
    fn wait_for_line(&self, needle: &str, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return seen;
                }
            }
        }
        panic!(
            "no line containing {needle:?} within {timeout:?}; saw:\n{}",
            seen.join("\n")
        );
    }

    fn drain(&self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(300)) {
            lines.push(line);
        }
        lines
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "devforum did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `devforum serve` on `db` with JSON logs at info, and the port it bound: port 0, so the
/// kernel picks a free one, read back from the start-up log line.
fn serve_with_json_logs(db: &TestDatabase) -> (Running, u16) {
    let mut command = devforum(db);
    command
        .arg("serve")
        .env("DEVFORUM__LOG__FORMAT", "json")
        .env("DEVFORUM__LOG__LEVEL", "info");
    let server = start_serving(command);
    let started = server.wait_for_line("devforum listening", Duration::from_secs(30));
    let listening: serde_json::Value =
        serde_json::from_str(started.last().expect("the line")).expect("a JSON log line");
    let port: u16 = listening["fields"]["address"]
        .as_str()
        .and_then(|a| a.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok())
        .expect("the bound port");
    (server, port)
}

#[test]
fn serve_logs_json_lines_carrying_the_request_id_and_stops_cleanly_on_sigterm() {
    let db = TestDatabase::create_empty();
    let (mut server, port) = serve_with_json_logs(&db);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/ready"))
            .header("x-request-id", "cli-test-request-7")
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    assert!(matches!(status, Ok(200)), "/ready answered {status:?}");

    let exit = server.terminate();
    assert!(exit.success(), "exit status {exit:?}");
    let lines = server.drain();
    let request_lines: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l.to_string().contains("/ready"))
        .collect();
    assert!(
        !request_lines.is_empty(),
        "no JSON log line for the request:\n{}",
        lines.join("\n")
    );
    for line in &request_lines {
        assert_eq!(line["span"]["request_id"], "cli-test-request-7", "{line}");
    }
    assert!(
        lines.iter().any(|l| l.contains("shutdown complete")),
        "{}",
        lines.join("\n")
    );
    // Migrations ran on start.
    let applied: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM __diesel_schema_migrations)",
    ))
    .get_result(&mut db.connect())
    .expect("migrations table");
    assert!(applied > 0);
}

#[test]
fn production_refuses_to_start_with_the_default_secret_and_says_which_key_to_set() {
    let db = TestDatabase::create_empty();
    let output = devforum(&db)
        .arg("serve")
        .env("DEVFORUM_ENV", "production")
        .output()
        .expect("run devforum");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("DEVFORUM__AUTH__JWT_SECRET"), "{stderr}");
}

#[test]
fn migrate_applies_and_reverts() {
    let db = TestDatabase::create_empty();
    let output = devforum(&db).arg("migrate").output().expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("applied"));
    let output = devforum(&db)
        .args(["migrate", "--revert", "all"])
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = devforum(&db)
        .args(["migrate", "--revert", "some"])
        .output()
        .expect("run");
    assert!(!output.status.success());
}

#[test]
fn create_admin_creates_then_promotes_idempotently() {
    let db = TestDatabase::create();
    let run = |username: &str, email: &str, password: &str| {
        devforum(&db)
            .args(["create-admin", "--username", username, "--email", email])
            .env("DEVFORUM_ADMIN_PASSWORD", password)
            .output()
            .expect("run")
    };
    let first = run("root_admin", "Root@Example.COM", "a long enough password");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let again = run("root_admin", "root@example.com", "a long enough password");
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("already an admin"));

    let mut conn = db.connect();
    let (role, email, verified): (String, String, bool) = users::table
        .filter(users::username.eq("root_admin"))
        .select((users::role, users::email, users::email_verified))
        .first(&mut conn)
        .expect("admin row");
    assert_eq!(
        (role.as_str(), email.as_str(), verified),
        ("admin", "Root@example.com", true)
    );
    let count: i64 = users::table.count().get_result(&mut conn).expect("count");
    assert_eq!(count, 1);

    // An existing member is promoted, keeping their password.
    diesel::insert_into(users::table)
        .values((
            users::username.eq("member_one"),
            users::email.eq("m1@example.com"),
            users::password_hash.eq("x"),
        ))
        .execute(&mut conn)
        .expect("insert member");
    let promoted = run("MEMBER_one", "m1@example.com", "another long password");
    assert!(String::from_utf8_lossy(&promoted.stdout).contains("is now an admin"));
    let (role, hash): (String, String) = users::table
        .filter(users::username.eq("member_one"))
        .select((users::role, users::password_hash))
        .first(&mut conn)
        .expect("member row");
    assert_eq!((role.as_str(), hash.as_str()), ("admin", "x"));
}

#[test]
fn create_admin_rejects_bad_input_and_reads_the_password_from_stdin() {
    let db = TestDatabase::create();
    let bad = devforum(&db)
        .args(["create-admin", "--username", "x", "--email", "not-an-email"])
        .env("DEVFORUM_ADMIN_PASSWORD", "a long enough password")
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--username"));

    let short = devforum(&db)
        .args([
            "create-admin",
            "--username",
            "admin2",
            "--email",
            "a2@example.com",
        ])
        .env("DEVFORUM_ADMIN_PASSWORD", "short")
        .output()
        .expect("run");
    assert!(!short.status.success());

    let mut child = devforum(&db)
        .args([
            "create-admin",
            "--username",
            "admin3",
            "--email",
            "a3@example.com",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"password from stdin\n").expect("write");
    }
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let hash: String = users::table
        .filter(users::username.eq("admin3"))
        .select(users::password_hash)
        .first(&mut db.connect())
        .expect("row");
    assert!(devforum::accounts::password::verify(
        "password from stdin",
        &hash
    ));
}

#[test]
fn seed_fills_every_feature_with_data_the_rules_accept() {
    let db = TestDatabase::create();
    let output = devforum(&db)
        .args([
            "seed",
            "--users",
            "30",
            "--threads",
            "20",
            "--replies",
            "60",
            "--mentors",
            "6",
            "--meetups",
            "12",
        ])
        .env("DEVFORUM_ENV", "test")
        .output()
        .expect("run seed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("6 mentors, 12 meetups"), "{stdout}");
    let mut conn = db.connect();
    let count = |conn: &mut PgConnection, sql: &str| -> i64 {
        diesel::sql_query(sql)
            .get_result::<devforum::db::Count>(conn)
            .expect(sql)
            .n
    };
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM mentor_profiles"),
        6
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM meetups WHERE starts_at > now()"
        ),
        12
    );
    // Answers are counted, and a solution is one of its thread's answers.
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM thread_activity a JOIN threads t ON t.id = a.thread_id \
             WHERE a.answers <> (SELECT count(*) FROM replies r \
                                 WHERE r.thread_id = t.id AND r.author_id <> t.author_id) \
                OR t.solved <> EXISTS (SELECT 1 FROM thread_solutions s WHERE s.thread_id = t.id)"
        ),
        0
    );
    assert!(count(&mut conn, "SELECT count(*) AS n FROM thread_solutions") > 0);
    // The counters the triggers keep agree with the rows, and nobody is overbooked.
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM meetups m WHERE going_count <> \
             (SELECT count(*) FROM meetup_rsvps r WHERE r.meetup_id = m.id AND r.status = 'going') \
             OR going_count > coalesce(capacity, going_count)"
        ),
        0
    );
}

#[test]
fn help_explains_every_subcommand() {
    let output = Command::new(env!("CARGO_BIN_EXE_devforum"))
        .arg("--help")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&output.stdout);
    for subcommand in [
        "serve",
        "migrate",
        "worker",
        "create-admin",
        "jobs",
        "rerender",
        "stats",
        "dkim-keygen",
    ] {
        assert!(
            text.contains(subcommand),
            "{subcommand} missing from --help:\n{text}"
        );
    }
}

#[test]
fn openapi_prints_the_served_document_without_any_configuration() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_devforum"))
        .arg("openapi")
        .env("DEVFORUM_CONFIG_DIR", "/nonexistent")
        .output()
        .expect("run devforum openapi");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let served = serde_json::to_value(devforum::openapi::document()).expect("serialise");
    assert_eq!(printed, served);
}

#[test]
fn dkim_keygen_writes_a_private_key_prints_its_record_and_the_key_signs() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("devforum-dkim-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    for (algorithm, k) in [("ed25519", "ed25519"), ("rsa", "rsa")] {
        let key = dir.join(format!("{algorithm}.key"));
        let keygen = || {
            Command::new(env!("CARGO_BIN_EXE_devforum"))
                .args([
                    "dkim-keygen",
                    "--selector",
                    "s2026",
                    "--domain",
                    "forum.example",
                ])
                .args(["--algorithm", algorithm, "--out"])
                .arg(&key)
                .env("DEVFORUM_CONFIG_DIR", "/nonexistent")
                .output()
                .expect("run dkim-keygen")
        };
        let output = keygen();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let record = String::from_utf8_lossy(&output.stdout);
        assert!(
            record.starts_with("s2026._domainkey.forum.example. IN TXT ( \"v=DKIM1; k=")
                && record.contains(&format!("k={k}; p=")),
            "{record}"
        );
        let private = std::fs::read_to_string(&key).expect("key file");
        assert!(
            !record.contains(private.trim()),
            "the private key is never printed"
        );
        let mode = std::fs::metadata(&key).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner reads the key");

        // The file is what [email.dkim] key_file takes.
        let mut settings = crate::helpers::test_settings("postgres://unused");
        settings.email.dkim.selector = "s2026".into();
        settings.email.dkim.algorithm = if algorithm == "rsa" {
            devforum::config::DkimAlgorithm::Rsa
        } else {
            devforum::config::DkimAlgorithm::Ed25519
        };
        settings.email.dkim.key_file = key.clone();
        devforum::email::Mailer::from_settings(&settings).expect("the key loads");

        // An existing key is never replaced.
        let again = keygen();
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("never replaced"));
        assert_eq!(std::fs::read_to_string(&key).expect("key file"), private);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn secrets_in_request_paths_never_reach_the_log() {
    let db = TestDatabase::create_empty();
    let (mut server, port) = serve_with_json_logs(&db);
    let secret = "cal-SECRET-4f9c2d7e1b";
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        for path in [
            format!("/api/v1/calendar-feeds/{secret}.ics"),
            format!("/api/v1/exports/{secret}"),
            format!("/api/v1/unsubscribe?token={secret}"),
        ] {
            let answer = reqwest::Client::new()
                .get(format!("http://127.0.0.1:{port}{path}"))
                .send()
                .await
                .expect("request");
            assert!(
                answer.status().is_client_error(),
                "{path}: {}",
                answer.status()
            );
        }
    });
    assert!(server.terminate().success());
    let lines = server.drain();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("/api/v1/calendar-feeds/{token}"))
            && lines.iter().any(|l| l.contains("/api/v1/exports/{token}")),
        "the requests are logged, by their template:\n{}",
        lines.join("\n")
    );
    let leaks: Vec<&String> = lines.iter().filter(|l| l.contains(secret)).collect();
    assert!(leaks.is_empty(), "the token is in the log: {leaks:#?}");
}

#[test]
fn rerender_renders_stored_posts_again_once_and_resumes_where_it_stopped() {
    let db = TestDatabase::create();
    let seeded = devforum(&db)
        .args([
            "seed",
            "--users",
            "10",
            "--threads",
            "12",
            "--replies",
            "40",
        ])
        .args(["--mentors", "3", "--meetups", "4"])
        .env("DEVFORUM_ENV", "test")
        .output()
        .expect("run seed");
    assert!(seeded.status.success(), "{seeded:?}");
    let mut conn = db.connect();
    let count = |conn: &mut PgConnection, sql: &str| -> i64 {
        diesel::sql_query(sql)
            .get_result::<devforum::db::Count>(conn)
            .expect(sql)
            .n
    };
    // HTML from an older renderer, and a code block that has never been highlighted.
    diesel::sql_query(
        "UPDATE threads SET body = body || E'\\n\\n```rust\\nfn main() {}\\n```', \
                            body_html = '<p>stale</p>'",
    )
    .execute(&mut conn)
    .expect("age threads");
    diesel::sql_query("UPDATE replies SET body_html = '<p>stale</p>'")
        .execute(&mut conn)
        .expect("age replies");
    let edited_before = count(
        &mut conn,
        "SELECT count(*) AS n FROM threads WHERE updated_at > created_at",
    );

    let run = |restart: bool| {
        let mut command = devforum(&db);
        command.arg("rerender");
        if restart {
            command.arg("--restart");
        }
        let output = command.output().expect("run rerender");
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    };
    let first = run(false);
    assert!(
        first.contains("threads: 12 rendered, 12 changed"),
        "{first}"
    );
    assert!(
        first.contains("replies: 40 rendered, 40 changed"),
        "{first}"
    );
    assert!(first.contains("meetups: 4 rendered, 0 changed"), "{first}");
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM threads \
             WHERE body_html LIKE '%<code class=\"language-rust\"><span class=\"hl-keyword\">fn</span>%'"
        ),
        12
    );
    // Rendering again is no edit.
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM threads WHERE updated_at > created_at"
        ),
        edited_before
    );

    // Done for this renderer: a second run does nothing.
    let second = run(false);
    assert!(second.contains("threads: already rendered"), "{second}");

    // Interrupted half-way through the replies: the next run starts where it stopped.
    diesel::sql_query("UPDATE replies SET body_html = '<p>stale</p>'")
        .execute(&mut conn)
        .expect("age replies");
    let middle = count(
        &mut conn,
        "SELECT (SELECT id FROM replies ORDER BY id OFFSET 19 LIMIT 1) AS n",
    );
    diesel::sql_query(format!(
        "UPDATE rerender_progress SET last_id = {middle}, finished_at = NULL \
         WHERE kind = 'replies'"
    ))
    .execute(&mut conn)
    .expect("interrupt");
    let resumed = run(false);
    assert!(
        resumed.contains("replies: 20 rendered, 20 changed"),
        "{resumed}"
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM replies WHERE body_html = '<p>stale</p>'"
        ),
        20
    );
    let restarted = run(true);
    assert!(
        restarted.contains("replies: 40 rendered, 20 changed"),
        "{restarted}"
    );
}

#[test]
fn stats_backfill_computes_every_day_with_its_time_and_rollup_recomputes_one() {
    let db = TestDatabase::create();
    let seeded = devforum(&db)
        .args([
            "seed",
            "--users",
            "10",
            "--threads",
            "30",
            "--replies",
            "90",
        ])
        .args(["--mentors", "3", "--meetups", "4"])
        .env("DEVFORUM_ENV", "test")
        .output()
        .expect("run seed");
    assert!(seeded.status.success(), "{seeded:?}");
    let since = chrono::Utc::now().date_naive() - chrono::Duration::days(40);
    let run = |args: &[&str]| {
        let output = devforum(&db).args(args).output().expect("run stats");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    let (ok, stdout, stderr) = run(&["stats", "backfill", "--since", &since.to_string()]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("41 day(s) computed in "), "{stdout}");
    assert!(stderr.contains("computing days"), "{stderr}");
    let mut conn = db.connect();
    let rows = |conn: &mut PgConnection| {
        diesel::sql_query("SELECT count(*) AS n FROM stats_days")
            .get_result::<devforum::db::Count>(conn)
            .expect("count")
            .n
    };
    assert_eq!(rows(&mut conn), 41);
    let threads = diesel::sql_query("SELECT sum(threads)::bigint AS n FROM stats_days")
        .get_result::<devforum::db::Count>(&mut conn)
        .expect("sum")
        .n;
    let expected = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM threads WHERE created_at >= '{since}' \
         AND deleted_at IS NULL AND NOT hidden"
    ))
    .get_result::<devforum::db::Count>(&mut conn)
    .expect("threads")
    .n;
    assert_eq!(threads, expected);

    let (ok, stdout, _) = run(&["stats", "rollup", "--day", &since.to_string()]);
    assert!(ok && stdout.contains("1 day(s) computed in "), "{stdout}");
    let (ok, stdout, _) = run(&["stats", "rollup"]);
    assert!(ok && stdout.contains("9 day(s) computed in "), "{stdout}");
    let (ok, _, stderr) = run(&["stats", "backfill", "--since", "2999-01-01"]);
    assert!(!ok);
    assert!(stderr.contains("is after today (UTC)"), "{stderr}");
}
