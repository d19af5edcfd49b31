//! DKIM (RFC 6376; Ed25519 by RFC 8463) through lettre's signer: the key is read and checked
//! at start-up, so a malformed one stops the server instead of sending unsigned mail; and
//! `devforum dkim-keygen` makes a key with the DNS record to publish.

use anyhow::Context;
use base64::Engine;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use lettre::Message;
use secrecy::ExposeSecret;

use crate::config::{DkimAlgorithm, EmailSettings};

/// The headers a signature covers: what a reader trusts (From, To, Subject, Date), what
/// identifies and threads the message, and the one-click unsubscribe pair, which RFC 8058
/// requires to be signed. A header a message lacks is signed as absent, so nobody can add it
/// on the way. Not `Content-Type`: lettre writes a multipart message's one with the body,
/// after signing, so the signature would name a header it never saw (the body hash covers
/// the parts all the same).
const SIGNED_HEADERS: &[&str] = &[
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Auto-Submitted",
    "MIME-Version",
];

pub struct Signer {
    config: DkimConfig,
}

impl Signer {
    /// The signer `[email.dkim]` describes, `None` when no selector is set.
    pub fn from_settings(settings: &EmailSettings) -> anyhow::Result<Option<Self>> {
        let dkim = &settings.dkim;
        let selector = dkim.selector.trim();
        if selector.is_empty() {
            return Ok(None);
        }
        let domain = match dkim.domain.trim() {
            "" => settings
                .from
                .parse::<lettre::message::Mailbox>()
                .with_context(|| format!("email.from {:?} is not a mailbox", settings.from))?
                .email
                .domain()
                .to_ascii_lowercase(),
            domain => domain.to_ascii_lowercase(),
        };
        let text = match dkim.key.expose_secret().trim() {
            "" => std::fs::read_to_string(&dkim.key_file).with_context(|| {
                format!(
                    "email.dkim: no key, and key_file {:?} cannot be read",
                    dkim.key_file
                )
            })?,
            key => key.to_string(),
        };
        let key = signing_key(&text, dkim.algorithm)?;
        let headers = SIGNED_HEADERS
            .iter()
            .map(|name| HeaderName::new_from_ascii_str(name))
            .collect();
        let canonicalization = DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        };
        Ok(Some(Signer {
            config: DkimConfig::new(selector.to_string(), domain, key, headers, canonicalization),
        }))
    }

    pub fn sign(&self, message: &mut Message) {
        message.sign(&self.config);
    }
}

fn signing_key(text: &str, algorithm: DkimAlgorithm) -> anyhow::Result<DkimSigningKey> {
    let (text, lettre_algorithm) = match algorithm {
        DkimAlgorithm::Rsa => (text.trim().to_string(), DkimSigningAlgorithm::Rsa),
        // Keys kept in files end with a newline; the seed is base64 of exactly 32 bytes.
        DkimAlgorithm::Ed25519 => (
            text.split_whitespace().collect::<String>(),
            DkimSigningAlgorithm::Ed25519,
        ),
    };
    DkimSigningKey::new(&text, lettre_algorithm).map_err(|error| {
        anyhow::anyhow!(
            "email.dkim: the key is not a {} private key ({error}); make one with `devforum dkim-keygen`",
            match algorithm {
                DkimAlgorithm::Rsa => "PKCS#1 PEM RSA",
                DkimAlgorithm::Ed25519 => "base64 Ed25519",
            }
        )
    })
}

/// A new key and what to publish for it.
pub struct GeneratedKey {
    /// The private key, in the form `[email.dkim] key` takes.
    pub private_key: String,
    /// `<selector>._domainkey.<domain>`
    pub dns_name: String,
    /// The TXT record's value (`v=DKIM1; k=…; p=…`).
    pub dns_value: String,
}

impl GeneratedKey {
    /// The record as a zone-file line: values over 255 octets are split into several quoted
    /// strings, which DNS joins.
    pub fn zone_line(&self) -> String {
        let chunks: Vec<String> = self
            .dns_value
            .as_bytes()
            .chunks(255)
            .map(|chunk| format!("\"{}\"", String::from_utf8_lossy(chunk)))
            .collect();
        format!("{}. IN TXT ( {} )", self.dns_name, chunks.join(" "))
    }
}

