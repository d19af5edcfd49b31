//! Mail that reaches the inbox, read from a real SMTP server: the headers of every kind of
//! message, DKIM signatures checked by an independent verifier (dkimpy), threading by thread,
//! and bounces read from a real IMAP server (Dovecot) or a Maildir that stop notification
//! mail to a dead address but never account mail.

use std::path::{Path, PathBuf};
use std::process::Command;

use devforum::config::{BounceSource, DkimAlgorithm, EmailTransport, Settings};
use devforum::email::{self, dkim, Category, Mailer};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{json, test_settings, wait_until, TestApp, TestUser, PASSWORD};
use crate::imap::ImapServer;
use crate::mail::{spawn_app_with_mail_and, MailServer, ReceivedEmail, MAIL_WAIT};

const HARD: &str = include_str!("../fixtures/bounces/hard-5.1.1.eml");
const SOFT: &str = include_str!("../fixtures/bounces/soft-4.2.2.eml");
const AUTO_REPLY: &str = include_str!("../fixtures/bounces/auto-reply.eml");

/// A bounce fixture delivered to `to` with Message-ID `<id@…>`.
fn report(fixture: &str, to: &str, id: &str) -> String {
    fixture.replace("{to}", to).replace("{id}", id)
}

fn venv_python() -> PathBuf {
    let aiosmtpd = std::env::var_os("DEVFORUM_TEST_AIOSMTPD")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".local/venv/bin/aiosmtpd")
        });
    aiosmtpd.with_file_name("python")
}

/// dkimpy's verdict on each file, with `record` standing in for DNS.
fn dkimpy_verifies(record: &str, files: &[&Path]) -> bool {
    let output = Command::new(venv_python())
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/dkim-verify.py"))
        .arg(record)
        .args(files)
        .output()
        .expect("run scripts/dkim-verify.py (scripts/python-tools installs dkimpy)");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() || printed.contains(": fail"),
        "dkim-verify failed to run: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.status.success()
}

/// Settings that send to `mail` as a forum at forum.example, signing with a new key.
fn signing_settings(mail: &MailServer, algorithm: DkimAlgorithm) -> (Settings, dkim::GeneratedKey) {
    let key = dkim::generate(algorithm, "s1", "forum.example").expect("key");
    let mut settings = test_settings("postgres://unused");
    settings.email.transport = EmailTransport::Smtp;
    settings.email.smtp.host = "127.0.0.1".into();
    settings.email.smtp.port = mail.port;
    settings.email.from = "devforum <no-reply@forum.example>".into();
    settings.email.dkim.selector = "s1".into();
    settings.email.dkim.algorithm = algorithm;
    settings.email.dkim.key = key.private_key.clone().into();
    (settings, key)
}

/// One message of every template, as its senders make it: list mail with its one-click link,
/// notifications about a thread.
fn one_of_every_kind() -> Vec<(&'static str, email::OutgoingEmail)> {
    email::TEMPLATES
        .iter()
        .map(|template| {
            let context = email::sample_context(
                "Ünïcode “title” — async traits in Rust 1.75",
                "https://forum.example/threads/42?token=abc123",
            );
            let mut message = email::render(template, "ada@example.com", context).expect("render");
            if message.category != Category::Account {
                message.list_unsubscribe =
                    Some("https://forum.example/api/v1/unsubscribe?token=abc".into());
                message.conversation = Some("thread-42".into());
            }
            (*template, message)
        })
        .collect()
}

async fn wait_for_count(mail: &MailServer, count: usize) -> Vec<ReceivedEmail> {
    let arrived = wait_until(MAIL_WAIT, || mail.received().len() >= count).await;
    assert!(
        arrived,
        "{} of {count} messages arrived",
        mail.received().len()
    );
    mail.received()
}

