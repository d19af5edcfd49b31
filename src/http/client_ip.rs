//! The client's address, as per-IP limits count it: the peer's, unless the peer is a load
//! balancer of ours (`server.trusted_proxies`), in which case `X-Forwarded-For` says who it
//! was talking to. Only the hops our own proxies appended are believed: the list is read
//! from the right, and the first address that is not one of our proxies is the client (what
//! a client writes into the header itself stays to the left of it and is never reached).

use std::net::{IpAddr, Ipv4Addr};

use actix_web::{web, HttpRequest};

use crate::config::Settings;

/// The rule, on plain values.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted_proxies: &[IpAddr],
) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    for hop in header.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(address) if trusted_proxies.contains(&address) => continue,
            Ok(address) => return address,
            // A hop we cannot read: whatever lies beyond it cannot be trusted either.
            Err(_) => return peer,
        }
    }
    peer
}

/// The client's address for this request.
pub fn client_ip(req: &HttpRequest) -> IpAddr {
    let trusted = req
        .app_data::<web::Data<Settings>>()
        .map(|settings| settings.server.trusted_proxies.as_slice())
        .unwrap_or_default();
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok());
    client_address(req.peer_addr().map(|addr| addr.ip()), forwarded, trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = [ip("127.0.0.1")];
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), Some("198.51.100.1"), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), Some("198.51.100.1"), &[]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn behind_our_proxy_the_last_untrusted_hop_is_the_client() {
        let trusted = [ip("127.0.0.1"), ip("10.0.0.2")];
        // nginx appended the address it saw; what the client sent itself is further left.
        assert_eq!(
            client_address(
                Some(ip("127.0.0.1")),
                Some("6.6.6.6, 203.0.113.9"),
                &trusted
            ),
            ip("203.0.113.9")
        );
        // Two proxies of ours in a row.
        assert_eq!(
            client_address(
                Some(ip("127.0.0.1")),
                Some("203.0.113.9, 10.0.0.2"),
                &trusted
            ),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_missing_or_unreadable_header_leaves_the_peer() {
        let trusted = [ip("127.0.0.1")];
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), None, &trusted),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), Some("203.0.113.9, junk"), &trusted),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), Some("127.0.0.1"), &trusted),
            ip("127.0.0.1")
        );
    }
}
