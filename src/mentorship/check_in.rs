//! Check-ins on accepted mentorships: `mentorship.check_in_after_days` after a request was
//! accepted, both sides are mailed (once) and asked whether it is still going, with links
//! that work without signing in (HS256 tokens with their own key and audience, naming the
//! request and the member, valid 30 days). Each side's answer is kept; when both have said it
//! is done, the mentorship completes through the lifecycle, as if the last of them had
//! completed it in the app.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Interval, Text, Timestamptz};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::lifecycle::{Action, Status};
use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::{MentorshipRequestId, UserId};

const AUDIENCE: &str = "devforum-check-in";
/// How long a check-in link works.
pub const LINK_DAYS: i64 = 30;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    aud: String,
    req: i64,
    iat: i64,
    exp: i64,
}

/// Signs and reads check-in links.
pub struct CheckInKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl CheckInKeys {
    pub fn new(jwt_secret: &secrecy::SecretString) -> Self {
        let secret = format!("check-in:{}", jwt_secret.expose_secret());
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        CheckInKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    pub fn issue(
        &self,
        user: UserId,
        request: MentorshipRequestId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user.to_string(),
            aud: AUDIENCE.to_string(),
            req: request.0,
            iat: now.timestamp(),
            exp: (now + Duration::days(LINK_DAYS)).timestamp(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The member and request a link names, if this server signed it and it is still valid.
    pub fn verify(&self, token: &str) -> Option<(UserId, MentorshipRequestId)> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        Some((claims.sub.parse().ok()?, MentorshipRequestId(claims.req)))
    }
}

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    mentor_id: i64,
    #[diesel(sql_type = BigInt)]
    mentee_id: i64,
}

#[derive(QueryableByName)]
struct Person {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    mail_choice: String,
}

/// Asks both sides of every mentorship accepted `after` ago and not asked yet; how many
/// mentorships were asked.
pub fn send_due(
    conn: &mut PgConnection,
    keys: &CheckInKeys,
    after: Duration,
    now: DateTime<Utc>,
    base_url: &str,
) -> Result<usize, ApiError> {
    conn.transaction(|conn| {
        let due: Vec<Due> = diesel::sql_query(
            "UPDATE mentorship_requests SET check_in_sent_at = $1 \
             WHERE status = 'accepted' AND check_in_sent_at IS NULL AND answered_at <= $1 - $2 \
             RETURNING id, mentor_id, mentee_id",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<Interval, _>(after)
        .load(conn)?;
        for request in &due {
            let people: Vec<Person> = diesel::sql_query(
                "SELECT id, username, email, email_notifications AS mail_choice FROM users \
                 WHERE id IN ($1, $2)",
            )
            .bind::<BigInt, _>(request.mentor_id)
            .bind::<BigInt, _>(request.mentee_id)
            .load(conn)?;
            for person in &people {
                let Some(other) = people.iter().find(|p| p.id != person.id) else {
                    continue;
                };
                if person.mail_choice == "never" {
                    continue;
                }
                let token = keys
                    .issue(UserId(person.id), MentorshipRequestId(request.id), now)
                    .map_err(ApiError::Internal)?;
                let link = |answer: &str| {
                    format!(
                        "{}/mentorship-check-in?answer={answer}&token={token}",
                        base_url.trim_end_matches('/')
                    )
                };
                crate::email::enqueue(
                    conn,
                    &person.email,
                    "mentorship_check_in",
                    serde_json::json!({
                        "username": person.username,
                        "other": other.username,
                        "days": after.num_days(),
                        "link": link("active"),
                        "done_link": link("done"),
                    }),
                )?;
            }
        }
        Ok(due.len())
    })
}

crate::text_enum! {
    /// A side's answer to a check-in.
    #[derive(Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Answer ("check-in answer") {
        /// The mentorship goes on.
        Active => "active",
        /// It is done, as far as this side is concerned.
        Done => "done",
    }
}

/// What an answer led to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckInView {
    pub request_id: MentorshipRequestId,
    pub answer: Answer,
    /// The request's status now: `completed` once both sides said it is done.
    pub status: Status,
}

fn invalid_link() -> ApiError {
    ApiError::bad_request(
        "invalid_token",
        "The link is unknown or expired; answer from the request's page instead.",
    )
}

#[derive(QueryableByName)]
struct Answers {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    both_done: bool,
}

/// Records the answer a link gives; completes the mentorship once both sides said done.
pub fn answer(
    conn: &mut PgConnection,
    keys: &CheckInKeys,
    token: &str,
    answer: Answer,
    base_url: &str,
) -> Result<CheckInView, ApiError> {
    let (user_id, request_id) = keys.verify(token).ok_or_else(invalid_link)?;
    conn.transaction(|conn| {
        let done_at = (answer == Answer::Done).then(Utc::now);
        let row: Option<Answers> = diesel::sql_query(
            "UPDATE mentorship_requests SET \
                 mentor_done_at = CASE WHEN mentor_id = $2 THEN $3 ELSE mentor_done_at END, \
                 mentee_done_at = CASE WHEN mentee_id = $2 THEN $3 ELSE mentee_done_at END \
             WHERE id = $1 AND (mentor_id = $2 OR mentee_id = $2) AND check_in_sent_at IS NOT NULL \
             RETURNING status, \
                 (mentor_done_at IS NOT NULL AND mentee_done_at IS NOT NULL) AS both_done",
        )
        .bind::<BigInt, _>(request_id)
        .bind::<BigInt, _>(user_id)
        .bind::<diesel::sql_types::Nullable<Timestamptz>, _>(done_at)
        .get_result(conn)
        .optional()?;
        let row = row.ok_or_else(invalid_link)?;
        let mut status: Status = row
            .status
            .parse()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
        if row.both_done && status == Status::Accepted {
            let actor = User::find(conn, user_id)?;
            let view = super::service::transition(
                conn,
                request_id,
                &actor,
                Action::Complete,
                None,
                base_url,
            )?;
            status = view.status;
        }
        Ok(CheckInView {
            request_id,
            answer,
            status,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_for_one_member_and_request_and_this_server_only() {
        let keys = CheckInKeys::new(&secrecy::SecretString::from("secret".to_string()));
        let token = keys
            .issue(UserId(7), MentorshipRequestId(3), Utc::now())
            .unwrap();
        assert_eq!(
            keys.verify(&token),
            Some((UserId(7), MentorshipRequestId(3)))
        );
        let other = CheckInKeys::new(&secrecy::SecretString::from("other".to_string()));
        assert_eq!(other.verify(&token), None);
        let old = keys
            .issue(
                UserId(7),
                MentorshipRequestId(3),
                Utc::now() - Duration::days(LINK_DAYS + 1),
            )
            .unwrap();
        assert_eq!(keys.verify(&old), None);
    }
}
