//! The words that stand for plate characters, in English and Spanish.
//!
//! Words are looked up lowercase with diacritics removed, so "eñe" arrives as "ene" and reads N:
//! no US or Mexican plate has an Ñ, and a recognizer that hears "ene" may well write "eñe".

use Kind::{Name, Spelling};
use Lang::{Both, En, Es};

/// The language a word belongs to, to tell "o" the Spanish conjunction from "o" the letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lang {
    En,
    Es,
    Both,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A letter or digit by its name, or a word that sounds like one ("bee", "cero", "for").
    Name,
    /// A spelling-alphabet word (NATO, APCO): it stands for its initial and can confirm a
    /// letter, as in "b as in boy".
    Spelling,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Entry {
    pub main: char,
    /// A second reading and its share of the weight: "oh" is O or 0, and Spanish speakers say
    /// B and V alike, so a transcribed "be" may be a V.
    pub alt: Option<(char, f64)>,
    pub kind: Kind,
    pub lang: Lang,
    /// The word is also an ordinary word (article, conjunction, verb) of this language, and these
    /// are the odds that it is a plate character when its neighbours say nothing either way.
    pub word: Option<(Lang, f64)>,
}

impl Entry {
    /// Each reading with its weight; the weights sum to 1.
    pub fn reads(&self) -> Vec<(char, f64)> {
        match self.alt {
            Some((alt, share)) => vec![(self.main, 1.0 - share), (alt, share)],
            None => vec![(self.main, 1.0)],
        }
    }

    pub fn has_digit(&self) -> bool {
        self.reads().iter().any(|(c, _)| c.is_ascii_digit())
    }

    pub fn has_letter(&self) -> bool {
        self.reads().iter().any(|(c, _)| c.is_ascii_alphabetic())
    }
}

const fn name(main: char, lang: Lang) -> Entry {
    Entry {
        main,
        alt: None,
        kind: Name,
        lang,
        word: None,
    }
}

/// A name that is also an ordinary word, with the odds that it means the character.
const fn word(main: char, lang: Lang, word_lang: Lang, odds: f64) -> Entry {
    Entry {
        main,
        alt: None,
        kind: Name,
        lang,
        word: Some((word_lang, odds)),
    }
}

const fn spell(main: char, lang: Lang) -> Entry {
    Entry {
        main,
        alt: None,
        kind: Spelling,
        lang,
        word: None,
    }
}

