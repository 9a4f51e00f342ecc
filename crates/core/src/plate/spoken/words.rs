//! From a transcript to words: lowercase ASCII without diacritics, with plate-like tokens
//! ("7ABC123", "abc-123") kept whole, and the filler words and phrases speech is full of.

use super::lexicon::{Lang, lookup};

/// One word of the transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Token {
    /// Lowercase ASCII letters and digits, diacritics removed ("veintitrés" → "veintitres").
    pub word: String,
    /// The token already written as plate characters, uppercase: "7abc123", "abc-123", or
    /// letters the recognizer capitalized because they were spelled ("ABC").
    pub compact: Option<String>,
}

/// Splits a transcript into tokens.
pub(super) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chunk = String::new();
    let mut upper = true;
    for ch in text.chars().chain(std::iter::once(' ')) {
        if let Some(c) = fold_char(ch) {
            upper &= !ch.is_lowercase();
            chunk.push(c);
        } else if matches!(ch, '-' | '\u{2010}'..='\u{2015}') {
            chunk.push('-');
        } else if matches!(ch, '\'' | '\u{2019}' | '\u{0300}'..='\u{036F}') {
            // "it's" is one word; combining accents belong to the letter before them.
        } else {
            push_chunk(&mut tokens, &chunk, upper);
            chunk.clear();
            upper = true;
        }
    }
    tokens
}

fn push_chunk(tokens: &mut Vec<Token>, chunk: &str, upper: bool) {
    let parts: Vec<&str> = chunk.split('-').filter(|p| !p.is_empty()).collect();
    // "abc-123" is a plate as printed, but "twenty-three" and "x-ray" are words.
    let printed = parts.len() > 1
        && parts.iter().any(|p| p.bytes().any(|b| b.is_ascii_digit()))
        && parts.iter().all(|p| p.len() < 3 || lookup(p).is_none());
    if printed {
        let joined = parts.concat();
        tokens.push(Token {
            compact: Some(joined.to_ascii_uppercase()),
            word: joined,
        });
        return;
    }
    for part in parts {
        let has_digit = part.bytes().any(|b| b.is_ascii_digit());
        let spelled = upper && part.len() > 1 && lookup(part).is_none() && filler(part).is_none();
        let compact = (has_digit || spelled).then(|| part.to_ascii_uppercase());
        tokens.push(Token {
            word: part.to_owned(),
            compact,
        });
    }
}

/// `ch` as a lowercase ASCII letter or digit, accents dropped; `None` for everything else.
fn fold_char(ch: char) -> Option<char> {
    let c = ch.to_lowercase().next()?;
    Some(match c {
        'a'..='z' | '0'..='9' => c,
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        _ => return None,
    })
}

/// `Some(language)` if `w` never spells a plate character: articles, hesitations, the words
/// around a plate ("the plate is", "la placa es") and spoken punctuation ("dash", "guion").
/// Words that might be a character ("a", "de", "el") are in the lexicon instead, with odds.
pub(super) fn filler(w: &str) -> Option<Lang> {
    let lang = match w {
        "the" | "plate" | "plates" | "license" | "licence" | "tag" | "number" | "numbers" | "is" | "was" | "it"
        | "its" | "like" | "um" | "umm" | "uh" | "uhh" | "uhm" | "er" | "erm" | "hmm" | "hm" | "so" | "well"
        | "yeah" | "yes" | "and" | "then" | "dash" | "hyphen" | "space" | "period" | "dot" | "comma" | "think"
        | "maybe" | "probably" | "something" | "sure" | "not" | "car" | "truck" | "vehicle" | "with" | "on" | "of"
        | "at" | "in" | "as" | "or" | "were" | "there" | "they" | "he" | "she" | "we" | "saw" | "said" | "says"
        | "my" | "our" | "this" | "that" | "what" | "letter" | "letters" | "digit" | "digits" | "reads" | "read"
        | "last" | "first" | "starts" | "ends" | "again" | "repeat" | "sorry" | "wait" => Lang::En,
        "la" | "los" | "las" | "placa" | "placas" | "matricula" | "patente" | "tablilla" | "chapa" | "numero"
        | "numeros" | "era" | "fue" | "son" | "que" | "creo" | "pues" | "este" | "bueno" | "guion" | "espacio"
        | "punto" | "coma" | "con" | "del" | "al" | "tenia" | "dice" | "decia" | "vi" | "carro" | "coche"
        | "camioneta" | "patrulla" | "auto" | "vehiculo" | "letra" | "letras" | "digitos" | "como" | "tal" | "vez"
        | "quizas" | "quiza" | "me" | "parece" | "algo" | "asi" | "si" | "entonces" | "luego" | "despues" | "lo"
        | "otra" | "repito" | "perdon" | "espera" | "mas" | "menos" | "empieza" | "termina" => Lang::Es,
        "eh" | "ah" | "ahh" | "mm" | "mmm" | "ok" | "okay" | "no" => Lang::Both,
        _ => return None,
    };
    Some(lang)
}

/// How many words of filler phrase open `words` (0 if none). These phrases contain words that
/// could otherwise be characters: the "i" of "i think", the "o" of "o sea", the "a" of "a ver".
pub(super) fn filler_phrase(words: &[&str]) -> usize {
    const PHRASES: &[&[&str]] = &[
        &["i", "think"],
        &["i", "thought"],
        &["i", "believe"],
        &["i", "guess"],
        &["i", "saw"],
        &["i", "mean"],
        &["i", "dont", "know"],
        &["im", "not", "sure"],
        &["you", "know"],
        &["or", "something"],
        &["kind", "of"],
        &["sort", "of"],
        &["o", "sea"],
        &["es", "decir"],
        &["no", "se"],
        &["a", "ver"],
        &["te", "digo"],
    ];
    PHRASES.iter().find(|p| words.starts_with(p)).map_or(0, |p| p.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(String, Option<String>)> {
        tokenize(text).into_iter().map(|t| (t.word, t.compact)).collect()
    }

    #[test]
    fn folds_case_accents_and_punctuation() {
        let got: Vec<String> = tokenize("¡Veintitrés, EÑE... it's  X-ray!")
            .into_iter()
            .map(|t| t.word)
            .collect();
        assert_eq!(got, ["veintitres", "ene", "its", "x", "ray"]);
        // Decomposed accents (NFD) fold like composed ones.
        assert_eq!(tokenize("veintitre\u{301}s")[0].word, "veintitres");
    }

    #[test]
    fn keeps_printed_plates_whole() {
        assert_eq!(words("abc-123"), [("abc123".into(), Some("ABC123".into()))]);
        assert_eq!(words("7ABC123"), [("7abc123".into(), Some("7ABC123".into()))]);
        assert_eq!(words("ABC"), [("abc".into(), Some("ABC".into()))]);
        assert_eq!(words("twenty-three")[0], ("twenty".into(), None));
        // A spelling word is not part of a printed plate.
        assert_eq!(words("7-alpha").len(), 2);
        // Capitalized words the lexicon knows are still words.
        assert_eq!(words("OK SEVEN"), [("ok".into(), None), ("seven".into(), None)]);
    }

    #[test]
    fn filler_phrases() {
        assert_eq!(filler_phrase(&["i", "think", "seven"]), 2);
        assert_eq!(filler_phrase(&["i", "seven"]), 0);
        assert_eq!(filler_phrase(&["o", "sea"]), 2);
    }
}
