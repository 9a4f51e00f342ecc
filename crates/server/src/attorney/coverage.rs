//! The coverage page's table: for each hour of the week (UTC), language and state, how many
//! attorneys were on duty who could take such a call (on average over the weeks looked at), how
//! many people asked, and how long they waited (p50 / p95). Gaps show before a raid, not during.
//! Pure: the route reads duty spans, calls and profiles and hands them here.

use amparo_core::dispatch::{AttorneyProfile, Language, StatePolicy, UsState};
use amparo_store::{CallRecord, DutySpan};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::ToSchema;

const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 24 * HOUR_US;
pub const HOURS_PER_WEEK: usize = 168;

/// One hour of the week for one language and state.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct CoverageRow {
    /// 0 is Monday 00:00–01:00 UTC, 167 is Sunday 23:00–24:00.
    pub hour_of_week: u8,
    pub language: String,
    pub us_state: String,
    /// Attorneys on duty who could take such a call, averaged over the weeks.
    pub attorneys_on_duty: f64,
    pub requests: u32,
    /// Requests that ended with nobody taking them.
    pub unanswered: u32,
    pub wait_p50_secs: Option<f64>,
    pub wait_p95_secs: Option<f64>,
    /// People asked in this hour and nobody could take such a call, or some went unanswered.
    pub gap: bool,
}

/// What the table is computed from.
#[derive(Debug)]
pub struct CoverageInput<'a> {
    pub since_us: i64,
    pub until_us: i64,
    pub policy: StatePolicy,
    pub spans: &'a [DutySpan],
    pub calls: &'a [CallRecord],
    /// The attorneys' current profiles (the spans name them).
    pub profiles: &'a HashMap<amparo_core::ids::AccountId, AttorneyProfile>,
}

/// 0 = Monday 00:00 UTC. The Unix epoch fell on a Thursday.
pub fn hour_of_week(at_us: i64) -> usize {
    let days = at_us.div_euclid(DAY_US);
    let hour = at_us.rem_euclid(DAY_US) / HOUR_US;
    ((days + 3).rem_euclid(7) * 24 + hour) as usize
}

type Pair = (Language, UsState);

/// The rows with something in them, by hour, then language, then state.
pub fn table(input: &CoverageInput<'_>) -> Vec<CoverageRow> {
    let weeks = ((input.until_us - input.since_us) as f64 / (7.0 * DAY_US as f64)).max(1.0 / 7.0);
    let pairs = pairs(input);
    let mut on_duty: BTreeMap<(usize, Pair), f64> = BTreeMap::new();
    for span in input.spans {
        let Some(profile) = input.profiles.get(&span.attorney).filter(|p| p.vetted) else {
            continue;
        };
        let covered: Vec<Pair> = pairs
            .iter()
            .filter(|(language, state)| {
                profile.languages.contains(language) && input.policy.admits(&profile.bar_admissions, *state)
            })
            .copied()
            .collect();
        let start = span.since_us.max(input.since_us);
        let end = span.until_us.unwrap_or(input.until_us).min(input.until_us);
        for (hour, hours) in hours_between(start, end) {
            for pair in &covered {
                *on_duty.entry((hour, *pair)).or_default() += hours / weeks;
            }
        }
    }
    let mut asked: BTreeMap<(usize, Pair), (u32, u32, Vec<i64>)> = BTreeMap::new();
    for call in input.calls {
        let (Ok(language), Ok(state)) = (call.language.parse(), call.us_state.parse()) else {
            continue;
        };
        let entry = asked
            .entry((hour_of_week(call.requested_at_us), (language, state)))
            .or_default();
        entry.0 += 1;
        match call.connected_at_us {
            Some(at) => entry.2.push(at - call.requested_at_us),
            None if call.closed_at_us.is_some() => entry.1 += 1,
            None => {}
        }
    }
    let keys: BTreeSet<(usize, Pair)> = on_duty.keys().chain(asked.keys()).copied().collect();
    keys.into_iter()
        .map(|key @ (hour, (language, state))| {
            let duty = on_duty.get(&key).copied().unwrap_or(0.0);
            let (requests, unanswered, mut waits) = asked.remove(&key).unwrap_or_default();
            waits.sort_unstable();
            CoverageRow {
                hour_of_week: hour as u8,
                language: language.to_string(),
                us_state: state.to_string(),
                attorneys_on_duty: (duty * 100.0).round() / 100.0,
                requests,
                unanswered,
                wait_p50_secs: percentile(&waits, 50),
                wait_p95_secs: percentile(&waits, 95),
                gap: requests > 0 && (duty == 0.0 || unanswered > 0),
            }
        })
        .collect()
}

/// Every language and state someone asked in, and every pair an attorney's profile covers.
fn pairs(input: &CoverageInput<'_>) -> BTreeSet<Pair> {
    let mut pairs: BTreeSet<Pair> = input
        .calls
        .iter()
        .filter_map(|c| Some((c.language.parse().ok()?, c.us_state.parse().ok()?)))
        .collect();
    for profile in input.profiles.values().filter(|p| p.vetted) {
        for language in &profile.languages {
            pairs.extend(profile.bar_admissions.iter().map(|state| (*language, *state)));
        }
    }
    pairs
}

/// The hours of the week `[start, end)` touches, with how much of each (in hours).
fn hours_between(start: i64, end: i64) -> Vec<(usize, f64)> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let next = (at.div_euclid(HOUR_US) + 1) * HOUR_US;
        let until = next.min(end);
        out.push((hour_of_week(at), (until - at) as f64 / HOUR_US as f64));
        at = until;
    }
    out
}

/// Nearest-rank percentile of sorted waits, in seconds.
fn percentile(sorted_us: &[i64], p: usize) -> Option<f64> {
    if sorted_us.is_empty() {
        return None;
    }
    let rank = (p * sorted_us.len()).div_ceil(100).max(1);
    Some(sorted_us[rank - 1] as f64 / 1e6)
}

#[cfg(test)]
mod tests;
