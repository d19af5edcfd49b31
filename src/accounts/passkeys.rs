//! Passkeys (WebAuthn) as `webauthn-rs` runs them: the relying party is the web client's
//! address (`web.base_url`: its host is the RP ID, its origin the only one accepted).
//! Registration asks for a discoverable credential (a resident key), so that signing in needs
//! no username: the authenticator offers the account's passkeys and returns its user handle.

use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};
use webauthn_rs::{Webauthn, WebauthnBuilder};
use webauthn_rs_proto::ResidentKeyRequirement;

/// How many passkeys an account may hold.
pub const MAX_PER_ACCOUNT: i64 = 20;
/// The longest a passkey's name may be.
pub const NAME_CHARS: usize = 64;

/// The relying party for `base_url`; `None` when its host cannot be one (an IP address: WebAuthn
/// needs a domain name, `localhost` included), and passkeys are then unavailable.
pub fn relying_party(base_url: &str) -> Option<Webauthn> {
    let origin = Url::parse(base_url).ok()?;
    let host = origin.host_str()?.to_string();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    WebauthnBuilder::new(&host, &origin)
        .ok()?
        .rp_name("devforum")
        .build()
        .ok()
}

/// The registration options, asking for a discoverable credential.
pub fn discoverable(mut options: CreationChallengeResponse) -> CreationChallengeResponse {
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
    options
}

/// The sign-in options for a button the member presses (not the browser's autofill, which
/// `webauthn-rs` presets).
pub fn on_request(mut options: RequestChallengeResponse) -> RequestChallengeResponse {
    options.mediation = None;
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_clients_host_and_never_an_address() {
        assert!(relying_party("https://forum.example").is_some());
        assert!(relying_party("http://localhost:18097").is_some());
        assert!(relying_party("http://127.0.0.1:18097").is_none());
        assert!(relying_party("not a url").is_none());
    }

    #[test]
    fn registration_asks_for_a_discoverable_credential() {
        let webauthn = relying_party("https://forum.example").unwrap();
        let (options, _) = webauthn
            .start_passkey_registration(uuid::Uuid::new_v4(), "ada", "Ada", None)
            .unwrap();
        let options = discoverable(options);
        let json = serde_json::to_value(&options).unwrap();
        assert_eq!(
            json["publicKey"]["authenticatorSelection"]["residentKey"],
            "required"
        );
        assert_eq!(json["publicKey"]["rp"]["id"], "forum.example");
    }
}
