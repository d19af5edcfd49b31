//! Account fields parsed once at the edge; code past it trusts these types.

use std::fmt;

use chrono::Duration;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::schema::users;
use crate::tags::{self, TagName, TagNameSchema};
use crate::validation::{self, double_option, TimezoneName, Validator};

/// 3–32 characters of `[a-zA-Z0-9_-]`; unique regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        let length = name.chars().count();
        if !(3..=32).contains(&length) {
            return Err("must be 3 to 32 characters long".into());
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err("may contain only letters, digits, '_' and '-'".into());
        }
        Ok(Username(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, trimmed, with its domain lower-cased (the local part is the
/// mailbox owner's business and is kept as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim();
        if email.len() > 254 {
            return Err("must be at most 254 characters long".into());
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("must be an email address like name@example.com".into());
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\\\"".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err("must be an email address like name@example.com".into());
        }
        Ok(EmailAddress(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// At least 10 characters; at most 1,024 so hashing cost stays bounded.
pub struct Password(secrecy::SecretString);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let length = raw.chars().count();
        if length < Self::MIN_CHARS {
            return Err(format!(
                "must be at least {} characters long",
                Self::MIN_CHARS
            ));
        }
        if length > Self::MAX_CHARS {
            return Err(format!(
                "must be at most {} characters long",
                Self::MAX_CHARS
            ));
        }
        Ok(Password(secrecy::SecretString::from(raw.to_string())))
    }

    pub fn secret(&self) -> &secrecy::SecretString {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

crate::text_enum! {
    /// What a member may do: staff (moderators and admins) moderate; admins also set roles.
    /// Ordered by power, so `role >= Role::Moderator` reads as "at least a moderator".
    #[derive(PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Role ("role") {
        Member => "member",
        Moderator => "moderator",
        Admin => "admin",
    }
}

impl Role {
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }
}

/// A profile change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct ProfileChanges {
    pub display_name: Option<Option<String>>,
    pub bio: Option<String>,
    pub location: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub skills: Option<Vec<String>>,
}

impl ProfileChanges {
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.bio.is_none()
            && self.location.is_none()
            && self.timezone.is_none()
            && self.skills.is_none()
    }
}

/// Maximum skills on a profile.
pub const MAX_SKILLS: usize = 20;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    /// `null` clears it.
    /// Blank or `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 64, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub display_name: Option<Option<String>>,
    /// Markdown; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2000, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub bio: Option<Option<String>>,
    /// Blank or `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub location: Option<Option<String>>,
    /// An IANA time zone name such as `Europe/Berlin`; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<TimezoneName>)]
    pub timezone: Option<Option<String>>,
    /// Up to 20 tags, lowercase `[a-z0-9-]` (other input is normalised: "Rust Async" → "rust-async").
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<TagNameSchema>>, max_items = 20)]
    pub skills: Option<Option<Vec<String>>>,
}

/// Parses a profile PATCH; every bad field is reported at once.
pub fn parse_profile_changes(request: UpdateProfileRequest) -> Result<ProfileChanges, ApiError> {
    let mut v = Validator::new();
    let mut changes = ProfileChanges::default();
    if let Some(value) = request.display_name {
        changes.display_name = optional_text(&mut v, "display_name", value, 64);
    }
    if let Some(value) = request.bio {
        changes.bio = match value {
            None => Some(String::new()),
            Some(raw) => v.check("bio", validation::text(&raw, 0, 2000, true)),
        };
    }
    if let Some(value) = request.location {
        changes.location = optional_text(&mut v, "location", value, 100);
    }
    if let Some(value) = request.timezone {
        changes.timezone = match value {
            None => Some(None),
            Some(raw) => v.check("timezone", validation::timezone(&raw)).map(Some),
        };
    }
    if let Some(value) = request.skills {
        let raw = value.unwrap_or_default();
        changes.skills = v
            .check_all(
                "skills",
                tags::parse_list(&raw, MAX_SKILLS, TagName::normalise),
            )
            .map(|skills| skills.into_iter().map(TagName::into_string).collect());
    }
    v.finish()?;
    Ok(changes)
}

