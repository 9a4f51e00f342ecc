//! The vehicle registry's plate logic: normalizing plates, searching them forgivingly, ranking
//! the hits, and reading a plate out of a voice transcript. Pure code, no I/O.
//!
//! Module map:
//! - [`normalize`]: the [`Plate`] newtype and [`confusion_class`], whose [`Plate::folded`] key a
//!   store indexes for "exact up to confusion" lookups.
//! - [`pattern`]: the search query ([`Pattern`]) and how well a plate matches it ([`Match`]).
//! - [`rank`](mod@rank): registry candidates ordered by closeness, status and recency ([`rank()`]).
//! - [`index`]: what a store indexes (folded keys, folded trigrams) and what one search asks it
//!   for ([`IndexQuery`]), so a search over millions of plates reads only the few that match.
//! - [`spoken`]: a spoken plate, English or Spanish, turned into candidate plates
//!   ([`spoken_candidates`]).
//!
//! # Confusable characters
//!
//! People misread plates, and plate cameras misread them the same way. Characters in one row
//! match each other in searches, at a lower score than an exact match:
//!
//! | class | characters |
//! |-------|------------|
//! | `0`   | 0 O D Q    |
//! | `1`   | 1 I L      |
//! | `2`   | 2 Z        |
//! | `5`   | 5 S        |
//! | `6`   | 6 G        |
//! | `8`   | 8 B        |
//!
//! # Cost model
//!
//! [`Pattern::score`] runs a dynamic program over (query position, plate position, edit used)
//! that finds, for each kind of edit and for none, the alignment with the most weight. Each plate
//! character is worth
//!
//! | matched by                           | weight |
//! |--------------------------------------|--------|
//! | the same character                   | 1      |
//! | a confusable character               | 0.75   |
//! | `?`                                  | 0.5    |
//! | `*`, or outside a partial plate      | 0      |
//! | an edit (wrong or missing character) | 0      |
//!
//! and `closeness = Σ weight / (plate length + extra query characters)`, multiplied by
//! [`EDIT_FACTOR`] (0.8) when the match needed its one edit. So a plate typed in full scores 1,
//! a confusion costs less than a character not given at all, and a misheard plate (one wrong,
//! missing or extra character, allowed only for queries with at least
//! [`MIN_LITERALS_FOR_EDIT`] literal characters) ranks below what matches as typed. Plates have
//! at most ten characters and queries at most ten fixed-width ones, so the table has at most
//! 22 × 11 × 4 cells. Transposed characters ("7BA" for "7AB") are two edits and do not match.
//!
//! [`rank()`] multiplies closeness by a recency factor that halves every [`HALF_LIFE_US`]
//! (30 days), ranks every match as typed (up to confusion) above the misheard ones, and drops
//! misheard matches scoring under [`SCORE_FLOOR`].

pub mod index;
pub mod normalize;
pub mod pattern;
pub mod rank;
pub mod spoken;

pub use index::{IndexQuery, NEAR_LIMIT, Near, Seek, TooVague, glob_matches, plate_grams};
pub use normalize::{MAX_LEN, Plate, PlateError, confusion_class};
pub use pattern::{EDIT_FACTOR, Edit, Extent, MIN_LITERALS_FOR_EDIT, Match, Pattern, PatternError};
pub use rank::{Candidate, HALF_LIFE_US, Ranked, SCORE_FLOOR, Status, rank, recency_factor};
pub use spoken::{MAX_CANDIDATES, SpokenCandidate, spoken_candidates};
