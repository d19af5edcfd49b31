//! A real SMTP server (aiosmtpd) on loopback that writes what it receives to a maildir.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use devforum::startup::BuildOptions;

use crate::helpers::{spawn_app_with, TestApp};

/// How long a test waits for a message the worker sends.
pub const MAIL_WAIT: Duration = Duration::from_secs(10);

/// A test server that sends its mail to `mail`, with links to `https://forum.example`.
pub async fn spawn_app_with_mail(mail: &MailServer) -> TestApp {
    spawn_app_with_mail_and(mail, |_| {}).await
}

/// As [`spawn_app_with_mail`], with more settings changed.
pub async fn spawn_app_with_mail_and(
    mail: &MailServer,
    customise: impl FnOnce(&mut devforum::config::Settings),
) -> TestApp {
    let port = mail.port;
    spawn_app_with(
        move |s| {
            s.email.transport = devforum::config::EmailTransport::Smtp;
            s.email.smtp.host = "127.0.0.1".into();
            s.email.smtp.port = port;
            s.web.base_url = "https://forum.example".into();
            customise(s);
        },
        BuildOptions::default(),
    )
    .await
}

pub struct MailServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

#[derive(Debug, Clone)]
pub struct ReceivedEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The `List-Unsubscribe` and `List-Unsubscribe-Post` headers (RFC 8058), if any.
    pub list_unsubscribe: Option<String>,
    pub list_unsubscribe_post: Option<String>,
    /// The message as it arrived (aiosmtpd adds `X-MailFrom`, the envelope sender, and
    /// `X-RcptTo`), and the file it is in.
    pub raw: Vec<u8>,
    pub path: PathBuf,
}

impl ReceivedEmail {
    /// The first link in the plain-text part that points at `page` on the web client.
    pub fn link_to(&self, page: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(page))
            .map(str::to_string)
    }

    /// The raw value of header `name` (unfolded, trimmed), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        let message = mail_parser::MessageParser::default().parse(&self.raw)?;
        message
            .header_raw(name)
            .map(|v| v.replace("\r\n", "").trim().to_string())
    }

    /// The `token` query parameter of that link.
    pub fn token_for(&self, page: &str) -> Option<String> {
        let link = self.link_to(page)?;
        link.split_once("token=")
            .map(|(_, token)| token.to_string())
    }
}

fn aiosmtpd() -> PathBuf {
    std::env::var_os("DEVFORUM_TEST_AIOSMTPD")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".local/venv/bin/aiosmtpd")
        })
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl MailServer {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Self {
        let dir =
            std::env::temp_dir().join(format!("devforum-mail-{}", uuid::Uuid::new_v4().simple()));
        let mut server = MailServer {
            port,
            dir,
            child: None,
        };
        server.restart();
        server
    }

    /// (Re)starts the server on the same port and maildir.
    pub fn restart(&mut self) {
        let binary = aiosmtpd();
        assert!(
            binary.exists(),
            "{} missing: run the tests through scripts/test",
            binary.display()
        );
        let child = Command::new(binary)
            .args([
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn received(&self) -> Vec<ReceivedEmail> {
        let mut emails = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.dir.join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(bytes) = std::fs::read(entry.path()) else {
                    continue;
                };
                let Some(message) = mail_parser::MessageParser::default().parse(&bytes) else {
                    continue;
                };
                let to = message
                    .to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_string();
                let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_string());
                emails.push(ReceivedEmail {
                    raw: bytes.clone(),
                    path: entry.path(),
                    list_unsubscribe: header("List-Unsubscribe"),
                    list_unsubscribe_post: header("List-Unsubscribe-Post"),
                    to,
                    subject: message.subject().unwrap_or_default().to_string(),
                    text: message
                        .body_text(0)
                        .map(|t| t.into_owned())
                        .unwrap_or_default(),
                    html: message
                        .body_html(0)
                        .map(|t| t.into_owned())
                        .unwrap_or_default(),
                });
            }
        }
        emails
    }

    /// Waits for a message to `to` (case-insensitive).
    pub async fn wait_for(&self, to: &str, timeout: Duration) -> ReceivedEmail {
        self.wait_for_subject(to, "", timeout).await
    }

    /// Waits for a message to `to` whose subject contains `subject`.
    pub async fn wait_for_subject(
        &self,
        to: &str,
        subject: &str,
        timeout: Duration,
    ) -> ReceivedEmail {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(email) = self
                .received()
                .into_iter()
                .find(|e| e.to.eq_ignore_ascii_case(to) && e.subject.contains(subject))
            {
                return email;
            }
            assert!(
                Instant::now() < deadline,
                "no email to {to} about {subject:?} within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
