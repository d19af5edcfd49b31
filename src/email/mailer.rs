//! Delivery through lettre, signed with DKIM when configured: SMTP (plain, STARTTLS or TLS,
//! optional credentials), `.eml` files (with their envelope in `.json`) in a folder, or the
//! log.

use std::time::Duration;

use anyhow::Context;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;

use super::compose::Identity;
use super::dkim::Signer;
use super::message::OutgoingEmail;
use super::verp::VerpKeys;
use crate::config::{EmailSettings, EmailTransport, Settings, SmtpTls};
use crate::ids::UserId;

pub struct Mailer {
    identity: Identity,
    signer: Option<Signer>,
    transport: Transport,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
    Log,
}

impl Mailer {
    /// The mailer `[email]` describes. A malformed DKIM key or bounce address is an error
    /// here, so the server refuses to start rather than send mail that fails checks.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let email = &settings.email;
        let identity = Identity::from_settings(email, VerpKeys::from_settings(settings)?)?;
        let signer = Signer::from_settings(email)?;
        let transport = match email.transport {
            EmailTransport::Smtp => Transport::Smtp(smtp_transport(email)?),
            EmailTransport::File => {
                std::fs::create_dir_all(&email.file_dir).with_context(|| {
                    format!("creating email.file_dir {}", email.file_dir.display())
                })?;
                // Each `<id>.eml` has its envelope beside it in `<id>.json`: the return path a
                // bounce would go to is part of what a developer reads.
                Transport::File(AsyncFileTransport::with_envelope(&email.file_dir))
            }
            EmailTransport::Log => Transport::Log,
        };
        Ok(Mailer {
            identity,
            signer,
            transport,
        })
    }

    /// Sends `email`; `member` is the member whose address it goes to, if any (their
    /// return path then names them).
    pub async fn send(&self, email: &OutgoingEmail, member: Option<UserId>) -> anyhow::Result<()> {
        let mut message = self.identity.message(email, member)?;
        if let Some(signer) = &self.signer {
            signer.sign(&mut message);
        }
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.context("SMTP delivery failed")?;
            }
            Transport::File(file) => {
                file.send(message)
                    .await
                    .context("writing the message file")?;
            }
            Transport::Log => {
                tracing::info!(to = %email.to, subject = %email.subject, text = %email.text, "email (log transport)");
            }
        }
        Ok(())
    }
}

fn smtp_transport(settings: &EmailSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let smtp = &settings.smtp;
    let mut builder = match smtp.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
            .context("configuring STARTTLS")?,
        SmtpTls::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).context("configuring TLS")?
        }
    }
    .port(smtp.port)
    .timeout(Some(Duration::from_secs(smtp.timeout_secs.max(1))));
    if !smtp.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            smtp.username.clone(),
            smtp.password.expose_secret().to_string(),
        ));
    }
    Ok(builder.build())
}
