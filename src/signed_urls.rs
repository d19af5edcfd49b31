//! Links that work until they expire, whoever follows them: `?expires=<unix>&signature=<hex>`
//! on a site path, an HMAC-SHA256 under a key derived from the JWT secret. Uploaded files use
//! them where a file must be readable although nothing public shows it (an account's archive,
//! the metadata staff read of hidden content).

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Clone)]
pub struct UrlSigner {
    key: [u8; 32],
}

impl UrlSigner {
    pub fn new(secret: &str) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"devforum signed links v1");
        UrlSigner {
            key: mac.finalize().into_bytes().into(),
        }
    }

    fn mac(&self, path: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(format!("{path}\n{expires}").as_bytes());
        mac
    }

    /// `path` (no query), working until `expires` (Unix seconds).
    pub fn sign(&self, path: &str, expires: i64) -> String {
        let signature: String = self
            .mac(path, expires)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{path}?expires={expires}&signature={signature}")
    }

    /// Whether `signature` signs `path` until `expires`, and that time has not come.
    pub fn verify(&self, path: &str, expires: i64, signature: &str) -> bool {
        if expires < chrono::Utc::now().timestamp() || signature.len() != 64 {
            return false;
        }
        let Some(bytes) = (0..64)
            .step_by(2)
            .map(|i| u8::from_str_radix(signature.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()
        else {
            return false;
        };
        self.mac(path, expires).verify_slice(&bytes).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature_of(url: &str) -> &str {
        url.rsplit("signature=").next().unwrap_or_default()
    }

    #[test]
    fn a_signed_link_works_for_its_path_until_it_expires() {
        let signer = UrlSigner::new("secret");
        let expires = chrono::Utc::now().timestamp() + 60;
        let url = signer.sign("/files/a.png", expires);
        let signature = signature_of(&url);
        assert!(signer.verify("/files/a.png", expires, signature));
        assert!(
            !signer.verify("/files/b.png", expires, signature),
            "another path"
        );
        assert!(
            !signer.verify("/files/a.png", expires + 1, signature),
            "another time"
        );
        assert!(!UrlSigner::new("other").verify("/files/a.png", expires, signature));
        assert!(!signer.verify("/files/a.png", expires, "zz"));
        let past = chrono::Utc::now().timestamp() - 1;
        let old = signer.sign("/files/a.png", past);
        assert!(
            !signer.verify("/files/a.png", past, signature_of(&old)),
            "expired"
        );
    }
}
