//! VERP return paths: mail to a member goes out with the envelope sender
//! `bounces+<member>-<tag>@domain`, so the bounce, which is sent there, names the member it
//! was for. The tag is an HMAC of the member and the address the mail went to: a forged
//! bounce cannot mark anyone's address undeliverable, and a late bounce for an address the
//! member has since changed does not match their current one.

use anyhow::Context;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::ids::UserId;

/// Hex digits of the HMAC kept in the tag: 64 bits.
const TAG_LEN: usize = 16;

pub struct VerpKeys {
    key: Vec<u8>,
    local: String,
    domain: String,
}

impl VerpKeys {
    /// `base` is the bounce address (`bounces@forum.example`); the key is derived from the
    /// server's secret, so every process of a deployment agrees on the tags.
    pub fn new(base: &str, secret: &SecretString) -> anyhow::Result<Self> {
        let (local, domain) = base
            .trim()
            .rsplit_once('@')
            .filter(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !local.contains('+')
                    && local
                        .chars()
                        .chain(domain.chars())
                        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            })
            .with_context(|| {
                format!(
                    "email.bounces.address {base:?} is not a plain address (local@domain, no '+')"
                )
            })?;
        Ok(VerpKeys {
            key: format!("verp:{}", secret.expose_secret()).into_bytes(),
            local: local.to_string(),
            domain: domain.to_ascii_lowercase(),
        })
    }

    /// The keys `email.bounces.address` describes, `None` when bounces are not tracked.
    pub fn from_settings(settings: &crate::config::Settings) -> anyhow::Result<Option<Self>> {
        match settings.email.bounces.address.trim() {
            "" => Ok(None),
            address => Self::new(address, &settings.auth.jwt_secret).map(Some),
        }
    }

    /// The bounce address itself, for mail to no member.
    pub fn base(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }

    /// The return path of mail to `member` at `address`.
    pub fn return_path(&self, member: UserId, address: &str) -> String {
        format!(
            "{}+{}-{}@{}",
            self.local,
            member.0,
            self.tag(member, address),
            self.domain
        )
    }

    /// The member a return path names, with its tag, if `address` is one of ours.
    pub fn parse(&self, address: &str) -> Option<(UserId, String)> {
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, domain) = address.rsplit_once('@')?;
        if !domain.eq_ignore_ascii_case(&self.domain) {
            return None;
        }
        let (base, token) = local.split_once('+')?;
        if !base.eq_ignore_ascii_case(&self.local) {
            return None;
        }
        let (member, tag) = token.split_once('-')?;
        let member = member.parse::<i64>().ok()?;
        (tag.len() == TAG_LEN).then(|| (UserId(member), tag.to_ascii_lowercase()))
    }

    /// Whether `tag` was made for `member` at `address` (compared in constant time).
    pub fn verify(&self, member: UserId, address: &str, tag: &str) -> bool {
        let Some(bytes) = decode_hex(tag) else {
            return false;
        };
        self.mac(member, address)
            .verify_truncated_left(&bytes)
            .is_ok()
    }

    fn tag(&self, member: UserId, address: &str) -> String {
        let digest = self.mac(member, address).finalize().into_bytes();
        digest
            .iter()
            .take(TAG_LEN / 2)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn mac(&self, member: UserId, address: &str) -> Hmac<Sha256> {
        // A key of any length is accepted by HMAC; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(member.0.to_string().as_bytes());
        mac.update(b"\n");
        mac.update(address.trim().to_lowercase().as_bytes());
        mac
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> VerpKeys {
        VerpKeys::new("bounces@Forum.example", &SecretString::from("secret")).unwrap()
    }

    #[test]
    fn a_return_path_names_its_member_and_only_fits_their_address() {
        let keys = keys();
        let path = keys.return_path(UserId(42), "Ada@Example.com");
        assert!(path.starts_with("bounces+42-") && path.ends_with("@forum.example"));
        let (member, tag) = keys.parse(&path).unwrap();
        assert_eq!(member, UserId(42));
        assert!(keys.verify(member, "ada@example.com", &tag));
        assert!(!keys.verify(member, "other@example.com", &tag));
        assert!(!keys.verify(UserId(43), "ada@example.com", &tag));
        // Some servers change the case of what they deliver to.
        let (member, tag) = keys.parse(&path.to_uppercase()).unwrap();
        assert!(keys.verify(member, "ada@example.com", &tag));
    }

    #[test]
    fn other_addresses_and_forged_tags_are_not_ours() {
        let keys = keys();
        assert!(keys.parse("bounces@forum.example").is_none());
        assert!(keys
            .parse("bounces+42-0011223344556677@elsewhere.example")
            .is_none());
        assert!(keys
            .parse("someone+42-0011223344556677@forum.example")
            .is_none());
        assert!(keys
            .parse("bounces+x-0011223344556677@forum.example")
            .is_none());
        assert!(keys.parse("bounces+42-00@forum.example").is_none());
        let (member, tag) = keys
            .parse("<bounces+42-0011223344556677@forum.example>")
            .unwrap();
        assert!(!keys.verify(member, "ada@example.com", &tag));
        assert!(!keys.verify(member, "ada@example.com", "zz11223344556677"));
        let other = VerpKeys::new("bounces@forum.example", &SecretString::from("other")).unwrap();
        let (member, tag) = other
            .parse(&other.return_path(UserId(42), "ada@example.com"))
            .unwrap();
        assert!(!keys.verify(member, "ada@example.com", &tag));
    }

    #[test]
    fn the_bounce_address_must_be_plain() {
        let secret = SecretString::from("s");
        for bad in [
            "",
            "bounces",
            "@forum.example",
            "b+x@forum.example",
            "a b@x.example",
        ] {
            assert!(VerpKeys::new(bad, &secret).is_err(), "{bad:?}");
        }
    }
}
