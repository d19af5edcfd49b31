//! Fenced code highlighted on the server, once, when a post is rendered: syntect's grammars
//! (with two-face's extra ones: TOML, TypeScript, Dockerfile…) tokenise the code, and each
//! token gets one of a small fixed set of classes (`hl-keyword`, `hl-string`…) that the
//! client's light and dark themes colour. Classes, never inline styles, so the strict CSP
//! holds and the sanitiser can list every class it lets through. The code's text is never
//! changed: only wrapped in spans and escaped.

use std::sync::LazyLock;

use syntect::easy::ScopeRegionIterator;
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

use super::escape::escape_into;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);

/// A block longer than this (bytes or lines) is shown plain: highlighting is linear in the
/// code but costs about 50 µs a line of Rust (`bench/render.sh`), and nobody reads a
/// 2,000-line paste for colour.
pub const MAX_BLOCK_BYTES: usize = 16 * 1024;
pub const MAX_BLOCK_LINES: usize = 400;
/// What one post may highlight in all its blocks; later blocks are shown plain. This bounds
/// what highlighting can add to one write to about 30 ms.
pub const MAX_POST_BYTES: usize = 24 * 1024;

/// The languages highlighted: the name the `language-…` class carries, the token syntect
/// knows the grammar by, and what members may write after the fence (case-insensitive).
const LANGUAGES: &[(&str, &str, &[&str])] = &[
    ("rust", "rs", &["rust", "rs"]),
    ("typescript", "ts", &["typescript", "ts", "mts", "cts"]),
    ("tsx", "tsx", &["tsx"]),
    (
        "javascript",
        "js",
        &["javascript", "js", "jsx", "mjs", "cjs", "node"],
    ),
    ("python", "py", &["python", "py", "py3", "python3"]),
    ("go", "go", &["go", "golang"]),
    (
        "sql",
        "sql",
        &["sql", "postgres", "postgresql", "psql", "plpgsql"],
    ),
    (
        "shell",
        "sh",
        &[
            "shell",
            "sh",
            "bash",
            "zsh",
            "console",
            "shell-session",
            "terminal",
        ],
    ),
    ("toml", "toml", &["toml"]),
    ("yaml", "yaml", &["yaml", "yml"]),
    ("diff", "diff", &["diff", "patch"]),
    ("json", "json", &["json", "jsonc", "json5"]),
    ("html", "html", &["html", "htm", "svelte", "vue"]),
    ("xml", "xml", &["xml", "svg"]),
    ("css", "css", &["css", "scss"]),
    ("c", "c", &["c", "h"]),
    ("cpp", "cpp", &["cpp", "c++", "cc", "cxx", "hpp"]),
    ("java", "java", &["java"]),
    ("kotlin", "kt", &["kotlin", "kt", "kts"]),
    ("swift", "swift", &["swift"]),
    ("ruby", "rb", &["ruby", "rb"]),
    ("php", "php", &["php"]),
    ("csharp", "cs", &["csharp", "cs", "c#"]),
    ("dockerfile", "dockerfile", &["dockerfile", "docker"]),
    ("makefile", "makefile", &["makefile", "make", "mk"]),
    ("markdown", "md", &["markdown", "md"]),
    ("ini", "ini", &["ini", "cfg", "conf"]),
    ("lua", "lua", &["lua"]),
    ("haskell", "hs", &["haskell", "hs"]),
    ("elixir", "ex", &["elixir", "ex", "exs"]),
    ("nix", "nix", &["nix"]),
];

/// Every `language-…` class a highlighted block carries (the sanitiser's list).
pub fn language_classes() -> impl Iterator<Item = String> {
    LANGUAGES
        .iter()
        .map(|(name, ..)| format!("language-{name}"))
}

