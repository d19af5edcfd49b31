//! A member's data as one JSON archive (API.md "Members own their accounts", GDPR art. 20;
//! the format is `docs/account-export.md`).
//!
//! `POST /users/me/export` enqueues an `account.export` job; the job writes the archive in
//! one repeatable-read transaction (a consistent snapshot), page by page, into 256 KiB chunks
//! in `account_export_chunks`, and mails a link that works once for 7 days. Neither building
//! nor downloading ever holds more than a page of rows and a chunk in memory, and any serve
//! process can hand the archive out.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::model::export::{self as model, SECTIONS};
use crate::accounts::model::User;
use crate::accounts::tokens;
use crate::ids::UserId;

pub use model::{chunk, claim, discard_chunks, sweep, Claimed};

/// The job that builds an archive.
pub const EXPORT_JOB: &str = "account.export";
/// The archive format's name and version (`docs/account-export.md`).
pub const FORMAT: &str = "devforum-account-export";
pub const VERSION: i32 = 1;
/// How long the emailed link works.
pub const LINK_LIFETIME_DAYS: i64 = 7;
/// The size of each stored piece of an archive.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// Rows read at a time.
const PAGE_ROWS: i64 = 200;

/// What building an archive needs besides the database.
pub struct ExportNeeds {
    /// The site's URL, for the links in the mail and the archive.
    pub base_url: String,
    /// Signs the links to the member's files, to work as long as the archive does.
    pub links: crate::signed_urls::UrlSigner,
}

impl crate::jobs::ConnTask for ExportWork {
    const KIND: &'static str = EXPORT_JOB;
    type Needs = ExportNeeds;

    fn run(self, conn: &mut PgConnection, needs: &ExportNeeds) -> anyhow::Result<()> {
        build(conn, self.user_id, needs)?;
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ExportWork {
    pub user_id: UserId,
}

/// Enqueues the member's archive unless one is being built already; whether it enqueued.
pub fn request(conn: &mut PgConnection, user_id: UserId) -> QueryResult<bool> {
    conn.transaction(|conn| {
        // One request at a time per member: concurrent requests queue on the member's row.
        model::lock_member(conn, user_id)?;
        if model::pending_jobs(conn, EXPORT_JOB, user_id)? > 0 {
            return Ok(false);
        }
        let payload = serde_json::to_value(ExportWork { user_id })
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        crate::jobs::enqueue(conn, EXPORT_JOB, &payload)?;
        Ok(true)
    })
}

/// Bytes on their way into `account_export_chunks`: whole chunks are stored as they fill.
struct ChunkWriter {
    export_id: i64,
    next_seq: i32,
    buffer: Vec<u8>,
    size: i64,
}

impl ChunkWriter {
    fn new(export_id: i64) -> Self {
        ChunkWriter {
            export_id,
            next_seq: 0,
            buffer: Vec::with_capacity(CHUNK_BYTES * 2),
            size: 0,
        }
    }

    fn push(&mut self, conn: &mut PgConnection, text: &str) -> QueryResult<()> {
        self.buffer.extend_from_slice(text.as_bytes());
        while self.buffer.len() >= CHUNK_BYTES {
            let rest = self.buffer.split_off(CHUNK_BYTES);
            let full = std::mem::replace(&mut self.buffer, rest);
            self.store(conn, &full)?;
        }
        Ok(())
    }

    fn finish(mut self, conn: &mut PgConnection) -> QueryResult<i64> {
        if !self.buffer.is_empty() {
            let last = std::mem::take(&mut self.buffer);
            self.store(conn, &last)?;
        }
        Ok(self.size)
    }

    fn store(&mut self, conn: &mut PgConnection, data: &[u8]) -> QueryResult<()> {
        model::store_chunk(conn, self.export_id, self.next_seq, data)?;
        self.next_seq += 1;
        self.size += data.len() as i64;
        Ok(())
    }
}

/// A built archive: where it is and what its link is.
pub struct Built {
    pub export_id: i64,
    pub size_bytes: i64,
}

/// Builds the member's archive and mails them its link; nothing when the account is gone.
/// Expired and long-downloaded archives of everyone are swept first.
pub fn build(
    conn: &mut PgConnection,
    user_id: UserId,
    needs: &ExportNeeds,
) -> anyhow::Result<Option<Built>> {
    let base_url = needs.base_url.as_str();
    sweep(conn)?;
    conn.build_transaction().repeatable_read().run(|conn| {
        let Some(user) = diesel::OptionalExtension::optional(User::find(conn, user_id))? else {
            return Ok(None);
        };
        // Deleted while the job waited: there is nothing of theirs left to send, nor anyone.
        if model::is_deleted(conn, user_id)? {
            return Ok(None);
        }
        model::write_dates_in_utc(conn)?;
        let token = tokens::generate();
        let expires_at = Utc::now() + Duration::days(LINK_LIFETIME_DAYS);
        let export_id = model::start_archive(conn, user.id, &tokens::hash(&token), expires_at)?;
        let mut out = ChunkWriter::new(export_id);
        let files = FileLinks {
            base_url,
            signer: &needs.links,
            expires: expires_at.timestamp(),
        };
        write_archive(conn, &mut out, user.id, &files)?;
        let size_bytes = out.finish(conn)?;
        model::finish_archive(conn, export_id, size_bytes)?;
        crate::email::enqueue(
            conn,
            &user.email,
            "export_ready",
            serde_json::json!({
                "username": user.username,
                "link": download_link(base_url, &token),
                "size": human_size(size_bytes),
            }),
        )?;
        Ok(Some(Built {
            export_id,
            size_bytes,
        }))
    })
}

/// How the archive links the member's files: signed links that expire with the archive.
struct FileLinks<'a> {
    base_url: &'a str,
    signer: &'a crate::signed_urls::UrlSigner,
    expires: i64,
}

impl FileLinks<'_> {
    /// An `uploads` item with its `url` added.
    fn linked(&self, item: &str) -> QueryResult<String> {
        let mut value: serde_json::Value = serde_json::from_str(item)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        let file = value["file"].as_str().unwrap_or_default().to_string();
        let path = format!("/files/{file}");
        value["url"] = serde_json::Value::String(format!(
            "{}{}",
            self.base_url.trim_end_matches('/'),
            self.signer.sign(&path, self.expires)
        ));
        Ok(value.to_string())
    }
}

