//! The project's one outbound HTTP client (link previews and webhooks): it reaches what members
//! and admins name without letting them reach what they must not.
//!
//! - `http` and `https` only.
//! - Every hop's host is resolved here, each address is checked ([`is_public`]: no loopback,
//!   private, link-local, unique-local, multicast, unspecified or otherwise reserved
//!   address), and the connection goes to the address that was checked (the client's resolver
//!   is pinned to it), so DNS cannot answer differently between the check and the connect.
//! - Redirects are followed by hand, at most [`OutboundSettings::max_redirects`], each
//!   checked the same way.
//! - One deadline for the whole fetch, a byte limit while reading, and the answer's type must
//!   be one the caller accepts.
//! - `allow_hosts` (`host:port`, for tests and intranets) are exempt from the address rule and
//!   may be reached over plain `http`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use futures_util::StreamExt;
use url::Url;

use crate::config::OutboundSettings;

/// Why a fetch did not happen, or stopped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    /// Not `https` (plain `http` only to an allowed host).
    #[error("not an https URL")]
    Scheme,
    #[error("the URL has no host")]
    NoHost,
    #[error("{0} is not one of the hosts this server may reach")]
    NotListed(String),
    #[error("{0} resolves to an address that is not public ({1})")]
    Address(String, IpAddr),
    #[error("{0} could not be resolved")]
    Unresolved(String),
    #[error("more than {0} redirects")]
    Redirects(usize),
    #[error("a redirect without a usable Location")]
    BadRedirect,
    #[error("answered {0}")]
    Status(u16),
    #[error("the answer is {0}, not a type asked for")]
    ContentType(String),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(u64),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the connection failed: {0}")]
    Connection(String),
    #[error("the page describes nothing to show")]
    NothingToShow,
}

/// What a receiver answered to a [`Outbound::post`]: any status (the caller decides what a
/// failure is) and the first bytes of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// A fetched page.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Where it was found, after redirects.
    pub url: Url,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The client, built once from settings.
#[derive(Debug, Clone)]
pub struct Outbound {
    settings: OutboundSettings,
    allow_hosts: Vec<(String, u16)>,
    /// Only `allow_hosts` may be reached (nothing else is resolved or connected to).
    only_allowed: bool,
    /// Clients by the host and the checked address they are pinned to: building one (its TLS
    /// roots, its pool) costs milliseconds, and a kept one reuses its connections.
    clients: std::sync::Arc<std::sync::Mutex<HashMap<(String, SocketAddr), reqwest::Client>>>,
}

/// Clients kept at most; past it the cache starts afresh.
const KEPT_CLIENTS: usize = 256;

impl Outbound {
    pub fn new(settings: OutboundSettings, allow_hosts: &[String]) -> Outbound {
        let allow_hosts = allow_hosts
            .iter()
            .filter_map(|entry| {
                let (host, port) = entry.trim().rsplit_once(':')?;
                let host = host.trim_start_matches('[').trim_end_matches(']');
                Some((host.to_ascii_lowercase(), port.parse().ok()?))
            })
            .collect();
        Outbound {
            settings,
            allow_hosts,
            only_allowed: false,
            clients: Default::default(),
        }
    }

    /// The same client, reaching only its `allow_hosts` (an intranet's policy; the API fuzzing
    /// run, which must send nothing beyond loopback).
    pub fn only_allowed(mut self, only: bool) -> Outbound {
        self.only_allowed = only;
        self
    }

    fn allowed(&self, url: &Url) -> bool {
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return false;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        self.allow_hosts
            .iter()
            .any(|(h, p)| *h == host && *p == port)
    }

