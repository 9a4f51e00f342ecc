//! Search patterns over plates, scored by a small dynamic program (the cost model is in the
//! [module docs](super)).

use super::normalize::{MAX_LEN, Plate, PlateChar, confusion_class, plate_char};
use table::{EDIT_SLOTS, FULL, Table};

mod table;

/// Queries with at least this many literal characters may match with one edit (a wrong, missing
/// or extra character). Below it, one edit would match too much of the registry to be useful.
pub const MIN_LITERALS_FOR_EDIT: usize = 5;

/// How much one edit costs: a match that needed one is worth this fraction of the same match
/// without it, so a misheard plate always ranks below every plate that matches as typed.
pub const EDIT_FACTOR: f64 = 0.8;

/// A parsed search query. See [`Pattern::parse`] for the syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    elems: Vec<Elem>,
    literals: usize,
    text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Elem {
    Lit(char),
    /// `?` or `_`: exactly one character.
    One,
    /// `*` or `%`: any run, including an empty one.
    Any,
}

/// Why a query cannot be searched.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PatternError {
    #[error("the search is empty: type part of a plate, with ? for one unknown character and * for several")]
    Empty,
    #[error("the search needs {len} characters, but plates have at most {MAX_LEN}")]
    TooLong { len: usize },
    #[error("{ch:?} cannot be searched: use letters, digits, ? for one unknown character and * for several")]
    InvalidChar { ch: char },
}

/// How a plate matched a pattern.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Match {
    /// Plate characters matched by the same character in the query.
    pub exact: usize,
    /// Plate characters matched by a different character of the same confusion class.
    pub confusable: usize,
    /// Plate characters matched by `?`.
    pub unknown: usize,
    /// The one edit the match needed, if any.
    pub edit: Option<Edit>,
    pub extent: Extent,
    /// 1 for the query typed as the whole plate, lower the less of the plate the query pins
    /// down and the less exactly it does; never 0 for a match that used a literal character.
    pub closeness: f64,
}

/// The single edit a close-but-not-equal query was allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Edit {
    /// A query character stands where the plate has an unrelated one.
    Wrong,
    /// The plate has a character the query lacks.
    Missing,
    /// The query has a character the plate lacks.
    Extra,
}

/// Whether the query accounted for every character of the plate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Extent {
    Whole,
    /// Some plate characters fell to a `*` (or around a query without wildcards).
    Partial,
}

impl Match {
    /// Every literal matched as typed: no confusable stand-in and no edit.
    pub fn is_exact(&self) -> bool {
        self.confusable == 0 && self.edit.is_none()
    }
}

