//! A rendered message becomes a MIME message with the headers receivers judge it by:
//! `Message-ID` and `Date` on everything, `Auto-Submitted` (RFC 3834) because all of it is
//! automated, `List-Id` (RFC 2919) and one-click unsubscribe (RFC 8058) on mail a member
//! subscribed to, `Precedence: bulk` on digests, `In-Reply-To`/`References` so mail about
//! one thread is one conversation, and a VERP envelope sender so a bounce names its member.

use anyhow::Context;
use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};

use super::message::OutgoingEmail;
use super::verp::VerpKeys;
use crate::config::EmailSettings;
use crate::ids::UserId;

/// Who devforum's mail is from, and how its ids and return paths are made.
pub struct Identity {
    from: Mailbox,
    /// The domain of `Message-ID`s and threading ids.
    domain: String,
    /// `List-Id` of notification mail and digests.
    list_id: String,
    bounces: Option<VerpKeys>,
}

impl Identity {
    pub fn from_settings(
        settings: &EmailSettings,
        bounces: Option<VerpKeys>,
    ) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .from
            .parse()
            .with_context(|| format!("email.from {:?} is not a mailbox", settings.from))?;
        let domain = match settings.message_id_domain.trim() {
            "" => from.email.domain().to_ascii_lowercase(),
            domain => domain.to_ascii_lowercase(),
        };
        anyhow::ensure!(
            !domain.is_empty()
                && domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "email.message_id_domain {domain:?} is not a domain name"
        );
        let list_id = format!(
            "{} notifications <notifications.{domain}>",
            list_name(&from)
        );
        Ok(Identity {
            from,
            domain,
            list_id,
            bounces,
        })
    }

    pub fn bounces(&self) -> Option<&VerpKeys> {
        self.bounces.as_ref()
    }

    /// The id mail about `conversation` (`thread-42`) replies to: stable, so every message
    /// about one thread is threaded under it.
    pub fn conversation_id(&self, conversation: &str) -> String {
        format!("<{conversation}@{}>", self.domain)
    }

    /// The MIME message for `email`, to `member` when the address is a member's.
    pub fn message(
        &self,
        email: &OutgoingEmail,
        member: Option<UserId>,
    ) -> anyhow::Result<Message> {
        let to: Mailbox = email
            .to
            .parse()
            .with_context(|| format!("bad recipient {:?}", email.to))?;
        let id = email.message_id.unwrap_or_else(uuid::Uuid::new_v4);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to.clone())
            .raw_header(subject(&email.subject)?)
            .message_id(Some(format!("<{}@{}>", id.simple(), self.domain)))
            .envelope(self.envelope(&to.email, member)?)
            .raw_header(header("Auto-Submitted", "auto-generated"))
            // Outlook and Exchange: no out-of-office or auto-replies to automated mail.
            .raw_header(header("X-Auto-Response-Suppress", "All"));
        if let Some(conversation) = &email.conversation {
            let parent = self.conversation_id(conversation);
            builder = builder.in_reply_to(parent.clone()).references(parent);
        }
        if email.category.is_list_mail() {
            builder = builder.raw_header(header("List-Id", &self.list_id));
        }
        if email.category.is_bulk() {
            builder = builder.raw_header(header("Precedence", "bulk"));
        }
        if let Some(url) = &email.list_unsubscribe {
            builder = builder
                .raw_header(header("List-Unsubscribe", &format!("<{url}>")))
                .raw_header(header(
                    "List-Unsubscribe-Post",
                    "List-Unsubscribe=One-Click",
                ));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .context("building the message")
    }

    /// The SMTP envelope: to the recipient, from the member's VERP return path (or the plain
    /// bounce address for mail to no member) when bounces are tracked, else from `from`.
    fn envelope(&self, to: &Address, member: Option<UserId>) -> anyhow::Result<Envelope> {
        let sender = match (&self.bounces, member) {
            (Some(keys), Some(member)) => keys.return_path(member, to.as_ref()).parse()?,
            (Some(keys), None) => keys.base().parse()?,
            (None, _) => self.from.email.clone(),
        };
        Ok(Envelope::new(Some(sender), vec![to.clone()])?)
    }
}