fn write_archive(
    conn: &mut PgConnection,
    out: &mut ChunkWriter,
    user_id: UserId,
    files: &FileLinks<'_>,
) -> QueryResult<()> {
    let account = model::account_item(conn, user_id)?;
    let header = serde_json::json!({
        "format": FORMAT,
        "version": VERSION,
        "generated_at": Utc::now(),
    })
    .to_string();
    // The header's object, opened up to take the rest of the archive's members.
    out.push(conn, header.trim_end_matches('}'))?;
    out.push(conn, ",\"account\":")?;
    out.push(conn, &account)?;
    for section in SECTIONS {
        out.push(conn, &format!(",\"{}\":[", section.name))?;
        let mut after = 0_i64;
        let mut first = true;
        loop {
            let rows = model::section_page(conn, section, user_id, after, PAGE_ROWS)?;
            for row in &rows {
                if !first {
                    out.push(conn, ",")?;
                }
                first = false;
                if section.name == "uploads" {
                    out.push(conn, &files.linked(&row.item)?)?;
                } else {
                    out.push(conn, &row.item)?;
                }
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE_ROWS => after = last.key,
                _ => break,
            }
        }
        out.push(conn, "]")?;
    }
    out.push(conn, "}\n")
}

fn download_link(base_url: &str, token: &str) -> String {
    format!("{}/api/v1/exports/{token}", base_url.trim_end_matches('/'))
}

/// "1.2 MB", "532 KB", "900 bytes".
pub fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1_000_000.0),
        b if b >= 1_000 => format!("{} KB", b / 1_000),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(900), "900 bytes");
        assert_eq!(human_size(532_100), "532 KB");
        assert_eq!(human_size(1_234_567), "1.2 MB");
    }
}
