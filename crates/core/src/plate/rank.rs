//! Ranking registry vehicles for a search: closeness of the plate, faded by how long ago the
//! vehicle was last confirmed at an incident.

use super::normalize::Plate;
use super::pattern::{Extent, Match, Pattern};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Microseconds in a day.
const DAY_US: i64 = 86_400_000_000;

/// After this long without a confirmation a vehicle's score halves. Enforcement vehicles are
/// reassigned and rental cars returned within weeks; a month keeps last month's sightings
/// useful while letting this week's outrank them.
pub const HALF_LIFE_US: i64 = 30 * DAY_US;

/// Misheard matches (ones that needed an edit) scoring below this are dropped. At 0.2 a fresh
/// misheard match stays for a month or two, while one on a vehicle last seen half a year ago is
/// noise. A match without an edit is what the person typed, up to the characters people
/// confuse: it always stays, ranked lower the older it is, because a 0 read as an O must not
/// hide a vehicle the registry holds.
pub const SCORE_FLOOR: f64 = 0.2;

/// Where the registry stands on a vehicle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Seen at a verified incident.
    Confirmed,
    /// Reported, not yet verified.
    Suspected,
    /// Found not to be an enforcement vehicle (a returned rental, a mistaken report). Still shown,
    /// last, so responders see why it was cleared instead of re-reporting it.
    Cleared,
}

/// A registry entry offered for ranking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub plate: Plate,
    /// When the vehicle was last confirmed (or reported, if never confirmed), in Unix µs.
    pub last_confirmed_at_us: i64,
    pub status: Status,
}

/// A candidate that matched, with the numbers that placed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub candidate: Candidate,
    pub matched: Match,
    /// In (0, 1]: 1 for a confirmation now, ½ one half-life ago.
    pub recency: f64,
    /// `matched.closeness * recency`.
    pub score: f64,
}

/// The fraction of a match's closeness left after `age_us`. Future timestamps (clock skew
/// between devices) count as now.
pub fn recency_factor(age_us: i64) -> f64 {
    let age = age_us.max(0) as f64;
    0.5_f64.powf(age / HALF_LIFE_US as f64)
}

/// The candidates `query` matches, best first.
///
/// Order, each step breaking the previous one's ties:
/// 1. the query typed as the whole plate, exactly: that vehicle is what the person asked for,
///    whatever its status or age;
/// 2. vehicles that are not cleared;
/// 3. matches as typed (up to confusion) before misheard ones (one edit): a guess at what the
///    person meant never pushes out what they typed;
/// 4. score (closeness × recency), then closeness alone;
/// 5. confirmed before suspected;
/// 6. the more recent confirmation, then the plate, then the order given.
///
/// Misheard candidates whose score is under [`SCORE_FLOOR`] are dropped.
pub fn rank(query: &Pattern, candidates: impl IntoIterator<Item = Candidate>, now_us: i64) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let matched = query.score(&candidate.plate)?;
            let recency = recency_factor(now_us.saturating_sub(candidate.last_confirmed_at_us));
            let score = matched.closeness * recency;
            (score >= SCORE_FLOOR || matched.edit.is_none()).then_some(Ranked {
                candidate,
                matched,
                recency,
                score,
            })
        })
        .collect();
    // A stable sort keeps the caller's order for candidates equal in every key.
    ranked.sort_by(compare);
    ranked
}

