//! Tag names, shared by thread tags, member skills, mentor skills and meetup tags.

use std::fmt;

/// Lowercase `[a-z0-9-]`, 1–32 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TagName(String);

impl TagName {
    pub const MAX_CHARS: usize = 32;

    /// A tag to filter by, as a person types it in a search box or a URL: a leading `#`
    /// dropped and ASCII letters lower-cased (`#Rust` finds `rust`), then as strict as
    /// [`TagName::parse`] (the pattern of [`TagFilterSchema`]).
    pub fn parse_filter(raw: &str) -> Result<Self, String> {
        let typed = raw.strip_prefix('#').unwrap_or(raw);
        Self::parse(&typed.to_ascii_lowercase()).map_err(|_| {
            format!(
                "{raw:?} is not a tag: letters, digits and '-', 1 to {} characters",
                Self::MAX_CHARS
            )
        })
    }

    /// Strict: what the contract allows, nothing rewritten.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.len() > Self::MAX_CHARS {
            return Err(format!(
                "{raw:?} must be 1 to {} characters long",
                Self::MAX_CHARS
            ));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!(
                "{raw:?} may contain only lowercase letters, digits and '-'"
            ));
        }
        Ok(TagName(raw.to_string()))
    }

    /// Lenient: trims, lower-cases and turns inner spaces into '-' first ("Rust Async" →
    /// "rust-async"), for free-form lists such as skills.
    pub fn normalise(raw: &str) -> Result<Self, String> {
        let folded: String = raw
            .trim()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-");
        Self::parse(&folded)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for TagName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The OpenAPI schema of a tag to filter by ([`TagName::parse_filter`]).
pub struct TagFilterSchema;

impl utoipa::PartialSchema for TagFilterSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^#?[A-Za-z0-9-]{1,32}$"))
            .description(Some(
                "A tag name; a leading `#` and capital letters are accepted (`#Rust` is `rust`).",
            ))
            .into()
    }
}

impl utoipa::ToSchema for TagFilterSchema {}

/// The OpenAPI schema of a tag name.
pub struct TagNameSchema;

impl utoipa::PartialSchema for TagNameSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[a-z0-9-]{1,32}$"))
            .min_length(Some(1))
            .max_length(Some(TagName::MAX_CHARS))
            .into()
    }
}

impl utoipa::ToSchema for TagNameSchema {}

/// Parses a list with `parse_one`, dropping duplicates (first occurrence wins) and bounding its
/// length; every bad entry is reported.
pub fn parse_list(
    raw: &[String],
    max: usize,
    parse_one: fn(&str) -> Result<TagName, String>,
) -> Result<Vec<TagName>, Vec<String>> {
    if raw.len() > max {
        return Err(vec![format!("at most {max} entries are allowed")]);
    }
    let mut errors = Vec::new();
    let mut tags: Vec<TagName> = Vec::new();
    for entry in raw {
        match parse_one(entry) {
            Ok(tag) if !tags.contains(&tag) => tags.push(tag),
            Ok(_) => {}
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(tags)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_tag_names() {
        assert!(TagName::parse("rust-async2").is_ok());
        for bad in [
            "",
            "Rust",
            "has space",
            "émoji",
            &"a".repeat(33),
            "under_score",
        ] {
            assert!(TagName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn normalised_tag_names() {
        assert_eq!(
            TagName::normalise("  Rust  Async ").map(|t| t.into_string()),
            Ok("rust-async".into())
        );
        assert!(TagName::normalise("c++").is_err());
    }

    #[test]
    fn lists_drop_duplicates_and_report_every_bad_entry() {
        let raw = vec!["rust".to_string(), "Rust".to_string(), "go".to_string()];
        assert_eq!(
            parse_list(&raw, 5, TagName::normalise).map(|t| t.len()),
            Ok(2)
        );
        let bad = vec![
            "ok".to_string(),
            "no way!".to_string(),
            "bad_one".to_string(),
        ];
        assert_eq!(
            parse_list(&bad, 5, TagName::normalise)
                .err()
                .map(|e| e.len()),
            Some(2)
        );
        assert_eq!(
            TagName::parse_filter("#Rust").map(TagName::into_string),
            Ok("rust".into())
        );
        assert_eq!(
            TagName::parse_filter("Web-3").map(TagName::into_string),
            Ok("web-3".into())
        );
        for bad in ["no way!", " rust", "##rust", "", "#"] {
            assert!(TagName::parse_filter(bad).is_err(), "{bad:?}");
        }
        let many: Vec<String> = (0..6).map(|i| format!("t{i}")).collect();
        assert!(parse_list(&many, 5, TagName::parse).is_err());
    }
}
