//! The app's translations compared with English: which languages exist and what each one lacks.
//!
//! Every string the app shows comes from `web/i18n/<code>.json`, a flat JSON object of
//! `"key": "string"`, and English is the reference. A new language is a new file and no code: the
//! app learns the list from `/i18n/index.json`, and translators learn what is left to do from
//! `/i18n/report.json`. Everything here is pure, so it is tested on made-up files; the endpoints
//! feed it the embedded ones.

use serde::Serialize;
use std::collections::BTreeMap;

/// The language every other one is compared with.
pub const REFERENCE: &str = "en";

/// The key every file has: the language's name in that language ("Español"), for the picker.
pub const NAME_KEY: &str = "language.name";

/// One translation file's strings, by key.
pub type Strings = BTreeMap<String, String>;

/// Reads a translation file. A file the app could not use (not JSON, not an object, or a value
/// that is not a string) is an error that says what is wrong, never a panic.
pub fn parse(text: &[u8]) -> Result<Strings, String> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(text).map_err(|error| format!("not a JSON object of strings: {error}"))?;
    object
        .into_iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => Ok((key, text)),
            _ => Err(format!("the value of {key:?} is not a string")),
        })
        .collect()
}

/// One language measured against the reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LanguageReport {
    pub code: String,
    /// The file's own `language.name`, or its code when it has none.
    pub name: String,
    /// Keys English has and this file lacks.
    pub missing: Vec<String>,
    /// Keys this file has with nothing but whitespace in them.
    pub empty: Vec<String>,
    /// Keys this file has and English does not: renamed or removed strings, or typos.
    pub unused: Vec<String>,
    /// Why the file could not be read at all; the lists are then empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl LanguageReport {
    /// Strings a person reading this language would not see translated.
    pub fn untranslated(&self) -> usize {
        self.missing.len() + self.empty.len()
    }
}

/// Compares the file for `code` with the reference strings.
pub fn compare(reference: &Strings, code: &str, text: &[u8]) -> LanguageReport {
    let mut report = LanguageReport {
        code: code.to_owned(),
        name: code.to_owned(),
        missing: Vec::new(),
        empty: Vec::new(),
        unused: Vec::new(),
        error: None,
    };
    let strings = match parse(text) {
        Ok(strings) => strings,
        Err(error) => {
            report.error = Some(error);
            return report;
        }
    };
    if let Some(name) = strings.get(NAME_KEY).filter(|name| !name.trim().is_empty()) {
        report.name = name.clone();
    }
    for key in reference.keys() {
        match strings.get(key) {
            None => report.missing.push(key.clone()),
            Some(text) if text.trim().is_empty() => report.empty.push(key.clone()),
            Some(_) => {}
        }
    }
    report.unused = strings
        .keys()
        .filter(|key| !reference.contains_key(*key))
        .cloned()
        .collect();
    report
}

/// `/i18n/report.json`: every language but the reference, measured against it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub reference: &'static str,
    /// Why the reference itself could not be read; every language then looks complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub languages: Vec<LanguageReport>,
    /// The reference's own `language.name`, for the index.
    #[serde(skip)]
    pub reference_name: String,
}

