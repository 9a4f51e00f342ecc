use super::*;
use proptest::prelude::*;

fn plate(s: &str) -> Plate {
    Plate::parse(s).expect("plate")
}

fn query(text: &str) -> IndexQuery {
    IndexQuery::of(&Pattern::parse(text).expect("pattern")).expect("query")
}

#[test]
fn grams_are_folded_and_distinct() {
    assert_eq!(plate_grams(&plate("7AB")), vec!["7A8"]);
    assert_eq!(plate_grams(&plate("AAAA")), vec!["AAA"]);
    assert!(plate_grams(&plate("AB")).is_empty());
    assert_eq!(plate_grams(&plate("O1S2")), vec!["015", "152"]);
}

#[test]
fn an_anchored_query_reads_a_key_range() {
    let q = query("7AB*");
    assert_eq!(q.glob, "7A8*");
    assert_eq!(q.seek, Seek::Prefix("7A8".into()));
    assert_eq!((q.whole, q.near), (None, None));
    let q = query("7A?");
    assert_eq!(q.seek, Seek::Prefix("7A".into()));
    assert_eq!(q.glob, "7A?");
    assert_eq!(Seek::range("7A"), ("7A".to_owned(), "7A~".to_owned()));
}

#[test]
fn an_unanchored_query_reads_plates_with_all_its_grams() {
    let q = query("?X5O1");
    assert_eq!(q.seek, Seek::Grams(vec!["X50".into(), "501".into()]));
    assert_eq!(q.glob, "?X501");
    // A short first run does not narrow enough: the later run's grams do.
    let q = query("7A?123");
    assert_eq!(q.seek, Seek::Grams(vec!["123".into()]));
    assert_eq!(q.like(), "7A_123");
}

#[test]
fn a_plate_typed_whole_is_always_looked_up() {
    let q = query("ab-1");
    assert_eq!(q.glob, "*A81*");
    assert_eq!(q.whole.as_deref(), Some("A81"));
    assert_eq!(q.like(), "%A81%");
    assert_eq!(query("AB1*").whole, None);
}

#[test]
fn long_queries_read_misheard_plates_too() {
    let q = query("7ABC123");
    let near = q.near.clone().expect("near");
    assert_eq!(near.grams, ["7A8", "A8C", "8C1", "C12", "123"]);
    assert_eq!((near.min_shared, near.limit), (2, NEAR_LIMIT));
    // Five literals: one edit may break every gram, and one shared gram is the least asked.
    assert_eq!(query("?A8C12?").near.expect("near").min_shared, 1);
    assert_eq!(query("7AB1").near, None);
    // A wrong character in the middle keeps the grams at both ends.
    assert!(q.reads(&plate("7ABX123")));
    assert!(!q.matches(&plate("7ABX123")));
}

#[test]
fn too_vague_queries_are_refused() {
    for text in ["7A", "*A?B*", "?", "*", "A*B", "??12"] {
        assert_eq!(
            IndexQuery::of(&Pattern::parse(text).expect("pattern")),
            Err(TooVague),
            "{text}"
        );
    }
}

#[test]
fn globs_match_whole_keys() {
    assert!(glob_matches("7A8*", "7A8C123"));
    assert!(glob_matches("7A8*", "7A8"));
    assert!(!glob_matches("7A8*", "X7A8"));
    assert!(glob_matches("*A81*", "X7A812"));
    assert!(glob_matches("?A8C12?", "7A8C123"));
    assert!(!glob_matches("?A8C12?", "7A8C12"));
    assert!(glob_matches("*1*1*", "7111"));
    assert!(!glob_matches("*1*1*", "71"));
    assert!(glob_matches("*", ""));
    assert!(!glob_matches("", "A"));
}

/// A query for part of `p`, as a person might type it: a slice with confusable stand-ins and
/// optional wildcards.
fn typed_query() -> impl Strategy<Value = (String, String)> {
    ("[A-Z0-9]{3,10}", 0usize..10, 1usize..10, 0u8..4).prop_map(|(p, start, len, shape)| {
        let chars: Vec<char> = p.chars().collect();
        let start = start.min(chars.len() - 1);
        let end = (start + len).min(chars.len());
        let body: String = chars[start..end]
            .iter()
            .map(|c| match c {
                'O' => '0',
                'I' => '1',
                'S' => '5',
                '8' => 'B',
                c => *c,
            })
            .collect();
        let query = match shape {
            0 => body,
            1 => format!("{body}*"),
            2 => format!("*{body}?"),
            _ => format!("?{body}*"),
        };
        (p, query)
    })
}

proptest! {
    /// The glob a store filters on is exactly "matches without an edit": the store returns
    /// every plate the search shows as typed, and nothing else in that tier.
    #[test]
    fn the_glob_is_exactly_a_match_without_an_edit((p, text) in typed_query(), other in "[A-Z0-9]{1,10}") {
        let pattern = Pattern::parse(&text).expect("pattern");
        let Ok(index) = IndexQuery::of(&pattern) else { return Ok(()) };
        for candidate in [plate(&p), plate(&other)] {
            prop_assert_eq!(
                index.matches(&candidate),
                pattern.matches_without_edit(&candidate),
                "{} on {}", text, candidate
            );
        }
    }

    /// Every plate matched without an edit is read, through the seek the store uses.
    #[test]
    fn the_seek_finds_every_match_without_an_edit((p, text) in typed_query()) {
        let pattern = Pattern::parse(&text).expect("pattern");
        let Ok(index) = IndexQuery::of(&pattern) else { return Ok(()) };
        let plate = plate(&p);
        if pattern.matches_without_edit(&plate) {
            let folded = plate.folded();
            let seeks = match &index.seek {
                Seek::Prefix(prefix) => folded.starts_with(prefix.as_str()),
                Seek::Grams(grams) => grams.iter().all(|g| plate_grams(&plate).contains(g)),
            };
            prop_assert!(seeks, "{text} on {p}");
            prop_assert!(index.reads(&plate));
        }
    }

    /// A plate typed in full is always read, however many others match.
    #[test]
    fn the_plate_typed_whole_is_read(p in "[A-Z0-9]{3,10}") {
        let plate = plate(&p);
        let index = IndexQuery::of(&Pattern::partial(&plate)).expect("query");
        prop_assert!(index.reads(&plate));
        prop_assert_eq!(index.whole, Some(plate.folded()));
    }

    /// A wrong character at either end of a run of seven keeps enough grams to be read.
    #[test]
    fn a_wrong_end_character_is_read_as_near(p in "[A-Z]{7}", at_end in any::<bool>()) {
        let mut chars: Vec<char> = p.chars().collect();
        let i = if at_end { 6 } else { 0 };
        chars[i] = if chars[i] == '7' { '9' } else { '7' };
        let typed: String = chars.into_iter().collect();
        let index = IndexQuery::of(&Pattern::parse(&typed).expect("pattern")).expect("query");
        prop_assert!(index.reads(&plate(&p)), "{typed} for {p}");
    }
}
