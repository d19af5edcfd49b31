//! Layered configuration: `config/default.toml`, then `config/<DEVFORUM_ENV>.toml`, then
//! `DATABASE_URL`, then `DEVFORUM__<SECTION>__<KEY>` environment variables.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The secret shipped in `config/default.toml`; production refuses to run with it.
pub const DEFAULT_JWT_SECRET: &str = "insecure-development-secret-change-me";
/// Shortest JWT secret accepted in production (HS256 wants at least 256 bits).
pub const MIN_PRODUCTION_SECRET_LEN: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Test => "test",
            Environment::Production => "production",
        }
    }
}

impl std::str::FromStr for Environment {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(Environment::Development),
            "test" => Ok(Environment::Test),
            "production" | "prod" => Ok(Environment::Production),
            other => Err(ConfigError::Invalid(format!(
                "DEVFORUM_ENV must be development, test or production, not {other:?}"
            ))),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not load configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(skip, default = "default_environment")]
    pub environment: Environment,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub email: EmailSettings,
    pub search: SearchSettings,
    pub auth: AuthSettings,
    pub web: WebSettings,
    pub worker: WorkerSettings,
    pub rate_limits: RateLimitSettings,
    pub moderation: ModerationSettings,
    pub trust: TrustSettings,
    pub notifications: NotificationSettings,
    pub mentorship: MentorshipSettings,
    pub meetups: MeetupSettings,
    pub uploads: UploadSettings,
    pub outbound: OutboundSettings,
    pub onebox: OneboxSettings,
    pub webhooks: WebhookSettings,
    pub stats: StatsSettings,
    pub log: LogSettings,
}

/// The community health dashboard (`stats`): how often its daily rollups are brought up to
/// date.
#[derive(Debug, Clone, Deserialize)]
pub struct StatsSettings {
    /// How often the rollup recomputes today and the days still settling (0: never on its
    /// own; `devforum stats rollup` does it by hand).
    pub rollup_every_secs: u64,
}

/// Webhooks (`webhooks`): how deliveries are sent, retried and kept.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    /// One delivery attempt, redirects included.
    pub timeout_secs: u64,
    /// The waits before the second, third… attempt; the last repeats.
    pub retry_delays_secs: Vec<u64>,
    /// A delivery not made within this long of its event is given up.
    pub give_up_after_secs: u64,
    /// A hook whose deliveries failed without a success for this long is turned off.
    pub disable_after_failing_secs: u64,
    /// Hooks delivered to at once by one worker (each hook one delivery at a time).
    pub concurrency: usize,
    /// Deliveries (and their events) are kept this many days.
    pub keep_days: u32,
    /// How often the old ones are pruned (0: never on its own).
    pub prune_every_secs: u64,
    /// How much of a receiver's answer the delivery log keeps.
    pub response_bytes: usize,
    /// `host:port` entries exempt from the address rule (tests, intranets); also plain `http`.
    /// From the environment: `DEVFORUM__WEBHOOKS__ALLOW_HOSTS=127.0.0.1:9999`.
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// Only `allow_hosts` may be targets: nothing else is resolved or reached (an intranet's
    /// policy; the API fuzzing run, which must send nothing beyond loopback).
    #[serde(default)]
    pub only_allow_hosts: bool,
}

/// The one outbound HTTP client (`outbound`): link previews, webhooks.
#[derive(Debug, Clone, Deserialize)]
pub struct OutboundSettings {
    /// Sent with every request, so site owners know who fetched.
    pub user_agent: String,
    /// The whole fetch, redirects included.
    pub timeout_secs: u64,
    /// An answer longer than this is refused.
    pub max_bytes: u64,
    pub max_redirects: usize,
}

impl Default for OutboundSettings {
    fn default() -> Self {
        OutboundSettings {
            user_agent: "devforum-link-preview/1 (+https://github.com/devforum)".into(),
            timeout_secs: 5,
            max_bytes: 1024 * 1024,
            max_redirects: 3,
        }
    }
}