/// Makes a key: RSA 2048 bits (PKCS#1 PEM) or Ed25519 (base64 of the seed).
pub fn generate(
    algorithm: DkimAlgorithm,
    selector: &str,
    domain: &str,
) -> anyhow::Result<GeneratedKey> {
    let base64 = base64::engine::general_purpose::STANDARD;
    let mut rng = rand_core::OsRng;
    let (private_key, dns_value) = match algorithm {
        DkimAlgorithm::Rsa => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            use rsa::pkcs8::EncodePublicKey;
            let key = rsa::RsaPrivateKey::new(&mut rng, 2048).context("making an RSA key")?;
            let pem = key
                .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
                .context("writing the RSA key")?;
            let public = key
                .to_public_key()
                .to_public_key_der()
                .context("writing the public key")?;
            (
                pem.to_string(),
                format!("v=DKIM1; k=rsa; p={}", base64.encode(public.as_bytes())),
            )
        }
        DkimAlgorithm::Ed25519 => {
            let key = ed25519_dalek::SigningKey::generate(&mut rng);
            (
                format!("{}\n", base64.encode(key.to_bytes())),
                format!(
                    "v=DKIM1; k=ed25519; p={}",
                    base64.encode(key.verifying_key().to_bytes())
                ),
            )
        }
    };
    Ok(GeneratedKey {
        private_key,
        dns_name: format!("{selector}._domainkey.{domain}"),
        dns_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(algorithm: DkimAlgorithm, key: &str) -> EmailSettings {
        let mut settings = crate::config::Settings::load_for_tests().email;
        settings.from = "devforum <no-reply@forum.example>".into();
        settings.dkim.selector = "s1".into();
        settings.dkim.algorithm = algorithm;
        settings.dkim.key = key.to_string().into();
        settings
    }

    #[test]
    fn generated_keys_load_and_sign() {
        for algorithm in [DkimAlgorithm::Ed25519, DkimAlgorithm::Rsa] {
            let key = generate(algorithm, "s1", "forum.example").unwrap();
            assert_eq!(key.dns_name, "s1._domainkey.forum.example");
            assert!(key.dns_value.starts_with("v=DKIM1; k="));
            let signer = Signer::from_settings(&settings(algorithm, &key.private_key))
                .unwrap()
                .unwrap();
            let mut message = Message::builder()
                .from("a@forum.example".parse().unwrap())
                .to("b@example.com".parse().unwrap())
                .subject("hi")
                .body("body".to_string())
                .unwrap();
            signer.sign(&mut message);
            let signature = message.headers().get_raw("DKIM-Signature").unwrap();
            assert!(signature.contains("d=forum.example"), "{signature}");
            assert!(signature.contains("s=s1"), "{signature}");
            assert!(
                signature.contains("h=from:to:subject:date:message-id"),
                "{signature}"
            );
        }
    }

    #[test]
    fn a_malformed_key_is_refused_and_no_selector_means_no_signing() {
        assert!(Signer::from_settings(&settings(DkimAlgorithm::Rsa, "not a key")).is_err());
        assert!(Signer::from_settings(&settings(DkimAlgorithm::Ed25519, "c2hvcnQ=")).is_err());
        let mut off = settings(DkimAlgorithm::Rsa, "");
        off.dkim.selector = String::new();
        assert!(Signer::from_settings(&off).unwrap().is_none());
        let mut missing = settings(DkimAlgorithm::Rsa, "");
        missing.dkim.key_file = "/nonexistent/dkim.key".into();
        assert!(Signer::from_settings(&missing).is_err());
    }

    #[test]
    fn long_records_are_split_for_zone_files() {
        let key = GeneratedKey {
            private_key: String::new(),
            dns_name: "s1._domainkey.forum.example".into(),
            dns_value: "x".repeat(300),
        };
        let line = key.zone_line();
        assert!(line.starts_with("s1._domainkey.forum.example. IN TXT ( \""));
        assert_eq!(line.matches('"').count(), 4);
    }
}
