//! From words to slots: each stretch of speech becomes the plate characters it may stand for,
//! weighted, with an empty reading where the words may not be about the plate at all.

use super::context::{Near, OTHER_LANGUAGE, biased, guess_lang, plate_near, side};
use super::lexicon::{Kind, Lang, lookup};
use super::numbers::{compound, num_word};
use super::phrases::{is_plate_talk, phrase};
use super::words::{Token, filler, filler_phrase};

/// Alternative readings of one stretch of speech: runs of plate characters (possibly empty)
/// with weights summing to at most 1.
pub(super) type Slot = Vec<(String, f64)>;

/// One letter, digit or printed run, before context decides between its readings.
#[derive(Clone, Debug)]
struct Item {
    len: usize,
    reads: Slot,
    lang: Lang,
    word: Option<(Lang, f64)>,
}

impl Item {
    fn letters(&self) -> impl Iterator<Item = char> + '_ {
        self.reads.iter().filter_map(|(s, _)| single_letter(s))
    }
}

/// Reads tokens into slots, left to right.
pub(super) fn slots(tokens: &[Token]) -> Vec<Slot> {
    let words: Vec<&str> = tokens.iter().map(|t| t.word.as_str()).collect();
    let parser = Parser {
        tokens,
        words: &words,
        lang: guess_lang(&words),
    };
    let mut out = Vec::new();
    // The left neighbour is what was last read, so "be de burro a" sees a letter before "a".
    let mut left = Near::Edge;
    let mut i = 0;
    while i < tokens.len() {
        let (len, slot) = parser.step(i, left);
        left = match &slot {
            Some(slot) => plate_near(slot.iter().map(|(s, _)| s.as_str())),
            None => Near::Noise,
        };
        out.extend(slot);
        i += len.max(1);
    }
    out
}

struct Parser<'a> {
    tokens: &'a [Token],
    words: &'a [&'a str],
    lang: Option<Lang>,
}