/// Link previews: a link alone on its line becomes a card once its page is fetched.
#[derive(Debug, Clone, Deserialize)]
pub struct OneboxSettings {
    pub enabled: bool,
    /// `host:port` entries exempt from the address rule, and reachable over plain `http`
    /// (tests, intranets). `DEVFORUM__ONEBOX__ALLOW_HOSTS=a:1,b:2`.
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// A card older than this is fetched again when a post names its URL.
    pub refresh_secs: u64,
    /// GitHub's REST API, for the state and author of issues and pull requests and the lines
    /// of file links; when it cannot be reached the card is the page's own.
    pub github_api: String,
    /// Hosts (with `:port` unless 443) whose links are read as GitHub's (tests name a
    /// stand-in on loopback).
    pub github_hosts: Vec<String>,
}

/// Where uploads are kept (`uploads::storage`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    Filesystem,
    S3,
}

/// How `/files/...` hands a file out.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ServeMode {
    /// devforum reads the object and answers it (ranges, `ETag`, `304`).
    Proxy,
    /// A redirect to a short-lived pre-signed URL of the S3 store.
    Redirect,
}

/// Screenshots, avatars and attachments (`uploads`).
#[derive(Debug, Clone, Deserialize)]
pub struct UploadSettings {
    pub backend: StorageBackend,
    /// The filesystem backend's folder (objects sharded by hash below it).
    pub dir: PathBuf,
    pub serve: ServeMode,
    /// How long a pre-signed URL of the redirect mode works.
    pub presigned_url_secs: u64,
    pub max_image_bytes: u64,
    pub max_attachment_bytes: u64,
    /// An image wider × higher than this is refused before it is decoded.
    pub max_pixels: u64,
    /// Memory one image's decode may take.
    pub max_decode_bytes: u64,
    /// Types accepted besides images, as attachments (by the extension their bytes say).
    pub attachment_types: Vec<String>,
    /// An upload no post or avatar uses is removed this many hours after it arrived.
    pub unused_after_hours: u32,
    /// How often the sweep of unused uploads runs (0: never on its own).
    pub sweep_every_secs: u64,
    /// Seconds a serving process remembers whether a file may be shown (0: asks every time).
    pub serve_cache_secs: u64,
    /// Images decoded at once; 0 means one per core.
    pub processing_concurrency: usize,
    pub s3: S3Settings,
    pub daily: UploadQuotas,
}

