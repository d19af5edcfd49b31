//! Layered configuration and its environment overrides.

use std::collections::HashMap;

use devforum::config::{EmailTransport, Environment, SearchEngineKind, Settings, SmtpTls};
use secrecy::ExposeSecret;

use crate::helpers::config_dir;

fn load(vars: &[(&str, &str)]) -> Result<Settings, devforum::config::ConfigError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::load_from(&config_dir(), &vars)
}

#[test]
fn development_is_the_default_and_needs_nothing_else() {
    let settings = load(&[]).expect("defaults load");
    assert_eq!(settings.environment, Environment::Development);
    assert_eq!(settings.search.engine, SearchEngineKind::Postgres);
    assert_eq!(settings.email.transport, EmailTransport::File);
    assert_eq!(settings.server.json_limit, 1024 * 1024);
}

#[test]
fn the_environment_file_layers_over_the_defaults() {
    let settings = load(&[("DEVFORUM_ENV", "test")]).expect("test settings");
    assert_eq!(settings.environment, Environment::Test);
    assert_eq!(settings.server.port, 0);
    assert_eq!(settings.email.transport, EmailTransport::Log);
}

#[test]
fn every_key_can_be_overridden_with_double_underscores() {
    let settings = load(&[
        ("DEVFORUM__SERVER__PORT", "9191"),
        ("DEVFORUM__SERVER__HOST", "0.0.0.0"),
        ("DEVFORUM__DATABASE__POOL_SIZE", "3"),
        ("DEVFORUM__EMAIL__TRANSPORT", "smtp"),
        ("DEVFORUM__EMAIL__SMTP__HOST", "mail.internal"),
        ("DEVFORUM__EMAIL__SMTP__PORT", "587"),
        ("DEVFORUM__EMAIL__SMTP__TLS", "starttls"),
        ("DEVFORUM__EMAIL__SMTP__PASSWORD", "12345"),
        ("DEVFORUM__SEARCH__ENGINE", "meilisearch"),
        ("DEVFORUM__SEARCH__MEILISEARCH__URL", "http://meili:7700"),
        ("DEVFORUM__AUTH__JWT_SECRET", "from-the-environment"),
        ("DEVFORUM__WEB__BASE_URL", "https://forum.example"),
        ("DEVFORUM__WORKER__ENABLED", "false"),
        (
            "DEVFORUM__SERVER__CORS_ALLOWED_ORIGINS",
            "https://a.example,https://b.example",
        ),
    ])
    .expect("overrides load");
    assert_eq!(settings.server.port, 9191);
    assert_eq!(settings.server.host, "0.0.0.0");
    assert_eq!(settings.database.pool_size, 3);
    assert_eq!(settings.email.transport, EmailTransport::Smtp);
    assert_eq!(settings.email.smtp.host, "mail.internal");
    assert_eq!(settings.email.smtp.port, 587);
    assert_eq!(settings.email.smtp.tls, SmtpTls::Starttls);
    assert_eq!(settings.email.smtp.password.expose_secret(), "12345");
    assert_eq!(settings.search.engine, SearchEngineKind::Meilisearch);
    assert_eq!(settings.search.meilisearch.url, "http://meili:7700");
    assert_eq!(
        settings.auth.jwt_secret.expose_secret(),
        "from-the-environment"
    );
    assert_eq!(settings.web.base_url, "https://forum.example");
    assert!(!settings.worker.enabled);
    assert_eq!(
        settings.server.cors_allowed_origins,
        vec!["https://a.example", "https://b.example"]
    );
}

#[test]
fn database_url_sets_the_database_and_the_prefixed_variable_wins() {
    let settings = load(&[("DATABASE_URL", "postgres://a@h/one")]).expect("load");
    assert_eq!(settings.database.url.expose_secret(), "postgres://a@h/one");
    let settings = load(&[
        ("DATABASE_URL", "postgres://a@h/one"),
        ("DEVFORUM__DATABASE__URL", "postgres://b@h/two"),
    ])
    .expect("load");
    assert_eq!(settings.database.url.expose_secret(), "postgres://b@h/two");
}

