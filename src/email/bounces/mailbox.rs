//! Where bounces are read from: a mailbox over IMAP (messages not yet `\Seen`, each marked
//! seen once handled) or a Maildir (`new/`, each moved to `cur/` once handled). A message
//! whose handling fails stays unread, and is read again at the next poll.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;

use crate::config::ImapSettings;

/// What one poll read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Polled {
    pub read: usize,
}

/// Hands every unread message of the IMAP folder to `handle`, marking each `\Seen` after
/// `handle` took it.
pub fn poll_imap(
    settings: &ImapSettings,
    handle: &mut dyn FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<Polled> {
    let timeout = Duration::from_secs(settings.timeout_secs.max(1));
    let address = (settings.host.as_str(), settings.port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {}", settings.host))?
        .next()
        .with_context(|| format!("{} has no address", settings.host))?;
    let tcp = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("connecting to IMAP {}:{}", settings.host, settings.port))?;
    tcp.set_read_timeout(Some(timeout))?;
    tcp.set_write_timeout(Some(timeout))?;
    if settings.tls {
        let tls = native_tls::TlsConnector::new()?
            .connect(&settings.host, tcp)
            .context("IMAP TLS handshake")?;
        poll_session(imap::Client::new(tls), settings, handle)
    } else {
        poll_session(imap::Client::new(tcp), settings, handle)
    }
}

fn poll_session<S: Read + Write>(
    mut client: imap::Client<S>,
    settings: &ImapSettings,
    handle: &mut dyn FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<Polled> {
    client.read_greeting().context("IMAP greeting")?;
    let mut session = client
        .login(&settings.username, settings.password.expose_secret())
        .map_err(|(error, _)| error)
        .context("IMAP login")?;
    session
        .select(&settings.folder)
        .with_context(|| format!("selecting IMAP folder {:?}", settings.folder))?;
    let mut unseen: Vec<_> = session.uid_search("UNSEEN")?.into_iter().collect();
    unseen.sort_unstable();
    let mut polled = Polled::default();
    for uid in unseen {
        // BODY.PEEK leaves the message unseen until it has been handled.
        let fetches = session.uid_fetch(uid.to_string(), "BODY.PEEK[]")?;
        let Some(body) = fetches.iter().find_map(|fetch| fetch.body()) else {
            continue;
        };
        handle(body)?;
        session.uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")?;
        polled.read += 1;
    }
    session.logout()?;
    Ok(polled)
}

/// Hands every message in the Maildir's `new/` to `handle`, moving each to `cur/` (flagged
/// seen, as Maildir readers do) after `handle` took it.
pub fn poll_maildir(
    dir: &Path,
    handle: &mut dyn FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<Polled> {
    let new = dir.join("new");
    let mut entries: Vec<_> = std::fs::read_dir(&new)
        .with_context(|| format!("reading Maildir {}", new.display()))?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .collect();
    entries.sort_by_key(|entry| entry.file_name());
    let mut polled = Polled::default();
    for entry in entries {
        let bytes = std::fs::read(entry.path())?;
        handle(&bytes)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        std::fs::rename(entry.path(), dir.join("cur").join(format!("{name}:2,S")))?;
        polled.read += 1;
    }
    Ok(polled)
}
