//! Between the store's types and SQL's, for every backend: unsigned counters as signed 64-bit
//! integers (SQLite's INTEGER, PostgreSQL's BIGINT), fixed-size byte strings, role names, the
//! attorney line's codes and names.
//!
//! Nothing here talks to a database. What does (mapping a driver's errors, its id encoding) stays
//! in the backend's own `convert.rs`.

use crate::{CallOutcome, StoreError};
use amparo_core::Hash;
use amparo_core::dispatch::{AttorneyProfile, StatePolicy};
use amparo_core::ids::OrgId;
use amparo_core::roles::Role;
use std::collections::BTreeSet;
use std::fmt::Display;
use std::str::FromStr;

/// The smallest version 7 UUID that can have been made at `at_us`, a second early: ids made by
/// [`Uuid::now_v7`] sort by the millisecond they were made in, so every id made from `at_us` on
/// sorts at or after it. The second's margin covers an id made just before its row's time was
/// read (the row's own time is the exact filter).
pub fn first_id_at(at_us: i64) -> uuid::Uuid {
    let ms = u64::try_from(at_us.saturating_sub(1_000_000) / 1_000).unwrap_or(0);
    // 48 bits of milliseconds, then everything else zero: below every id of that millisecond.
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    uuid::Uuid::from_bytes(bytes)
}

/// A u64 as a 64-bit SQL integer. Values past `i64::MAX` are refused, never wrapped.
pub fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::Conflict(format!("{what} {value} is beyond what the store holds ({})", i64::MAX)))
}

/// A stored integer back to u64; a negative one means the database was changed by hand (the
/// schema and [`to_i64`] keep them non-negative).
pub fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Backend(format!("corrupt row: {what} is {value}")))
}

/// `start..start+count` as 64-bit integer bounds, the end clamped: ranges read short. `None` when
/// the start is past anything a 64-bit key can hold, so the range is empty.
pub fn range(start: u64, count: u64) -> Option<(i64, i64)> {
    let start = i64::try_from(start).ok()?;
    let end = start.saturating_add(i64::try_from(count).unwrap_or(i64::MAX));
    Some((start, end))
}

/// A stored byte string that must be 32 bytes (a hash, a chain value, a token digest).
pub fn bytes32(bytes: &[u8], what: &str) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Backend(format!("corrupt row: {what} is not 32 bytes")))
}

/// A stored Merkle hash.
pub fn hash(bytes: &[u8]) -> Result<Hash, StoreError> {
    bytes32(bytes, "a stored hash").map(Hash)
}

/// Role names as stored, parsed, sorted and without duplicates (what [`crate::Account::roles`]
/// promises).
pub fn roles<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Result<Vec<Role>, StoreError> {
    let mut roles = names
        .into_iter()
        .map(|r| {
            r.as_ref()
                .parse()
                .map_err(|e| StoreError::Backend(format!("corrupt row: {e}")))
        })
        .collect::<Result<Vec<Role>, _>>()?;
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// A stored Web Push subscription, its keys checked for length (the schema checks them too).
pub fn push_subscription(
    endpoint: String,
    account: amparo_core::ids::AccountId,
    p256dh: &[u8],
    auth: &[u8],
    language: String,
    created_at_us: i64,
) -> Result<crate::PushSubscription, StoreError> {
    let corrupt = |what: &str| {
        StoreError::Backend(format!(
            "corrupt row: a push subscription's {what} has the wrong length"
        ))
    };
    Ok(crate::PushSubscription {
        endpoint,
        account,
        p256dh: p256dh.try_into().map_err(|_| corrupt("p256dh"))?,
        auth: auth.try_into().map_err(|_| corrupt("auth"))?,
        language,
        created_at_us,
    })
}

/// A stored integer back to u32 (a capacity, a count); out of range means the database was
/// changed by hand.
pub fn to_u32(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Backend(format!("corrupt row: {what} is {value}")))
}

