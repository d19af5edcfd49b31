//! Escaping text for HTML: what markdown builds itself (highlighted code, cards, excerpts).

/// Appends `text` escaped for HTML text and attribute values: the one escaper of the HTML
/// this module builds itself (highlighted code, cards, excerpts).
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
}

/// [`escape_into`] a new string.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}