/// Grammar scopes to token classes, the most specific first; a token takes the class of the
/// innermost scope that one of these is a prefix of. What matches none stays plain.
const TOKEN_CLASSES: &[(&str, &str)] = &[
    ("comment", "hl-comment"),
    ("punctuation.definition.comment", "hl-comment"),
    ("constant.character.escape", "hl-escape"),
    ("string", "hl-string"),
    ("constant.numeric", "hl-number"),
    ("constant.language", "hl-constant"),
    ("variable.language", "hl-constant"),
    ("constant", "hl-constant"),
    ("keyword.operator", "hl-operator"),
    ("keyword", "hl-keyword"),
    ("storage", "hl-keyword"),
    ("entity.name.function", "hl-function"),
    ("support.function", "hl-function"),
    ("variable.function", "hl-function"),
    ("entity.name.tag", "hl-tag"),
    ("entity.other.attribute-name", "hl-attribute"),
    ("entity.name", "hl-type"),
    ("support.type", "hl-type"),
    ("support.class", "hl-type"),
    ("variable.parameter", "hl-variable"),
    ("markup.inserted", "hl-inserted"),
    ("markup.deleted", "hl-deleted"),
    ("meta.diff", "hl-meta"),
    ("markup.heading", "hl-meta"),
];

/// Every token class (the sanitiser's list, and the client's stylesheet's).
pub fn token_classes() -> impl Iterator<Item = &'static str> {
    let mut classes: Vec<&str> = TOKEN_CLASSES.iter().map(|(_, class)| *class).collect();
    classes.sort_unstable();
    classes.dedup();
    classes.into_iter()
}

static RULES: LazyLock<Vec<(Scope, &'static str)>> = LazyLock::new(|| {
    TOKEN_CLASSES
        .iter()
        .filter_map(|(scope, class)| Some((Scope::new(scope).ok()?, *class)))
        .collect()
});

/// Loads the grammars now rather than on the first post with code (tens of milliseconds).
pub fn warm() {
    LazyLock::force(&SYNTAXES);
    LazyLock::force(&RULES);
}

/// The language a fence names, if it is one highlighted: its class name and grammar. Only the
/// first word counts (```` ```rust,ignore ```` and ```` ```sh title ```` are Rust and shell).
pub fn language(info: &str) -> Option<(&'static str, &'static SyntaxReference)> {
    let word = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or("");
    if word.is_empty() || word.len() > 32 {
        return None;
    }
    let word = word.to_ascii_lowercase();
    let (name, token, _) = LANGUAGES
        .iter()
        .find(|(_, _, aliases)| aliases.contains(&word.as_str()))?;
    let syntax = SYNTAXES.find_syntax_by_token(token)?;
    Some((name, syntax))
}

/// A code block as HTML: `<pre><code class="language-…">` with its tokens in spans, or, past
/// the limits (`budget`: what the post may still highlight, reduced by this block), the same
/// element with the code plain.
pub fn block(
    name: &str,
    syntax: &SyntaxReference,
    code: &str,
    budget: &mut usize,
    out: &mut String,
) {
    out.push_str("<pre><code class=\"language-");
    out.push_str(name);
    out.push_str("\">");
    let within = code.len() <= MAX_BLOCK_BYTES
        && code.len() <= *budget
        && code.lines().count() <= MAX_BLOCK_LINES;
    if within {
        *budget -= code.len();
        tokens(syntax, code, out);
    } else {
        escape_into(out, code);
    }
    out.push_str("</code></pre>\n");
}

/// The code in spans of token classes; adjacent tokens of one class share a span. A grammar
/// that fails part-way leaves the rest plain.
fn tokens(syntax: &SyntaxReference, code: &str, out: &mut String) {
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut run = Run::default();
    'lines: for line in LinesWithEndings::from(code) {
        let Ok(ops) = state.parse_line(line, &SYNTAXES) else {
            break;
        };
        // Each region's operation applies before its text.
        for (text, op) in ScopeRegionIterator::new(&ops, line) {
            if stack.apply(op).is_err() {
                break 'lines;
            }
            if !text.is_empty() {
                run.push(class_of(&stack), text, out);
            }
        }
    }
    // What a failed grammar did not reach, as plain text.
    let written = run.finish(out);
    if written < code.len() {
        escape_into(out, &code[written..]);
    }
}

