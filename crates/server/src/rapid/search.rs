//! Plate search over the registry: the store's indexes read the candidates ([`IndexQuery`]: the
//! plates matching as typed, found by folded-key range or by trigrams and filtered on the folded
//! key; the plate typed whole; a bounded set of misheard ones), and `core::plate::rank` scores
//! and orders only those.

use crate::error::ApiError;
use amparo_core::plate::{Candidate, IndexQuery, Pattern, Plate, Ranked, rank, spoken_candidates};
use amparo_store::{Store, Vehicle};
use std::collections::{HashMap, VecDeque};

/// The most matches as typed one search scores (misheard ones are bounded by the query). A
/// query matching more is too vague to read in full: the most recently confirmed come first,
/// and the plate typed whole is read besides.
pub const CANDIDATE_LIMIT: u32 = 500;

/// The vehicles `pattern` matches, best first, at most `limit`.
pub async fn search(
    store: &dyn Store,
    pattern: &Pattern,
    now_us: i64,
    limit: usize,
) -> Result<Vec<(Vehicle, Ranked)>, ApiError> {
    let query = IndexQuery::of(pattern).map_err(|e| ApiError::invalid_field("plate", format!("plate: {e}.")))?;
    let vehicles = store.vehicle_candidates(&query, CANDIDATE_LIMIT).await?;
    Ok(rank_vehicles(pattern, vehicles, now_us, limit))
}

/// Ranks vehicles read from the store: `rank` orders plates, and each ranked plate takes back
/// the vehicles it came from in their order (one plate may be on vehicles of several regions).
pub fn rank_vehicles(pattern: &Pattern, vehicles: Vec<Vehicle>, now_us: i64, limit: usize) -> Vec<(Vehicle, Ranked)> {
    let candidates: Vec<Candidate> = vehicles
        .iter()
        .map(|v| Candidate {
            plate: v.plate.clone(),
            last_confirmed_at_us: v.last_confirmed_at_us,
            status: v.status,
        })
        .collect();
    let mut by_plate: HashMap<Plate, VecDeque<Vehicle>> = HashMap::new();
    for vehicle in vehicles {
        by_plate.entry(vehicle.plate.clone()).or_default().push_back(vehicle);
    }
    rank(pattern, candidates, now_us)
        .into_iter()
        .filter_map(|ranked| {
            let vehicle = by_plate.get_mut(&ranked.candidate.plate)?.pop_front()?;
            Some((vehicle, ranked))
        })
        .take(limit)
        .collect()
}

/// A spoken plate: its candidate readings, each searched as a partial plate; each vehicle once,
/// at its best score weighted by how sure the reading was. Best first, at most `limit`.
pub async fn search_spoken(
    store: &dyn Store,
    transcript: &str,
    now_us: i64,
    limit: usize,
) -> Result<(Vec<(Plate, f64)>, Vec<(Vehicle, f64)>), ApiError> {
    let readings = spoken_candidates(transcript);
    if readings.is_empty() {
        return Err(ApiError::invalid_field(
            "transcript",
            "transcript: no plate could be read from it: say the letters and digits one by one, like \"seven alpha bravo one two three\".",
        ));
    }
    let mut best: HashMap<amparo_core::ids::VehicleId, (Vehicle, f64)> = HashMap::new();
    for reading in &readings {
        let pattern = Pattern::partial(&reading.plate);
        // A short reading ("seven a") is too vague to search; the longer ones still are.
        let Ok(query) = IndexQuery::of(&pattern) else { continue };
        let vehicles = store.vehicle_candidates(&query, CANDIDATE_LIMIT).await?;
        for (vehicle, ranked) in rank_vehicles(&pattern, vehicles, now_us, limit) {
            let score = ranked.score * reading.confidence;
            let entry = best.entry(vehicle.id).or_insert((vehicle, score));
            entry.1 = entry.1.max(score);
        }
    }
    let mut found: Vec<(Vehicle, f64)> = best.into_values().collect();
    found.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.plate.cmp(&b.0.plate)));
    found.truncate(limit);
    let readings = readings.into_iter().map(|r| (r.plate, r.confidence)).collect();
    Ok((readings, found))
}