fn compare(a: &Ranked, b: &Ranked) -> Ordering {
    let asked_for = |r: &Ranked| r.matched.is_exact() && r.matched.extent == Extent::Whole && r.matched.unknown == 0;
    let cleared = |r: &Ranked| r.candidate.status == Status::Cleared;
    let suspected = |r: &Ranked| r.candidate.status == Status::Suspected;
    let misheard = |r: &Ranked| r.matched.edit.is_some();
    asked_for(b)
        .cmp(&asked_for(a))
        .then_with(|| cleared(a).cmp(&cleared(b)))
        .then_with(|| misheard(a).cmp(&misheard(b)))
        .then_with(|| b.score.total_cmp(&a.score))
        .then_with(|| b.matched.closeness.total_cmp(&a.matched.closeness))
        .then_with(|| suspected(a).cmp(&suspected(b)))
        .then_with(|| b.candidate.last_confirmed_at_us.cmp(&a.candidate.last_confirmed_at_us))
        .then_with(|| a.candidate.plate.cmp(&b.candidate.plate))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000_000_000;

    fn candidate(plate: &str, days_ago: i64, status: Status) -> Candidate {
        Candidate {
            plate: Plate::parse(plate).unwrap(),
            last_confirmed_at_us: NOW - days_ago * DAY_US,
            status,
        }
    }

    fn plates(query: &str, candidates: Vec<Candidate>) -> Vec<String> {
        rank(&Pattern::parse(query).unwrap(), candidates, NOW)
            .into_iter()
            .map(|r| r.candidate.plate.to_string())
            .collect()
    }

    #[test]
    fn recency_halves_every_half_life() {
        assert_eq!(recency_factor(0), 1.0);
        assert_eq!(recency_factor(-DAY_US), 1.0);
        assert!((recency_factor(HALF_LIFE_US) - 0.5).abs() < 1e-12);
        assert!((recency_factor(2 * HALF_LIFE_US) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn closer_and_fresher_first() {
        let found = plates(
            "7ABC123",
            vec![
                candidate("7A8C123", 0, Status::Confirmed),
                candidate("7ABC1234", 1, Status::Confirmed),
                candidate("7ABC123", 20, Status::Suspected),
                candidate("7ABX123", 0, Status::Confirmed),
                candidate("9ZZZ999", 0, Status::Confirmed),
            ],
        );
        assert_eq!(found, ["7ABC123", "7A8C123", "7ABC1234", "7ABX123"]);
    }

    #[test]
    fn cleared_vehicles_come_last_but_stay() {
        let found = plates(
            "7AB",
            vec![
                candidate("7AB1", 0, Status::Cleared),
                candidate("X7AB12", 10, Status::Suspected),
                candidate("7AB12", 10, Status::Confirmed),
            ],
        );
        assert_eq!(found, ["7AB12", "X7AB12", "7AB1"]);
    }

    #[test]
    fn the_plate_asked_for_leads_even_when_cleared() {
        let found = plates(
            "7ABC123",
            vec![
                candidate("7A8C123", 0, Status::Confirmed),
                candidate("7ABC123", 400, Status::Cleared),
            ],
        );
        assert_eq!(found, ["7ABC123", "7A8C123"]);
    }

    #[test]
    fn stale_misheard_matches_fade_out_but_matches_as_typed_stay() {
        let ranked = rank(
            &Pattern::parse("7ABC123").unwrap(),
            vec![
                candidate("7ABX123", 90, Status::Confirmed),
                candidate("7ABX123", 0, Status::Confirmed),
                candidate("7A8C123", 365, Status::Confirmed),
                candidate("7A8C123", 30, Status::Confirmed),
                candidate("7ABC123", 3650, Status::Confirmed),
                candidate("X7ABC123", 3650, Status::Confirmed),
            ],
            NOW,
        );
        let kept: Vec<_> = ranked
            .iter()
            .map(|r| {
                (
                    r.candidate.plate.as_str(),
                    (NOW - r.candidate.last_confirmed_at_us) / DAY_US,
                )
            })
            .collect();
        // The plate asked for, then what matches as typed (a confusable 8 for B included) by
        // score, then the fresh misheard plate; the stale misheard one is gone.
        assert_eq!(
            kept,
            [
                ("7ABC123", 3650),
                ("7A8C123", 30),
                ("7A8C123", 365),
                ("X7ABC123", 3650),
                ("7ABX123", 0)
            ]
        );
        let confusable = &ranked[1];
        assert!((confusable.score - confusable.matched.closeness * 0.5).abs() < 1e-12);
        assert!(
            ranked[4].score > ranked[2].score,
            "a fresh guess scores higher but ranks lower"
        );
    }

    #[test]
    fn ties_break_deterministically() {
        let a = candidate("7AB2", 5, Status::Confirmed);
        let b = candidate("7AB1", 5, Status::Confirmed);
        let c = candidate("7AB3", 5, Status::Suspected);
        let d = candidate("7AB4", 4, Status::Suspected);
        let forward = plates("7AB", vec![a.clone(), b.clone(), c.clone(), d.clone()]);
        let backward = plates("7AB", vec![d, c, b, a]);
        assert_eq!(forward, ["7AB4", "7AB1", "7AB2", "7AB3"]);
        assert_eq!(forward, backward);
    }

    #[test]
    fn star_lists_the_registry_newest_first() {
        let found = plates(
            "*",
            vec![
                candidate("OLD1", 900, Status::Confirmed),
                candidate("NEW1", 1, Status::Confirmed),
            ],
        );
        assert_eq!(found, ["NEW1", "OLD1"]);
    }
}
