//! What rendering a post costs, with and without code highlighting, on the seed's bodies
//! (paragraphs, now and then a short code block or a link, as `devforum seed` writes them)
//! and on bodies that each carry a longer code block; and what a title's slug costs (every
//! thread summary and view carries one since issue 42). Run with `bench/render.sh`
//! (`cargo bench --bench render`); figures go to docs/PERFORMANCE.md.

use std::time::{Duration, Instant};

use devforum::markdown::{self, highlight};
use devforum::seed::Vocabulary;
use rand::rngs::StdRng;
use rand::SeedableRng;

const BODIES: usize = 2_000;
const ROUNDS: usize = 5;

/// A reply with a 30-line Rust function, as an answer to a question often is.
fn with_code(words: &str) -> String {
    let mut code = String::from("```rust\nuse std::collections::HashMap;\n\n");
    for n in 0..6 {
        code.push_str(&format!(
            "/// Counts the words of line {n}.\nfn count_{n}(text: &str) -> HashMap<&str, usize> {{\n    let mut seen = HashMap::new();\n    for word in text.split_whitespace() {{ *seen.entry(word).or_insert(0) += 1; }}\n    seen // \"done\" <{n}>\n}}\n"
        ));
    }
    code.push_str("```\n");
    format!("{words}\n\n{code}\nDoes that help?")
}

/// The median of `ROUNDS` passes over `bodies`, per body.
fn per_body(bodies: &[String], highlight: bool) -> Duration {
    let mut rounds: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            for body in bodies {
                std::hint::black_box(markdown::render_counting_with(body, highlight));
            }
            started.elapsed() / bodies.len() as u32
        })
        .collect();
    rounds.sort();
    rounds[ROUNDS / 2]
}

fn main() {
    let started = Instant::now();
    highlight::warm();
    println!(
        "grammars loaded in {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let mut rng = StdRng::seed_from_u64(20261124);
    let vocabulary = Vocabulary::get();
    let seeded: Vec<String> = (0..BODIES)
        .map(|_| vocabulary.body(&mut rng, 1..5))
        .collect();
    let with_blocks = seeded.iter().filter(|b| b.contains("```")).count();
    let code: Vec<String> = seeded.iter().take(500).map(|b| with_code(b)).collect();
    for (name, bodies) in [
        (
            format!("seed bodies ({with_blocks} of {BODIES} with a code block)"),
            &seeded,
        ),
        ("bodies with a 37-line Rust block".to_string(), &code),
    ] {
        let plain = per_body(bodies, false);
        let highlighted = per_body(bodies, true);
        println!(
            "{name}: {:.1} µs a post without highlighting, {:.1} µs with (+{:.1} µs, {:+.0} %)",
            plain.as_secs_f64() * 1e6,
            highlighted.as_secs_f64() * 1e6,
            (highlighted.as_secs_f64() - plain.as_secs_f64()) * 1e6,
            (highlighted.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0
        );
    }
    let titles: Vec<String> = (0..BODIES).map(|_| vocabulary.title(&mut rng)).collect();
    let mut rounds: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            for title in &titles {
                std::hint::black_box(devforum::slugs::of(title, "thread"));
            }
            started.elapsed() / titles.len() as u32
        })
        .collect();
    rounds.sort();
    println!(
        "a seed title's slug: {:.2} µs (a list of 20 threads: {:.1} µs)",
        rounds[ROUNDS / 2].as_secs_f64() * 1e6,
        rounds[ROUNDS / 2].as_secs_f64() * 1e6 * 20.0
    );
}