/// `null` or blank clears the field; anything else must be 1–`max` characters.
fn optional_text(
    v: &mut Validator,
    field: &str,
    value: Option<String>,
    max: usize,
) -> Option<Option<String>> {
    match value {
        None => Some(None),
        Some(raw) if raw.trim().is_empty() => Some(None),
        Some(raw) => v
            .check(field, validation::text(&raw, 1, max, false))
            .map(Some),
    }
}

/// The token of an emailed link, as sent: trimmed, 1 to 200 bytes; what it names is looked up
/// later.
pub fn emailed_token(raw: &str) -> Result<String, String> {
    opaque_token(raw).ok_or_else(|| "must be the token from the emailed link".to_string())
}

/// A refresh token, as sent (the same shape as an emailed token).
pub fn refresh_token(raw: &str) -> Result<String, String> {
    opaque_token(raw).ok_or_else(|| "must be a refresh token".to_string())
}

/// At most 200 characters, as the OpenAPI document says (not bytes: a schema counts
/// characters), and not blank.
fn opaque_token(raw: &str) -> Option<String> {
    let token = raw.trim();
    (!token.is_empty() && token.chars().count() <= 200).then(|| token.to_string())
}

/// Registration fields as sent (each may be missing).
#[derive(Debug, Default)]
pub struct RawRegistration<'a> {
    pub username: Option<&'a str>,
    pub email: Option<&'a str>,
    pub password: Option<&'a str>,
    pub display_name: Option<&'a str>,
}

/// Registration fields, each parsed once.
pub struct NewAccount {
    pub username: Username,
    pub email: EmailAddress,
    pub password: Password,
    pub display_name: Option<String>,
}

pub const DISPLAY_NAME_CHARS: usize = 64;

/// Every bad registration field is reported at once.
pub fn parse_registration(raw: RawRegistration<'_>) -> Result<NewAccount, ApiError> {
    let mut v = Validator::new();
    let username = v.require("username", raw.username, Username::parse);
    let email = v.require("email", raw.email, EmailAddress::parse);
    let password = v.require("password", raw.password, Password::parse);
    let display_name = match raw.display_name {
        Some(raw) => v
            .check(
                "display_name",
                validation::text(raw, 1, DISPLAY_NAME_CHARS, false),
            )
            .map(Some),
        None => Some(None),
    };
    v.finish()?;
    Ok(NewAccount {
        username: validation::validated(username)?,
        email: validation::validated(email)?,
        password: validation::validated(password)?,
        display_name: validation::validated(display_name)?,
    })
}

/// A login attempt: a username or an email, and a password.
#[derive(Debug)]
pub struct Credentials {
    pub login: String,
    pub password: String,
}

pub const LOGIN_CHARS: usize = 254;

/// Only lengths are checked: anything else is simply a login that matches no account.
pub fn parse_credentials(login: String, password: String) -> Result<Credentials, ApiError> {
    let mut v = Validator::new();
    if login.is_empty() || login.chars().count() > LOGIN_CHARS {
        v.add(
            "login",
            format!("must be 1 to {LOGIN_CHARS} characters long"),
        );
    }
    if password.is_empty() || password.chars().count() > Password::MAX_CHARS {
        v.add(
            "password",
            format!("must be 1 to {} characters long", Password::MAX_CHARS),
        );
    }
    v.finish()?;
    Ok(Credentials {
        login: login.trim().to_string(),
        password,
    })
}

/// A password reset's emailed token and new password.
pub struct PasswordReset {
    pub token: String,
    pub new_password: Password,
}

pub fn parse_password_reset(
    token: Option<&str>,
    new_password: Option<&str>,
) -> Result<PasswordReset, ApiError> {
    let mut v = Validator::new();
    let token = v.require("token", token, emailed_token);
    let new_password = v.require("new_password", new_password, Password::parse);
    v.finish()?;
    Ok(PasswordReset {
        token: validation::validated(token)?,
        new_password: validation::validated(new_password)?,
    })
}

/// A password as typed to confirm an action (only its length is checked: a wrong one is the
/// service's answer, not a field error).
fn confirming_password(raw: &str) -> Result<String, String> {
    if raw.is_empty() || raw.chars().count() > Password::MAX_CHARS {
        return Err(format!(
            "must be 1 to {} characters long",
            Password::MAX_CHARS
        ));
    }
    Ok(raw.to_string())
}

/// A password change: the password now, and the one to use from now on.
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: Password,
}

