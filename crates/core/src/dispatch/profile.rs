//! What an organization admin vets about an attorney, and the codes it is made of. Each code is
//! parsed once from outside text, so the dispatcher compares values and never strings.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

pub use crate::ids::OrgId;

/// The jurisdictions with their own bar, by USPS code: the 50 states, DC and the five territories.
/// An encounter in Puerto Rico needs a lawyer who may advise there as much as one in Texas does.
const US_JURISDICTIONS: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME",
    "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
    "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "AS", "GU", "MP", "PR", "VI",
];

/// A US state (or DC, or a territory) by its two-letter code: where a bar admits an attorney,
/// and where an encounter happens.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UsState([u8; 2]);

impl UsState {
    pub fn as_str(&self) -> &str {
        // Always two ASCII capitals, copied from `US_JURISDICTIONS`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The text is not the code of a US state, DC or territory.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown US state {0:?}: expected a two-letter code such as \"CA\"")]
pub struct UnknownUsState(pub String);

impl FromStr for UsState {
    type Err = UnknownUsState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim().to_ascii_uppercase();
        match code.as_bytes() {
            &[a, b] if US_JURISDICTIONS.contains(&code.as_str()) => Ok(Self([a, b])),
            _ => Err(UnknownUsState(s.to_owned())),
        }
    }
}

/// A spoken language: the primary subtag of a BCP 47 tag ("es" for "es-MX"), lower case. Advice
/// is matched by language, not region: a caller from Mexico and a lawyer from Spain understand
/// each other.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language([u8; 3]);

impl Language {
    pub fn as_str(&self) -> &str {
        // Two-letter codes leave a zero in the last byte; the rest are ASCII letters.
        let len = self.0.iter().position(|b| *b == 0).unwrap_or(self.0.len());
        std::str::from_utf8(&self.0[..len]).unwrap_or_default()
    }
}

/// The text is not a language tag whose primary subtag is an ISO 639 code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid language {0:?}: expected a BCP 47 tag such as \"es\" or \"es-MX\"")]
pub struct InvalidLanguage(pub String);

impl FromStr for Language {
    type Err = InvalidLanguage;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // `_` too, so a POSIX locale such as "es_MX" from a device is accepted.
        let primary = s.trim().split(['-', '_']).next().unwrap_or_default();
        // Two or three letters are ISO 639 codes; one letter ("x-", "i-") is private use or
        // grandfathered, four to eight are reserved or unregistered: none names a spoken language.
        if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(InvalidLanguage(s.to_owned()));
        }
        let mut tag = [0u8; 3];
        for (slot, b) in tag.iter_mut().zip(primary.bytes()) {
            *slot = b.to_ascii_lowercase();
        }
        Ok(Self(tag))
    }
}

macro_rules! text_code {
    ($name:ident, $err:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> Self {
                code.as_str().to_owned()
            }
        }
    };
}

text_code!(UsState, UnknownUsState);
text_code!(Language, InvalidLanguage);

/// A field of law an attorney practises. Shown to the person and to admins; dispatch does not
/// filter on it, because a caller at a stop cannot say which it is and any lawyer beats none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Specialty {
    Immigration,
    Criminal,
}

impl Specialty {
    /// The name it is sent and stored by (the same as its JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Immigration => "immigration",
            Self::Criminal => "criminal",
        }
    }
}

impl fmt::Display for Specialty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not the name of a [`Specialty`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown specialty {0:?}: expected \"immigration\" or \"criminal\"")]
pub struct UnknownSpecialty(pub String);

impl FromStr for Specialty {
    type Err = UnknownSpecialty;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "immigration" => Ok(Self::Immigration),
            "criminal" => Ok(Self::Criminal),
            _ => Err(UnknownSpecialty(s.to_owned())),
        }
    }
}

/// How many calls an attorney takes at once unless their admin says otherwise.
pub const DEFAULT_CAPACITY: u32 = 1;

fn default_capacity() -> u32 {
    DEFAULT_CAPACITY
}

/// An attorney as their organization's admin vetted them. The server sends it with
/// [`super::Event::AttorneyOnDuty`], only for accounts holding the attorney role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttorneyProfile {
    /// The one organization they answer for: only its members' requests reach them.
    pub org: OrgId,
    /// An admin checked their bar membership; until then they are never offered a call.
    pub vetted: bool,
    pub bar_admissions: BTreeSet<UsState>,
    pub languages: BTreeSet<Language>,
    pub specialties: BTreeSet<Specialty>,
    /// Calls they may hold at once. Zero is allowed and means "on duty, but take no calls".
    #[serde(default = "default_capacity")]
    pub capacity: u32,
}

impl AttorneyProfile {
    /// An unvetted attorney of `org` with no admissions or languages yet, and the default capacity.
    pub fn new(org: OrgId) -> Self {
        Self {
            org,
            vetted: false,
            bar_admissions: BTreeSet::new(),
            languages: BTreeSet::new(),
            specialties: BTreeSet::new(),
            capacity: DEFAULT_CAPACITY,
        }
    }
}
