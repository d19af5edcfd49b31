//! Text that behaves like a developer forum's, for benchmarks that mean something: word
//! frequencies follow Zipf's law over a ranked vocabulary (`vocabulary.txt`: everyday forum
//! prose and ~2,000 technical words), with names, fixed phrases ("borrow checker",
//! "connection pool"), and a long tail of rare tokens — code identifiers, versions, error
//! codes — that real posts are full of. The same random seed writes the same text.
//!
//! With documents of a few dozen words, the head of the vocabulary is in most documents,
//! the middle in a fraction of a percent, and the tail in a handful: every frequency class a
//! search engine meets in production.

use std::sync::OnceLock;

use rand::rngs::StdRng;
use rand::Rng;

/// The Zipf exponent of word frequencies: about 1 in natural and technical text alike.
const ZIPF_EXPONENT: f64 = 1.0;
/// How many distinct rare tokens the tail can produce (its own Zipf distribution).
const TAIL_SIZE: usize = 2_000_000;

/// Per word of text: the chance of a fixed phrase, a name and a rare token instead of a
/// vocabulary word.
const PHRASE_CHANCE: f64 = 0.03;
const NAME_CHANCE: f64 = 0.01;
const RARE_CHANCE: f64 = 0.025;

/// A ranked list and a sampler over it following Zipf's law.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(len: usize, exponent: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=len.max(1))
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(exponent);
                total
            })
            .collect::<Vec<_>>();
        Zipf {
            cumulative: cumulative.iter().map(|c| c / total).collect(),
        }
    }

    /// A rank in `0..len`, rank 0 the most frequent.
    fn sample(&self, rng: &mut StdRng) -> usize {
        let u: f64 = rng.random();
        self.cumulative
            .partition_point(|&c| c < u)
            .min(self.cumulative.len() - 1)
    }
}

/// The vocabulary, read once from the file compiled into the binary.
pub struct Vocabulary {
    /// Prose and technical words interleaved, most frequent first.
    words: Vec<&'static str>,
    technical: Vec<&'static str>,
    names: Vec<&'static str>,
    phrases: Vec<&'static str>,
    word_ranks: Zipf,
    technical_ranks: Zipf,
    name_ranks: Zipf,
    phrase_ranks: Zipf,
    tail_ranks: TailZipf,
}

/// Zipf's law over a range too large to tabulate, sampled by inverting its continuous
/// approximation: rank ≈ N^u for exponent 1.
struct TailZipf {
    size: usize,
}

impl TailZipf {
    fn sample(&self, rng: &mut StdRng) -> usize {
        let u: f64 = rng.random();
        ((self.size as f64).powf(u) as usize)
            .saturating_sub(1)
            .min(self.size - 1)
    }
}

const VOCABULARY: &str = include_str!("vocabulary.txt");

impl Vocabulary {
    pub fn get() -> &'static Vocabulary {
        static VOCABULARY_CELL: OnceLock<Vocabulary> = OnceLock::new();
        VOCABULARY_CELL.get_or_init(|| Vocabulary::parse(VOCABULARY))
    }

    fn parse(text: &'static str) -> Vocabulary {
        let mut sections: [Vec<&'static str>; 4] = Default::default();
        let mut current = None;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            current = match line {
                "[prose]" => Some(0),
                "[technical]" => Some(1),
                "[names]" => Some(2),
                "[collocations]" => Some(3),
                _ => {
                    if let Some(section) = current {
                        sections[section].push(line);
                    }
                    current
                }
            };
        }
        let [prose, technical, names, phrases] = sections;
        // Forum text is about half everyday words: they alternate with technical words at
        // the head of the ranking, and the technical vocabulary continues alone.
        let mut words = Vec::with_capacity(prose.len() + technical.len());
        let mut technical_words = technical.iter();
        for word in &prose {
            words.push(*word);
            words.extend(technical_words.next());
        }
        words.extend(technical_words);
        Vocabulary {
            word_ranks: Zipf::new(words.len(), ZIPF_EXPONENT),
            technical_ranks: Zipf::new(technical.len(), ZIPF_EXPONENT),
            name_ranks: Zipf::new(names.len(), 0.7),
            phrase_ranks: Zipf::new(phrases.len(), ZIPF_EXPONENT),
            tail_ranks: TailZipf { size: TAIL_SIZE },
            words,
            technical,
            names,
            phrases,
        }
    }

    /// Distinct vocabulary words (everyday and technical).
    pub fn size(&self) -> usize {
        self.words.len()
    }

    /// The vocabulary word of a rank (0 is the most frequent), for benchmarks that pick
    /// queries by frequency.
    pub fn word(&self, rank: usize) -> Option<&'static str> {
        self.words.get(rank).copied()
    }

    /// A rare token: a code identifier, a version or an error code. Rank 0 is the most
    /// frequent of them; the same rank is always the same token.
    pub fn rare_token(&self, rank: usize) -> String {
        let t = self.technical.len();
        match rank % 10 {
            0 => format!("v{}.{}.{}", rank / 10 % 7, rank / 70 % 30, rank / 2100 % 20),
            1 => format!("E{:04}", rank / 10 % 10_000),
            _ => {
                let first = self.technical[rank / 10 % t];
                let second = self.technical[(rank / 10 / t + rank % 10) % t];
                camel_case(first, second)
            }
        }
    }

    fn token(&self, rng: &mut StdRng) -> String {
        let roll: f64 = rng.random();
        if roll < PHRASE_CHANCE {
            self.phrases[self.phrase_ranks.sample(rng)].to_string()
        } else if roll < PHRASE_CHANCE + NAME_CHANCE {
            capitalised(self.names[self.name_ranks.sample(rng)])
        } else if roll < PHRASE_CHANCE + NAME_CHANCE + RARE_CHANCE {
            self.rare_token(self.tail_ranks.sample(rng))
        } else {
            self.words[self.word_ranks.sample(rng)].to_string()
        }
    }

    /// `count` words of running text.
    pub fn words(&self, rng: &mut StdRng, count: usize) -> String {
        (0..count)
            .map(|_| self.token(rng))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A thread title: a question about technical things, 4–10 words.
    pub fn title(&self, rng: &mut StdRng) -> String {
        let count = rng.random_range(4..11);
        let words: Vec<String> = (0..count)
            .map(|_| {
                if rng.random_bool(0.5) {
                    self.technical[self.technical_ranks.sample(rng)].to_string()
                } else {
                    self.token(rng)
                }
            })
            .collect();
        let mut title = words.join(" ");
        if let Some(first) = title.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        if rng.random_bool(0.6) {
            title.push('?');
        }
        title
    }

    /// A Markdown body of paragraphs, now and then a short code block or a link.
    pub fn body(&self, rng: &mut StdRng, paragraphs: std::ops::Range<usize>) -> String {
        let mut parts = Vec::new();
        for _ in 0..rng.random_range(paragraphs) {
            let count = rng.random_range(12..60);
            let mut paragraph = self.words(rng, count);
            if rng.random_bool(0.2) {
                paragraph.push_str(" **important**");
            }
            parts.push(paragraph + ".");
            if rng.random_bool(0.15) {
                parts.push(self.code_block(rng));
            }
            if rng.random_bool(0.1) {
                parts.push("See [the docs](https://doc.rust-lang.org/book/).".to_string());
            }
        }
        parts.join("\n\n")
    }

    fn code_block(&self, rng: &mut StdRng) -> String {
        let language = rng.random_range(0..4);
        // Identifiers only: the tail's ranks ending in 2..9 are camelCase names.
        let [a, b, c] = [(); 3].map(|_| self.rare_token(self.tail_ranks.sample(rng) / 10 * 10 + 2));
        let (language, line) = match language {
            0 => ("rust", format!("let {a} = {b}(&{c})?;")),
            1 => ("python", format!("{a} = {b}({c})")),
            2 => ("js", format!("const {a} = await {b}({c});")),
            _ => ("sql", format!("SELECT {a} FROM {b} WHERE {c} = $1;")),
        };
        format!("```{language}\n{line}\n```")
    }
}

