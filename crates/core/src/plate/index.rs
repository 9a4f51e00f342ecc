//! What a store indexes so that a plate search reads a few rows out of millions instead of
//! scoring them all, and what it is asked for one search ([`IndexQuery`]).
//!
//! A store keeps each plate's folded key ([`Plate::folded`]) in an ordered index, and each
//! plate's distinct folded trigrams ([`plate_grams`]). Both are taken after folding, so a
//! confusable character finds the same entries as the character it is confused with.
//!
//! A search reads two tiers:
//!
//! 1. **Matches as typed** (up to confusion, no edit). A plate matches a [`Pattern`] without an
//!    edit exactly when its folded key matches the pattern's folded glob ([`IndexQuery::glob`]),
//!    so the store filters on the key itself and returns only real matches. It finds the keys by
//!    a range of the key index when the query starts with three or more characters
//!    ([`Seek::Prefix`]), otherwise by the plates that have every trigram of the query
//!    ([`Seek::Grams`]), and always looks up the plate typed whole ([`IndexQuery::whole`]), so
//!    the plate a person asked for is read even when the search is vague. This tier is complete
//!    up to the store's limit (most recently confirmed first past it).
//! 2. **Misheard plates** (one edit), for queries long enough to allow one
//!    ([`MIN_LITERALS_FOR_EDIT`](super::MIN_LITERALS_FOR_EDIT)): the plates sharing the most
//!    trigrams with the query, at least [`Near::min_shared`], at most [`Near::limit`]. This tier
//!    is best effort: an edit in the middle of a five-character run touches all its trigrams.
//!
//! [`rank`](super::rank()) then scores only what was read.

use super::normalize::{Plate, confusion_class};
use super::pattern::{MIN_LITERALS_FOR_EDIT, Pattern};

/// Characters per indexed gram.
pub const GRAM: usize = 3;

/// Shortest anchored prefix worth a range read: one character would read a thirtieth of the
/// registry.
pub const MIN_PREFIX: usize = 2;

/// The most misheard candidates one search reads. They rank below every match as typed, so only
/// the first screenful matters; more would only cost time.
pub const NEAR_LIMIT: u32 = 40;

/// One edit (a wrong, missing or extra character) breaks at most this many trigrams of a run.
const GRAMS_ONE_EDIT_BREAKS: usize = 3;

/// The distinct folded trigrams of a plate, in order of first appearance. Plates shorter than a
/// gram have none (they are found by their key).
pub fn plate_grams(plate: &Plate) -> Vec<String> {
    grams_of(&plate.folded().chars().collect::<Vec<_>>())
}

fn grams_of(folded: &[char]) -> Vec<String> {
    let mut grams: Vec<String> = Vec::new();
    for window in folded.windows(GRAM) {
        let gram: String = window.iter().collect();
        if !grams.contains(&gram) {
            grams.push(gram);
        }
    }
    grams
}

/// What one search asks a store for. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexQuery {
    /// The folded pattern, anchored at both ends: `?` is one character, `*` any run (a SQLite
    /// `GLOB`; [`IndexQuery::like`] for SQL `LIKE`). Keys are `[0-9A-Z]`, so nothing needs
    /// escaping.
    pub glob: String,
    /// How to find the keys that may match [`glob`](Self::glob) without a scan.
    pub seek: Seek,
    /// The folded plate typed whole, when the query has no wildcards: always read.
    pub whole: Option<String>,
    /// Misheard candidates to read as well, when the query allows an edit.
    pub near: Option<Near>,
}

/// The index read that narrows the matches as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seek {
    /// Keys starting with this: a range of the folded-key index ([`Seek::range`]).
    Prefix(String),
    /// Plates having every one of these trigrams.
    Grams(Vec<String>),
}

/// Plates sharing trigrams with the query, for matches with one edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Near {
    /// The query's distinct trigrams.
    pub grams: Vec<String>,
    /// A plate matching with one edit shares at least this many (at least 1).
    pub min_shared: u32,
    /// At most this many, the most trigrams shared first.
    pub limit: u32,
}

