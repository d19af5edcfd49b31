//! Delivery through lettre: SMTP (plain, STARTTLS or TLS, optional credentials), `.eml`
//! files in a folder, or the log.

use std::time::Duration;

use anyhow::Context;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::OutgoingEmail;
use crate::config::{EmailSettings, EmailTransport, SmtpTls};

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
    Log,
}

impl Mailer {
    pub fn from_settings(settings: &EmailSettings) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .from
            .parse()
            .with_context(|| format!("email.from {:?} is not a mailbox", settings.from))?;
        let transport = match settings.transport {
            EmailTransport::Smtp => Transport::Smtp(smtp_transport(settings)?),
            EmailTransport::File => {
                std::fs::create_dir_all(&settings.file_dir).with_context(|| {
                    format!("creating email.file_dir {}", settings.file_dir.display())
                })?;
                Transport::File(AsyncFileTransport::new(&settings.file_dir))
            }
            EmailTransport::Log => Transport::Log,
        };
        Ok(Mailer { from, transport })
    }

    pub async fn send(&self, email: &OutgoingEmail) -> anyhow::Result<()> {
        let to: Mailbox = email
            .to
            .parse()
            .with_context(|| format!("bad recipient {:?}", email.to))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject);
        if let Some(url) = &email.list_unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_string(),
                ));
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .context("building the message")?;
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