fn camel_case(first: &str, second: &str) -> String {
    let mut out = first.to_string();
    out.push_str(&capitalised(second));
    out
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn the_vocabulary_has_thousands_of_words_and_every_section() {
        let vocabulary = Vocabulary::get();
        assert!(vocabulary.size() > 2_000, "{}", vocabulary.size());
        assert!(vocabulary.technical.len() > 1_500);
        assert!(vocabulary.names.len() > 50);
        assert!(vocabulary.phrases.iter().all(|p| p.contains(' ')));
        assert_eq!(vocabulary.word(0), Some("the"));
    }

    #[test]
    fn the_same_seed_writes_the_same_text() {
        let vocabulary = Vocabulary::get();
        let mut a = StdRng::seed_from_u64(7);
        let mut b = StdRng::seed_from_u64(7);
        assert_eq!(vocabulary.title(&mut a), vocabulary.title(&mut b));
        assert_eq!(vocabulary.body(&mut a, 1..4), vocabulary.body(&mut b, 1..4));
    }

    /// The shape that makes query classes exist: a few words in a large share of documents,
    /// many in a small share, and tokens in almost none.
    #[test]
    fn document_frequencies_span_common_medium_and_rare() {
        let vocabulary = Vocabulary::get();
        let mut rng = StdRng::seed_from_u64(1);
        let documents = 20_000;
        let mut frequency: HashMap<String, usize> = HashMap::new();
        for _ in 0..documents {
            let text = vocabulary.body(&mut rng, 1..3);
            let words: HashSet<String> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect();
            for word in words {
                *frequency.entry(word).or_default() += 1;
            }
        }
        let share =
            |word: &str| frequency.get(word).copied().unwrap_or(0) as f64 / documents as f64;
        let class = |low: f64, high: f64| {
            frequency
                .values()
                .filter(|&&n| {
                    let s = n as f64 / documents as f64;
                    s >= low && s < high
                })
                .count()
        };
        assert!(share("error") > 0.10, "error in {:.3}", share("error"));
        assert!(class(0.10, 1.0) >= 20, "{} common words", class(0.10, 1.0));
        assert!(
            class(0.001, 0.01) >= 300,
            "{} medium words",
            class(0.001, 0.01)
        );
        // Seen once in 20,000 documents: rare at any corpus size.
        assert!(
            class(0.0, 0.0001) >= 1_000,
            "{} rare tokens",
            class(0.0, 0.0001)
        );
    }

    #[test]
    fn rare_tokens_are_identifiers_versions_and_error_codes() {
        let vocabulary = Vocabulary::get();
        assert!(vocabulary.rare_token(0).starts_with('v'));
        assert!(vocabulary.rare_token(1).starts_with('E'));
        let identifier = vocabulary.rare_token(1234);
        assert!(identifier.chars().any(char::is_uppercase), "{identifier}");
        assert_eq!(vocabulary.rare_token(1234), identifier);
    }
}