/// Why a search cannot use the index.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error(
    "the search is too vague: give at least three characters in a row, or the first two characters of the plate followed by ? or *"
)]
pub struct TooVague;

impl Seek {
    /// The key range `[low, high)` holding every key that starts with `prefix`. Keys are ASCII
    /// letters and digits, so the prefix followed by `~` (after `Z`) bounds them all.
    pub fn range(prefix: &str) -> (String, String) {
        (prefix.to_owned(), format!("{prefix}~"))
    }
}

impl IndexQuery {
    /// What a store reads for `pattern`.
    pub fn of(pattern: &Pattern) -> Result<Self, TooVague> {
        let (anchored, runs) = pattern.literal_runs();
        let folded: Vec<Vec<char>> = runs
            .iter()
            .map(|run| run.iter().map(|c| confusion_class(*c)).collect())
            .collect();
        let mut grams: Vec<String> = Vec::new();
        for gram in folded.iter().flat_map(|run| grams_of(run)) {
            if !grams.contains(&gram) {
                grams.push(gram);
            }
        }
        let prefix = folded
            .first()
            .filter(|_| anchored)
            .map(|run| run.iter().collect::<String>());
        let seek = match prefix {
            Some(p) if p.len() >= GRAM => Seek::Prefix(p),
            _ if !grams.is_empty() => Seek::Grams(grams.clone()),
            Some(p) if p.len() >= MIN_PREFIX => Seek::Prefix(p),
            _ => return Err(TooVague),
        };
        let near = (pattern.literals() >= MIN_LITERALS_FOR_EDIT && !grams.is_empty()).then(|| Near {
            min_shared: u32::try_from(grams.len().saturating_sub(GRAMS_ONE_EDIT_BREAKS).max(1)).unwrap_or(1),
            grams,
            limit: NEAR_LIMIT,
        });
        Ok(IndexQuery {
            glob: pattern.folded_glob(),
            seek,
            whole: pattern.folded_whole(),
            near,
        })
    }

    /// [`glob`](Self::glob) as a SQL `LIKE` pattern (`_` and `%`).
    pub fn like(&self) -> String {
        self.glob
            .chars()
            .map(|c| match c {
                '?' => '_',
                '*' => '%',
                c => c,
            })
            .collect()
    }

    /// Whether `plate` matches as typed: its folded key matches [`glob`](Self::glob).
    pub fn matches(&self, plate: &Plate) -> bool {
        glob_matches(&self.glob, &plate.folded())
    }

    /// Whether a store, under no limit, returns `plate` for this query: what its indexes do, as
    /// plain code (for tests and in-memory registries).
    pub fn reads(&self, plate: &Plate) -> bool {
        let folded = plate.folded();
        let near = self.near.as_ref().is_some_and(|near| {
            let shared = plate_grams(plate).iter().filter(|g| near.grams.contains(g)).count();
            shared >= near.min_shared as usize
        });
        glob_matches(&self.glob, &folded) || self.whole.as_deref() == Some(folded.as_str()) || near
    }
}

/// Whether `key` matches `glob` (`?` one character, `*` any run, anchored at both ends).
pub fn glob_matches(glob: &str, key: &str) -> bool {
    let (glob, key): (Vec<char>, Vec<char>) = (glob.chars().collect(), key.chars().collect());
    let (mut g, mut k) = (0, 0);
    // Where the last `*` was, and the key position it currently stands up to: on a mismatch it
    // takes one more character. Linear backtracking suffices for `?`/`*` globs.
    let mut star: Option<(usize, usize)> = None;
    while k < key.len() {
        match glob.get(g) {
            Some('*') => {
                star = Some((g, k));
                g += 1;
            }
            Some(&c) if c == '?' || c == key[k] => {
                g += 1;
                k += 1;
            }
            _ => match star {
                Some((sg, sk)) => {
                    star = Some((sg, sk + 1));
                    g = sg + 1;
                    k = sk + 1;
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests;