/// `/i18n/index.json`: the languages the app can offer, reference first.
#[derive(Debug, Clone, Serialize)]
pub struct Index {
    pub reference: &'static str,
    pub languages: Vec<IndexEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexEntry {
    pub code: String,
    pub name: String,
    /// Strings not translated (missing or empty), so the picker can say "incomplete".
    pub missing: usize,
}

/// Builds the report from `(code, file bytes)` pairs, in any order.
pub fn report<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Report {
    let mut files: Vec<(&str, &[u8])> = files.into_iter().collect();
    files.sort_by_key(|(code, _)| *code);
    let (reference, error) = match files.iter().find(|(code, _)| *code == REFERENCE) {
        Some((_, text)) => match parse(text) {
            Ok(strings) => (strings, None),
            Err(error) => (Strings::new(), Some(format!("{REFERENCE}.json: {error}"))),
        },
        None => (Strings::new(), Some(format!("there is no {REFERENCE}.json"))),
    };
    let reference_name = reference.get(NAME_KEY).map_or(REFERENCE, String::as_str).to_owned();
    let languages = files
        .iter()
        .filter(|(code, _)| *code != REFERENCE)
        .map(|(code, text)| compare(&reference, code, text))
        .collect();
    Report {
        reference: REFERENCE,
        error,
        languages,
        reference_name,
    }
}

impl Report {
    /// The languages the app can load: the reference (if readable), then every readable file.
    /// A file that is not valid is left out, because the app could not use it; the report says why.
    pub fn index(&self) -> Index {
        let reference = self.error.is_none().then(|| IndexEntry {
            code: REFERENCE.to_owned(),
            name: self.reference_name.clone(),
            missing: 0,
        });
        let others = self
            .languages
            .iter()
            .filter(|language| language.error.is_none())
            .map(|language| IndexEntry {
                code: language.code.clone(),
                name: language.name.clone(),
                missing: language.untranslated(),
            });
        Index {
            reference: REFERENCE,
            languages: reference.into_iter().chain(others).collect(),
        }
    }
}

/// The language code of an embedded file name, if it is a translation file: `i18n/<code>.json`
/// with a code of ASCII letters, digits and `-` (`pt-BR`). `index` and `report` are the generated
/// documents' names, so they can never be languages.
pub fn language_code(file_name: &str) -> Option<&str> {
    let code = file_name.strip_prefix("i18n/")?.strip_suffix(".json")?;
    let plain = !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    (plain && code != "index" && code != "report").then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EN: &[u8] = br#"{"language.name": "English", "a": "A", "b": "B", "c": "C"}"#;

    fn strings(text: &[u8]) -> Strings {
        parse(text).expect("test file parses")
    }

    #[test]
    fn a_complete_translation_has_nothing_to_report() {
        let report = compare(
            &strings(EN),
            "es",
            r#"{"language.name": "Español", "a": "A", "b": "B", "c": "C"}"#.as_bytes(),
        );
        assert_eq!(report.name, "Español");
        assert!(report.missing.is_empty() && report.empty.is_empty() && report.unused.is_empty());
        assert_eq!(report.error, None);
    }

    #[test]
    fn missing_empty_and_unused_keys_are_each_listed() {
        let report = compare(
            &strings(EN),
            "fr",
            br#"{"language.name": "Fran\u00e7ais", "a": "  ", "b": "", "old": "x", "typo.c": "C"}"#,
        );
        assert_eq!(report.name, "Français");
        assert_eq!(report.missing, ["c"]);
        assert_eq!(report.empty, ["a", "b"]);
        assert_eq!(report.unused, ["old", "typo.c"]);
        assert_eq!(report.untranslated(), 3);
    }

    #[test]
    fn a_file_without_a_name_is_known_by_its_code() {
        let report = compare(&strings(EN), "de", br#"{"a": "A"}"#);
        assert_eq!(report.name, "de");
        assert_eq!(report.missing, ["b", "c", "language.name"]);
    }

    #[test]
    fn malformed_files_are_reported_not_panicked_on() {
        for (text, says) in [
            (&b"{\"a\": "[..], "not a JSON object"),
            (b"[\"a\"]", "not a JSON object"),
            (b"", "not a JSON object"),
            (b"{\"a\": 1}", "\"a\" is not a string"),
            (b"{\"a\": {\"nested\": \"x\"}}", "\"a\" is not a string"),
            (b"{\"a\": null}", "\"a\" is not a string"),
        ] {
            let report = compare(&strings(EN), "xx", text);
            let error = report.error.expect("an error entry");
            assert!(error.contains(says), "{error}");
            assert!(report.missing.is_empty() && report.empty.is_empty() && report.unused.is_empty());
        }
    }

    #[test]
    fn the_report_covers_every_language_but_the_reference_in_code_order() {
        let files: [(&str, &[u8]); 4] = [
            ("pt-BR", br#"{"language.name": "Portugues", "a": "A"}"#),
            ("en", EN),
            (
                "es",
                r#"{"language.name": "Español", "a": "A", "b": "B", "c": "C"}"#.as_bytes(),
            ),
            ("zz", b"nonsense"),
        ];
        let report = report(files);
        assert_eq!(report.error, None);
        let codes: Vec<&str> = report.languages.iter().map(|l| l.code.as_str()).collect();
        assert_eq!(codes, ["es", "pt-BR", "zz"]);

        let index = report.index();
        assert_eq!(
            index.languages,
            [
                IndexEntry {
                    code: "en".into(),
                    name: "English".into(),
                    missing: 0
                },
                IndexEntry {
                    code: "es".into(),
                    name: "Español".into(),
                    missing: 0
                },
                IndexEntry {
                    code: "pt-BR".into(),
                    name: "Portugues".into(),
                    missing: 2
                },
            ],
            "the unreadable zz is left out of the index"
        );
    }

    #[test]
    fn a_broken_or_absent_reference_is_an_error_at_the_top() {
        let broken = report([("en", &b"{"[..]), ("es", b"{}")]);
        assert!(broken.error.as_deref().is_some_and(|e| e.starts_with("en.json")));
        assert!(broken.index().languages.iter().all(|l| l.code != "en"));

        let absent = report([("es", &b"{}"[..])]);
        assert_eq!(absent.error.as_deref(), Some("there is no en.json"));
    }

    #[test]
    fn translation_files_are_named_by_code() {
        assert_eq!(language_code("i18n/en.json"), Some("en"));
        assert_eq!(language_code("i18n/pt-BR.json"), Some("pt-BR"));
        for name in [
            "i18n/index.json",
            "i18n/report.json",
            "i18n/.json",
            "i18n/x/y.json",
            "i18n/en.txt",
            "en.json",
        ] {
            assert_eq!(language_code(name), None, "{name}");
        }
    }
}
