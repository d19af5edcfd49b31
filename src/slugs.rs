//! The readable part of a public page's URL (`/t/12/why-does-my-build-fail`): derived from the
//! title every time, never stored and never trusted from a request (any other slug redirects
//! to this one).

/// The longest slug, in bytes; cut at a word boundary.
const MAX_LEN: usize = 60;

/// The slug of `title`: lowercase ASCII words joined by `-` (other scripts transliterated),
/// at most 60 bytes; `fallback` when nothing is left.
pub fn of(title: &str, fallback: &str) -> String {
    let full = slug::slugify(title);
    let mut cut = full.as_str();
    if cut.len() > MAX_LEN {
        cut = &cut[..MAX_LEN];
        if let Some(boundary) = cut.rfind('-') {
            cut = &cut[..boundary];
        }
    }
    if cut.is_empty() {
        fallback.to_string()
    } else {
        cut.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_become_lowercase_words() {
        assert_eq!(
            of("Why does `cargo build` fail?", "t"),
            "why-does-cargo-build-fail"
        );
        assert_eq!(of("  C++ & Rust: FFI  ", "t"), "c-rust-ffi");
        assert_eq!(of("Zürich Rust-Treffen", "t"), "zurich-rust-treffen");
    }

    #[test]
    fn long_titles_are_cut_between_words_and_empty_ones_fall_back() {
        let long = of(&"word ".repeat(40), "t");
        assert!(long.len() <= MAX_LEN, "{long}");
        assert!(long.ends_with("word"), "{long}");
        assert_eq!(of("!!! ???", "topic"), "topic");
        assert_eq!(of(&"a".repeat(80), "t").len(), MAX_LEN);
    }
}
