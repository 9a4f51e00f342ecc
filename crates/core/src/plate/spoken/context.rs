//! What the words around an ambiguous one say: whether its neighbours are plate talk, whether
//! they are digits or letters, and which language is being spoken.

use super::lexicon::{Lang, lookup};
use super::numbers::num_word;
use super::parse::Slot;
use super::words::filler;

/// How much likelier a word is to be a character when its ordinary meaning belongs to the
/// other language: "el" is an article in Spanish speech and the letter L in English speech.
pub(super) const OTHER_LANGUAGE: f64 = 8.0;

/// What a word says about its neighbour being part of the plate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Near {
    /// Plate characters; which kinds, so that "oh" between digits reads as zero.
    Plate {
        digit: bool,
        letter: bool,
    },
    Noise,
    Edge,
}

/// How much a neighbour says "plate". The start or end of the transcript leans that way: the
/// person pressed a button to say a plate.
pub(super) fn side(near: Near) -> f64 {
    match near {
        Near::Plate { .. } => 1.0,
        Near::Edge => 0.75,
        Near::Noise => 0.0,
    }
}

/// Between digits, "oh" is zero; between letters, O: each such neighbour doubles the odds.
pub(super) fn biased(reads: &Slot, left: Near, right: Near) -> Slot {
    let is_digit = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(reads.iter().any(|(s, _)| is_digit(s)) && reads.iter().any(|(s, _)| !is_digit(s))) {
        return reads.clone();
    }
    let lean: i32 = [left, right]
        .map(|n| match n {
            Near::Plate {
                digit: true,
                letter: false,
            } => 1,
            Near::Plate {
                digit: false,
                letter: true,
            } => -1,
            _ => 0,
        })
        .iter()
        .sum();
    let factor = 2f64.powi(lean);
    let mut out: Slot = reads
        .iter()
        .map(|(s, p)| (s.clone(), if is_digit(s) { p * factor } else { *p }))
        .collect();
    let total: f64 = out.iter().map(|(_, p)| p).sum();
    out.iter_mut().for_each(|r| r.1 /= total);
    out
}

pub(super) fn plate_near<'s>(reads: impl Iterator<Item = &'s str>) -> Near {
    let (mut digit, mut letter) = (false, false);
    for s in reads {
        digit |= s.bytes().any(|b| b.is_ascii_digit());
        letter |= s.bytes().any(|b| b.is_ascii_alphabetic());
    }
    if digit || letter {
        Near::Plate { digit, letter }
    } else {
        Near::Noise
    }
}

/// The language most of the known words belong to, if one has more.
pub(super) fn guess_lang(words: &[&str]) -> Option<Lang> {
    let (mut en, mut es) = (0, 0);
    for w in words {
        let lang = lookup(w)
            .map(|e| e.lang)
            .or_else(|| num_word(w).map(|(_, l)| l))
            .or_else(|| filler(w));
        match lang {
            Some(Lang::En) => en += 1,
            Some(Lang::Es) => es += 1,
            _ => {}
        }
    }
    match en.cmp(&es) {
        std::cmp::Ordering::Greater => Some(Lang::En),
        std::cmp::Ordering::Less => Some(Lang::Es),
        std::cmp::Ordering::Equal => None,
    }
}
