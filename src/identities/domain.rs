//! What a sign-in through a provider carries, parsed once: the intent, where the client goes
//! back to, the account the provider vouched for, and why a provider could not say.

use serde::Deserialize;
use utoipa::ToSchema;

crate::text_enum! {
    /// Why the member went to the provider: to sign in (or up), or to link it to the account
    /// they are signed in to.
    #[derive(Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Intent ("sign-in intent") {
        Login => "login",
        Link => "link",
    }
}

/// A path of the web client to return to after the provider: it starts with one `/`, so it
/// can never name another site (`//evil.example`, `https:…`, `/\evil.example`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTo(String);

impl ReturnTo {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let path = raw.trim();
        let ok = path.starts_with('/')
            && !path.starts_with("//")
            && !path.contains('\\')
            && path.len() <= 512
            && !path.chars().any(char::is_control);
        if ok {
            Ok(ReturnTo(path.to_string()))
        } else {
            Err("must be a path of this site, starting with a single '/'".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The account a provider vouched for, as its verified token or API said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAccount {
    /// Stable at the provider: OpenID Connect's `sub`, GitHub's numeric id.
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider says it verified `email`.
    pub email_verified: bool,
    /// `preferred_username`, GitHub's `login`: where a new account's username is suggested from.
    pub username_hint: Option<String>,
    pub name: Option<String>,
}

/// Why a provider could not sign anyone in.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// It could not be reached or answered nothing usable: try again later.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// It answered, and what it said was refused (a bad token, a failed exchange).
    #[error("refused: {0}")]
    Refused(String),
}

/// What `start` keeps and where it sends the member.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub url: String,
    pub state: String,
    /// OpenID Connect only.
    pub nonce: Option<String>,
    pub pkce_verifier: String,
}

/// An error and its causes, on one line (for the log).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_returned_to() {
        for good in ["/", "/threads/7?page=2#r9", "/settings/account"] {
            assert_eq!(ReturnTo::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "threads",
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example",
            "/a\nb",
            &format!("/{}", "a".repeat(600)),
        ] {
            assert!(ReturnTo::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
