//! Reading what came back to the bounce address (plain functions over the raw message): a
//! delivery status notification (RFC 3464: `multipart/report; report-type=delivery-status`)
//! says, per recipient, `Action` and `Status`; anything else there (auto-replies,
//! challenge-responses, spam) is not a bounce and is ignored.

use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// What one message in the bounce mailbox says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The message's own `Message-ID`, or a digest of its bytes: a report read twice
    /// counts once.
    pub id: String,
    /// The addresses it was delivered to, where a VERP return path names the member.
    pub delivered_to: Vec<String>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The message was not delivered: `5.x.x` is permanent (hard), `4.x.x` transient (soft).
    Bounce { status: String, hard: bool },
    /// Not a failure report: why, for the log.
    NotABounce(&'static str),
}

/// Reads one message from the bounce mailbox.
pub fn read(raw: &[u8]) -> Report {
    let id_of_bytes = || format!("sha256:{:x}", Sha256::digest(raw));
    let Some(message) = MessageParser::default().parse(raw) else {
        return Report {
            id: id_of_bytes(),
            delivered_to: Vec::new(),
            verdict: Verdict::NotABounce("not a message"),
        };
    };
    let id = message
        .message_id()
        .map(|id| id.to_string())
        .unwrap_or_else(id_of_bytes);
    let mut delivered_to = Vec::new();
    for name in ["Delivered-To", "X-Original-To", "Envelope-To", "To"] {
        for header in message.header_values(name) {
            match header {
                mail_parser::HeaderValue::Address(address) => delivered_to.extend(
                    address
                        .iter()
                        .filter_map(|a| a.address())
                        .map(str::to_string),
                ),
                mail_parser::HeaderValue::Text(text) => delivered_to.push(text.trim().to_string()),
                _ => {}
            }
        }
    }
    let is_report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct
                .attribute("report-type")
                .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
    });
    let status_part = message.parts.iter().find(|part| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("delivery-status"))
        })
    });
    let verdict = match (is_report, status_part) {
        (true, Some(part)) => verdict_of(&String::from_utf8_lossy(part.contents())),
        _ if message.header_raw("Auto-Submitted").is_some() => {
            Verdict::NotABounce("an automatic reply")
        }
        _ => Verdict::NotABounce("no delivery status"),
    };
    Report {
        id,
        delivered_to,
        verdict,
    }
}

/// The verdict of a `message/delivery-status` body: its first recipient whose `Action` is
/// `failed` or `delayed`, by that recipient's `Status`.
pub fn verdict_of(fields: &str) -> Verdict {
    // The body is one group of per-message fields, then one group per recipient, separated
    // by blank lines; field names are case-insensitive.
    let unfolded = fields
        .replace("\r\n", "\n")
        .replace("\n ", " ")
        .replace("\n\t", " ");
    for group in unfolded.split("\n\n") {
        let field = |name: &str| {
            group.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_ascii_lowercase())
            })
        };
        let (Some(action), Some(status)) = (field("Action"), field("Status")) else {
            continue;
        };
        // A status may carry a comment: "5.1.1 (bad destination mailbox)".
        let status = status
            .split(|c: char| c.is_whitespace() || c == '(')
            .next()
            .unwrap_or_default()
            .to_string();
        if !is_status(&status) {
            continue;
        }
        let failed = action == "failed" || action == "delayed";
        match (failed, status.as_bytes()[0]) {
            (true, b'5') => return Verdict::Bounce { status, hard: true },
            (true, b'4') => {
                return Verdict::Bounce {
                    status,
                    hard: false,
                }
            }
            _ => {}
        }
    }
    Verdict::NotABounce("no failed recipient")
}

/// `class.subject.detail` (RFC 3463), class 2, 4 or 5.
fn is_status(status: &str) -> bool {
    let parts: Vec<&str> = status.split('.').collect();
    parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..]
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HARD: &str = include_str!("../../../tests/fixtures/bounces/hard-5.1.1.eml");
    const SOFT: &str = include_str!("../../../tests/fixtures/bounces/soft-4.2.2.eml");
    const AUTO_REPLY: &str = include_str!("../../../tests/fixtures/bounces/auto-reply.eml");
    const TO: &str = "bounces+7-0011223344556677@forum.example";

    fn fill(fixture: &str, id: &str) -> Vec<u8> {
        fixture.replace("{to}", TO).replace("{id}", id).into_bytes()
    }

    #[test]
    fn a_permanent_failure_is_a_hard_bounce() {
        let report = read(&fill(HARD, "h1"));
        assert_eq!(report.id, "h1@mx.example.com");
        assert!(report.delivered_to.contains(&TO.to_string()));
        assert_eq!(
            report.verdict,
            Verdict::Bounce {
                status: "5.1.1".into(),
                hard: true
            }
        );
    }

    #[test]
    fn a_full_mailbox_is_a_soft_bounce() {
        assert_eq!(
            read(&fill(SOFT, "s1")).verdict,
            Verdict::Bounce {
                status: "4.2.2".into(),
                hard: false
            }
        );
    }

    #[test]
    fn auto_replies_successes_and_garbage_are_not_bounces() {
        assert_eq!(
            read(&fill(AUTO_REPLY, "r1")).verdict,
            Verdict::NotABounce("an automatic reply")
        );
        let delivered = String::from_utf8(fill(HARD, "d1"))
            .unwrap()
            .replace("Action: failed", "Action: delivered")
            .replace("Status: 5.1.1", "Status: 2.0.0");
        assert_eq!(
            read(delivered.as_bytes()).verdict,
            Verdict::NotABounce("no failed recipient")
        );
        let garbage = read(b"\xff\xfe not mail");
        assert!(matches!(garbage.verdict, Verdict::NotABounce(_)));
        assert!(garbage.id.starts_with("sha256:"));
    }

    #[test]
    fn status_fields_are_read_as_the_rfc_writes_them() {
        assert_eq!(
            verdict_of("Reporting-MTA: dns; x\n\nACTION: Failed\nstatus: 5.7.1 (refused)\n"),
            Verdict::Bounce {
                status: "5.7.1".into(),
                hard: true
            }
        );
        assert_eq!(
            verdict_of("Action: failed\nStatus: 9.9.9\n"),
            Verdict::NotABounce("no failed recipient")
        );
        assert_eq!(
            verdict_of("Action: failed\nStatus: 5.1\n"),
            Verdict::NotABounce("no failed recipient")
        );
    }
}
