//! Check-ins on accepted mentorships: `mentorship.check_in_after_days` after a request was
//! accepted, both sides are mailed (once) and asked whether it is still going, with links
//! that work without signing in (HS256 tokens with their own key and audience, naming the
//! request and the member, valid 30 days). Each side's answer is kept; when both have said it
//! is done, the mentorship completes through the lifecycle, as if the last of them had
//! completed it in the app.

use crate::mentorship::model;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::{MentorshipRequestId, UserId};
use crate::mentorship::lifecycle::{Action, Status};

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
        let due = model::mark_check_ins_due(conn, now, after)?;
        for request in &due {
            let people = model::check_in_people(conn, request.mentor_id, request.mentee_id)?;
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
        let row = model::record_check_in_answer(conn, request_id, user_id, done_at)?;
        let row = row.ok_or_else(invalid_link)?;
        let mut status: Status = row
            .status
            .parse()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
        if row.both_done && status == Status::Accepted {
            let actor = User::find(conn, user_id)?;
            let view = crate::mentorship::service::transition(
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
