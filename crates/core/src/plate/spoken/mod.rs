//! Voice search: a transcript of someone saying a plate, in English or Spanish, turned into the
//! plates they may have meant.
//!
//! The browser's speech recognition gives text such as "uh it was like seven alpha bravo" or
//! "placa siete a de adam be de burro uno dos tres". Reading it:
//!
//! - `words`: lowercase, strip accents ("veintitrés" → "veintitres"), keep printed plates
//!   ("7ABC123", "abc-123") whole, and know the filler ("the plate is", "la placa es", "um",
//!   "dash", "guion").
//! - `lexicon`: letter and digit names in both languages ("be", "efe", "cero", "nine"),
//!   the NATO and APCO spelling alphabets, and the words that sound like letters ("see", "why").
//! - `phrases`: letters said in two words ("i griega", "doble ve", "be larga", "x-ray").
//! - `numbers`: numbers said as numbers ("twenty three", "treinta y cinco", "dos mil").
//! - `parse`: constructs over several words ("double seven", "a de adam", "b as in boy",
//!   "siete o uno"); each stretch of speech becomes a slot of weighted readings.
//! - `context`: what settles a word that also has an ordinary meaning ("a", "de", "el", "oh"):
//!   its neighbours, and the language of the rest of the transcript.
//!
//! The slots are then multiplied out with a beam: a candidate's confidence is the product of
//! the weights of the readings it took, so a transcript with nothing ambiguous in it gives one
//! candidate with confidence 1. The search that follows forgives O for 0 and B for 8 anyway
//! (see [`confusion_class`](super::confusion_class)); the alternatives here matter for the
//! readings search cannot undo, like a dropped article or "siete o uno".

mod context;
mod lexicon;
mod numbers;
mod parse;
mod phrases;
mod words;

use super::normalize::{MAX_LEN, Plate};

/// At most this many candidates are returned; a person picks from a short list.
pub const MAX_CANDIDATES: usize = 8;

/// Partial readings kept after each slot. Slots have at most a handful of readings, so 64 keeps
/// every candidate that could reach the final eight.
const BEAM: usize = 64;

/// A plate the speaker may have said.
#[derive(Clone, Debug, PartialEq)]
pub struct SpokenCandidate {
    /// The characters heard. Often a partial plate ("seven alpha bravo"): search with
    /// [`Pattern::partial`](super::Pattern::partial).
    pub plate: Plate,
    /// In (0, 1]: 1 when nothing in the transcript was ambiguous.
    pub confidence: f64,
}

/// The plates `text` may spell, best first, without duplicates, at most [`MAX_CANDIDATES`].
/// Empty when nothing in the text reads as a plate of at most [`MAX_LEN`] characters.
pub fn spoken_candidates(text: &str) -> Vec<SpokenCandidate> {
    let tokens = words::tokenize(text);
    let mut beam: Vec<(String, f64)> = vec![(String::new(), 1.0)];
    for slot in parse::slots(&tokens) {
        let mut next = Vec::with_capacity(beam.len() * slot.len());
        for (prefix, p) in &beam {
            for (read, q) in &slot {
                // A reading that overflows a plate cannot be the plate; longer speech is noise.
                if prefix.len() + read.len() <= MAX_LEN {
                    next.push((format!("{prefix}{read}"), p * q));
                }
            }
        }
        beam = best(next, BEAM);
        if beam.is_empty() {
            // Every reading overflowed a plate, and later words only make them longer.
            break;
        }
    }
    beam.retain(|(s, _)| !s.is_empty());
    best(beam, MAX_CANDIDATES)
        .into_iter()
        .filter_map(|(s, confidence)| {
            Some(SpokenCandidate {
                plate: Plate::parse(&s).ok()?,
                confidence,
            })
        })
        .collect()
}

/// The `k` likeliest readings, each string once (at its best weight), ties by string.
fn best(mut reads: Vec<(String, f64)>, k: usize) -> Vec<(String, f64)> {
    reads.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    reads.dedup_by(|later, first| later.0 == first.0);
    reads.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    reads.truncate(k);
    reads
}

#[cfg(test)]
mod tests;