    /// GETs `url`, following redirects, and returns the body if its type starts with one of
    /// `accept` (`text/html`, `application/json`…).
    pub async fn get(&self, url: &str, accept: &[&str]) -> Result<Fetched, Refused> {
        let deadline = Duration::from_secs(self.settings.timeout_secs);
        match tokio::time::timeout(deadline, self.follow(url, accept)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Refused::Timeout(deadline)),
        }
    }

    /// Whether `url` may be reached now: its scheme, and every address its host resolves to
    /// (what a webhook's target must pass when it is saved, and again at every delivery).
    pub async fn check(&self, url: &str) -> Result<(), Refused> {
        let url = Url::parse(url).map_err(|_| Refused::NoHost)?;
        let deadline = Duration::from_secs(self.settings.timeout_secs);
        match tokio::time::timeout(deadline, self.checked_address(&url)).await {
            Ok(outcome) => outcome.map(|_| ()),
            Err(_) => Err(Refused::Timeout(deadline)),
        }
    }

    /// POSTs `body` with `headers` to `url`. A `307`/`308` is followed with the same body (each
    /// hop checked, at most `max_redirects`); any other answer, `3xx` included, is returned with
    /// at most `keep` bytes of its body. One deadline for the whole exchange.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
        keep: usize,
    ) -> Result<Answer, Refused> {
        let deadline = Duration::from_secs(self.settings.timeout_secs);
        let exchange = async {
            let mut url = Url::parse(url).map_err(|_| Refused::NoHost)?;
            for _ in 0..=self.settings.max_redirects {
                let address = self.checked_address(&url).await?;
                let client = self.client(&url, address)?;
                let mut request = client
                    .post(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
                for (name, value) in headers {
                    request = request.header(*name, value.as_str());
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| Refused::Connection(e.to_string()))?;
                let status = response.status().as_u16();
                if matches!(status, 307 | 308) {
                    let location = response
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .ok_or(Refused::BadRedirect)?;
                    url = url.join(location).map_err(|_| Refused::BadRedirect)?;
                    continue;
                }
                return Ok(Answer {
                    status,
                    body: first_bytes(response, keep).await,
                });
            }
            Err(Refused::Redirects(self.settings.max_redirects))
        };
        match tokio::time::timeout(deadline, exchange).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Refused::Timeout(deadline)),
        }
    }

    async fn follow(&self, url: &str, accept: &[&str]) -> Result<Fetched, Refused> {
        let mut url = Url::parse(url).map_err(|_| Refused::NoHost)?;
        for _ in 0..=self.settings.max_redirects {
            let address = self.checked_address(&url).await?;
            let response = self.request(&url, address, accept).await?;
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or(Refused::BadRedirect)?;
                url = url.join(location).map_err(|_| Refused::BadRedirect)?;
                continue;
            }
            if !status.is_success() {
                return Err(Refused::Status(status.as_u16()));
            }
            return self.read(url, response, accept).await;
        }
        Err(Refused::Redirects(self.settings.max_redirects))
    }

    /// Where to connect for `url`: its first address, once every address it resolves to has
    /// passed the rule (an allowed host's need not).
    async fn checked_address(&self, url: &Url) -> Result<SocketAddr, Refused> {
        let allowed = self.allowed(url);
        if self.only_allowed && !allowed {
            return Err(Refused::NotListed(
                url.host_str().unwrap_or_default().to_string(),
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" if allowed => {}
            _ => return Err(Refused::Scheme),
        }
        let host = url.host().ok_or(Refused::NoHost)?;
        let port = url.port_or_known_default().ok_or(Refused::NoHost)?;
        let addresses: Vec<SocketAddr> = match host {
            url::Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
            url::Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
            url::Host::Domain(name) => tokio::net::lookup_host((name, port))
                .await
                .map_err(|_| Refused::Unresolved(name.to_string()))?
                .collect(),
        };
        let first = *addresses
            .first()
            .ok_or_else(|| Refused::Unresolved(url.host_str().unwrap_or_default().to_string()))?;
        if !allowed {
            if let Some(bad) = addresses.iter().find(|a| !is_public(a.ip())) {
                return Err(Refused::Address(
                    url.host_str().unwrap_or_default().to_string(),
                    bad.ip(),
                ));
            }
        }
        Ok(first)
    }

    /// A client for requests to `address`, with the URL's host name pinned to it (kept for
    /// the next request to the same host at the same checked address).
    fn client(&self, url: &Url, address: SocketAddr) -> Result<reqwest::Client, Refused> {
        let key = (url.host_str().unwrap_or_default().to_string(), address);
        let mut kept = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = kept.get(&key) {
            return Ok(client.clone());
        }
        let client = self.new_client(url, address)?;
        if kept.len() >= KEPT_CLIENTS {
            kept.clear();
        }
        kept.insert(key, client.clone());
        Ok(client)
    }

    fn new_client(&self, url: &Url, address: SocketAddr) -> Result<reqwest::Client, Refused> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(self.settings.user_agent.as_str())
            .connect_timeout(Duration::from_secs(self.settings.timeout_secs))
            .no_proxy();
        if let Some(url::Host::Domain(name)) = url.host() {
            builder = builder.resolve(name, address);
        }
        builder
            .build()
            .map_err(|e| Refused::Connection(e.to_string()))
    }

    /// One GET to `address`, with the URL's host name pinned to it.
    async fn request(
        &self,
        url: &Url,
        address: SocketAddr,
        accept: &[&str],
    ) -> Result<reqwest::Response, Refused> {
        self.client(url, address)?
            .get(url.clone())
            .header(reqwest::header::ACCEPT, accept.join(", "))
            .send()
            .await
            .map_err(|e| Refused::Connection(e.to_string()))
    }

    async fn read(
        &self,
        url: Url,
        response: reqwest::Response,
        accept: &[&str],
    ) -> Result<Fetched, Refused> {
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !accept.iter().any(|a| content_type.starts_with(a)) {
            return Err(Refused::ContentType(content_type));
        }
        let limit = self.settings.max_bytes;
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(Refused::TooLarge(limit));
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Refused::Connection(e.to_string()))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(Refused::TooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            url,
            content_type,
            body,
        })
    }
}

