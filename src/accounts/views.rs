//! What the API shows of an account.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Role, User};
use crate::ids::UserId;

/// A member as the content they wrote, organise or take part in shows them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberSummary {
    pub username: String,
    pub display_name: Option<String>,
    /// The member's picture (200 px square), or null.
    pub avatar_url: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
    pub bio: String,
    pub location: Option<String>,
    /// IANA time zone name.
    pub timezone: Option<String>,
    pub skills: Vec<String>,
    /// Only to the account's owner and to staff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Only to the account's owner and to staff: set while the account is suspended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended_until: Option<SuspensionView>,
    /// Computed from the member's activity (`new`, `basic`, `member`, `regular`).
    pub trust_level: super::domain::TrustLevel,
    /// Only to staff: whether an admin pinned the level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_level_pinned: Option<bool>,
    /// Only to the account's owner and to staff: false once mail to the address bounced for
    /// good; notification mail and digests stop until the address is verified again or
    /// changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_deliverable: Option<bool>,
    /// Only to the account's owner and to staff: whether a second factor (TOTP) guards the
    /// account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub two_factor: Option<bool>,
    /// Only to the account's owner and to staff: whether a password opens it (an account made
    /// through a provider has none until its member sets one by the reset link).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_password: Option<bool>,
    /// Only to the account's owner: the username was suggested from a provider's and waits for
    /// the member to confirm or change it (`PUT /users/me/username`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username_pending: Option<bool>,
    /// The member's picture (200 px square), or null.
    pub avatar_url: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SuspensionView {
    /// When the suspension ends by itself; absent for an indefinite one.
    pub until: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

impl UserView {
    /// The public profile.
    pub fn public(user: &User) -> Self {
        UserView {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role(),
            email_verified: user.email_verified,
            created_at: user.created_at,
            bio: user.bio.clone(),
            location: user.location.clone(),
            timezone: user.timezone.clone(),
            skills: user.skills.clone(),
            email: None,
            suspended_until: None,
            trust_level: user.trust_level,
            trust_level_pinned: None,
            email_deliverable: None,
            two_factor: None,
            has_password: None,
            username_pending: None,
            avatar_url: user.avatar_url.clone(),
        }
    }

    /// The profile as its owner (or staff) sees it.
    pub fn private(user: &User) -> Self {
        let mut view = Self::public(user);
        view.email = Some(user.email.clone());
        view.email_deliverable = Some(user.email_undeliverable_at.is_none());
        view.two_factor = Some(user.two_factor);
        view.has_password = Some(user.has_password());
        view.username_pending = Some(user.username_pending);
        if user.is_suspended_at(Utc::now()) {
            view.suspended_until = Some(SuspensionView {
                until: user.suspended_until,
                reason: user.suspension_reason.clone(),
            });
        }
        view
    }

    /// Owner and staff see the private view; everyone else the public one.
    pub fn for_viewer(user: &User, viewer: Option<&User>) -> Self {
        match viewer {
            Some(viewer) if viewer.is_staff() => {
                let mut view = Self::private(user);
                view.trust_level_pinned = Some(user.trust_level_pinned);
                view
            }
            Some(viewer) if viewer.id == user.id => Self::private(user),
            _ => Self::public(user),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Absent with `X-Session-Mode: cookie`: the refresh token is in the HttpOnly cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub user: UserView,
}

/// The second step a login must take: `POST /auth/login/mfa` with this token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MfaRequired {
    /// Always `true`.
    pub mfa_required: bool,
    /// For `POST /auth/login/mfa`: 5 minutes, 5 tries.
    pub mfa_token: String,
    /// The second factors the account can give.
    pub methods: Vec<MfaMethod>,
}

/// A second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MfaMethod {
    Totp,
    Recovery,
    Passkey,
}

/// What `POST /auth/login` (and every other sign-in) answers: the session, or the second step.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    SignedIn(Box<TokenPair>),
    SecondFactor(MfaRequired),
}

/// One signed-in device: a login and the refresh tokens descended from it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub id: uuid::Uuid,
    pub created_at: DateTime<Utc>,
    /// The last refresh (the login itself until then).
    pub last_used_at: DateTime<Utc>,
    /// The browser or client the login came from, as it named itself (at most 512 characters).
    pub user_agent: Option<String>,
    /// Whether this is the session of the token that asked.
    pub current: bool,
    /// How the login began: `password`, `passkey` or a sign-in provider's id, with `+totp` or
    /// `+recovery` when a second factor was given.
    pub method: String,
}

impl SessionView {
    pub fn new(session: super::model::Session, current: uuid::Uuid) -> Self {
        SessionView {
            current: current == session.id,
            id: session.id,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            user_agent: session.user_agent,
            method: session.method,
        }
    }
}

/// `GET /users/me/sessions`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionView>,
}
