//! Decisions about linked identities, as plain functions.

/// The username a new account from a provider is offered: the provider's name for the member
/// with what a username may not hold dropped, cut to 32 characters, and padded when short.
/// The member confirms or changes it on the client; `candidates` makes it unique.
pub fn suggested_username(hint: Option<&str>, email: Option<&str>) -> String {
    let from_email = email.and_then(|e| e.split('@').next());
    let raw = hint
        .filter(|h| h.chars().any(|c| c.is_ascii_alphanumeric()))
        .or(from_email)
        .unwrap_or("member");
    let mut name: String = raw
        .chars()
        .map(|c| if c == '.' || c == ' ' { '_' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(32)
        .collect();
    if name.is_empty() {
        name = "member".into();
    }
    while name.chars().count() < 3 {
        name.push('_');
    }
    name
}

/// `base`, then `base` with a number, for the first one nobody has: at most 32 characters each.
pub fn candidates(base: &str) -> impl Iterator<Item = String> + '_ {
    std::iter::once(base.to_string()).chain((2..).map(move |n: u32| {
        let suffix = n.to_string();
        let keep = 32 - suffix.len();
        let stem: String = base.chars().take(keep).collect();
        format!("{stem}{suffix}")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Username;

    #[test]
    fn a_suggestion_is_always_a_valid_username() {
        for (hint, email, want) in [
            (Some("octocat"), None, "octocat"),
            (Some("Ada Lovelace"), None, "Ada_Lovelace"),
            (Some("a"), None, "a__"),
            (Some("日本"), Some("taro.yamada@example.com"), "taro_yamada"),
            (None, None, "member"),
            (Some("x".repeat(40).as_str()), None, &"x".repeat(32)),
        ] {
            let name = suggested_username(hint, email);
            assert_eq!(name, want);
            assert!(Username::parse(&name).is_ok(), "{name}");
        }
    }

    #[test]
    fn candidates_stay_within_32_characters() {
        let base = "y".repeat(32);
        let mut all = candidates(&base);
        assert_eq!(all.next().unwrap(), base);
        let second = all.next().unwrap();
        assert_eq!(second, format!("{}2", "y".repeat(31)));
        assert!(candidates("ada").take(200).all(|c| c.len() <= 32));
    }
}
