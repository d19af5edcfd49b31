//! One id type per entity. Every id is a `BIGINT` in the database and a JSON number on the
//! wire, but in Rust a reply's id is not a thread's: a function that wants a `ThreadId`
//! cannot be handed a `ReplyId` or a `UserId` by mistake.
//!
//! Each type is transparent: serde reads and writes the bare number (so it also works in
//! `web::Path`), diesel binds and reads it as `BigInt`, and the OpenAPI document describes it
//! as a named `integer` (`int64`) schema.

/// Declares an entity's id type:
///
/// ```ignore
/// entity_id! {
///     /// A thread's id.
///     pub struct ThreadId;
/// }
/// ```
#[macro_export]
macro_rules! entity_id {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        $vis struct $name(pub i64);

        impl $name {
            /// The number stored and sent.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::num::ParseIntError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                raw.parse().map($name)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::BigInt, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <i64 as diesel::serialize::ToSql<diesel::sql_types::BigInt, diesel::pg::Pg>>::to_sql(
                    &self.0, out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::BigInt, diesel::pg::Pg> for $name {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                <i64 as diesel::deserialize::FromSql<diesel::sql_types::BigInt, diesel::pg::Pg>>::from_sql(
                    value,
                )
                .map($name)
            }
        }
    };
}

entity_id! {
    /// A member's id.
    pub struct UserId;
}

entity_id! {
    /// A thread's id.
    pub struct ThreadId;
}

entity_id! {
    /// A reply's id.
    pub struct ReplyId;
}

entity_id! {
    /// A meetup's id.
    pub struct MeetupId;
}

entity_id! {
    /// A meetup series' id: the rule its occurrences were made from.
    pub struct SeriesId;
}

entity_id! {
    /// An RSVP's id (its order is the order of arrival on a meetup).
    pub struct RsvpId;
}

entity_id! {
    /// A mentorship request's id.
    pub struct MentorshipRequestId;
}

entity_id! {
    /// A private conversation's id.
    pub struct ConversationId;
}

entity_id! {
    /// A message's id (in a private conversation).
    pub struct MessageId;
}

entity_id! {
    /// A report's id.
    pub struct ReportId;
}

entity_id! {
    /// A moderation log entry's id.
    pub struct ModerationLogId;
}

entity_id! {
    /// An appeal's id.
    pub struct AppealId;
}

entity_id! {
    /// A notification's id (a grouped notification gets a new one each time it grows).
    pub struct NotificationId;
}

entity_id! {
    /// A background job's id.
    pub struct JobId;
}

entity_id! {
    /// A refresh token's id (one per rotation of a login session).
    pub struct RefreshTokenId;
}

entity_id! {
    /// A one-use emailed token's id (verification, password reset).
    pub struct UserTokenId;
}

entity_id! {
    /// An uploaded file's id (a screenshot, an avatar, an attachment).
    pub struct UploadId;
}

entity_id! {
    /// A webhook's id.
    pub struct WebhookId;
}

entity_id! {
    /// One delivery of one event to one webhook.
    pub struct DeliveryId;
}

entity_id! {
    /// A member's API token's id (the number in `dfp_<id>_…`).
    pub struct ApiTokenId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_a_bare_number_in_json() {
        assert_eq!(serde_json::to_string(&ThreadId(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<ReplyId>("7").unwrap(), ReplyId(7));
        assert!(serde_json::from_str::<ReplyId>("\"7\"").is_err());
    }

    #[test]
    fn an_id_reads_from_a_path_segment() {
        assert_eq!("12".parse::<MeetupId>(), Ok(MeetupId(12)));
        assert!("twelve".parse::<MeetupId>().is_err());
        assert_eq!(UserId(3).to_string(), "3");
    }

    #[test]
    fn the_openapi_schema_of_an_id_is_an_int64() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(ThreadId::schema()).unwrap();
        assert_eq!(schema["type"], "integer", "{schema}");
        assert_eq!(schema["format"], "int64", "{schema}");
    }
}