/// At most `keep` bytes of an answer's body; the rest is not read.
async fn first_bytes(response: reqwest::Response, keep: usize) -> Vec<u8> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while body.len() < keep {
        match stream.next().await {
            Some(Ok(chunk)) => {
                let room = keep - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            _ => break,
        }
    }
    body
}

/// Whether an address is one on the public internet: not loopback, private, link-local,
/// unique-local, multicast, unspecified, shared (CGNAT), documentation, benchmarking or
/// reserved space, also when written as an IPv4-mapped, -compatible or NAT64 IPv6 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96) carry an IPv4 address.
    if segments[..6] == [0, 0, 0, 0, 0, 0] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        if segments[..6] == [0, 0, 0, 0, 0, 0] && (ip.is_unspecified() || ip.is_loopback()) {
            return false;
        }
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    let first = segments[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (first == 0x2001 && segments[1] == 0x0db8) // documentation
        || first == 0x0100 && segments[1..4] == [0, 0, 0]) // discard-only 100::/64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for refused in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "172.16.5.4",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ] {
            let ip: IpAddr = refused.parse().expect(refused);
            assert!(!is_public(ip), "{refused} passed as public");
        }
        for allowed in [
            "93.184.216.34",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:93.184.216.34",
            "64:ff9b::5db8:d822",
        ] {
            let ip: IpAddr = allowed.parse().expect(allowed);
            assert!(is_public(ip), "{allowed} refused");
        }
    }

    #[test]
    fn written_forms_of_loopback_parse_as_loopback() {
        // The URL parser reads decimal, octal and hex IPv4 forms as the address they mean,
        // so the rule sees 127.0.0.1 however it is written.
        for written in [
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
            "http://127.1/",
        ] {
            let url = Url::parse(written).expect(written);
            assert_eq!(
                url.host(),
                Some(url::Host::Ipv4(Ipv4Addr::LOCALHOST)),
                "{written}"
            );
        }
    }

    #[tokio::test]
    async fn a_client_limited_to_its_allowed_hosts_refuses_every_other_before_resolving_it() {
        let outbound = Outbound::new(OutboundSettings::default(), &["127.0.0.1:9999".into()])
            .only_allowed(true);
        for url in [
            "https://93.184.216.34/",
            "https://example.com/x",
            "http://127.0.0.1:9998/",
        ] {
            assert!(
                matches!(outbound.check(url).await, Err(Refused::NotListed(_))),
                "{url}"
            );
        }
        assert_eq!(outbound.check("http://127.0.0.1:9999/hook").await, Ok(()));
    }

    #[test]
    fn allowed_hosts_are_host_and_port() {
        let outbound = Outbound::new(
            OutboundSettings::default(),
            &[
                "127.0.0.1:9999".into(),
                "LocalHost:9998".into(),
                "[::1]:9997".into(),
            ],
        );
        for (url, allowed) in [
            ("http://127.0.0.1:9999/x", true),
            ("http://127.0.0.1:9998/x", false),
            ("http://localhost:9998/", true),
            ("http://[::1]:9997/", true),
            ("https://127.0.0.1/", false),
        ] {
            let url = Url::parse(url).expect("url");
            assert_eq!(outbound.allowed(&url), allowed, "{url}");
        }
    }
}
