use super::*;
use proptest::prelude::*;

fn plates(text: &str) -> Vec<String> {
    spoken_candidates(text)
        .into_iter()
        .map(|c| c.plate.to_string())
        .collect()
}

/// (transcript, the first candidate, other candidates that must be offered).
const CASES: &[(&str, &str, &[&str])] = &[
    // English: NATO, APCO, letter names, digits.
    ("alpha bravo charlie one two three", "ABC123", &[]),
    (
        "uh it was like seven alpha bravo... charlie one two three",
        "7ABC123",
        &[],
    ),
    ("The plate is seven X-ray Yankee Zulu.", "7XYZ", &[]),
    ("adam boy charles david edward", "ABCDE", &[]),
    ("mary nora ocean four five six", "MNO456", &[]),
    ("king lincoln sam tom", "KLST", &[]),
    ("juliett kilo lima niner", "JKL9", &[]),
    ("b as in boy", "B", &[]),
    ("b for boy seven", "B7", &[]),
    ("s like sam, d as in david", "SD", &[]),
    ("seven oh five", "705", &["7O5"]),
    ("double seven alpha", "77A", &[]),
    ("triple nine", "999", &[]),
    ("double you x-ray", "WX", &[]),
    ("seven or one a b c", "7ABC", &["1ABC"]),
    ("twenty three", "23", &[]),
    ("nineteen eighty four", "1984", &[]),
    ("one hundred twenty three", "123", &["10023"]),
    ("California plate, seven ABC one two three.", "7ABC123", &[]),
    ("license plate abc-123", "ABC123", &[]),
    ("7ABC123", "7ABC123", &[]),
    ("I think it was seven i four", "7I4", &[]),
    ("el em en", "LMN", &[]),
    ("see you are", "CUR", &[]),
    // Spanish: digit words, letter names, the "X de palabra" idiom.
    ("uno dos tres", "123", &[]),
    ("a de adam", "A", &[]),
    ("doble ve", "W", &["VV"]),
    ("placa siete a de adam be de burro uno dos tres", "7AB123", &[]),
    ("la placa es ce de casa ocho ocho", "C88", &[]),
    ("be de burro ve de vaca", "BV", &[]),
    ("ve de burro", "B", &[]),
    ("hache de hotel jota de jamón", "HJ", &[]),
    ("equis i griega zeta uno", "XYZ1", &[]),
    ("ve corta uno be larga dos", "V1B2", &[]),
    ("ka ele eme eñe", "KLMN", &[]),
    ("um eh siete jota ka", "7JK", &[]),
    ("veintitrés", "23", &[]),
    ("veintitres cuarenta y cinco", "2345", &[]),
    ("treinta y cinco", "35", &[]),
    ("dos mil veinte", "2020", &["200020"]),
    ("quinientos", "500", &[]),
    ("cero cero siete", "007", &[]),
    ("doble cinco be", "55B", &[]),
    ("uve doble uno", "W1", &[]),
    ("a be ce guion uno dos tres", "ABC123", &[]),
    ("siete o uno a be ce", "7ABC", &["1ABC", "7O1ABC"]),
    ("siete u ocho", "7", &["8"]),
    ("uno dos y tres", "123", &["12Y3"]),
    ("o sea, a ver, es la ese te", "ST", &[]),
    ("Placa: 7-ABC-123, creo", "7ABC123", &[]),
];

#[test]
fn table() {
    assert!(CASES.len() >= 30);
    for (text, first, others) in CASES {
        let got = plates(text);
        assert_eq!(got.first().map(String::as_str), Some(*first), "{text:?} gave {got:?}");
        for other in *others {
            assert!(
                got.iter().any(|g| g == other),
                "{text:?} gave {got:?}, missing {other:?}"
            );
        }
    }
}

#[test]
fn unambiguous_speech_is_certain() {
    let got = spoken_candidates("alpha bravo charlie one two three");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].confidence, 1.0);
}

#[test]
fn candidates_are_few_unique_and_sorted() {
    let got = spoken_candidates("a o be o ce o de oh");
    assert!(!got.is_empty() && got.len() <= MAX_CANDIDATES);
    for pair in got.windows(2) {
        assert!(pair[0].confidence >= pair[1].confidence);
        assert_ne!(pair[0].plate, pair[1].plate);
    }
}

#[test]
fn speech_without_a_plate() {
    assert!(spoken_candidates("").is_empty());
    assert!(spoken_candidates("um the plate is").is_empty());
    // "a" is an article here, so the lone A it might be is unlikely.
    assert!(
        spoken_candidates("it was a white van")
            .iter()
            .all(|c| c.confidence < 0.5)
    );
    // Longer than any plate.
    assert!(spoken_candidates("one two three four five six seven eight nine one two").is_empty());
}

fn nato(c: char) -> &'static str {
    const LETTERS: [&str; 26] = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
        "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
        "x-ray", "yankee", "zulu",
    ];
    const DIGITS: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    spell(c, &LETTERS, &DIGITS)
}

/// Spanish names, leaving out O and U: "siete o uno" and "siete u ocho" mean "or".
fn spanish(c: char) -> &'static str {
    const LETTERS: [&str; 26] = [
        "a", "be", "ce", "de", "e", "efe", "ge", "hache", "i", "jota", "ka", "ele", "eme", "ene", "-", "pe", "cu",
        "erre", "ese", "te", "-", "ve", "doble ve", "equis", "i griega", "zeta",
    ];
    const DIGITS: [&str; 10] = [
        "cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve",
    ];
    spell(c, &LETTERS, &DIGITS)
}

fn spell(c: char, letters: &[&'static str; 26], digits: &[&'static str; 10]) -> &'static str {
    match c {
        'A'..='Z' => letters[usize::from(c as u8 - b'A')],
        _ => digits[usize::from(c as u8 - b'0')],
    }
}

proptest! {
    #[test]
    fn nato_spelling_is_read_back(plate in "[A-Z0-9]{2,8}") {
        let text: Vec<&str> = plate.chars().map(nato).collect();
        let got = plates(&text.join(" "));
        prop_assert_eq!(got.first(), Some(&plate));
    }

    #[test]
    fn spanish_spelling_is_read_back(plate in "[A-NP-TV-Z0-9]{2,8}") {
        let text: Vec<&str> = plate.chars().map(spanish).collect();
        let got = plates(&text.join(" "));
        prop_assert_eq!(got.first(), Some(&plate), "{}", text.join(" "));
    }

    #[test]
    fn any_text_gives_valid_sorted_candidates(text in "\\PC{0,60}") {
        let got = spoken_candidates(&text);
        prop_assert!(got.len() <= MAX_CANDIDATES);
        for c in &got {
            prop_assert!(c.confidence > 0.0 && c.confidence <= 1.0);
        }
    }
}