#[tokio::test]
async fn every_kind_of_mail_arrives_with_its_headers_and_a_signature_dkimpy_verifies() {
    for algorithm in [DkimAlgorithm::Ed25519, DkimAlgorithm::Rsa] {
        let mail = MailServer::start();
        let (settings, key) = signing_settings(&mail, algorithm);
        let mailer = Mailer::from_settings(&settings).expect("mailer");
        let messages = one_of_every_kind();
        for (_, message) in &messages {
            mailer.send(message, None).await.expect("send");
        }
        let received = wait_for_count(&mail, messages.len()).await;

        let mut ids = std::collections::HashSet::new();
        for email in &received {
            let parsed = mail_parser::MessageParser::default()
                .parse(&email.raw)
                .expect("parse");
            let (template, sent) = messages
                .iter()
                .find(|(_, m)| m.subject == email.subject)
                .unwrap_or_else(|| panic!("unexpected {:?}", email.subject));
            let id = parsed.message_id().expect("Message-ID").to_string();
            assert!(id.ends_with("@forum.example"), "{template}: {id}");
            assert!(ids.insert(id), "Message-IDs are unique");
            assert!(parsed.date().is_some(), "{template}: Date");
            assert_eq!(
                email.header("Auto-Submitted").as_deref(),
                Some("auto-generated")
            );
            assert!(
                !email.text.is_empty() && !email.html.is_empty(),
                "{template}"
            );
            let list = sent.category != Category::Account;
            assert_eq!(
                email.header("List-Id").as_deref(),
                list.then_some("devforum notifications <notifications.forum.example>"),
                "{template}"
            );
            assert_eq!(email.list_unsubscribe.is_some(), list, "{template}");
            assert_eq!(
                email.header("In-Reply-To").as_deref(),
                list.then_some("<thread-42@forum.example>"),
                "{template}"
            );
            assert_eq!(
                email.header("Precedence").as_deref(),
                (*template == "digest").then_some("bulk"),
                "{template}"
            );
            let signature = email.header("DKIM-Signature").expect("signed");
            assert!(signature.contains("d=forum.example"), "{signature}");
        }

        let files: Vec<&Path> = received.iter().map(|e| e.path.as_path()).collect();
        assert!(
            dkimpy_verifies(&key.dns_value, &files),
            "dkimpy rejects a {algorithm:?} signature"
        );

        // Any change after signing breaks it: a subject, a body, an added List-Unsubscribe.
        let original = String::from_utf8(received[0].raw.clone()).expect("utf-8");
        let subject = format!("Subject: {}", received[0].header("Subject").unwrap());
        let edits = [
            original.replacen(&subject, "Subject: Your account is locked", 1),
            original.replacen("https://forum.example", "https://evil.example", 1),
        ];
        for (i, edited) in edits.iter().enumerate() {
            assert_ne!(edited, &original, "edit {i} changed nothing");
            let path = received[0].path.with_extension(format!("edited{i}"));
            std::fs::write(&path, edited).expect("write");
            assert!(
                !dkimpy_verifies(&key.dns_value, &[&path]),
                "edit {i} still verifies"
            );
        }

        // scripts/mail-check runs SpamAssassin over these.
        if let (Some(dir), DkimAlgorithm::Rsa) =
            (std::env::var_os("DEVFORUM_MAIL_SAMPLES"), algorithm)
        {
            std::fs::create_dir_all(&dir).expect("samples dir");
            for email in &received {
                let (template, _) = messages
                    .iter()
                    .find(|(_, m)| m.subject == email.subject)
                    .expect("sent");
                std::fs::write(
                    PathBuf::from(&dir).join(format!("{template}.eml")),
                    &email.raw,
                )
                .expect("write sample");
            }
        }
    }
}

#[tokio::test]
async fn a_malformed_dkim_key_or_bounce_address_stops_the_start() {
    let mail = MailServer::start();
    let (mut settings, _) = signing_settings(&mail, DkimAlgorithm::Rsa);
    settings.email.dkim.key =
        "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----"
            .to_string()
            .into();
    let error = devforum::features::jobs(&settings).err().expect("refused");
    assert!(format!("{error:#}").contains("email.dkim"), "{error:#}");

    let (mut settings, _) = signing_settings(&mail, DkimAlgorithm::Ed25519);
    settings.email.bounces.address = "bounces+x@forum.example".into();
    let error = devforum::features::jobs(&settings).err().expect("refused");
    assert!(
        format!("{error:#}").contains("email.bounces.address"),
        "{error:#}"
    );
}

impl TestApp {
    /// Runs the bounce poll now, as its period would.
    async fn read_bounces(&self) {
        let mut conn = self.conn();
        devforum::jobs::enqueue(&mut conn, email::bounces::POLL_JOB, &json!({})).expect("enqueue");
        self.mails_settled().await;
        assert_eq!(
            self.count("SELECT count(*) AS n FROM jobs WHERE status = 'failed'"),
            0,
            "a job failed"
        );
    }

