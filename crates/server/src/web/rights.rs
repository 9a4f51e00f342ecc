//! Which "know your rights" cards exist, in which languages, from the files themselves.
//!
//! A card is `web/rights/<lang>/<situation>.txt`. The app asks `/rights/index.json` instead of
//! assuming, so adding a situation or a language is adding files, and a language whose cards are
//! not all written yet shows the ones it has.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The situations in the order a frightened person is most likely to need them; any other
/// situation follows these, alphabetically.
pub const USUAL_ORDER: [&str; 4] = ["home", "car", "street", "work"];

/// `/rights/index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RightsIndex {
    /// Every situation some language has a card for, usual ones first.
    pub situations: Vec<String>,
    /// For each language, its situations, alphabetically.
    pub languages: BTreeMap<String, Vec<String>>,
}

/// Builds the index from embedded file names; names that are not cards are ignored.
pub fn index<'a>(file_names: impl IntoIterator<Item = &'a str>) -> RightsIndex {
    let mut languages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (language, situation) in file_names.into_iter().filter_map(card) {
        languages
            .entry(language.to_owned())
            .or_default()
            .insert(situation.to_owned());
    }
    let all: BTreeSet<&String> = languages.values().flatten().collect();
    let usual = USUAL_ORDER
        .iter()
        .filter(|usual| all.iter().any(|situation| situation == *usual))
        .map(|usual| (*usual).to_owned());
    let others = all
        .iter()
        .filter(|situation| !USUAL_ORDER.contains(&situation.as_str()))
        .map(|situation| (*situation).clone());
    RightsIndex {
        situations: usual.chain(others).collect(),
        languages: languages
            .into_iter()
            .map(|(language, situations)| (language, situations.into_iter().collect()))
            .collect(),
    }
}

/// `(language, situation)` for `rights/<language>/<situation>.txt` with plain names.
fn card(file_name: &str) -> Option<(&str, &str)> {
    let rest = file_name.strip_prefix("rights/")?;
    let (language, file) = rest.split_once('/')?;
    let situation = file.strip_suffix(".txt")?;
    let plain = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    (plain(language) && plain(situation)).then_some((language, situation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_situations_come_first_then_the_rest_alphabetically() {
        let index = index([
            "rights/en/work.txt",
            "rights/en/car.txt",
            "rights/en/street.txt",
            "rights/en/home.txt",
            "rights/en/school.txt",
            "rights/es/home.txt",
            "rights/es/airport.txt",
            "rights/es/car.txt",
        ]);
        assert_eq!(index.situations, ["home", "car", "street", "work", "airport", "school"]);
        assert_eq!(index.languages["en"], ["car", "home", "school", "street", "work"]);
        assert_eq!(index.languages["es"], ["airport", "car", "home"]);
    }

    #[test]
    fn only_cards_count() {
        let index = index([
            "rights/en/home.txt",
            "rights/en/home.md",
            "rights/en/sub/home.txt",
            "rights/home.txt",
            "rights/index.json",
            "i18n/en.json",
            "rights/en/.txt",
        ]);
        assert_eq!(index.situations, ["home"]);
        assert_eq!(index.languages.len(), 1);
    }

    #[test]
    fn usual_situations_nobody_wrote_are_not_listed() {
        assert_eq!(index(["rights/en/street.txt"]).situations, ["street"]);
        assert_eq!(index(Vec::<&str>::new()).situations, Vec::<String>::new());
    }
}