impl Parser<'_> {
    /// Reads the construct at `i`: words consumed, and its slot unless it was filler.
    fn step(&self, i: usize, left: Near) -> (usize, Option<Slot>) {
        let rest = &self.words[i..];
        let skip = filler_phrase(rest);
        if skip > 0 {
            return (skip, None);
        }
        if let Some(number) = compound(rest) {
            return (number.len, Some(number.reads));
        }
        if let Some(times) = repeat(rest[0])
            && phrase(rest).is_none()
        {
            return match self.item(i + 1) {
                Some(item) => {
                    let reads = biased(&item.reads, left, self.near(i + 1 + item.len));
                    (
                        1 + item.len,
                        Some(reads.into_iter().map(|(s, p)| (s.repeat(times), p)).collect()),
                    )
                }
                None => (1, None),
            };
        }
        let Some(item) = self.item(i) else { return (1, None) };
        if let Some((len, letter)) = self.confirmed(i, &item) {
            return (len, Some(vec![(letter.to_string(), 1.0)]));
        }
        if let Some((len, slot)) = self.either_or(i, &item) {
            return (len, Some(slot));
        }
        (item.len, Some(self.in_context(&item, left, self.near(i + item.len))))
    }

    fn item(&self, i: usize) -> Option<Item> {
        let rest = self.words.get(i..)?;
        if let Some(p) = phrase(rest) {
            let reads = p.reads.iter().map(|(s, w)| ((*s).to_owned(), *w)).collect();
            return Some(Item {
                len: p.len,
                reads,
                lang: p.lang,
                word: None,
            });
        }
        let token = self.tokens.get(i)?;
        if let Some(compact) = &token.compact {
            return Some(Item {
                len: 1,
                reads: vec![(compact.clone(), 1.0)],
                lang: Lang::Both,
                word: None,
            });
        }
        let entry = lookup(&token.word)?;
        let reads = entry.reads().into_iter().map(|(c, w)| (c.to_string(), w)).collect();
        Some(Item {
            len: 1,
            reads,
            lang: entry.lang,
            word: entry.word,
        })
    }

    fn near(&self, k: usize) -> Near {
        let Some(token) = self.tokens.get(k) else {
            return Near::Edge;
        };
        if let Some(compact) = &token.compact {
            return plate_near(std::iter::once(compact.as_str()));
        }
        let w = token.word.as_str();
        if let Some(entry) = lookup(w) {
            return Near::Plate {
                digit: entry.has_digit(),
                letter: entry.has_letter(),
            };
        }
        if num_word(w).is_some() {
            return Near::Plate {
                digit: true,
                letter: false,
            };
        }
        if is_plate_talk(w) {
            return Near::Plate {
                digit: false,
                letter: true,
            };
        }
        Near::Noise
    }

    /// "a de adam", "be de burro", "b as in boy": the word after the connector names the
    /// letter, so its initial is the reading, provided it is one the letter could have. When
    /// it is not ("a de casa"), the words are read one by one instead.
    fn confirmed(&self, i: usize, item: &Item) -> Option<(usize, char)> {
        let at = i + item.len;
        let connector = connector(self.words.get(at..)?)?;
        let (initial, len) = self.confirming_word(at + connector)?;
        item.letters()
            .any(|c| c == initial)
            .then_some((item.len + connector + len, initial))
    }

    /// The letter a confirming word names: a spelling-alphabet word's letter, or the initial of
    /// an ordinary word ("burro", "casa"). Letter and digit names confirm nothing, so "a de be"
    /// still spells A, D, B.
    fn confirming_word(&self, k: usize) -> Option<(char, usize)> {
        if let Some(p) = phrase(self.words.get(k..)?) {
            let letter = p.reads.first().and_then(|(s, _)| single_letter(s));
            return letter.filter(|_| p.kind == Kind::Spelling).map(|c| (c, p.len));
        }
        let token = self.tokens.get(k)?;
        let w = token.word.as_str();
        if token.compact.is_some() || filler(w).is_some() || num_word(w).is_some() || is_plate_talk(w) {
            return None;
        }
        match lookup(w) {
            Some(entry) => (entry.kind == Kind::Spelling).then_some((entry.main, 1)),
            None if w.len() >= 3 => w.chars().next().map(|c| (c.to_ascii_uppercase(), 1)),
            None => None,
        }
    }

    /// "siete o uno", "seven or one": the speaker was unsure, so each side is a reading, the
    /// first a little likelier. In Spanish "o" may still be the letter, so that reading stays;
    /// in English "o" is a letter or zero and never a conjunction, so it is not handled here.
    fn either_or(&self, i: usize, x: &Item) -> Option<(usize, Slot)> {
        let at = i + x.len;
        let conj = *self.words.get(at)?;
        let y = self.item(at + 1)?;
        let (wx, wy, wl) = match conj {
            "or" => (0.52, 0.48, 0.0),
            "o" | "u" => {
                // "u" is "o" before an o sound: "siete u ocho".
                let next = self.words[at + 1];
                if conj == "u" && !(next.starts_with('o') || next.starts_with("ho")) {
                    return None;
                }
                let spanish = x.lang == Lang::Es || y.lang == Lang::Es || self.lang == Some(Lang::Es);
                let english = x.lang == Lang::En || y.lang == Lang::En || self.lang == Some(Lang::En);
                match (spanish, english) {
                    (true, false) => (0.45, 0.40, 0.15),
                    (false, false) => (0.3, 0.25, 0.45),
                    _ => return None,
                }
            }
            _ => return None,
        };
        let mut slot: Slot = x.reads.iter().map(|(s, p)| (s.clone(), p * wx)).collect();
        slot.extend(y.reads.iter().map(|(s, p)| (s.clone(), p * wy)));
        let middle = lookup(conj).map(|e| e.reads()).unwrap_or_default();
        for ((xs, xp), (m, mp)) in x.reads.iter().flat_map(|a| middle.iter().map(move |b| (a, b))) {
            for (ys, yp) in &y.reads {
                slot.push((format!("{xs}{m}{ys}"), xp * mp * yp * wl));
            }
        }
        slot.retain(|(_, p)| *p > 0.0);
        Some((x.len + 1 + y.len, slot))
    }

    /// The item's readings, plus an empty one if the word has an ordinary meaning too, weighed
    /// by its neighbours: between plate characters "a" is a letter, after "it was" an article.
    fn in_context(&self, item: &Item, left: Near, right: Near) -> Slot {
        let mut slot = biased(&item.reads, left, right);
        if let Some((lang, odds)) = item.word {
            // Odds ×4 per neighbour that is plate talk, ÷4 per neighbour that is not; the start
            // or end of the transcript counts ¾ of plate talk.
            let sides: f64 = [left, right].map(side).iter().sum();
            let mut odds = odds * 4f64.powf(sides - 1.0);
            // An unknown language sits halfway, on a log scale, between the word's own and the other.
            odds *= match self.lang {
                _ if lang == Lang::Both => 1.0,
                Some(spoken) if spoken == lang => 1.0,
                Some(_) => OTHER_LANGUAGE,
                None => OTHER_LANGUAGE.sqrt(),
            };
            let p = odds / (1.0 + odds);
            slot.iter_mut().for_each(|r| r.1 *= p);
            slot.push((String::new(), 1.0 - p));
        }
        slot
    }
}

fn single_letter(s: &str) -> Option<char> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphabetic() => Some(c),
        _ => None,
    }
}

fn repeat(w: &str) -> Option<usize> {
    match w {
        "double" | "doble" => Some(2),
        "triple" => Some(3),
        _ => None,
    }
}

/// Words joining a letter to the word that confirms it; the longest match wins.
fn connector(words: &[&str]) -> Option<usize> {
    const CONNECTORS: &[&[&str]] = &[
        &["as", "in"],
        &["is", "for"],
        &["como", "en"],
        &["as"],
        &["for"],
        &["like"],
        &["de"],
        &["como"],
    ];
    CONNECTORS.iter().find(|c| words.starts_with(c)).map(|c| c.len())
}