impl Pattern {
    /// Parses a search query.
    ///
    /// Letters and digits are matched case-insensitively; spaces, dashes and dots are ignored as
    /// on plates. `?` or `_` stands for exactly one character, `*` or `%` for any run including
    /// an empty one. A query with a wildcard is anchored: `7AB*` finds plates that start with
    /// 7AB. A query without one is a partial plate and matches anywhere inside a plate: `7AB`
    /// is "what I saw was 7AB" and finds `X7AB12` too.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let mut elems = Vec::new();
        let mut wildcard = false;
        // Characters the query needs on the plate, counted to the end so the error can say how
        // many; past the limit nothing more is kept, so a long query costs no memory.
        let mut width = 0;
        for ch in text.chars() {
            let elem = match ch {
                '?' | '_' => Elem::One,
                '*' | '%' => Elem::Any,
                _ => match plate_char(ch) {
                    PlateChar::Keep(c) => Elem::Lit(c),
                    PlateChar::Separator => continue,
                    PlateChar::Invalid => return Err(PatternError::InvalidChar { ch }),
                },
            };
            wildcard |= !matches!(elem, Elem::Lit(_));
            width += usize::from(elem != Elem::Any);
            // Runs of `*` mean the same as one and would only grow the table.
            if width <= MAX_LEN && !(elem == Elem::Any && elems.last() == Some(&Elem::Any)) {
                elems.push(elem);
            }
        }
        if elems.is_empty() {
            return Err(PatternError::Empty);
        }
        if width > MAX_LEN {
            return Err(PatternError::TooLong { len: width });
        }
        let literals = elems.iter().filter(|e| matches!(e, Elem::Lit(_))).count();
        let text = elems.iter().map(Elem::display).collect();
        if !wildcard {
            elems.insert(0, Elem::Any);
            elems.push(Elem::Any);
        }
        Ok(Pattern { elems, literals, text })
    }

    /// A query for the characters of `plate`, found anywhere inside other plates.
    pub fn partial(plate: &Plate) -> Self {
        let mut elems = vec![Elem::Any];
        elems.extend(plate.as_str().chars().map(Elem::Lit));
        elems.push(Elem::Any);
        Pattern {
            elems,
            literals: plate.as_str().len(),
            text: plate.as_str().to_owned(),
        }
    }

    /// The query in canonical form (`?` and `*` as wildcards, no separators).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How well `plate` matches, or `None` if it does not. Tries, in one pass, the match
    /// without edits and the matches with each kind of edit, and returns the closest.
    pub fn score(&self, plate: &Plate) -> Option<Match> {
        let chars: Vec<char> = plate.as_str().chars().collect();
        let table = Table::fill(&self.elems, &chars, self.literals >= MIN_LITERALS_FOR_EDIT);
        let n = chars.len();
        let mut best: Option<Match> = None;
        for (slot, edit) in EDIT_SLOTS.into_iter().enumerate() {
            let Some(acc) = table.get(self.elems.len(), n, slot) else {
                continue;
            };
            let extra = usize::from(edit == Some(Edit::Extra));
            let mut closeness = f64::from(acc.weight()) / f64::from(FULL * (n + extra) as u32);
            if edit.is_some() {
                closeness *= EDIT_FACTOR;
            }
            let m = Match {
                exact: acc.exact.into(),
                confusable: acc.confusable.into(),
                unknown: acc.unknown.into(),
                edit,
                extent: if acc.absorbed == 0 {
                    Extent::Whole
                } else {
                    Extent::Partial
                },
                closeness,
            };
            // Slots go from no edit to edits, so `>` keeps the edit-free match on a tie.
            if best.is_none_or(|b| m.closeness > b.closeness) {
                best = Some(m);
            }
        }
        best
    }
}

impl Pattern {
    /// The runs of consecutive literal characters, in order, and whether the first run starts
    /// the plate (a query with a wildcard is anchored at both ends). What an index narrows by.
    pub(crate) fn literal_runs(&self) -> (bool, Vec<Vec<char>>) {
        let anchored = self.elems.first().is_some_and(|e| *e != Elem::Any);
        let mut runs = vec![Vec::new()];
        for elem in &self.elems {
            match elem {
                Elem::Lit(c) => runs.last_mut().into_iter().for_each(|run| run.push(*c)),
                _ => runs.push(Vec::new()),
            }
        }
        let starts_with_literal = anchored && runs.first().is_some_and(|r| !r.is_empty());
        runs.retain(|r| !r.is_empty());
        (starts_with_literal, runs)
    }
}

impl Pattern {
    /// The pattern over folded keys ([`Plate::folded`]): literals folded to their confusion
    /// class, `?` for one character, `*` for any run, anchored at both ends. A plate matches the
    /// pattern without an edit exactly when its folded key matches this glob.
    pub(crate) fn folded_glob(&self) -> String {
        self.elems
            .iter()
            .map(|elem| match elem {
                Elem::Lit(c) => confusion_class(*c),
                other => other.display(),
            })
            .collect()
    }

    /// The folded plate when the query is a plate typed whole, without wildcards: the key of the
    /// vehicle the person asked for, if the registry has it.
    pub(crate) fn folded_whole(&self) -> Option<String> {
        let typed_whole = self.text.chars().all(|c| c.is_ascii_alphanumeric());
        typed_whole.then(|| self.text.chars().map(confusion_class).collect())
    }

    /// Literal characters in the query.
    pub(crate) fn literals(&self) -> usize {
        self.literals
    }

    /// Whether `plate` matches with no edit: every literal on a character of its class, every
    /// `?` on one character, every `*` on a run.
    pub fn matches_without_edit(&self, plate: &Plate) -> bool {
        let chars: Vec<char> = plate.as_str().chars().collect();
        Table::fill(&self.elems, &chars, false)
            .get(self.elems.len(), chars.len(), 0)
            .is_some()
    }
}

impl Elem {
    fn display(&self) -> char {
        match self {
            Elem::Lit(c) => *c,
            Elem::One => '?',
            Elem::Any => '*',
        }
    }
}

#[cfg(test)]
mod tests;
