//! Second factors as plain functions: RFC 6238 TOTP (SHA-1, 6 digits, 30-second steps, one
//! step of drift either way) through `totp-rs`, a code accepted only for a step later than the
//! last one accepted; and one-time recovery codes, kept only as hashes.

use rand::RngCore;
use totp_rs::{Algorithm, TOTP};

use super::tokens;

/// Bytes of a new TOTP secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
pub const STEP_SECS: u64 = 30;
pub const DIGITS: usize = 6;
/// Recovery codes given at once.
pub const RECOVERY_CODES: usize = 10;

pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> Option<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECS,
        secret.to_vec(),
        Some(issuer.replace(':', "")),
        account.replace(':', ""),
    )
    .ok()
}

/// The secret in base32 (what authenticator apps take typed in) and the `otpauth://` URL
/// (what they take from a QR code).
pub fn provisioning(secret: &[u8], issuer: &str, account: &str) -> Option<(String, String)> {
    let totp = totp(secret, issuer, account)?;
    Some((totp.get_secret_base32(), totp.get_url()))
}

/// The issuer an authenticator app shows: the forum's host name.
pub fn issuer_of(base_url: &str) -> String {
    url::Url::parse(base_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_string))
        .unwrap_or_else(|| "devforum".into())
}

/// The code for `step` (a count of 30-second steps since the Unix epoch).
pub fn code_at(secret: &[u8], step: u64) -> Option<String> {
    Some(totp(secret, "devforum", "member")?.generate(step * STEP_SECS))
}

/// The step `code` belongs to, if it is the code of the step at `now_secs` or of one step
/// either side, and that step is later than `last_step` (a code is accepted once).
pub fn matching_step(
    secret: &[u8],
    code: &str,
    now_secs: u64,
    last_step: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = now_secs / STEP_SECS;
    let mut found = None;
    // Every candidate is computed and compared, so the time taken says nothing of which matched.
    for step in [now.saturating_sub(1), now, now + 1] {
        let expected = code_at(secret, step)?;
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) {
            found = Some(step as i64);
        }
    }
    found.filter(|step| last_step.is_none_or(|last| *step > last))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Ten fresh recovery codes, `xxxxx-xxxxx` in lower-case base32 (50 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::rng().fill_bytes(&mut bytes);
            let chars: String = bytes
                .iter()
                .map(|b| ALPHABET[(*b as usize) % 32] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// What is stored of a recovery code: the hash of it without spaces, dashes or case, so the
/// member may type it any way.
pub fn recovery_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    tokens::hash(&normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 key and its 8-digit values cut to our 6 digits.
    #[test]
    fn codes_follow_rfc_6238() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59u64, "94287082"),
            (1111111109, "07081804"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
        ] {
            assert_eq!(code_at(secret, time / 30).unwrap(), eight[2..]);
        }
    }

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_once() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let step = (now / 30) as i64;
        let code = code_at(&secret, now / 30).unwrap();
        assert_eq!(matching_step(&secret, &code, now, None), Some(step));
        assert_eq!(matching_step(&secret, &code, now + 30, None), Some(step));
        assert_eq!(matching_step(&secret, &code, now - 30, None), Some(step));
        assert_eq!(matching_step(&secret, &code, now + 60, None), None);
        // Used once: that step and earlier ones never again.
        assert_eq!(matching_step(&secret, &code, now, Some(step)), None);
        assert_eq!(
            matching_step(&secret, &code, now, Some(step - 1)),
            Some(step)
        );
        assert_eq!(matching_step(&secret, "12345", now, None), None);
        assert_eq!(matching_step(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_typed_any_way() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), 10);
        let code = &codes[0];
        assert_eq!(
            recovery_code_hash(code),
            recovery_code_hash(&format!(" {} ", code.to_uppercase().replace('-', " ")))
        );
    }

    #[test]
    fn the_url_names_the_forum_and_the_member() {
        let secret = new_secret();
        let (base32, url) =
            provisioning(&secret, &issuer_of("https://forum.example:8443/"), "ada").unwrap();
        assert!(
            url.starts_with("otpauth://totp/forum.example:ada?"),
            "{url}"
        );
        assert!(url.contains(&format!("secret={base32}")), "{url}");
        assert!(url.contains("issuer=forum.example"), "{url}");
    }
}
