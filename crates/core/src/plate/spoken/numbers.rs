//! Numbers said as numbers: "twenty three", "veintitrés", "one hundred and five", "dos mil".
//!
//! A run of single digits ("one two three") is not a number here; the lexicon spells it digit
//! by digit. A tens word takes the unit after it ("twenty three" is 23, never 203): that is
//! how people read plates. Hundreds and thousands are ambiguous: "one hundred twenty three"
//! is 123 as a number, but a person reading `10023` off a plate may say it too, so those get
//! both readings, the arithmetic one first.

use super::lexicon::Lang;

/// Weight of the arithmetic reading when a hundreds or thousands word makes two readings.
const ARITHMETIC: f64 = 0.7;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Num {
    /// 1 to 9 (zero is only ever a digit).
    Unit(u32),
    /// A two-digit number in one word: "eleven", "quince", "veintitrés".
    Closed(u32),
    /// Twenty to ninety, which may take a unit.
    Tens(u32),
    /// "hundred", "cien", "ciento".
    Hundred,
    /// Spanish "doscientos" to "novecientos".
    Hundreds(u32),
    /// "thousand", "mil".
    Thousand,
}

/// A number word and its language.
pub(super) fn num_word(w: &str) -> Option<(Num, Lang)> {
    use Lang::{En, Es};
    use Num::*;
    let en = |n| Some((n, En));
    let es = |n| Some((n, Es));
    match w {
        "one" => en(Unit(1)),
        "two" => en(Unit(2)),
        "three" => en(Unit(3)),
        "four" => en(Unit(4)),
        "five" => en(Unit(5)),
        "six" => en(Unit(6)),
        "seven" => en(Unit(7)),
        "eight" => en(Unit(8)),
        "nine" => en(Unit(9)),
        "ten" => en(Closed(10)),
        "eleven" => en(Closed(11)),
        "twelve" => en(Closed(12)),
        "thirteen" => en(Closed(13)),
        "fourteen" => en(Closed(14)),
        "fifteen" => en(Closed(15)),
        "sixteen" => en(Closed(16)),
        "seventeen" => en(Closed(17)),
        "eighteen" => en(Closed(18)),
        "nineteen" => en(Closed(19)),
        "twenty" => en(Tens(20)),
        "thirty" => en(Tens(30)),
        "forty" | "fourty" => en(Tens(40)),
        "fifty" => en(Tens(50)),
        "sixty" => en(Tens(60)),
        "seventy" => en(Tens(70)),
        "eighty" => en(Tens(80)),
        "ninety" => en(Tens(90)),
        "hundred" => en(Hundred),
        "thousand" => en(Thousand),
        "uno" | "un" | "una" => es(Unit(1)),
        "dos" => es(Unit(2)),
        "tres" => es(Unit(3)),
        "cuatro" => es(Unit(4)),
        "cinco" => es(Unit(5)),
        "seis" => es(Unit(6)),
        "siete" => es(Unit(7)),
        "ocho" => es(Unit(8)),
        "nueve" => es(Unit(9)),
        "diez" => es(Closed(10)),
        "once" => es(Closed(11)),
        "doce" => es(Closed(12)),
        "trece" => es(Closed(13)),
        "catorce" => es(Closed(14)),
        "quince" => es(Closed(15)),
        "dieciseis" => es(Closed(16)),
        "diecisiete" => es(Closed(17)),
        "dieciocho" => es(Closed(18)),
        "diecinueve" => es(Closed(19)),
        "veinte" => es(Tens(20)),
        "veintiuno" | "veintiun" | "veintiuna" => es(Closed(21)),
        "veintidos" => es(Closed(22)),
        "veintitres" => es(Closed(23)),
        "veinticuatro" => es(Closed(24)),
        "veinticinco" => es(Closed(25)),
        "veintiseis" => es(Closed(26)),
        "veintisiete" => es(Closed(27)),
        "veintiocho" => es(Closed(28)),
        "veintinueve" => es(Closed(29)),
        "treinta" => es(Tens(30)),
        "cuarenta" => es(Tens(40)),
        "cincuenta" => es(Tens(50)),
        "sesenta" => es(Tens(60)),
        "setenta" => es(Tens(70)),
        "ochenta" => es(Tens(80)),
        "noventa" => es(Tens(90)),
        "cien" | "ciento" => es(Hundred),
        "doscientos" | "doscientas" => es(Hundreds(200)),
        "trescientos" | "trescientas" => es(Hundreds(300)),
        "cuatrocientos" | "cuatrocientas" => es(Hundreds(400)),
        "quinientos" | "quinientas" => es(Hundreds(500)),
        "seiscientos" | "seiscientas" => es(Hundreds(600)),
        "setecientos" | "setecientas" => es(Hundreds(700)),
        "ochocientos" | "ochocientas" => es(Hundreds(800)),
        "novecientos" | "novecientas" => es(Hundreds(900)),
        "mil" => es(Thousand),
        _ => None,
    }
}

/// A number phrase at the start of a word list.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Number {
    /// Words consumed.
    pub len: usize,
    /// Digit strings with weights summing to 1, arithmetic reading first.
    pub reads: Vec<(String, f64)>,
}