    fn deliverable(&self, user: &TestUser) -> bool {
        self.count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = {} AND email_undeliverable_at IS NULL",
            user.id
        )) == 1
    }

    async fn read_all(&self, user: &TestUser) {
        let response = self
            .send_as(
                Method::POST,
                "/api/v1/notifications/read",
                &user.access_token,
                &json!({"up_to_id": i64::MAX}),
            )
            .await;
        assert_eq!(response.status().as_u16(), 204);
    }

    async fn me(&self, user: &TestUser) -> serde_json::Value {
        json(self.get_as("/api/v1/users/me", &user.access_token).await).await
    }
}

/// The envelope sender of the last message to `address`: aiosmtpd records it as X-MailFrom.
async fn return_path(mail: &MailServer, address: &str) -> String {
    mail.wait_for(address, MAIL_WAIT)
        .await
        .header("X-MailFrom")
        .expect("X-MailFrom")
}

/// Messages to `address` that carry an unsubscribe link (notification mail and digests).
fn notifications_to(mail: &MailServer, address: &str) -> Vec<ReceivedEmail> {
    mail.received()
        .into_iter()
        .filter(|e| e.to.eq_ignore_ascii_case(address) && e.list_unsubscribe.is_some())
        .collect()
}

fn with_bounces(source: BounceSource) -> impl FnOnce(&mut Settings) {
    move |s: &mut Settings| {
        s.email.bounces.address = "bounces@forum.example".into();
        s.email.bounces.source = source;
        s.email.bounces.soft_limit = 2;
    }
}

#[tokio::test]
async fn notification_mail_is_a_list_threaded_by_thread_and_account_mail_is_not() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail_and(&mail, |_| {}).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;

    let verification = mail.wait_for(&ada.email, MAIL_WAIT).await;
    assert!(verification.header("Message-ID").is_some());
    assert_eq!(
        verification.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    assert!(verification.header("List-Id").is_none());
    assert!(verification.header("Precedence").is_none());
    assert!(verification.header("In-Reply-To").is_none());

    let thread = app.create_thread(&ada, "Pinning in async Rust", &[]).await;
    app.reply_id(&bob, thread, "Pin<Box<T>> first.").await;
    mail.wait_for_subject(&ada.email, "replied", MAIL_WAIT)
        .await;
    // Reading the notification means the next reply is a new one, and a new mail.
    app.read_all(&ada).await;
    app.reply_id(&bob, thread, "Then pin-project.").await;
    let arrived = wait_until(MAIL_WAIT, || notifications_to(&mail, &ada.email).len() == 2).await;
    assert!(arrived, "a second notification mail");
    let mails = notifications_to(&mail, &ada.email);

    let parent = format!("<thread-{thread}@devforum.localhost>");
    for email in &mails {
        assert_eq!(email.header("In-Reply-To"), Some(parent.clone()));
        assert_eq!(email.header("References"), Some(parent.clone()));
        assert_eq!(
            email.header("List-Id").as_deref(),
            Some("devforum notifications <notifications.devforum.localhost>")
        );
        assert!(
            email.header("Precedence").is_none(),
            "only digests are bulk"
        );
    }
    assert_ne!(mails[0].header("Message-ID"), mails[1].header("Message-ID"));
}