/// One stored name or code, parsed with its type's `FromStr`. Text the store did not write (a
/// hand edit, a newer version's value) is `Backend`, never a panic.
pub fn parsed<T>(text: &str, what: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: Display,
{
    text.parse()
        .map_err(|e| StoreError::Backend(format!("corrupt row: {what}: {e}")))
}

/// Stored codes (states, languages, specialties) back into a set.
pub fn codes<T, S>(texts: impl IntoIterator<Item = S>, what: &str) -> Result<BTreeSet<T>, StoreError>
where
    T: FromStr + Ord,
    T::Err: Display,
    S: AsRef<str>,
{
    texts.into_iter().map(|text| parsed(text.as_ref(), what)).collect()
}

/// A set of codes as the text each is stored by, in the set's order.
pub fn code_names<T: Display>(codes: &BTreeSet<T>) -> Vec<String> {
    codes.iter().map(ToString::to_string).collect()
}

/// An attorney's profile from its stored columns, each list one code per item.
pub fn attorney_profile<S: AsRef<str>>(
    org: OrgId,
    vetted: bool,
    bar_admissions: impl IntoIterator<Item = S>,
    languages: impl IntoIterator<Item = S>,
    specialties: impl IntoIterator<Item = S>,
    capacity: i64,
) -> Result<AttorneyProfile, StoreError> {
    Ok(AttorneyProfile {
        org,
        vetted,
        bar_admissions: codes(bar_admissions, "an attorney's bar admissions")?,
        languages: codes(languages, "an attorney's languages")?,
        specialties: codes(specialties, "an attorney's specialties")?,
        capacity: to_u32(capacity, "an attorney's capacity")?,
    })
}

/// An organization's stored state policy.
pub fn state_policy(text: &str) -> Result<StatePolicy, StoreError> {
    parsed(text, "an organization's state policy")
}

/// A call's stored outcome (`NULL` while the call is open).
pub fn call_outcome(text: Option<&str>) -> Result<Option<CallOutcome>, StoreError> {
    text.map(|text| {
        CallOutcome::parse(text)
            .ok_or_else(|| StoreError::Backend(format!("corrupt row: a call's outcome is {text:?}")))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_convert_both_ways_up_to_i64_max() {
        assert_eq!(to_i64(0, "x").ok(), Some(0));
        assert_eq!(to_i64(i64::MAX as u64, "x").ok(), Some(i64::MAX));
        match to_i64(i64::MAX as u64 + 1, "chunk end") {
            Err(StoreError::Conflict(why)) => assert!(why.starts_with("chunk end 9223372036854775808"), "{why}"),
            other => panic!("past i64::MAX: {other:?}"),
        }
        assert_eq!(to_u64(i64::MAX, "x").ok(), Some(i64::MAX as u64));
        match to_u64(-1, "log size") {
            Err(StoreError::Backend(why)) => assert_eq!(why, "corrupt row: log size is -1"),
            other => panic!("negative: {other:?}"),
        }
    }

    #[test]
    fn ranges_clamp_their_end_and_vanish_past_i64_max() {
        assert_eq!(range(0, 0), Some((0, 0)));
        assert_eq!(range(5, 10), Some((5, 15)));
        assert_eq!(range(5, u64::MAX), Some((5, i64::MAX)));
        assert_eq!(range(i64::MAX as u64, 1), Some((i64::MAX, i64::MAX)));
        assert_eq!(range(i64::MAX as u64 + 1, 1), None);
        assert_eq!(range(u64::MAX, 0), None);
    }

    #[test]
    fn fixed_size_bytes_are_exactly_32() {
        assert_eq!(bytes32(&[7; 32], "x").ok(), Some([7; 32]));
        assert_eq!(hash(&[9; 32]).ok(), Some(Hash([9; 32])));
        for wrong in [&[][..], &[1; 31], &[1; 33]] {
            assert!(
                matches!(bytes32(wrong, "chain"), Err(StoreError::Backend(_))),
                "{}",
                wrong.len()
            );
            assert!(matches!(hash(wrong), Err(StoreError::Backend(_))), "{}", wrong.len());
        }
    }

    #[test]
    fn roles_are_parsed_sorted_and_deduplicated() {
        let parsed = roles(["admin", "member", "attorney", "admin"]).ok();
        assert_eq!(parsed, Some(vec![Role::Member, Role::Attorney, Role::Admin]));
        let owned = roles(vec![String::from("responder")]).ok();
        assert_eq!(owned, Some(vec![Role::Responder]));
        assert_eq!(roles(Vec::<String>::new()).ok(), Some(vec![]));
        assert!(matches!(roles(["member", "king"]), Err(StoreError::Backend(_))));
        assert!(matches!(roles([""]), Err(StoreError::Backend(_))));
    }

    #[test]
    fn attorney_profiles_round_trip_through_their_stored_text() {
        let org = OrgId::new();
        let profile = attorney_profile(org, true, ["TX", "CA"], ["es", "en"], ["criminal"], 0);
        let profile = profile.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(code_names(&profile.bar_admissions), ["CA", "TX"]);
        assert_eq!(code_names(&profile.languages), ["en", "es"]);
        assert_eq!(code_names(&profile.specialties), ["criminal"]);
        assert_eq!((profile.org, profile.vetted, profile.capacity), (org, true, 0));
        let none: [&str; 0] = [];
        let empty = attorney_profile(org, false, none, none, none, 1).ok();
        assert_eq!(empty, Some(AttorneyProfile::new(org)));
    }

    #[test]
    fn unreadable_attorney_rows_are_backend_errors_naming_the_column() {
        let org = OrgId::new();
        let why = |result: Result<AttorneyProfile, StoreError>| match result {
            Err(StoreError::Backend(why)) => why,
            other => panic!("expected Backend, got {other:?}"),
        };
        let states = why(attorney_profile(org, true, ["ZZ"], ["es"], ["criminal"], 1));
        assert!(
            states.starts_with("corrupt row: an attorney's bar admissions:"),
            "{states}"
        );
        let languages = why(attorney_profile(org, true, ["CA"], ["klingon"], ["criminal"], 1));
        assert!(
            languages.contains("languages") && languages.contains("klingon"),
            "{languages}"
        );
        let specialties = why(attorney_profile(org, true, ["CA"], ["es"], ["tax"], 1));
        assert!(
            specialties.contains("specialties") && specialties.contains("tax"),
            "{specialties}"
        );
        let capacity = why(attorney_profile(org, true, ["CA"], ["es"], ["criminal"], -1));
        assert_eq!(capacity, "corrupt row: an attorney's capacity is -1");
    }

    #[test]
    fn state_policies_and_outcomes_parse_or_are_backend_errors() {
        for policy in [StatePolicy::AdmittedInState, StatePolicy::AnyUsAdmission] {
            assert_eq!(state_policy(policy.as_str()).ok(), Some(policy));
        }
        assert!(matches!(state_policy("anywhere"), Err(StoreError::Backend(_))));
        assert_eq!(call_outcome(None).ok(), Some(None));
        assert_eq!(call_outcome(Some("ended")).ok(), Some(Some(CallOutcome::Ended)));
        assert!(matches!(call_outcome(Some("lost")), Err(StoreError::Backend(_))));
    }
}