/// The number phrase opening `words`, if it is more than a lone digit word.
pub(super) fn compound(words: &[&str]) -> Option<Number> {
    let mut c = Cursor { words, pos: 0 };
    let mut parts = Vec::new();
    parts.extend(c.thousands());
    parts.extend(c.hundreds());
    if !parts.is_empty()
        && c.word(0) == Some("and")
        && matches!(c.num(1), Some(Num::Unit(_) | Num::Closed(_) | Num::Tens(_)))
    {
        c.pos += 1;
    }
    parts.extend(c.small(!parts.is_empty()));
    // A lone unit never gets here: `small` takes one only after a hundreds or thousands word.
    if parts.is_empty() {
        return None;
    }
    let total: u32 = parts.iter().sum();
    let mut reads = vec![(total.to_string(), 1.0)];
    if parts.len() > 1 {
        let spelled: String = parts.iter().map(u32::to_string).collect();
        reads = vec![(total.to_string(), ARITHMETIC), (spelled, 1.0 - ARITHMETIC)];
    }
    Some(Number { len: c.pos, reads })
}

struct Cursor<'a> {
    words: &'a [&'a str],
    pos: usize,
}

impl Cursor<'_> {
    fn word(&self, ahead: usize) -> Option<&str> {
        self.words.get(self.pos + ahead).copied()
    }

    fn num(&self, ahead: usize) -> Option<Num> {
        num_word(self.word(ahead)?).map(|(n, _)| n)
    }

    /// Below 100: "fifteen", "twenty three", "treinta y cinco", and a lone unit only when it
    /// follows a hundreds or thousands word ("ciento cinco").
    fn small(&mut self, unit_allowed: bool) -> Option<u32> {
        match self.num(0)? {
            Num::Closed(v) => {
                self.pos += 1;
                Some(v)
            }
            Num::Tens(v) => {
                let joiner = usize::from(matches!(self.word(1), Some("y" | "and")));
                match self.num(1 + joiner) {
                    Some(Num::Unit(u)) => {
                        self.pos += 2 + joiner;
                        Some(v + u)
                    }
                    _ => {
                        self.pos += 1;
                        Some(v)
                    }
                }
            }
            Num::Unit(u) if unit_allowed => {
                self.pos += 1;
                Some(u)
            }
            _ => None,
        }
    }

    /// "hundred", "one hundred", "a hundred", "fifteen hundred", "ciento", "doscientos".
    fn hundreds(&mut self) -> Option<u32> {
        match self.num(0) {
            Some(Num::Hundreds(v)) => {
                self.pos += 1;
                return Some(v);
            }
            Some(Num::Hundred) => {
                self.pos += 1;
                return Some(100);
            }
            _ => {}
        }
        let times = match (self.word(0), self.num(0)) {
            (Some("a"), _) => 1,
            (_, Some(Num::Unit(v) | Num::Closed(v))) => v,
            _ => return None,
        };
        (self.num(1) == Some(Num::Hundred)).then(|| {
            self.pos += 2;
            times * 100
        })
    }

    /// "thousand", "mil", "two thousand", "a thousand", "veinte mil".
    fn thousands(&mut self) -> Option<u32> {
        if self.num(0) == Some(Num::Thousand) {
            self.pos += 1;
            return Some(1000);
        }
        let start = self.pos;
        let times = if self.word(0) == Some("a") {
            self.pos += 1;
            Some(1)
        } else {
            self.small(true)
        };
        if let Some(times) = times
            && self.num(0) == Some(Num::Thousand)
        {
            self.pos += 1;
            return Some(times * 1000);
        }
        self.pos = start;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(text: &str) -> Option<(usize, Vec<String>)> {
        let words: Vec<&str> = text.split(' ').collect();
        compound(&words).map(|n| (n.len, n.reads.into_iter().map(|(s, _)| s).collect()))
    }

    #[test]
    fn compounds() {
        assert_eq!(reads("twenty three"), Some((2, vec!["23".into()])));
        assert_eq!(reads("veintitres"), Some((1, vec!["23".into()])));
        assert_eq!(reads("treinta y cinco"), Some((3, vec!["35".into()])));
        assert_eq!(reads("twenty"), Some((1, vec!["20".into()])));
        assert_eq!(reads("ten four"), Some((1, vec!["10".into()])));
        assert_eq!(reads("one hundred"), Some((2, vec!["100".into()])));
        assert_eq!(
            reads("a hundred and five"),
            Some((4, vec!["105".into(), "1005".into()]))
        );
        assert_eq!(
            reads("one hundred twenty three"),
            Some((4, vec!["123".into(), "10023".into()]))
        );
        assert_eq!(reads("dos mil veinte"), Some((3, vec!["2020".into(), "200020".into()])));
        assert_eq!(reads("quinientos"), Some((1, vec!["500".into()])));
        assert_eq!(reads("mil"), Some((1, vec!["1000".into()])));
        assert_eq!(reads("ciento uno"), Some((2, vec!["101".into(), "1001".into()])));
    }

    #[test]
    fn lone_digits_are_left_to_the_lexicon() {
        assert_eq!(reads("one two three"), None);
        assert_eq!(reads("siete"), None);
        assert_eq!(reads("a b c"), None);
        assert_eq!(reads("twenty y"), Some((1, vec!["20".into()])));
    }
}