#[tokio::test]
async fn bounces_read_over_imap_stop_notification_mail_but_never_account_mail() {
    let mail = MailServer::start();
    let imap = ImapServer::start();
    let imap_settings = imap.settings();
    let app = spawn_app_with_mail_and(&mail, move |s| {
        with_bounces(BounceSource::Imap)(s);
        s.email.bounces.imap = imap_settings;
    })
    .await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mona", "moderator").await;
    let ada_path = return_path(&mail, &ada.email).await;
    let bob_path = return_path(&mail, &bob.email).await;
    assert!(
        ada_path.starts_with(&format!("bounces+{}-", ada.id))
            && ada_path.ends_with("@forum.example"),
        "{ada_path}"
    );

    // An out-of-office reply, a forged return path and a report of success change nothing.
    imap.deliver(&report(AUTO_REPLY, &ada_path, "away-1"));
    let forged = format!("bounces+{}-0011223344556677@forum.example", ada.id);
    imap.deliver(&report(HARD, &forged, "forged-1"));
    app.read_bounces().await;
    assert_eq!(imap.unseen(), 0, "every message was read and marked seen");
    assert!(app.deliverable(&ada));
    assert_eq!(app.me(&ada).await["email_deliverable"], true);

    // Soft bounces count, once each, up to the limit (2 here).
    imap.deliver(&report(SOFT, &ada_path, "soft-1"));
    app.read_bounces().await;
    imap.deliver(&report(SOFT, &ada_path, "soft-1"));
    app.read_bounces().await;
    assert!(app.deliverable(&ada), "one soft bounce, read twice, is one");
    imap.deliver(&report(SOFT, &ada_path, "soft-2"));
    app.read_bounces().await;
    assert!(!app.deliverable(&ada), "the second soft bounce");

    // A hard bounce, at once.
    imap.deliver(&report(HARD, &bob_path, "hard-1"));
    app.read_bounces().await;
    assert!(!app.deliverable(&bob));
    let me = app.me(&bob).await;
    assert_eq!(me["email_deliverable"], false, "{me}");
    let seen_by_staff = json(
        app.get_as("/api/v1/users/bob", &moderator.access_token)
            .await,
    )
    .await;
    assert_eq!(seen_by_staff["email_deliverable"], false, "{seen_by_staff}");
    let seen_by_member = json(app.get_as("/api/v1/users/bob", &ada.access_token).await).await;
    assert!(
        seen_by_member.get("email_deliverable").is_none(),
        "{seen_by_member}"
    );

    // No more notification mail to bob…
    let thread = app
        .create_thread(&bob, "Borrowing across awaits", &[])
        .await;
    app.reply_id(&ada, thread, "Clone before the await.").await;
    app.mails_settled().await;
    assert_eq!(
        app.unread(&bob).await,
        1,
        "the notification itself is there"
    );
    assert!(notifications_to(&mail, &bob.email).is_empty());
    // …but a password reset is still tried.
    let response = app
        .post_json(
            "/api/v1/auth/password-reset/request",
            &json!({"email": bob.email}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 202);
    mail.wait_for_subject(&bob.email, "password", MAIL_WAIT)
        .await;

    // A new, verified address clears it, and notification mail flows again.
    let response = app
        .send_as(
            Method::POST,
            "/api/v1/users/me/email",
            &bob.access_token,
            &json!({"new_email": "bob@new.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 202);
    let token = mail
        .wait_for("bob@new.example", MAIL_WAIT)
        .await
        .token_for("/verify-email")
        .expect("link");
    let verified = app
        .post_json("/api/v1/auth/verify-email", &json!({ "token": token }))
        .await;
    assert_eq!(verified.status().as_u16(), 200);
    assert_eq!(json(verified).await["email_deliverable"], true);
    assert!(app.deliverable(&bob));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM mail_bounces WHERE user_id = {}",
            bob.id
        )),
        0,
        "the old address's bounces are forgotten"
    );
    // A late bounce for the old address names an address bob no longer has.
    imap.deliver(&report(HARD, &bob_path, "hard-late"));
    app.read_bounces().await;
    assert!(app.deliverable(&bob));
    app.read_all(&bob).await;
    app.reply_id(&ada, thread, "Or scope the borrow.").await;
    let arrived = wait_until(MAIL_WAIT, || {
        !notifications_to(&mail, "bob@new.example").is_empty()
    })
    .await;
    assert!(arrived, "notification mail to the new address");
}

#[tokio::test]
async fn bounces_are_read_from_a_maildir_too_and_each_file_once() {
    let mail = MailServer::start();
    let maildir = std::env::temp_dir().join(format!(
        "devforum-bounces-{}",
        uuid::Uuid::new_v4().simple()
    ));
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
    }
    let dir = maildir.clone();
    let app = spawn_app_with_mail_and(&mail, move |s| {
        with_bounces(BounceSource::Maildir)(s);
        s.email.bounces.maildir = dir;
    })
    .await;
    let ada = app.member("ada").await;
    let path = return_path(&mail, &ada.email).await;
    std::fs::write(
        maildir.join("new/1765015200.M1P1.mx"),
        report(HARD, &path, "maildir-1"),
    )
    .expect("drop the bounce");
    app.read_bounces().await;
    assert!(!app.deliverable(&ada));
    assert_eq!(std::fs::read_dir(maildir.join("new")).unwrap().count(), 0);
    let moved: Vec<String> = std::fs::read_dir(maildir.join("cur"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(moved, vec!["1765015200.M1P1.mx:2,S".to_string()]);
    let _ = std::fs::remove_dir_all(&maildir);
}
