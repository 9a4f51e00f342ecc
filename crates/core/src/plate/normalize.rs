//! The `Plate` newtype and the confusion classes that make lookups forgive misread characters.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The most characters a plate may have. US plates have at most 8, Mexican 7; 10 leaves room for
/// vanity and foreign plates without letting a sentence through as a plate.
pub const MAX_LEN: usize = 10;

/// A licence plate as stored and searched: uppercase ASCII letters and digits, 1 to [`MAX_LEN`].
///
/// Spaces, dashes and dots are how plates are printed, not part of them, so `7-abc 123` and
/// `7ABC123` are the same plate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Plate(String);

/// Why a text is not a plate. Each message tells the person what to type instead.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PlateError {
    #[error("the plate is empty: type the letters and digits you saw")]
    Empty,
    #[error("the plate has {len} letters and digits, but plates have at most {MAX_LEN}")]
    TooLong { len: usize },
    #[error("{ch:?} cannot be on a plate: use only the letters A to Z and the digits 0 to 9")]
    InvalidChar { ch: char },
}

impl Plate {
    /// Parses a plate as a person typed it: case-insensitive, separators dropped.
    pub fn parse(text: &str) -> Result<Self, PlateError> {
        let mut plate = String::with_capacity(text.len().min(MAX_LEN));
        let mut len = 0;
        for ch in text.chars() {
            match plate_char(ch) {
                PlateChar::Keep(c) => {
                    len += 1;
                    // Keep counting past the limit so the error can say how long the input was.
                    if len <= MAX_LEN {
                        plate.push(c);
                    }
                }
                PlateChar::Separator => {}
                PlateChar::Invalid => return Err(PlateError::InvalidChar { ch }),
            }
        }
        match len {
            0 => Err(PlateError::Empty),
            n if n > MAX_LEN => Err(PlateError::TooLong { len: n }),
            _ => Ok(Plate(plate)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The plate with each character replaced by its [`confusion_class`]: two plates that a
    /// person or a camera could mistake for each other have the same key, so a store can index
    /// it for "exact up to confusion" lookups.
    pub fn folded(&self) -> String {
        self.0.chars().map(confusion_class).collect()
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Plate {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Plate {
    type Err = PlateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Plate::parse(s)
    }
}

impl TryFrom<String> for Plate {
    type Error = PlateError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Plate::parse(&s)
    }
}

impl From<Plate> for String {
    fn from(p: Plate) -> String {
        p.0
    }
}

/// What one typed character means on a plate.
pub(super) enum PlateChar {
    Keep(char),
    Separator,
    Invalid,
}

/// Classifies one typed character. Shared with the search pattern so both read input alike.
pub(super) fn plate_char(ch: char) -> PlateChar {
    match ch {
        'a'..='z' | 'A'..='Z' | '0'..='9' => PlateChar::Keep(ch.to_ascii_uppercase()),
        // Printed separators, plus the look-alikes phones substitute when typing: en and em
        // dashes from autocorrect, the middle dot and bullets of some plate fonts.
        ' ' | '\t' | '\n' | '\r' | '-' | '.' | '\u{00A0}' | '\u{00B7}' | '\u{2010}'..='\u{2015}' => {
            PlateChar::Separator
        }
        '\u{2022}' | '\u{2027}' | '\u{2219}' | '\u{30FB}' => PlateChar::Separator,
        _ => PlateChar::Invalid,
    }
}

/// The canonical member of `ch`'s confusion class: the characters people and plate cameras
/// mistake for one another share one class.
///
/// | class | members    |
/// |-------|------------|
/// | `0`   | 0 O D Q    |
/// | `1`   | 1 I L      |
/// | `2`   | 2 Z        |
/// | `5`   | 5 S        |
/// | `6`   | 6 G        |
/// | `8`   | 8 B        |
///
/// Every other character is its own class. Lowercase letters fold like uppercase ones.
pub fn confusion_class(ch: char) -> char {
    match ch.to_ascii_uppercase() {
        '0' | 'O' | 'D' | 'Q' => '0',
        '1' | 'I' | 'L' => '1',
        '2' | 'Z' => '2',
        '5' | 'S' => '5',
        '6' | 'G' => '6',
        '8' | 'B' => '8',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn separators_and_case_are_dropped() {
        for text in [
            "7abc123",
            "7-ABC-123",
            "7 abc 123",
            "7.ABC.123",
            "7·ABC·123",
            "7–ABC—123",
            " 7ABC123 ",
        ] {
            assert_eq!(Plate::parse(text).unwrap().as_str(), "7ABC123", "{text:?}");
        }
    }

    #[test]
    fn rejects_what_cannot_be_a_plate() {
        assert_eq!(Plate::parse(""), Err(PlateError::Empty));
        assert_eq!(Plate::parse(" - . "), Err(PlateError::Empty));
        assert_eq!(Plate::parse("ABCDEFGHIJK"), Err(PlateError::TooLong { len: 11 }));
        assert_eq!(Plate::parse("ABC*12"), Err(PlateError::InvalidChar { ch: '*' }));
        assert_eq!(Plate::parse("AÑO1"), Err(PlateError::InvalidChar { ch: 'Ñ' }));
        assert!(Plate::parse("ABCDEFGHIJ").is_ok());
    }

    #[test]
    fn errors_say_what_to_do() {
        let message = PlateError::InvalidChar { ch: '#' }.to_string();
        assert!(message.contains("A to Z"), "{message}");
        assert!(PlateError::TooLong { len: 12 }.to_string().contains("at most 10"));
    }

    #[test]
    fn confusable_plates_share_a_folded_key() {
        let a = Plate::parse("8OS-1Z6").unwrap();
        let b = Plate::parse("BDS-L2G").unwrap();
        assert_eq!(a.folded(), b.folded());
        assert_eq!(a.folded(), "805126");
        assert_ne!(a.folded(), Plate::parse("BDS-L2H").unwrap().folded());
    }

    #[test]
    fn serde_validates() {
        let plate: Plate = serde_json::from_str("\"7abc-123\"").unwrap();
        assert_eq!(serde_json::to_string(&plate).unwrap(), "\"7ABC123\"");
        assert!(serde_json::from_str::<Plate>("\"\"").is_err());
    }

    proptest! {
        #[test]
        fn normalizing_is_idempotent(text in "[a-zA-Z0-9 .·-]{0,14}") {
            if let Ok(plate) = Plate::parse(&text) {
                prop_assert_eq!(Plate::parse(plate.as_str()), Ok(plate.clone()));
                prop_assert_eq!(Plate::parse(&format!("{plate}")), Ok(plate));
            }
        }

        #[test]
        fn folding_is_idempotent(plate in "[A-Z0-9]{1,10}") {
            let folded = Plate::parse(&plate).unwrap().folded();
            prop_assert_eq!(Plate::parse(&folded).unwrap().folded(), folded);
        }
    }
}
