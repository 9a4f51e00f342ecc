//! Letters said in two words: "i griega", "doble ve", "be larga", "x-ray".

use super::lexicon::Kind::{self, Name, Spelling};
use super::lexicon::Lang::{self, Both, En, Es};

/// A letter said in more than one word, with its readings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Phrase {
    pub len: usize,
    pub reads: &'static [(&'static str, f64)],
    pub kind: Kind,
    pub lang: Lang,
}

/// The multi-word letter starting `words`, if any.
pub(super) fn phrase(words: &[&str]) -> Option<Phrase> {
    let (first, second) = (*words.first()?, *words.get(1)?);
    let (reads, kind, lang): (&'static [(&'static str, f64)], _, _) = match (first, second) {
        ("i", "griega") => (&[("Y", 1.0)], Name, Es),
        ("i", "latina") => (&[("I", 1.0)], Name, Es),
        // "Doble ve" is W in Latin America, "uve doble" in Spain; read literally it is VV.
        ("doble", "ve" | "uve") | ("uve", "doble") => (&[("W", 0.85), ("VV", 0.15)], Name, Es),
        ("doble", "u") => (&[("W", 0.85), ("UU", 0.15)], Name, Es),
        ("doble", "v") => (&[("W", 0.7), ("VV", 0.3)], Name, Es),
        ("double", "you") => (&[("W", 0.9), ("UU", 0.1)], Name, En),
        ("double", "u") => (&[("W", 0.8), ("UU", 0.2)], Name, En),
        ("double", "v") => (&[("VV", 0.7), ("W", 0.3)], Name, En),
        ("ve", "corta" | "chica" | "pequena" | "baja") => (&[("V", 1.0)], Name, Es),
        ("be", "larga" | "grande" | "alta") => (&[("B", 1.0)], Name, Es),
        ("x", "ray") => (&[("X", 1.0)], Spelling, Both),
        _ => return None,
    };
    Some(Phrase {
        len: 2,
        reads,
        kind,
        lang,
    })
}

/// Words that only occur inside a [`phrase`] or before a repeated character: plate talk, not
/// noise, when judging a neighbour.
pub(super) fn is_plate_talk(w: &str) -> bool {
    matches!(
        w,
        "griega"
            | "latina"
            | "corta"
            | "chica"
            | "pequena"
            | "baja"
            | "larga"
            | "grande"
            | "alta"
            | "ray"
            | "doble"
            | "double"
            | "triple"
    )
}
