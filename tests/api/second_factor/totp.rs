//! RFC 6238 codes computed here from the secret the server showed, independently of the
//! server's own code (which uses `totp-rs`): HMAC-SHA-1 over the 30-second step, RFC 4226's
//! dynamic truncation, 6 digits.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// RFC 4648 base32 (upper case, padding optional) to bytes.
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').bytes() {
        let value = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .expect("a base32 character") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

/// The code for the 30-second step holding `unix_secs`.
pub fn code_at(secret_base32: &str, unix_secs: u64) -> String {
    let key = base32_decode(secret_base32);
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).expect("any key length");
    mac.update(&(unix_secs / 30).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The code an authenticator shows now.
pub fn current_code(secret_base32: &str) -> String {
    code_at(secret_base32, now())
}

#[test]
fn the_helper_gives_rfc_6238s_own_values() {
    // Appendix B's SHA-1 key ("12345678901234567890") in base32, its 8-digit values cut to 6.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_eq!(code_at(secret, 59), "287082");
    assert_eq!(code_at(secret, 1111111109), "081804");
    assert_eq!(code_at(secret, 2000000000), "279037");
}
