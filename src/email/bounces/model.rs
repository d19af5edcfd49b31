//! Bounces in the database: a member's address as the sender sees it, recording a bounce
//! (under the member's row lock, so two reports read at once count as two), and forgetting
//! them when the address is verified again or replaced.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::PgConnection;

use super::dsn::{Report, Verdict};
use crate::email::verp::VerpKeys;
use crate::ids::UserId;
use crate::schema::{mail_bounces, users};

/// A member's address, as the sending job sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    pub member: UserId,
    pub deliverable: bool,
}

/// The member whose current address is `address`, if any.
pub fn recipient(conn: &mut PgConnection, address: &str) -> QueryResult<Option<Recipient>> {
    let row: Option<(UserId, Option<DateTime<Utc>>)> = users::table
        .filter(crate::sql::lower(users::email).eq(address.trim().to_lowercase()))
        .filter(users::deleted_at.is_null())
        .select((users::id, users::email_undeliverable_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(member, undeliverable)| Recipient {
        member,
        deliverable: undeliverable.is_none(),
    }))
}

/// When soft bounces make an address undeliverable.
#[derive(Debug, Clone, Copy)]
pub struct SoftLimit {
    pub count: u32,
    pub window: chrono::Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing recorded, and why.
    Ignored(&'static str),
    Recorded {
        member: UserId,
        /// Whether the address is undeliverable now.
        undeliverable: bool,
    },
}

/// Records what `report` says of the member its return path names.
pub fn record(
    conn: &mut PgConnection,
    keys: &VerpKeys,
    report: &Report,
    limit: SoftLimit,
) -> QueryResult<Outcome> {
    let Verdict::Bounce { status, hard } = &report.verdict else {
        return Ok(Outcome::Ignored("not a bounce"));
    };
    let Some((member, tag)) = report
        .delivered_to
        .iter()
        .find_map(|address| keys.parse(address))
    else {
        return Ok(Outcome::Ignored("no member's return path"));
    };
    conn.transaction(|conn| {
        let address: Option<String> = users::table
            .find(member)
            .filter(users::deleted_at.is_null())
            .select(users::email)
            .for_update()
            .first(conn)
            .optional()?;
        let Some(address) = address.filter(|address| keys.verify(member, address, &tag)) else {
            return Ok(Outcome::Ignored("not the member's current address"));
        };
        let inserted = diesel::insert_into(mail_bounces::table)
            .values((
                mail_bounces::user_id.eq(member),
                mail_bounces::address.eq(&address),
                mail_bounces::status.eq(status),
                mail_bounces::hard.eq(hard),
                mail_bounces::report_id.eq(&report.id),
            ))
            .on_conflict(mail_bounces::report_id)
            .do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            return Ok(Outcome::Ignored("already recorded"));
        }
        let undeliverable = *hard || {
            let since = Utc::now() - limit.window;
            let soft: i64 = mail_bounces::table
                .filter(mail_bounces::user_id.eq(member))
                .filter(mail_bounces::hard.eq(false))
                .filter(mail_bounces::received_at.gt(since))
                .count()
                .get_result(conn)?;
            soft >= i64::from(limit.count)
        };
        if undeliverable {
            diesel::update(
                users::table
                    .find(member)
                    .filter(users::email_undeliverable_at.is_null()),
            )
            .set(users::email_undeliverable_at.eq(diesel::dsl::now))
            .execute(conn)?;
        }
        Ok(Outcome::Recorded {
            member,
            undeliverable,
        })
    })
}

/// Forgets the bounces of the member's earlier address (or of this one, verified again):
/// call it wherever an address becomes verified.
pub fn forget(conn: &mut PgConnection, member: UserId) -> QueryResult<()> {
    diesel::delete(mail_bounces::table.filter(mail_bounces::user_id.eq(member))).execute(conn)?;
    Ok(())
}
