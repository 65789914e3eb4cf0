//! Deterministic "realistic" content: a small seeded generator (SplitMix64, so the same seed
//! gives the same data on every machine and every run) and text whose lengths follow what peer
//! support chats and journals look like — most messages a sentence or two, a long tail of
//! paragraphs; journal entries a few paragraphs. Words come from a mixed English/Spanish list
//! with accents, so search and UTF-8 handling see what real members write.

/// SplitMix64: tiny, fast, and good enough for shaping test data (not for keys).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A standard normal sample (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal with the given median and spread (sigma of the log).
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index where index `i` is about `1/(i+1)` as likely as index 0 (Zipf-like): a few
    /// members write most of a group's messages.
    pub fn zipf(&mut self, n: usize) -> usize {
        let total: f64 = (1..=n).map(|i| 1.0 / i as f64).sum();
        let mut x = self.unit() * total;
        for i in 0..n {
            x -= 1.0 / (i + 1) as f64;
            if x <= 0.0 {
                return i;
            }
        }
        n - 1
    }
}

const WORDS: &[&str] = &[
    "I",
    "you",
    "we",
    "the",
    "a",
    "and",
    "but",
    "today",
    "meeting",
    "group",
    "feel",
    "felt",
    "better",
    "tired",
    "hope",
    "thanks",
    "thank",
    "everyone",
    "week",
    "again",
    "really",
    "listen",
    "share",
    "sharing",
    "support",
    "step",
    "family",
    "work",
    "sleep",
    "morning",
    "night",
    "call",
    "coffee",
    "walk",
    "breathe",
    "slowly",
    "together",
    "remember",
    "kind",
    "strong",
    "hard",
    "easier",
    "sometimes",
    "always",
    "never",
    "maybe",
    "tomorrow",
    "Tuesday",
    "Thursday",
    "session",
    "circle",
    "reading",
    "journal",
    "craving",
    "sober",
    "days",
    "proud",
    "grateful",
    "angry",
    "sad",
    "calm",
    "worried",
    "honest",
    "trust",
    "safe",
    "space",
    "for",
    "with",
    "about",
    "when",
    "after",
    "before",
    "because",
    "so",
    "it",
    "was",
    "is",
    "am",
    "are",
    "have",
    "had",
    "can",
    "could",
    "will",
    "would",
    "not",
    "my",
    "your",
    "our",
    "this",
    "that",
    "one",
    "more",
    "less",
    "little",
    "lot",
    "good",
    "bad",
    "okay",
    "fine",
    "hola",
    "gracias",
    "semana",
    "reunión",
    "ánimo",
    "también",
    "mañana",
    "cansada",
    "mejor",
    "compañeros",
    "difícil",
    "corazón",
    "paciencia",
    "abrazo",
    "después",
    "café",
    "niños",
    "trabajo",
    "día",
    "noche",
    "siento",
    "estoy",
    "pasó",
    "qué",
    "sí",
    "juntos",
    "camino",
];

/// A message of realistic length: median about 12 words (~70 characters), a long tail up to
/// a few hundred words; never longer than `max_chars`.
pub fn message(rng: &mut Rng, max_chars: usize) -> String {
    let words = rng.lognormal(12.0, 0.9).clamp(1.0, 400.0) as usize;
    sentences(rng, words, max_chars)
}

/// A journal entry: median about 110 words, rarely more than a page.
pub fn journal(rng: &mut Rng, max_chars: usize) -> String {
    let words = rng.lognormal(110.0, 0.6).clamp(5.0, 1500.0) as usize;
    sentences(rng, words, max_chars)
}

fn sentences(rng: &mut Rng, words: usize, max_chars: usize) -> String {
    let mut out = String::new();
    let mut in_sentence = 0;
    for _ in 0..words {
        let w = *rng.pick(WORDS);
        if in_sentence == 0 {
            let mut chars = w.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push(' ');
            out.push_str(w);
        }
        in_sentence += 1;
        if in_sentence > 4 && rng.chance(0.15) {
            out.push_str(if rng.chance(0.2) { "! " } else { ". " });
            in_sentence = 0;
        }
        if out.len() >= max_chars {
            break;
        }
    }
    let mut out = out.trim_end().to_owned();
    while out.len() > max_chars {
        out.pop();
    }
    if !out.ends_with(['.', '!']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_text_and_lengths_look_like_chat() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(message(&mut a, 4000), message(&mut b, 4000));
        let mut rng = Rng::new(1);
        let mut lengths: Vec<usize> = (0..2000).map(|_| message(&mut rng, 4000).len()).collect();
        lengths.sort_unstable();
        let median = lengths[lengths.len() / 2];
        assert!((40..=120).contains(&median), "median {median}");
        assert!(lengths[lengths.len() - 1] <= 4001);
        assert!(journal(&mut rng, 20_000).len() > 100);
    }
}
