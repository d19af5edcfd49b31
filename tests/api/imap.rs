//! A real IMAP server (Debian's Dovecot) on loopback with one mailbox in a Maildir: the bounce
//! mailbox devforum reads. Tests put messages in it the way an MTA's delivery would end up,
//! with IMAP APPEND.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::mail::free_port;

pub const USER: &str = "bounces";
pub const PASSWORD: &str = "imap-test-password";

pub struct ImapServer {
    pub port: u16,
    dir: PathBuf,
}

fn dovecot() -> PathBuf {
    ["/usr/sbin/dovecot", "/usr/bin/dovecot"]
        .iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
        .expect("Dovecot is missing: scripts/test installs Debian's dovecot-imapd")
}

impl ImapServer {
    pub fn start() -> Self {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("devforum-imap-{}", uuid::Uuid::new_v4().simple()));
        for sub in ["run", "state", "home", "Maildir"] {
            std::fs::create_dir_all(dir.join(sub)).expect("dovecot dirs");
        }
        // Dovecot serves mail as an unprivileged user, never as root.
        for sub in ["home", "Maildir"] {
            Command::new("chmod")
                .arg("0777")
                .arg(dir.join(sub))
                .status()
                .expect("chmod");
        }
        let d = dir.display();
        let config = format!(
            "base_dir = {d}/run\n\
             state_dir = {d}/state\n\
             log_path = {d}/dovecot.log\n\
             protocols = imap\n\
             listen = 127.0.0.1\n\
             ssl = no\n\
             disable_plaintext_auth = no\n\
             auth_mechanisms = plain login\n\
             mail_location = maildir:{d}/Maildir\n\
             default_login_user = dovenull\n\
             default_internal_user = dovecot\n\
             first_valid_uid = 1\n\
             passdb {{\n  driver = static\n  args = password={PASSWORD}\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={d}/home\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        );
        let config_path = dir.join("dovecot.conf");
        std::fs::write(&config_path, config).expect("dovecot.conf");
        let status = Command::new(dovecot())
            .arg("-c")
            .arg(&config_path)
            .status()
            .expect("start dovecot");
        assert!(status.success(), "dovecot did not start");
        let server = ImapServer { port, dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot did not listen: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    fn session(&self) -> imap::Session<std::net::TcpStream> {
        let tcp = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let mut client = imap::Client::new(tcp);
        client.read_greeting().expect("greeting");
        client
            .login(USER, PASSWORD)
            .map_err(|(e, _)| e)
            .expect("login")
    }

    /// Delivers `message` into the inbox, unread.
    pub fn deliver(&self, message: &str) {
        let mut session = self.session();
        session
            .append("INBOX", message.as_bytes())
            .finish()
            .expect("APPEND");
        session.logout().expect("logout");
    }

    /// How many messages in the inbox are still unread.
    pub fn unseen(&self) -> usize {
        let mut session = self.session();
        session.select("INBOX").expect("select");
        let unseen = session.search("UNSEEN").expect("search").len();
        session.logout().expect("logout");
        unseen
    }

    /// `[email.bounces.imap]` for this server.
    pub fn settings(&self) -> devforum::config::ImapSettings {
        devforum::config::ImapSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            tls: false,
            username: USER.into(),
            password: PASSWORD.to_string().into(),
            folder: "INBOX".into(),
            timeout_secs: 10,
        }
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(self.dir.join("run/master.pid")).unwrap_or_default();
        if let Ok(pid) = pid.trim().parse::<i32>() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            // The master removes its files on the way out; give it a moment.
            let deadline = Instant::now() + Duration::from_secs(5);
            while self.dir.join("run/master.pid").exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
