//! What a store indexes so that a plate search reads a few hundred rows out of millions instead
//! of scoring them all: each plate's folded trigrams, and its folded key for prefix ranges.
//!
//! Both are taken after [`Plate::folded`], so a confusable character finds the same entries as
//! the character it is confused with. An [`IndexQuery`] names the entries a [`Pattern`]'s matches
//! must have: a plate that matches a literal run of three or more characters contains the run's
//! trigrams, and a plate that matches a query anchored at its start begins with the query's first
//! run. The store returns the union (a superset of the matches, so a match with one edit is
//! found whenever the edit leaves one trigram whole); [`rank`](super::rank()) then scores only
//! those. A match whose one edit falls in a five-character run's middle character touches every
//! trigram of it and is not found by the index: a partial plate that short is rarely misheard
//! exactly there, and the registry stays searchable in milliseconds.

use super::normalize::{Plate, confusion_class};
use super::pattern::Pattern;

/// Characters per indexed gram.
pub const GRAM: usize = 3;

/// Shortest anchored prefix worth a range read: one character would read a thirtieth of the
/// registry.
pub const MIN_PREFIX: usize = 2;

/// The distinct folded trigrams of a plate, in order of first appearance. Plates shorter than a
/// gram have none (they are found by their prefix).
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

/// The index entries a search reads: plates with any of `grams`, or whose folded key starts
/// with `prefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexQuery {
    pub grams: Vec<String>,
    pub prefix: Option<String>,
}

/// Why a search cannot use the index.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error(
    "the search is too vague: give at least three characters in a row, or the first two characters of the plate followed by ? or *"
)]
pub struct TooVague;

impl IndexQuery {
    /// The entries `pattern`'s matches are found under.
    pub fn of(pattern: &Pattern) -> Result<Self, TooVague> {
        let (anchored, runs) = pattern.literal_runs();
        let folded: Vec<Vec<char>> = runs
            .iter()
            .map(|run| run.iter().map(|c| confusion_class(*c)).collect())
            .collect();
        let mut grams = Vec::new();
        for run in &folded {
            for gram in grams_of(run) {
                if !grams.contains(&gram) {
                    grams.push(gram);
                }
            }
        }
        let prefix = folded
            .first()
            .filter(|run| anchored && run.len() >= MIN_PREFIX)
            .map(|run| run.iter().collect::<String>());
        if grams.is_empty() && prefix.is_none() {
            return Err(TooVague);
        }
        Ok(IndexQuery { grams, prefix })
    }

    /// Whether a plate would be read for this query: what a store's index does, as plain code
    /// (for tests and in-memory registries).
    pub fn reads(&self, plate: &Plate) -> bool {
        let folded = plate.folded();
        self.prefix.as_ref().is_some_and(|p| folded.starts_with(p.as_str()))
            || plate_grams(plate).iter().any(|g| self.grams.contains(g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plate(s: &str) -> Plate {
        Plate::parse(s).expect("plate")
    }

    #[test]
    fn grams_are_folded_and_distinct() {
        assert_eq!(plate_grams(&plate("7AB")), vec!["7A8"]);
        assert_eq!(plate_grams(&plate("AAAA")), vec!["AAA"]);
        assert!(plate_grams(&plate("AB")).is_empty());
        assert_eq!(plate_grams(&plate("O1S2")), vec!["015", "152"]);
    }

    #[test]
    fn queries_name_runs_and_anchored_prefixes() {
        let q = IndexQuery::of(&Pattern::parse("7AB*").expect("pattern")).expect("query");
        assert_eq!(q.grams, vec!["7A8"]);
        assert_eq!(q.prefix.as_deref(), Some("7A8"));
        let q = IndexQuery::of(&Pattern::parse("?X5O1").expect("pattern")).expect("query");
        assert_eq!(q.grams, vec!["X50", "501"]);
        assert_eq!(q.prefix, None);
        let q = IndexQuery::of(&Pattern::parse("7A?").expect("pattern")).expect("query");
        assert!(q.grams.is_empty());
        assert_eq!(q.prefix.as_deref(), Some("7A"));
        assert_eq!(IndexQuery::of(&Pattern::parse("7A").expect("pattern")), Err(TooVague));
        assert_eq!(
            IndexQuery::of(&Pattern::parse("*A?B*").expect("pattern")),
            Err(TooVague)
        );
    }

    fn plate_text() -> impl Strategy<Value = String> {
        "[A-Z0-9]{3,8}"
    }

    proptest! {
        /// Every plate a query matches without an edit is read by the index: the index never
        /// hides an exact or confusable match.
        #[test]
        fn the_index_reads_every_match_without_an_edit(p in plate_text(), start in 0usize..8, len in 3usize..8, wild in any::<bool>()) {
            let plate = plate(&p);
            let chars: Vec<char> = p.chars().collect();
            let start = start.min(chars.len() - 3);
            let end = (start + len).min(chars.len());
            let mut query: String = chars[start..end].iter().map(|c| match c {
                'O' => '0', 'I' => '1', 'S' => '5', c => *c,
            }).collect();
            if wild && start == 0 {
                query.push('*');
            }
            let pattern = Pattern::parse(&query).expect("pattern");
            let index = IndexQuery::of(&pattern).expect("query");
            if pattern.score(&plate).is_some_and(|m| m.edit.is_none()) {
                prop_assert!(index.reads(&plate), "{query} on {p}");
            }
        }
    }
}