/// What `word` stands for, if it is a letter, a digit or a spelling word.
pub(super) fn lookup(w: &str) -> Option<Entry> {
    let mut chars = w.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return single(c);
    }
    let entry = match w {
        // NATO, with the spellings Spanish speakers write.
        "alpha" | "alfa" => spell('A', Both),
        "bravo" => spell('B', Both),
        "charlie" | "charly" => spell('C', Both),
        "delta" => spell('D', Both),
        "echo" | "eco" => spell('E', Both),
        "foxtrot" | "fox" => spell('F', Both),
        "golf" => spell('G', Both),
        "hotel" => spell('H', Both),
        "india" => spell('I', Both),
        "juliet" | "juliett" | "julieta" => spell('J', Both),
        "kilo" => spell('K', Both),
        "lima" => spell('L', Both),
        "mike" => spell('M', Both),
        "november" | "noviembre" => spell('N', Both),
        "oscar" => spell('O', Both),
        "papa" => spell('P', Both),
        "quebec" => spell('Q', Both),
        "romeo" => spell('R', Both),
        "sierra" => spell('S', Both),
        "tango" => spell('T', Both),
        "uniform" | "uniforme" => spell('U', Both),
        "victor" => spell('V', Both),
        "whiskey" | "whisky" => spell('W', Both),
        "xray" => spell('X', Both),
        "yankee" | "yanqui" => spell('Y', Both),
        "zulu" => spell('Z', Both),
        // The APCO alphabet US police radio uses.
        "adam" => spell('A', En),
        "boy" => spell('B', En),
        "charles" => spell('C', En),
        "david" => spell('D', En),
        "edward" => spell('E', En),
        "frank" => spell('F', En),
        "george" => spell('G', En),
        "henry" => spell('H', En),
        "ida" => spell('I', En),
        "john" => spell('J', En),
        "king" => spell('K', En),
        "lincoln" => spell('L', En),
        "mary" => spell('M', En),
        "nora" => spell('N', En),
        "ocean" => spell('O', En),
        "paul" => spell('P', En),
        "queen" => spell('Q', En),
        "robert" => spell('R', En),
        "sam" => spell('S', En),
        "tom" => spell('T', En),
        "union" => spell('U', En),
        "william" => spell('W', En),
        "young" => spell('Y', En),
        "zebra" => spell('Z', En),
        // English letter names as recognizers write them, and the words that sound alike.
        "bee" => name('B', En),
        "see" | "sea" => word('C', En, En, 0.5),
        "cee" => name('C', En),
        "dee" => name('D', En),
        "eff" | "ef" => name('F', En),
        "gee" | "jee" => name('G', En),
        "aitch" | "haitch" => name('H', En),
        "eye" => word('I', En, En, 0.5),
        "jay" => name('J', En),
        "kay" => name('K', En),
        "el" => word('L', Both, Es, 0.5),
        "ell" => name('L', En),
        "em" => word('M', Both, Es, 1.0),
        "en" => word('N', Both, Es, 0.5),
        "oh" => Entry {
            main: 'O',
            alt: Some(('0', 0.5)),
            kind: Name,
            lang: En,
            word: Some((En, 1.0)),
        },
        "owe" => word('O', En, En, 0.5),
        "pee" => name('P', En),
        "pea" => word('P', En, En, 0.5),
        "cue" | "queue" => name('Q', En),
        "are" => word('R', En, En, 0.5),
        "ar" => name('R', En),
        "ess" => name('S', En),
        "es" => word('S', Both, Es, 0.5),
        "tee" => name('T', En),
        "tea" => word('T', En, En, 0.5),
        "you" => word('U', En, En, 0.5),
        "yu" => name('U', En),
        "vee" => name('V', En),
        "ex" => word('X', En, En, 0.5),
        "why" => word('Y', En, En, 0.5),
        "wye" => name('Y', En),
        "zee" | "zed" => name('Z', En),
        // English digits, the radio forms, and their homophones.
        "zero" | "nought" | "naught" => name('0', En),
        "one" => name('1', En),
        "won" => word('1', En, En, 0.5),
        "two" => name('2', En),
        "to" | "too" => word('2', En, En, 0.5),
        "three" => name('3', En),
        "tree" => word('3', En, En, 1.0),
        "four" => name('4', En),
        "for" => word('4', En, En, 0.5),
        "five" | "fife" => name('5', En),
        "six" => name('6', En),
        "seven" => name('7', En),
        "eight" => name('8', En),
        "ate" => word('8', En, En, 0.5),
        "nine" | "niner" => name('9', En),
        // Spanish letter names.
        "be" => Entry {
            main: 'B',
            alt: Some(('V', 0.2)),
            kind: Name,
            lang: Both,
            word: Some((En, 0.5)),
        },
        "ce" => name('C', Es),
        "de" => word('D', Es, Es, 2.0),
        "efe" => name('F', Es),
        "ge" => name('G', Es),
        "hache" => name('H', Es),
        "jota" => name('J', Es),
        "ka" | "ca" => name('K', Es),
        "ele" => name('L', Es),
        "eme" => name('M', Es),
        "ene" => name('N', Es),
        "pe" => name('P', Es),
        "cu" => name('Q', Es),
        "erre" | "ere" => name('R', Es),
        "ese" => word('S', Es, Es, 2.0),
        "te" => word('T', Es, Es, 2.0),
        "uve" => name('V', Es),
        "ve" => Entry {
            main: 'V',
            alt: Some(('B', 0.2)),
            kind: Name,
            lang: Es,
            word: Some((Es, 2.0)),
        },
        "equis" => name('X', Es),
        "ye" => name('Y', Es),
        "zeta" | "ceta" => name('Z', Es),
        // Spanish digits.
        "cero" => name('0', Es),
        "uno" => name('1', Es),
        "un" | "una" => word('1', Es, Es, 0.5),
        "dos" => name('2', Es),
        "tres" => name('3', Es),
        "cuatro" => name('4', Es),
        "cinco" => name('5', Es),
        "seis" => name('6', Es),
        "siete" => name('7', Es),
        "ocho" => name('8', Es),
        "nueve" => name('9', Es),
        _ => return None,
    };
    Some(entry)
}

/// A lone letter or digit. Some lone letters are also short words: "a" (article, preposition),
/// "i" (the pronoun), and the Spanish conjunctions "e", "o", "u", "y".
fn single(c: char) -> Option<Entry> {
    let main = c.to_ascii_uppercase();
    let entry = match c {
        'a' => word(main, Both, Both, 2.0),
        'e' | 'u' => word(main, Both, Es, 4.0),
        'i' => word(main, Both, En, 2.0),
        // Spanish writes the letter O and the word "or" alike; a transcribed "y" is nearly
        // always "and", since Spanish calls the letter "i griega" or "ye".
        'o' => Entry {
            main,
            alt: Some(('0', 0.4)),
            kind: Name,
            lang: Both,
            word: Some((Es, 1.0)),
        },
        'y' => word(main, Both, Es, 0.125),
        'b'..='z' | '0'..='9' => name(main, Both),
        _ => return None,
    };
    Some(entry)
}