#[test]
fn invalid_values_are_refused_with_the_key_named() {
    let error = load(&[("DEVFORUM__EMAIL__TRANSPORT", "pigeon")])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("transport"), "{error}");
    assert!(load(&[("DEVFORUM_ENV", "staging")]).is_err());
    assert!(load(&[("DEVFORUM__DATABASE__POOL_SIZE", "0")]).is_err());
    let error = load(&[("DEVFORUM__EMAIL__BOUNCES__SOFT_LIMIT", "0")])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("email.bounces.soft_limit"), "{error}");
    assert!(load(&[("DEVFORUM__EMAIL__BOUNCES__SOURCE", "pop3")]).is_err());
    assert!(load(&[("DEVFORUM__EMAIL__DKIM__ALGORITHM", "dsa")]).is_err());
}

#[test]
fn production_refuses_the_default_or_a_missing_secret_and_names_the_key() {
    for secret in [
        None,
        Some(""),
        Some("insecure-development-secret-change-me"),
        Some("too-short"),
    ] {
        let mut vars = vec![("DEVFORUM_ENV", "production")];
        if let Some(secret) = secret {
            vars.push(("DEVFORUM__AUTH__JWT_SECRET", secret));
        }
        let error = load(&vars).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            error.contains("DEVFORUM__AUTH__JWT_SECRET"),
            "{secret:?}: {error}"
        );
    }
    let settings = load(&[
        ("DEVFORUM_ENV", "production"),
        (
            "DEVFORUM__AUTH__JWT_SECRET",
            "a-real-secret-of-forty-characters-0123456",
        ),
    ])
    .expect("a real secret is accepted");
    assert_eq!(settings.environment, Environment::Production);
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let settings = load(&[
        ("DEVFORUM__AUTH__JWT_SECRET", "jwt-sekrit-value"),
        ("DEVFORUM__EMAIL__SMTP__PASSWORD", "smtp-sekrit-value"),
        ("DEVFORUM__EMAIL__DKIM__KEY", "dkim-sekrit-value"),
        (
            "DEVFORUM__EMAIL__BOUNCES__IMAP__PASSWORD",
            "imap-sekrit-value",
        ),
        ("DATABASE_URL", "postgres://u:db-sekrit-value@h/db"),
    ])
    .expect("load");
    let printed = format!("{settings:?}");
    for secret in [
        "jwt-sekrit-value",
        "smtp-sekrit-value",
        "dkim-sekrit-value",
        "imap-sekrit-value",
        "db-sekrit-value",
    ] {
        assert!(!printed.contains(secret), "{secret} leaked: {printed}");
    }
}

#[test]
fn sign_in_providers_come_from_the_file_and_their_secrets_from_the_environment() {
    use devforum::config::ProviderKind;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("providers-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a config folder");
    std::fs::copy(config_dir().join("default.toml"), dir.join("default.toml")).expect("copy");
    std::fs::write(
        dir.join("test.toml"),
        r#"
[[auth.providers]]
id = "gitlab"
name = "GitLab"
kind = "oidc"
issuer = "https://gitlab.example"
client_id = "devforum"
client_secret = "from-the-file"

[[auth.providers]]
id = "github"
name = "GitHub"
kind = "github"
client_id = "Iv1.abc"
"#,
    )
    .expect("write");
    let vars: HashMap<String, String> = [
        ("DEVFORUM_ENV", "test"),
        (
            "DEVFORUM_PROVIDER_GITHUB_CLIENT_SECRET",
            "from-the-environment",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let settings = Settings::load_from(&dir, &vars).expect("providers load");
    let providers = &settings.auth.providers;
    assert_eq!(providers.len(), 2);
    assert_eq!(
        (providers[0].id.as_str(), providers[0].kind),
        ("gitlab", ProviderKind::Oidc)
    );
    assert_eq!(providers[0].client_secret.expose_secret(), "from-the-file");
    assert_eq!(providers[1].kind, ProviderKind::Github);
    assert_eq!(
        providers[1].client_secret.expose_secret(),
        "from-the-environment"
    );
    assert_eq!(providers[1].api_url, "https://api.github.com");

    // An OpenID Connect provider without an issuer does not start.
    std::fs::write(
        dir.join("test.toml"),
        "[[auth.providers]]\nid = \"sso\"\nname = \"SSO\"\nkind = \"oidc\"\nclient_id = \"x\"\n",
    )
    .expect("write");
    let error = Settings::load_from(&dir, &vars).expect_err("refused");
    assert!(error.to_string().contains("needs an issuer"), "{error}");
    std::fs::remove_dir_all(&dir).ok();
}