fn header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_string())
}

/// The `Subject` header. Member-written text reaches subjects (thread titles, names):
/// - a line break there would start a header of its own, so every control character becomes
///   a space; lettre then encodes non-ASCII words (RFC 2047) and folds long lines;
/// - an ASCII word that looks like an encoded word (`=?utf-8?b?…?=`) would pass through as it
///   is and be decoded by the reader's mail client into text the title rules forbid (a line
///   break, a phishing line), so a subject holding `=?` is encoded whole: it then reads
///   exactly as it was written.
fn subject(text: &str) -> anyhow::Result<HeaderValue> {
    let name = HeaderName::new_from_ascii_str("Subject");
    let text = one_line(text);
    if !text.contains("=?") {
        return Ok(HeaderValue::new(name, text));
    }
    let mut encoded = String::new();
    {
        let mut writer = email_encoding::headers::writer::EmailWriter::new(
            &mut encoded,
            "Subject: ".len(),
            0,
            false,
        );
        email_encoding::headers::rfc2047::encode(&text, &mut writer)
            .context("encoding the subject")?;
    }
    Ok(HeaderValue::dangerous_new_pre_encoded(name, text, encoded))
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The `List-Id` phrase: the sender's name in plain ASCII, or `devforum`.
fn list_name(from: &Mailbox) -> String {
    let name: String = from
        .name
        .as_deref()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '-')
        .collect();
    match name.trim() {
        "" => "devforum".to_string(),
        name => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::{render, sample_context, Category, TEMPLATES};

    fn settings() -> EmailSettings {
        let mut settings = crate::config::Settings::load_for_tests().email;
        settings.from = "Dev Forum <no-reply@forum.example>".into();
        settings
    }

    fn parse(message: &Message) -> (String, Vec<u8>) {
        let bytes = message.formatted();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let head = text
            .split("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .to_string();
        (head, bytes)
    }

    #[test]
    fn every_template_gets_ids_a_date_and_both_parts() {
        let identity = Identity::from_settings(&settings(), None).unwrap();
        for template in TEMPLATES {
            let context = sample_context("Ada", "https://forum.example/x?token=1");
            let email = render(template, "ada@example.com", context).unwrap();
            let message = identity.message(&email, Some(UserId(1))).unwrap();
            let (head, bytes) = parse(&message);
            let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
            let id = parsed.message_id().unwrap();
            assert!(id.ends_with("@forum.example"), "{template}: {id}");
            assert!(parsed.date().is_some(), "{template}");
            assert!(
                head.contains("Auto-Submitted: auto-generated"),
                "{template}"
            );
            assert!(parsed.body_text(0).is_some() && parsed.body_html(0).is_some());
            let listed = email.category != Category::Account;
            assert_eq!(head.contains("List-Id:"), listed, "{template}");
            assert_eq!(
                head.contains("Precedence: bulk"),
                *template == "digest",
                "{template}"
            );
        }
    }

    #[test]
    fn a_retried_message_keeps_its_id() {
        let identity = Identity::from_settings(&settings(), None).unwrap();
        let email = render("verify_email", "a@example.com", sample_context("A", "l")).unwrap();
        let first = identity.message(&email, None).unwrap();
        let again = identity.message(&email, None).unwrap();
        assert_eq!(
            first.headers().get_raw("Message-ID"),
            again.headers().get_raw("Message-ID")
        );
    }

    #[test]
    fn mail_about_one_thread_is_one_conversation() {
        let identity = Identity::from_settings(&settings(), None).unwrap();
        let mut email = render("notification", "a@example.com", sample_context("A", "l")).unwrap();
        email.conversation = Some("thread-42".into());
        let message = identity.message(&email, None).unwrap();
        let headers = message.headers();
        assert_eq!(
            headers.get_raw("In-Reply-To"),
            Some("<thread-42@forum.example>")
        );
        assert_eq!(
            headers.get_raw("References"),
            Some("<thread-42@forum.example>")
        );
    }

    #[test]
    fn member_written_text_never_becomes_a_header() {
        let identity = Identity::from_settings(&settings(), None).unwrap();
        let hostile = "Hi\r\nBcc: victim@example.com\nX-Evil: 1\r\n\r\nbody";
        let long = "ü".repeat(300);
        for text in [hostile.to_string(), format!("{long} {hostile} {long}")] {
            let email = render(
                "notification",
                "a@example.com",
                sample_context(&text, "https://forum.example/t"),
            )
            .unwrap();
            let message = identity.message(&email, None).unwrap();
            let (head, bytes) = parse(&message);
            for line in head.split("\r\n") {
                assert!(
                    !line.starts_with("Bcc:") && !line.starts_with("X-Evil:"),
                    "{line}"
                );
                assert!(line.len() <= 998, "a header line of {} octets", line.len());
            }
            let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
            assert!(parsed.header_raw("X-Evil").is_none() && parsed.bcc().is_none());
            let subject = parsed.subject().unwrap();
            assert!(subject.contains("Bcc: victim@example.com"), "{subject}");
            assert!(!subject.contains('\n') && !subject.contains('\r'));
        }
    }

    #[test]
    fn an_encoded_word_in_member_text_reads_as_written() {
        let identity = Identity::from_settings(&settings(), None).unwrap();
        // "Click http://evil.example\r\nnow" in base64, as a member typed it into a title.
        let title = "Hi =?utf-8?b?Q2xpY2sgaHR0cDovL2V2aWwuZXhhbXBsZQ0Kbm93?= there";
        let mut email = render("verify_email", "a@example.com", sample_context("A", "l")).unwrap();
        for subject in [title.to_string(), format!("{} {title}", "ü".repeat(80))] {
            email.subject = subject.clone();
            let message = identity.message(&email, None).unwrap();
            let (head, bytes) = parse(&message);
            assert!(
                !head.contains("Q2xpY2sgaHR0cDovL2V2aWwuZXhhbXBsZQ0Kbm93?= there"),
                "{head}"
            );
            let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
            assert_eq!(parsed.subject(), Some(subject.as_str()));
        }
        // A subject without one keeps lettre's encoding: plain ASCII stays readable.
        email.subject = "Welcome to devforum".into();
        let (head, _) = parse(&identity.message(&email, None).unwrap());
        assert!(head.contains("Subject: Welcome to devforum\r\n"), "{head}");
    }

    #[test]
    fn the_envelope_sender_names_the_member_when_bounces_are_tracked() {
        let keys = VerpKeys::new("bounces@forum.example", &"k".to_string().into()).unwrap();
        let identity = Identity::from_settings(&settings(), Some(keys)).unwrap();
        let email = render("verify_email", "ada@example.com", sample_context("A", "l")).unwrap();
        let to_member = identity.message(&email, Some(UserId(7))).unwrap();
        let sender = to_member.envelope().from().unwrap().to_string();
        let (member, tag) = identity.bounces().unwrap().parse(&sender).unwrap();
        assert_eq!(member, UserId(7));
        assert!(identity
            .bounces()
            .unwrap()
            .verify(member, "ada@example.com", &tag));
        let to_nobody = identity.message(&email, None).unwrap();
        assert_eq!(
            to_nobody.envelope().from().unwrap().to_string(),
            "bounces@forum.example"
        );
        let untracked = Identity::from_settings(&settings(), None).unwrap();
        let plain = untracked.message(&email, Some(UserId(7))).unwrap();
        assert_eq!(
            plain.envelope().from().unwrap().to_string(),
            "no-reply@forum.example"
        );
    }
}
