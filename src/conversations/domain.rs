//! What a conversation is made of, parsed once: whom it is with, its subject and a message's
//! body.

use crate::error::ApiError;
use crate::validation::{self, Validator};

/// A conversation has 2 to 11 members: its author and 1 to 10 others.
pub const MAX_OTHERS: usize = 10;
/// Characters of a message's Markdown.
pub const MAX_BODY: usize = 20_000;
/// Characters of a subject.
pub const MAX_SUBJECT: usize = 200;

/// A conversation to start, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConversation {
    /// The other members' usernames, each once (compared without case), as sent.
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

pub fn parse_subject(raw: &str) -> Result<String, String> {
    validation::text(raw, 1, MAX_SUBJECT, false)
}

pub fn parse_body(raw: &str) -> Result<String, String> {
    validation::text(raw, 1, MAX_BODY, true)
}

/// 1 to 10 usernames, none twice; the author's own is refused by the service, which knows it.
pub fn parse_recipients(raw: &[String]) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::with_capacity(raw.len());
    for name in raw {
        let name = name.trim();
        if name.is_empty() {
            return Err("must not contain an empty username".to_string());
        }
        // No username holds a control character (nor could the database compare a NUL).
        if name.chars().any(char::is_control) || name.chars().count() > 64 {
            return Err(format!("{name:?} is not a username"));
        }
        if !names.iter().any(|seen| seen.eq_ignore_ascii_case(name)) {
            names.push(name.to_string());
        }
    }
    match names.len() {
        0 => Err("must name at least one member".to_string()),
        n if n > MAX_OTHERS => Err(format!("may name at most {MAX_OTHERS} members")),
        _ => Ok(names),
    }
}

pub fn parse_new_conversation(
    to: Option<&[String]>,
    subject: Option<&str>,
    body: Option<&str>,
) -> Result<NewConversation, ApiError> {
    let mut v = Validator::new();
    let to = match to {
        Some(to) => v.check("to", parse_recipients(to)),
        None => {
            v.add("to", "is required".to_string());
            None
        }
    };
    let subject = v.require("subject", subject, parse_subject);
    let body = v.require("body", body, parse_body);
    v.finish()?;
    Ok(NewConversation {
        to: validation::validated(to)?,
        subject: validation::validated(subject)?,
        body: validation::validated(body)?,
    })
}

pub fn parse_message_body(body: Option<&str>) -> Result<String, ApiError> {
    let mut v = Validator::new();
    let body = v.require("body", body, parse_body);
    v.finish()?;
    validation::validated(body)
}

/// The first message of the conversation an accepted mentorship request opens: the mentee's
/// request, as they wrote it.
pub fn mentorship_opening(message: &str, goals: &str) -> String {
    let goals = goals.trim();
    if goals.is_empty() {
        message.trim().to_string()
    } else {
        format!("{}\n\n**Goals**\n\n{goals}", message.trim())
    }
}

/// The key that makes one conversation per mentor and mentee.
pub fn mentorship_pair(mentor: crate::ids::UserId, mentee: crate::ids::UserId) -> String {
    format!("{}:{}", mentor.get(), mentee.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(raw: &[&str]) -> Vec<String> {
        raw.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recipients_are_one_to_ten_distinct_names() {
        assert_eq!(
            parse_recipients(&names(&["ada", "Ada", " grace "])).unwrap(),
            names(&["ada", "grace"])
        );
        assert!(parse_recipients(&[]).is_err());
        assert!(parse_recipients(&names(&["ada", " "])).is_err());
        assert!(parse_recipients(&names(&["a\u{0}da"])).is_err());
        assert!(parse_recipients(&names(&[&"a".repeat(65)])).is_err());
        let eleven: Vec<String> = (0..11).map(|i| format!("member{i}")).collect();
        assert!(parse_recipients(&eleven).is_err());
        assert!(parse_recipients(&eleven[..10]).is_ok());
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let error = parse_new_conversation(None, Some(" "), None).unwrap_err();
        let ApiError::Validation(fields) = error else {
            panic!("expected a validation error");
        };
        assert_eq!(
            fields.keys().cloned().collect::<Vec<_>>(),
            vec!["body", "subject", "to"]
        );
        let ok = parse_new_conversation(Some(&names(&["ada"])), Some("Hi"), Some("Hello")).unwrap();
        assert_eq!(ok.subject, "Hi");
        assert!(parse_message_body(Some(&"x".repeat(MAX_BODY + 1))).is_err());
    }

    #[test]
    fn a_mentorship_opens_with_the_request_and_its_goals() {
        assert_eq!(mentorship_opening("Hi!", ""), "Hi!");
        assert_eq!(
            mentorship_opening("Hi!", "Learn Rust"),
            "Hi!\n\n**Goals**\n\nLearn Rust"
        );
        assert_eq!(
            mentorship_pair(crate::ids::UserId(3), crate::ids::UserId(9)),
            "3:9"
        );
    }
}