pub fn parse_password_change(
    current_password: Option<&str>,
    new_password: Option<&str>,
) -> Result<PasswordChange, ApiError> {
    let mut v = Validator::new();
    let current = v.require("current_password", current_password, confirming_password);
    let new = v.require("new_password", new_password, Password::parse);
    v.finish()?;
    Ok(PasswordChange {
        current_password: validation::validated(current)?,
        new_password: validation::validated(new)?,
    })
}

/// An email change: the new address, and the password that allows it.
pub struct EmailChange {
    pub new_email: EmailAddress,
    pub password: String,
}

pub fn parse_email_change(
    new_email: Option<&str>,
    password: Option<&str>,
) -> Result<EmailChange, ApiError> {
    let mut v = Validator::new();
    let new_email = v.require("new_email", new_email, EmailAddress::parse);
    let password = v.require("password", password, confirming_password);
    v.finish()?;
    Ok(EmailChange {
        new_email: validation::validated(new_email)?,
        password: validation::validated(password)?,
    })
}

/// The password that confirms an account's deletion.
pub fn parse_confirming_password(password: Option<&str>) -> Result<String, ApiError> {
    let mut v = Validator::new();
    let password = v.require("password", password, confirming_password);
    v.finish()?;
    validation::validated(password)
}

crate::text_enum! {
    /// What an emailed link token is for.
    pub enum Purpose ("link token purpose") {
        VerifyEmail => "verify_email",
        PasswordReset => "password_reset",
        /// Confirms a new address (the token carries it); applied by `POST /auth/verify-email`.
        ChangeEmail => "change_email",
        /// Sent to the old address: puts it back (the token carries it).
        UndoEmailChange => "undo_email_change",
    }
}

impl Purpose {
    /// How long an emailed link works.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::hours(24),
            Purpose::PasswordReset => Duration::hours(1),
            Purpose::ChangeEmail => Duration::hours(24),
            Purpose::UndoEmailChange => Duration::days(7),
        }
    }
}

crate::text_enum! {
    /// A member's trust level, computed from their activity (or pinned by an admin).
    #[derive(serde::Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum TrustLevel ("trust level") {
        /// Just verified: fewer posts a day, few links, no images, small meetups.
        New => "new",
        Basic => "basic",
        Member => "member",
        Regular => "regular",
    }
}

impl TrustLevel {
    /// Higher levels compare greater.
    pub fn rank(self) -> u8 {
        match self {
            TrustLevel::New => 0,
            TrustLevel::Basic => 1,
            TrustLevel::Member => 2,
            TrustLevel::Regular => 3,
        }
    }

    pub fn at_least(self, other: TrustLevel) -> bool {
        self.rank() >= other.rank()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_round_trip() {
        let ranks: Vec<u8> = TrustLevel::ALL.iter().map(|l| l.rank()).collect();
        assert_eq!(ranks, [0, 1, 2, 3]);
        assert!(TrustLevel::Regular.at_least(TrustLevel::Basic));
        assert!(!TrustLevel::New.at_least(TrustLevel::Basic));
        for level in TrustLevel::ALL {
            assert_eq!(level.as_str().parse::<TrustLevel>(), Ok(*level));
        }
    }

    #[test]
    fn tokens_are_what_the_document_says_trimmed_up_to_200_characters_not_blank() {
        assert_eq!(emailed_token("  abc ").as_deref(), Ok("abc"));
        assert!(emailed_token("   ").is_err());
        assert!(refresh_token("").is_err());
        // 200 characters of two bytes each: within the documented maxLength.
        assert!(emailed_token(&"é".repeat(200)).is_ok());
        assert!(emailed_token(&"a".repeat(201)).is_err());
    }

    #[test]
    fn usernames() {
        assert!(Username::parse("ada_lovelace-1").is_ok());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse("has space").is_err());
        assert!(Username::parse("émile").is_err());
    }

    #[test]
    fn emails_are_trimmed_and_their_domain_lower_cased() {
        let email = EmailAddress::parse("  Ada.Lovelace@Example.COM ").map(|e| e.to_string());
        assert_eq!(email.as_deref(), Ok("Ada.Lovelace@example.com"));
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@example.com",
            "a@exa mple.com",
            "a..b@example.com",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("correct horse").is_ok());
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(2000)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("correct horse")),
            "Ok(Password([REDACTED]))"
        );
    }
}
