use super::*;
use crate::plate::confusion_class;
use proptest::prelude::*;

fn plate(text: &str) -> Plate {
    Plate::parse(text).unwrap()
}

fn score(query: &str, plate_text: &str) -> Option<Match> {
    Pattern::parse(query).unwrap().score(&plate(plate_text))
}

#[test]
fn parses_wildcards_and_separators() {
    assert_eq!(Pattern::parse("7ab-1?3").unwrap().as_str(), "7AB1?3");
    assert_eq!(Pattern::parse("7_b%%*").unwrap().as_str(), "7?B*");
    assert_eq!(Pattern::parse(""), Err(PatternError::Empty));
    assert_eq!(Pattern::parse(" - "), Err(PatternError::Empty));
    assert_eq!(Pattern::parse("ABC#"), Err(PatternError::InvalidChar { ch: '#' }));
    assert_eq!(Pattern::parse("ABCDEF?????"), Err(PatternError::TooLong { len: 11 }));
    // A star takes no room on the plate.
    assert!(Pattern::parse("*ABCDEFGHIJ*").is_ok());
}

#[test]
fn a_huge_query_is_refused_with_its_length() {
    let long = "A".repeat(100_000);
    assert_eq!(Pattern::parse(&long), Err(PatternError::TooLong { len: 100_000 }));
    let wild = "*?".repeat(50_000);
    assert_eq!(Pattern::parse(&wild), Err(PatternError::TooLong { len: 50_000 }));
    assert_eq!(Pattern::parse(&"*".repeat(100_000)).unwrap().as_str(), "*");
}

#[test]
fn whole_plate_exact() {
    let m = score("7ABC123", "7abc123").unwrap();
    assert_eq!((m.exact, m.confusable, m.edit, m.extent), (7, 0, None, Extent::Whole));
    assert_eq!(m.closeness, 1.0);
    assert!(m.is_exact());
}

#[test]
fn a_query_without_wildcards_is_a_partial_plate() {
    let m = score("7AB", "X7AB12").unwrap();
    assert_eq!((m.exact, m.extent), (3, Extent::Partial));
    assert!((m.closeness - 0.5).abs() < 1e-9);
    assert!(score("7AB", "7A12B").is_none());
}

#[test]
fn wildcards_anchor_the_query() {
    assert!(score("7AB*", "7AB123").is_some());
    assert!(score("7AB*", "X7AB123").is_none());
    assert!(score("*123", "7AB123").is_some());
    assert!(score("7A?123", "7AB123").is_some());
    // Too few literals for an edit, so `?` must find a character.
    assert!(score("7A?12", "7A12").is_none());
    assert_eq!(score("7AB*", "7AB").unwrap().extent, Extent::Whole);
    let m = score("7A?123", "7AB123").unwrap();
    assert_eq!((m.exact, m.unknown, m.extent), (5, 1, Extent::Whole));
    assert!(m.closeness < 1.0 && m.closeness > score("7AB", "7AB123").unwrap().closeness);
}

#[test]
fn confusable_characters_match_below_exact() {
    let m = score("8OS1Z6", "BDSLZG").unwrap();
    assert_eq!((m.exact, m.confusable), (2, 4));
    assert!(!m.is_exact());
    assert!(m.closeness < 1.0);
    // A confusion is closer than a character the query did not cover at all.
    assert!(score("7A8123", "7AB123").unwrap().closeness > score("7AB12", "7AB123").unwrap().closeness);
}

#[test]
fn one_edit_for_long_queries() {
    let wrong = score("7ABX123", "7ABC123").unwrap();
    assert_eq!((wrong.edit, wrong.exact), (Some(Edit::Wrong), 6));
    let missing = score("7AB123", "7ABC123").unwrap();
    assert_eq!(missing.edit, Some(Edit::Missing));
    // Inside a plate, a dropped character is an edit, not a partial match: "7AB" and "123"
    // are not adjacent there, so the substring match fails and the edit is what is left.
    assert_eq!(missing.extent, Extent::Whole);
    let extra = score("7ABCC123", "7ABC123").unwrap();
    assert_eq!(extra.edit, Some(Edit::Extra));
    for m in [wrong, missing, extra] {
        assert!(m.closeness <= EDIT_FACTOR, "{m:?}");
    }
    // Two edits are too many.
    assert!(score("7AXX123", "7ABC123").is_none());
    // Four literals are too few for any edit.
    assert!(score("7AXC", "7ABC").is_none());
}

#[test]
fn edit_free_matches_win() {
    // "ABC12" is inside the plate; the edit reading (a missing character) must not be chosen.
    let m = score("ABC12", "7ABC123").unwrap();
    assert_eq!((m.edit, m.extent), (None, Extent::Partial));
}

#[test]
fn star_matches_everything_with_no_closeness() {
    let m = score("*", "7ABC123").unwrap();
    assert_eq!((m.exact, m.extent, m.closeness), (0, Extent::Partial, 0.0));
    assert!(m.is_exact());
}

#[test]
fn partial_from_a_plate() {
    let p = Pattern::partial(&plate("7AB"));
    assert_eq!(p.as_str(), "7AB");
    assert_eq!(p, Pattern::parse("7ab").unwrap());
}

/// The confusion partners of a character, itself included.
fn partners(c: char) -> Vec<char> {
    ('0'..='9')
        .chain('A'..='Z')
        .filter(|d| confusion_class(*d) == confusion_class(c))
        .collect()
}

proptest! {
    #[test]
    fn a_plate_matches_itself_exactly(text in "[A-Z0-9]{1,10}") {
        let p = plate(&text);
        let m = Pattern::parse(&text).unwrap().score(&p).unwrap();
        prop_assert_eq!(m.closeness, 1.0);
        prop_assert_eq!((m.exact, m.confusable, m.edit, m.extent), (text.len(), 0, None, Extent::Whole));
    }

    #[test]
    fn confusable_substitutions_match_but_never_above_exact(
        text in "[A-Z0-9]{1,10}",
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 10),
    ) {
        let swapped: String = text
            .chars()
            .zip(&picks)
            .map(|(c, pick)| *pick.get(&partners(c)))
            .collect();
        let p = plate(&text);
        let m = Pattern::parse(&swapped).unwrap().score(&p).unwrap();
        prop_assert!(m.closeness <= 1.0);
        prop_assert_eq!(m.extent, Extent::Whole);
        if swapped != text {
            prop_assert!(m.closeness < 1.0);
            prop_assert!(m.confusable > 0);
        }
        prop_assert_eq!(Plate::parse(&swapped).unwrap().folded(), p.folded());
    }

    #[test]
    fn star_matches_every_plate(text in "[A-Z0-9]{1,10}") {
        prop_assert!(Pattern::parse("*").unwrap().score(&plate(&text)).is_some());
    }

    #[test]
    fn closeness_stays_in_range(query in "[A-Z0-9?*]{1,10}", text in "[A-Z0-9]{1,10}") {
        if let Some(m) = Pattern::parse(&query).unwrap().score(&plate(&text)) {
            prop_assert!((0.0..=1.0).contains(&m.closeness));
            prop_assert!(m.exact + m.confusable + m.unknown <= text.len());
        }
    }

    #[test]
    fn any_substring_matches(text in "[A-Z0-9]{1,10}", a in 0usize..10, b in 0usize..10) {
        let (a, b) = (a.min(b) % text.len(), (a.max(b) % text.len()) + 1);
        if a < b {
            let m = Pattern::parse(&text[a..b]).unwrap().score(&plate(&text)).unwrap();
            prop_assert!(m.is_exact());
            prop_assert_eq!(m.exact, b - a);
        }
    }
}