/// An S3-compatible object store.
#[derive(Debug, Clone, Deserialize)]
pub struct S3Settings {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`.
    pub path_style: bool,
}

/// What each trust level may upload per day.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct UploadQuotas {
    pub new: UploadQuota,
    pub basic: UploadQuota,
    pub member: UploadQuota,
    pub regular: UploadQuota,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct UploadQuota {
    /// Uploads in the last 24 hours.
    pub count: u32,
    /// Bytes stored in the last 24 hours, in MiB.
    pub megabytes: u64,
    /// Whether files other than images are allowed.
    pub attachments: bool,
}

/// Meetups over time (`meetups::service::reminders`).
#[derive(Debug, Clone, Deserialize)]
pub struct MeetupSettings {
    /// Members going are reminded this many hours before the start.
    pub reminder_before_hours: u32,
    /// How often the periodic reminder task runs (0: never on its own).
    pub reminders_every_secs: u64,
    /// How often recurring meetups are topped up with occurrences ahead (0: never on its own).
    pub series_every_secs: u64,
}

/// Mentorship requests over time (`mentorship::service::timers`).
#[derive(Debug, Clone, Deserialize)]
pub struct MentorshipSettings {
    /// A request nobody answered expires after this many days.
    pub request_ttl_days: u32,
    /// Its mentor is reminded once, this many days after it arrived.
    pub reminder_after_days: u32,
    /// An accepted mentorship's two sides are asked, once, after this many days whether it
    /// goes on.
    pub check_in_after_days: u32,
    /// How often the periodic sweep runs (0: never on its own).
    pub sweep_every_secs: u64,
}

fn default_environment() -> Environment {
    Environment::Development
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub json_limit: usize,
    pub cors_allowed_origins: Vec<String>,
    pub shutdown_timeout_secs: u64,
    pub workers: usize,
    /// Addresses of the load balancers in front (nginx): from these peers the client's
    /// address is read from `X-Forwarded-For`; from anyone else the header is ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub pool_size: u32,
    pub connection_timeout_secs: u64,
    pub migrate_on_start: bool,
    /// A streaming replica for reads that tolerate a little staleness (`reads`); none by
    /// default. `DEVFORUM__DATABASE__REPLICA_URL` sets it.
    #[serde(default)]
    pub replica_url: Option<SecretString>,
    /// A replica further behind than this many seconds is left alone until it catches up.
    #[serde(default = "default_replica_max_lag_secs")]
    pub replica_max_lag_secs: u64,
    /// Connections that reads whose cost grows with the data (searches, staff queues) may
    /// hold at once (`slow_reads`; 0: half the cores; at most half the pool, at least one).
    #[serde(default = "default_slow_reads")]
    pub slow_reads: u32,
    /// How long a slow read waits for its share before answering `503 busy`.
    #[serde(default = "default_slow_read_wait_ms")]
    pub slow_read_wait_ms: u64,
    /// A slow read's statements are cancelled after this long (`503 query_timeout`).
    #[serde(default = "default_slow_statement_timeout_ms")]
    pub slow_statement_timeout_ms: u64,
}

fn default_slow_reads() -> u32 {
    0
}

fn default_slow_read_wait_ms() -> u64 {
    250
}

fn default_slow_statement_timeout_ms() -> u64 {
    5000
}

fn default_replica_max_lag_secs() -> u64 {
    5
}

impl DatabaseSettings {
    pub fn connection_timeout(&self) -> Duration {
        Duration::from_secs(self.connection_timeout_secs.max(1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailTransport {
    Smtp,
    File,
    Log,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    pub transport: EmailTransport,
    pub from: String,
    pub file_dir: PathBuf,
    pub smtp: SmtpSettings,
    /// The domain of every `Message-ID` (and of the threading ids); empty: `from`'s domain.
    pub message_id_domain: String,
    pub dkim: DkimSettings,
    pub bounces: BounceSettings,
}

/// DKIM signing (`email::dkim`): on when `selector` is set.
#[derive(Debug, Clone, Deserialize)]
pub struct DkimSettings {
    /// The DNS selector (`<selector>._domainkey.<domain>`); empty: mail is not signed.
    pub selector: String,
    /// The signing domain (`d=`); empty: `from`'s domain.
    pub domain: String,
    pub algorithm: DkimAlgorithm,
    /// The private key: PKCS#1 PEM for RSA, base64 of the 32-byte seed for Ed25519, as
    /// `devforum dkim-keygen` writes them. From `key` (DEVFORUM__EMAIL__DKIM__KEY) or else
    /// `key_file`.
    pub key: SecretString,
    pub key_file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DkimAlgorithm {
    Rsa,
    Ed25519,
}

/// Bounces (`email::bounces`): where they are sent and read, and when an address counts as
/// undeliverable.
#[derive(Debug, Clone, Deserialize)]
pub struct BounceSettings {
    /// The return path: mail is sent with the envelope sender `<local>+<token>@<domain>`
    /// made from this address, so a bounce names its recipient. Empty: the `from` address is
    /// the envelope sender and bounces are not tracked.
    pub address: String,
    /// Where bounces are read: `none`, `imap` or `maildir`.
    pub source: BounceSource,
    /// How often the mailbox is read (0: never on its own).
    pub poll_every_secs: u64,
    /// Soft bounces (4.x.x) that make an address undeliverable within `soft_window_days`.
    pub soft_limit: u32,
    pub soft_window_days: u32,
    /// A Maildir (its `new/` is read and each message moved to `cur/`).
    pub maildir: PathBuf,
    pub imap: ImapSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BounceSource {
    None,
    Imap,
    Maildir,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    /// Implicit TLS (993); false: plain (only for a server on loopback).
    pub tls: bool,
    pub username: String,
    pub password: SecretString,
    pub folder: String,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: SecretString,
    pub tls: SmtpTls,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchEngineKind {
    Postgres,
    Meilisearch,
}

impl SearchEngineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchEngineKind::Postgres => "postgres",
            SearchEngineKind::Meilisearch => "meilisearch",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SearchSettings {
    pub engine: SearchEngineKind,
    pub meilisearch: MeilisearchSettings,
    /// Groups of words that mean the same ("js javascript"), checked at load.
    pub synonyms: Vec<String>,
}

impl SearchSettings {
    /// The synonym groups as lists of words.
    pub fn synonym_groups(&self) -> Vec<Vec<String>> {
        self.synonyms
            .iter()
            .map(|group| group.split_whitespace().map(str::to_string).collect())
            .collect()
    }
}

/// A synonym group: two or more distinct words of lowercase letters and digits.
pub fn check_synonym_group(group: &str) -> Result<(), String> {
    let words: Vec<&str> = group.split_whitespace().collect();
    if words.len() < 2 {
        return Err(format!("{group:?} needs at least two words"));
    }
    for word in &words {
        let valid = (1..=40).contains(&word.len())
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !valid {
            return Err(format!(
                "{word:?} in {group:?} must be 1-40 lowercase letters or digits"
            ));
        }
    }
    let mut distinct = words.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != words.len() {
        return Err(format!("{group:?} repeats a word"));
    }
    Ok(())
}

#[derive(Debug, Clone, Deserialize)]
pub struct MeilisearchSettings {
    pub url: String,
    pub api_key: SecretString,
    /// The uid of the index holding every kind of document.
    pub index: String,
    /// The longest any call to Meilisearch may take before it counts as down.
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub jwt_secret: SecretString,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_days: u64,
    /// A refresh token presented again this many seconds after its rotation gets the same
    /// successor (two tabs refreshing at once); later, reuse revokes the login.
    pub refresh_reuse_grace_secs: u64,
    /// Consecutive failed logins an account may have before each further try must wait.
    pub login_failures_before_delay: i32,
    /// The longest such wait.
    pub login_max_delay_secs: u64,
    /// Password hashes computed at once (0: one per core); the rest wait their turn.
    pub hashing_concurrency: usize,
    /// A deleted account's username cannot be registered again for this many days.
    pub username_reserved_days: u32,
    /// Staff (moderators, admins) without a second factor are refused on `/mod` and `/admin`
    /// (`403 second_factor_required`).
    #[serde(default)]
    pub require_second_factor_for_staff: bool,
    /// How often sign-ins, codes, second steps and passkey ceremonies past their time are
    /// deleted (they never work once expired; this keeps their tables small); 0: never.
    #[serde(default = "forget_expired_every_secs")]
    pub forget_expired_every_secs: u64,
    /// Sign-in providers (`[[auth.providers]]`), in the order the sign-in page shows them.
    #[serde(default)]
    pub providers: Vec<ProviderSettings>,
}

/// How a sign-in provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Any OpenID Connect issuer (GitLab, Keycloak, Authentik, Google, a company's SSO),
    /// found through its discovery document.
    Oidc,
    /// GitHub: OAuth 2.0 with its REST user and emails endpoints.
    Github,
}

/// One sign-in provider the operator configured.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderSettings {
    /// In URLs (`/auth/oauth/{id}/start`): lower-case letters, digits and `-`.
    pub id: String,
    /// On the sign-in button.
    pub name: String,
    pub kind: ProviderKind,
    /// `oidc`: the issuer URL; `{issuer}/.well-known/openid-configuration` says the rest.
    #[serde(default)]
    pub issuer: Option<String>,
    pub client_id: String,
    /// Set from the environment as `DEVFORUM_PROVIDER_<ID>_CLIENT_SECRET` (the id upper-cased,
    /// `-` as `_`), which wins over the file; a file may hold it only outside production.
    #[serde(default = "empty_secret")]
    pub client_secret: SecretString,
    /// Scopes asked for; empty: `openid email profile` (oidc), `read:user user:email` (github).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// `github`: where GitHub answers, for GitHub Enterprise or a test stand-in.
    #[serde(default = "github_authorize_url")]
    pub authorize_url: String,
    #[serde(default = "github_token_url")]
    pub token_url: String,
    #[serde(default = "github_api_url")]
    pub api_url: String,
}

impl ProviderSettings {
    /// The environment variable that holds this provider's client secret.
    pub fn secret_variable(&self) -> String {
        format!(
            "DEVFORUM_PROVIDER_{}_CLIENT_SECRET",
            self.id.to_ascii_uppercase().replace('-', "_")
        )
    }

    /// The scopes asked for (the kind's defaults when none are configured).
    pub fn scopes(&self) -> Vec<String> {
        if !self.scopes.is_empty() {
            return self.scopes.clone();
        }
        let defaults: &[&str] = match self.kind {
            ProviderKind::Oidc => &["openid", "email", "profile"],
            ProviderKind::Github => &["read:user", "user:email"],
        };
        defaults.iter().map(|s| s.to_string()).collect()
    }
}

fn forget_expired_every_secs() -> u64 {
    3600
}

fn empty_secret() -> SecretString {
    SecretString::from(String::new())
}

fn github_authorize_url() -> String {
    "https://github.com/login/oauth/authorize".into()
}

fn github_token_url() -> String {
    "https://github.com/login/oauth/access_token".into()
}

fn github_api_url() -> String {
    "https://api.github.com".into()
}

/// What a provider list must be: ids unique and fit for a URL, a name, a client id, an issuer
/// for OpenID Connect (an `http` one only on loopback) and none for GitHub, and (in
/// production) a client secret.
pub fn check_providers(providers: &[ProviderSettings], production: bool) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for p in providers {
        let id = &p.id;
        let id_ok = !id.is_empty()
            && id.len() <= 32
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(format!(
                "provider id {id:?}: 1-32 lower-case letters, digits or '-'"
            ));
        }
        if !seen.insert(id.as_str()) {
            return Err(format!("provider id {id:?} is configured twice"));
        }
        if p.name.trim().is_empty() || p.client_id.trim().is_empty() {
            return Err(format!("provider {id:?} needs a name and a client_id"));
        }
        match (p.kind, p.issuer.as_deref()) {
            (ProviderKind::Oidc, None) => {
                return Err(format!("provider {id:?} (oidc) needs an issuer"))
            }
            (ProviderKind::Oidc, Some(issuer)) => check_provider_url(id, issuer)?,
            (ProviderKind::Github, Some(_)) => {
                return Err(format!(
                    "provider {id:?} (github) takes no issuer: GitHub has no discovery"
                ))
            }
            (ProviderKind::Github, None) => {
                for url in [&p.authorize_url, &p.token_url, &p.api_url] {
                    check_provider_url(id, url)?;
                }
            }
        }
        if production && p.client_secret.expose_secret().is_empty() {
            return Err(format!(
                "provider {id:?} has no client secret: set {}",
                p.secret_variable()
            ));
        }
    }
    Ok(())
}

/// A provider's address: `https`, or `http` on loopback only (a provider on this machine).
fn check_provider_url(id: &str, raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw).map_err(|e| format!("provider {id:?}: {raw:?}: {e}"))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "provider {id:?}: {raw:?} must be https (http only on loopback)"
        )),
    }
}

/// Where rate-limit buckets are kept (`rate_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateLimitStore {
    /// Shared by every process through the database (the default).
    Postgres,
    /// Each process its own: right for exactly one API process.
    Memory,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    pub store: RateLimitStore,
    pub login_per_minute: u32,
    pub register_per_hour: u32,
    pub password_reset_per_hour: u32,
    /// Verification mail asked for again, per client IP.
    pub verification_resend_per_hour: u32,
    /// Verification links checked (`POST /auth/verify-email`), per client IP and hour.
    pub verify_email_per_hour: u32,
    /// The same, per address: past it the answer stays 202 and no mail goes.
    pub verification_resend_per_address_per_hour: u32,
    pub refresh_per_minute: u32,
    /// `POST /auth/oauth/{provider}/start`, its callback, and `POST /auth/oauth/exchange`,
    /// each per client IP.
    pub oauth_per_minute: u32,
    /// Answers at the login's second step, TOTP set-up and passkey ceremonies, per client IP.
    pub second_factor_per_minute: u32,
    /// Per account.
    pub threads_per_hour: u32,
    pub replies_per_hour: u32,
    pub mentorship_requests_per_day: u32,
    pub meetups_per_day: u32,
    /// Markdown previews while composing.
    pub previews_per_minute: u32,
    /// Archives of one's data asked for.
    pub exports_per_day: u32,
    /// Requests made with one API token.
    pub api_token_requests_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebSettings {
    pub base_url: String,
    /// The built web client (`npm run build` in `web/`), served at `/`; without an
    /// `index.html` there, the server answers the API alone.
    pub dist_dir: PathBuf,
    /// Thread pages rendered for visitors, kept by ETag (`site::cache`); 0: none.
    pub page_cache_mb: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ModerationSettings {
    /// Open reports weighing this much in all (by their reporters' trust levels) hide a post
    /// or meetup pending review; 0: never.
    pub auto_hide_reports: u32,
    /// How long a moderator's claim on a report holds.
    pub claim_minutes: u32,
}

/// Graduated trust (`trust`): the thresholds of each level, what `new` accounts may do, and
/// how much reports weigh by their reporter's level.
#[derive(Debug, Clone, Deserialize)]
pub struct TrustSettings {
    /// How often every member's level is recomputed (0: only on events).
    pub recompute_every_secs: u64,
    /// A moderation action against a member within this many days holds them below `member`.
    pub clean_days: u32,
    pub basic: LevelThresholds,
    pub member: LevelThresholds,
    pub regular: LevelThresholds,
    pub new_limits: NewAccountLimits,
    pub report_weight: ReportWeights,
}

/// What a level needs: all of it.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct LevelThresholds {
    /// Days since the account was made.
    pub days: u32,
    /// Threads and replies written (and still shown).
    pub posts: u32,
    /// Replies by others in the member's threads.
    pub replies_received: u32,
    /// The member's replies chosen as a thread's solution (and still shown).
    #[serde(default)]
    pub solutions: u32,
}

/// What a `new` account may do.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct NewAccountLimits {
    pub threads_per_day: u32,
    pub replies_per_day: u32,
    /// Private conversations a `new` account may start in a day.
    pub conversations_per_day: u32,
    pub links_per_post: u32,
    /// Whether images (always on other sites) may be embedded.
    pub images: bool,
    /// Seats a meetup may have (0: no limit).
    pub meetup_seats: u32,
}

/// How much one open report weighs towards the automatic hide, by the reporter's level.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct ReportWeights {
    pub new: u32,
    pub basic: u32,
    pub member: u32,
    pub regular: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NotificationSettings {
    /// How long mail for a member who is away waits: it is dropped if they read the
    /// notification or come back meanwhile.
    pub mail_wait_secs: u64,
    /// Notification mails one member gets in 24 hours at most (digests aside).
    pub daily_mail_cap: i64,
    /// How often the digest run looks for members whose digest is due.
    pub digest_interval_secs: u64,
    /// How long an unsubscribe link in a mail works.
    pub unsubscribe_ttl_days: u64,
    /// A member's visits are written at most this often (per process); "away" is exact to
    /// within it.
    pub last_seen_every_secs: u64,
}

impl NotificationSettings {
    pub fn mail_wait(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.mail_wait_secs).unwrap_or(i64::MAX / 1000))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct WorkerSettings {
    pub enabled: bool,
    pub concurrency: usize,
    pub poll_interval_ms: u64,
    pub retry_base_ms: u64,
    pub max_backoff_secs: u64,
    pub max_attempts: i32,
    pub lease_secs: u64,
    /// How often each worker looks for periodic tasks whose period has no job yet.
    pub schedule_tick_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

impl Settings {
    /// Loads settings from `config/` (or `DEVFORUM_CONFIG_DIR`) and the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        let dir = vars
            .get("DEVFORUM_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        Self::load_from(&dir, &vars)
    }

    /// Loads settings from `dir`, taking environment variables from `vars` rather than the
    /// process, so tests can exercise overrides without touching global state.
    /// The shipped configuration of the `test` environment, for unit tests.
    #[cfg(test)]
    pub fn load_for_tests() -> Self {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
        let vars = HashMap::from([("DEVFORUM_ENV".to_string(), "test".to_string())]);
        Self::load_from(&dir, &vars).unwrap_or_else(|error| panic!("test settings: {error}"))
    }

    pub fn load_from(dir: &Path, vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let environment: Environment = vars
            .get("DEVFORUM_ENV")
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(Environment::Development);

        let mut builder = config::Config::builder()
            .add_source(config::File::from(dir.join("default.toml")).required(true))
            .add_source(
                config::File::from(dir.join(format!("{}.toml", environment.as_str())))
                    .required(false),
            );
        if !vars.contains_key("DEVFORUM__DATABASE__URL") {
            builder =
                builder.set_override_option("database.url", vars.get("DATABASE_URL").cloned())?;
        }
        let env_source = config::Environment::with_prefix("DEVFORUM")
            .prefix_separator("__")
            .separator("__")
            .list_separator(",")
            .with_list_parse_key("server.cors_allowed_origins")
            .with_list_parse_key("server.trusted_proxies")
            .with_list_parse_key("search.synonyms")
            .with_list_parse_key("uploads.attachment_types")
            .with_list_parse_key("onebox.allow_hosts")
            .with_list_parse_key("webhooks.allow_hosts")
            .with_list_parse_key("onebox.github_hosts")
            .try_parsing(true)
            .source(Some(vars.clone()));
        let mut settings: Settings = builder.add_source(env_source).build()?.try_deserialize()?;
        settings.environment = environment;
        for provider in &mut settings.auth.providers {
            if let Some(secret) = vars.get(&provider.secret_variable()) {
                provider.client_secret = SecretString::from(secret.clone());
            }
        }
        settings.check()?;
        Ok(settings)
    }

    /// Rules a configuration must satisfy before anything starts.
    fn check(&self) -> Result<(), ConfigError> {
        if self.environment == Environment::Production {
            check_production_secret(self.auth.jwt_secret.expose_secret())?;
        }
        if self.database.pool_size == 0 {
            return Err(ConfigError::Invalid(
                "database.pool_size must be at least 1".into(),
            ));
        }
        if self.worker.concurrency == 0 {
            return Err(ConfigError::Invalid(
                "worker.concurrency must be at least 1".into(),
            ));
        }
        if self.auth.access_token_ttl_secs == 0 || self.auth.access_token_ttl_secs > 900 {
            return Err(ConfigError::Invalid(
                "auth.access_token_ttl_secs must be between 1 and 900 (15 minutes)".into(),
            ));
        }
        check_providers(
            &self.auth.providers,
            self.environment == Environment::Production,
        )
        .map_err(|e| ConfigError::Invalid(format!("auth.providers: {e}")))?;
        for group in &self.search.synonyms {
            check_synonym_group(group)
                .map_err(|e| ConfigError::Invalid(format!("search.synonyms: {e}")))?;
        }
        if self.email.bounces.soft_limit == 0 || self.email.bounces.soft_window_days == 0 {
            return Err(ConfigError::Invalid(
                "email.bounces.soft_limit and soft_window_days must be at least 1".into(),
            ));
        }
        if self.uploads.serve == ServeMode::Redirect && self.uploads.backend != StorageBackend::S3 {
            return Err(ConfigError::Invalid(
                "uploads.serve = \"redirect\" needs uploads.backend = \"s3\"".into(),
            ));
        }
        if self.worker.max_attempts < 1 {
            return Err(ConfigError::Invalid(
                "worker.max_attempts must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Production must sign tokens with a real secret: never the shipped default, never a short one.
pub fn check_production_secret(secret: &str) -> Result<(), ConfigError> {
    let secret = secret.trim();
    if secret.is_empty() || secret == DEFAULT_JWT_SECRET {
        return Err(ConfigError::Invalid(
            "auth.jwt_secret is missing or still the development default: \
             set DEVFORUM__AUTH__JWT_SECRET to a random string of at least 32 characters"
                .into(),
        ));
    }
    if secret.len() < MIN_PRODUCTION_SECRET_LEN {
        return Err(ConfigError::Invalid(format!(
            "auth.jwt_secret is too short ({} characters): set DEVFORUM__AUTH__JWT_SECRET \
             to a random string of at least {MIN_PRODUCTION_SECRET_LEN} characters",
            secret.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(id: &str, kind: ProviderKind, issuer: Option<&str>) -> ProviderSettings {
        ProviderSettings {
            id: id.into(),
            name: "A provider".into(),
            kind,
            issuer: issuer.map(str::to_string),
            client_id: "devforum".into(),
            client_secret: SecretString::from("s3cret".to_string()),
            scopes: vec![],
            authorize_url: github_authorize_url(),
            token_url: github_token_url(),
            api_url: github_api_url(),
        }
    }

    #[test]
    fn providers_need_fit_ids_an_issuer_for_oidc_and_https_off_loopback() {
        let gitlab = provider("gitlab", ProviderKind::Oidc, Some("https://gitlab.com"));
        let github = provider("github", ProviderKind::Github, None);
        let local = provider("dev-sso", ProviderKind::Oidc, Some("http://127.0.0.1:9000"));
        assert_eq!(
            check_providers(&[gitlab.clone(), github.clone(), local], true),
            Ok(())
        );
        let refused = |p: ProviderSettings| check_providers(&[p], false).is_err();
        assert!(refused(provider(
            "GitLab",
            ProviderKind::Oidc,
            Some("https://gitlab.com")
        )));
        assert!(refused(provider("", ProviderKind::Github, None)));
        assert!(refused(provider(
            &"a".repeat(33),
            ProviderKind::Github,
            None
        )));
        assert!(refused(provider("sso", ProviderKind::Oidc, None)));
        assert!(refused(provider(
            "sso",
            ProviderKind::Oidc,
            Some("http://sso.example")
        )));
        assert!(refused(provider(
            "sso",
            ProviderKind::Oidc,
            Some("not a url")
        )));
        assert!(refused(provider(
            "gh",
            ProviderKind::Github,
            Some("https://github.com")
        )));
        let mut plain_api = github.clone();
        plain_api.api_url = "http://api.github.com".into();
        assert!(refused(plain_api));
        assert!(
            check_providers(&[github.clone(), github.clone()], false).is_err(),
            "an id twice"
        );
        let mut no_secret = gitlab;
        no_secret.client_secret = empty_secret();
        assert!(check_providers(std::slice::from_ref(&no_secret), false).is_ok());
        let error = check_providers(&[no_secret], true).expect_err("production needs it");
        assert!(
            error.contains("DEVFORUM_PROVIDER_GITLAB_CLIENT_SECRET"),
            "{error}"
        );
    }

    #[test]
    fn a_provider_s_scopes_default_by_kind() {
        let oidc = provider("sso", ProviderKind::Oidc, Some("https://sso.example"));
        assert_eq!(oidc.scopes(), ["openid", "email", "profile"]);
        let mut github = provider("github", ProviderKind::Github, None);
        assert_eq!(github.scopes(), ["read:user", "user:email"]);
        github.scopes = vec!["read:user".into()];
        assert_eq!(github.scopes(), ["read:user"]);
        let dashed = provider("my-sso", ProviderKind::Github, None);
        assert_eq!(
            dashed.secret_variable(),
            "DEVFORUM_PROVIDER_MY_SSO_CLIENT_SECRET"
        );
    }

    #[test]
    fn production_rejects_default_empty_and_short_secrets() {
        assert!(check_production_secret(DEFAULT_JWT_SECRET).is_err());
        assert!(check_production_secret("  ").is_err());
        assert!(check_production_secret("short").is_err());
        assert!(check_production_secret(&"x".repeat(40)).is_ok());
    }

    #[test]
    fn synonym_groups_are_words_of_letters_and_digits() {
        assert!(check_synonym_group("k8s kubernetes").is_ok());
        assert!(check_synonym_group("pg postgres postgresql").is_ok());
        assert!(check_synonym_group("js").is_err());
        assert!(check_synonym_group("c++ cpp").is_err());
        assert!(check_synonym_group("JS javascript").is_err());
        assert!(check_synonym_group("js js").is_err());
    }

    #[test]
    fn environment_names_parse() {
        assert_eq!(
            "production".parse::<Environment>().ok(),
            Some(Environment::Production)
        );
        assert_eq!("TEST".parse::<Environment>().ok(), Some(Environment::Test));
        assert!("staging".parse::<Environment>().is_err());
    }
}