/// The class of the innermost scope a rule covers.
fn class_of(stack: &ScopeStack) -> Option<&'static str> {
    stack.as_slice().iter().rev().find_map(|scope| {
        RULES
            .iter()
            .find(|(rule, _)| rule.is_prefix_of(*scope))
            .map(|(_, class)| *class)
    })
}

/// Text of one class waiting for its span.
#[derive(Default)]
struct Run {
    class: Option<&'static str>,
    text: String,
    /// Bytes of the code written so far.
    written: usize,
}

impl Run {
    fn push(&mut self, class: Option<&'static str>, text: &str, out: &mut String) {
        if class != self.class {
            self.flush(out);
            self.class = class;
        }
        self.text.push_str(text);
    }

    fn flush(&mut self, out: &mut String) {
        if self.text.is_empty() {
            return;
        }
        match self.class {
            Some(class) => {
                out.push_str("<span class=\"");
                out.push_str(class);
                out.push_str("\">");
                escape_into(out, &self.text);
                out.push_str("</span>");
            }
            None => escape_into(out, &self.text),
        }
        self.written += self.text.len();
        self.text.clear();
    }

    fn finish(mut self, out: &mut String) -> usize {
        self.flush(out);
        self.written
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::markdown::render;

    /// One short program per language the issue names, as a member would paste it.
    const SAMPLES: &[(&str, &str)] = &[
        (
            "rust",
            "/// Adds.\nfn add(a: i32, b: i32) -> i32 {\n    let s = \"sum\"; // <&>\n    a + b * 2\n}\n",
        ),
        (
            "ts",
            "interface User { name: string }\nconst greet = (u: User): string => `hi ${u.name}`; // <&>\n",
        ),
        (
            "python",
            "def mean(xs: list[float]) -> float:\n    \"\"\"Average.\"\"\"\n    return sum(xs) / len(xs)  # <&>\n",
        ),
        (
            "go",
            "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\", 42) // <&>\n}\n",
        ),
        (
            "sql",
            "SELECT id, title FROM threads WHERE score > 10 AND title <> 'x' -- <&>\nORDER BY id;\n",
        ),
        (
            "sh",
            "#!/bin/sh\nset -eu\nfor f in *.rs; do echo \"$f\" && cargo fmt -- \"$f\"; done # <&>\n",
        ),
        (
            "toml",
            "[package]\nname = \"devforum\" # <&>\nversion = \"0.1.0\"\n\n[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\n",
        ),
        (
            "yml",
            "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest # <&>\n    steps:\n      - run: cargo test\n",
        ),
        (
            "diff",
            "--- a/src/main.rs\n+++ b/src/main.rs\n@@ -1,3 +1,3 @@\n fn main() {\n-    println!(\"old\");\n+    println!(\"new <&>\");\n }\n",
        ),
    ];

    fn fenced(language: &str, code: &str) -> String {
        format!("```{language}\n{code}```\n")
    }

    #[test]
    fn each_language_is_highlighted_with_classes_only() {
        for (language, code) in SAMPLES {
            let html = render(&fenced(language, code));
            insta::assert_snapshot!(format!("highlight_{language}"), html);
            assert!(html.contains("<span class=\"hl-"), "{language}: {html}");
            assert!(!html.contains("style="), "{language}: {html}");
            assert_eq!(code_text(&html), *code, "{language}");
        }
    }

    #[test]
    fn aliases_name_the_same_grammar_and_unknown_languages_stay_plain() {
        let rust = render(&fenced("rust", "fn main() {}\n"));
        assert_eq!(render(&fenced("rs", "fn main() {}\n")), rust);
        assert_eq!(render(&fenced("RS,ignore", "fn main() {}\n")), rust);
        assert!(rust.contains("<code class=\"language-rust\">"), "{rust}");
        for (alias, class) in [
            ("yml", "yaml"),
            ("sh", "shell"),
            ("ts", "typescript"),
            ("py", "python"),
        ] {
            let html = render(&fenced(alias, "x\n"));
            assert!(
                html.contains(&format!("language-{class}\"")),
                "{alias}: {html}"
            );
        }
        let unknown = render(&fenced("brainfudge", "++[>+<-]\n"));
        assert_eq!(unknown, "<pre><code>++[&gt;+&lt;-]\n</code></pre>\n");
        let plain = render(&fenced("", "let x = 1;\n"));
        assert!(!plain.contains("<span"), "{plain}");
    }

    #[test]
    fn a_block_past_the_limits_is_plain_and_the_post_s_budget_holds() {
        let long = "let x = 1;\n".repeat(MAX_BLOCK_LINES + 1);
        let html = render(&fenced("rust", &long));
        assert!(
            html.starts_with("<pre><code class=\"language-rust\">let x"),
            "plain"
        );
        assert!(!html.contains("<span"));
        assert_eq!(code_text(&html), long);
        // Blocks of nearly the largest size, more than a post's budget holds: those past the
        // budget are plain.
        let line = "let value = 1; // a line of forty bytes\n";
        let block = line.repeat((MAX_BLOCK_BYTES / line.len()).min(MAX_BLOCK_LINES));
        let blocks = MAX_POST_BYTES / block.len() + 2;
        let post = vec![fenced("rust", &block); blocks].concat();
        let html = render(&post);
        let highlighted = html.matches("<code class=\"language-rust\"><span").count();
        assert_eq!(
            highlighted,
            MAX_POST_BYTES / block.len(),
            "within the budget"
        );
        let plain = html
            .matches("<code class=\"language-rust\">let value")
            .count();
        assert_eq!(highlighted + plain, blocks);
    }

    #[test]
    fn a_fence_s_language_cannot_smuggle_markup() {
        for info in [
            "\"><script>alert(1)</script>",
            "rust\"><script>alert(1)</script>",
            "rust onclick=x",
        ] {
            let html = render(&format!("```{info}\nlet a = 1;\n```\n"));
            assert!(!html.contains("<script"), "{info}: {html}");
            assert!(!html.contains("onclick"), "{info}: {html}");
            assert!(!html.contains("style="), "{info}: {html}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the code, its text survives highlighting and sanitising exactly.
        #[test]
        fn the_code_s_text_is_unchanged(
            language in proptest::sample::select(LANGUAGES.iter().map(|(name, ..)| *name).collect::<Vec<_>>()),
            code in "[a-zA-Z0-9 <>&\"'{}()\\[\\];:=+*/#$%!?.,_|\\\\éüλ中😀\t\n-]{0,160}",
        ) {
            let mut code = code.replace("\n\n", "\n");
            if !code.ends_with('\n') {
                code.push('\n');
            }
            let html = render(&fenced(language, &code));
            prop_assert!(!html.contains("style="));
            prop_assert_eq!(code_text(&html), code);
        }
    }

    /// The text of the post's first `<code>` element, as a browser would read it.
    fn code_text(html: &str) -> String {
        let start = html
            .find("<code")
            .map(|at| at + html[at..].find('>').unwrap_or(0) + 1);
        let end = html.rfind("</code>");
        let (Some(start), Some(end)) = (start, end) else {
            return String::new();
        };
        let inner = &html[start..end];
        let mut text = String::new();
        let mut in_tag = false;
        for c in inner.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                other if !in_tag => text.push(other),
                _ => {}
            }
        }
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&nbsp;", "\u{a0}")
            .replace("&amp;", "&")
    }
}
