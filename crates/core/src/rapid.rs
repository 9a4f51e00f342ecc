//! The rapid-response network's vocabulary and a report's lifecycle (issue 6), as pure code.
//!
//! A report starts unverified and visible only to responders. It ends in exactly one way:
//! verified (it becomes an incident), merged into an incident already verified, rejected with a
//! reason, or expired unread. Only a verified incident alerts anyone. [`ReportState::decide`] is
//! the one place that says which moves are allowed, so the server and the stores agree.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How long an unverified report waits for a responder unless the network sets another time.
pub const DEFAULT_REPORT_EXPIRY_SECS: u64 = 4 * 60 * 60;

/// Longest description of what was seen, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// Most vehicles one report may list.
pub const MAX_VEHICLES_PER_REPORT: usize = 10;
/// Longest reason, question or answer, in characters.
pub const MAX_NOTE_CHARS: usize = 1_000;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? } $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("{s:?} is not a {}: use one of {}", $what, names.join(", "))
                })
            }
        }
    };
}

text_enum!(
    /// What was seen.
    ReportKind {
        Checkpoint = "checkpoint",
        RaidHome = "raid_home",
        RaidWorkplace = "raid_workplace",
        Arrest = "arrest",
        Vehicle = "vehicle",
        Other = "other",
    } "report type"
);

text_enum!(
    /// How a responder confirmed a report.
    VerifiedHow {
        InPerson = "in_person",
        Photo = "photo",
        SecondReport = "second_report",
    } "verification method"
);

text_enum!(
    /// Where a report stands.
    ReportState {
        Unverified = "unverified",
        Verified = "verified",
        Merged = "merged",
        Rejected = "rejected",
        Expired = "expired",
    } "report state"
);

/// What a responder (or the expiry task) does to a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Verify,
    Merge,
    Reject,
    /// Its time ran out: no responder decided, and nobody is alerted.
    Expire,
}

/// A move the lifecycle does not allow, in words for the responder.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("this report is already {from}: only unverified reports can be verified, merged, rejected or expire")]
pub struct AlreadyDecided {
    pub from: ReportState,
}

impl ReportState {
    /// The state after `decision`. Every decision needs an unverified report that has not
    /// expired; the end states are final, so a report is decided exactly once.
    pub fn decide(self, decision: Decision, expired: bool) -> Result<ReportState, AlreadyDecided> {
        if self != ReportState::Unverified {
            return Err(AlreadyDecided { from: self });
        }
        if expired && decision != Decision::Expire {
            return Err(AlreadyDecided {
                from: ReportState::Expired,
            });
        }
        Ok(match decision {
            Decision::Verify => ReportState::Verified,
            Decision::Merge => ReportState::Merged,
            Decision::Reject => ReportState::Rejected,
            Decision::Expire => ReportState::Expired,
        })
    }

    /// Whether the report may still alert anyone (through an incident).
    pub fn alerts(self) -> bool {
        matches!(self, ReportState::Verified | ReportState::Merged)
    }
}

/// A vehicle as a reporter described it. Facts about the vehicle only: there is no field for
/// who was in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedVehicle {
    /// Normalized ([`crate::plate::Plate`]); `None` when the plate was not seen.
    pub plate: Option<String>,
    /// The state or country on the plate ("IL", "Jalisco").
    pub region: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub colour: Option<String>,
    /// Lettering, light bars, decals.
    pub markings: Option<String>,
}

/// A reporter's record, shown to responders beside each report: how many of their past reports
/// were verified or merged into an incident, out of how many were decided or expired.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accuracy {
    pub verified: u64,
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_round_trip_and_unknown_names_say_what_is_allowed() {
        for kind in ReportKind::ALL {
            assert_eq!(kind.as_str().parse::<ReportKind>(), Ok(*kind));
        }
        let error = "riot".parse::<ReportKind>().expect_err("unknown");
        assert!(error.contains("checkpoint, raid_home"), "{error}");
        assert_eq!("photo".parse::<VerifiedHow>(), Ok(VerifiedHow::Photo));
    }

    #[test]
    fn an_unverified_report_is_decided_once() {
        let s = ReportState::Unverified;
        assert_eq!(s.decide(Decision::Verify, false), Ok(ReportState::Verified));
        assert_eq!(s.decide(Decision::Merge, false), Ok(ReportState::Merged));
        assert_eq!(s.decide(Decision::Reject, false), Ok(ReportState::Rejected));
        assert_eq!(s.decide(Decision::Expire, true), Ok(ReportState::Expired));
        assert_eq!(
            s.decide(Decision::Verify, true),
            Err(AlreadyDecided {
                from: ReportState::Expired
            })
        );
        assert!(ReportState::Verified.alerts() && !ReportState::Expired.alerts());
    }

    fn decision() -> impl Strategy<Value = Decision> {
        prop_oneof![
            Just(Decision::Verify),
            Just(Decision::Merge),
            Just(Decision::Reject),
            Just(Decision::Expire)
        ]
    }

    proptest! {
        /// Whatever sequence of decisions arrives, the first allowed one fixes the state and
        /// every later one is refused; an expired report never alerts.
        #[test]
        fn end_states_are_final(decisions in proptest::collection::vec((decision(), any::<bool>()), 1..8)) {
            let mut state = ReportState::Unverified;
            let mut decided = false;
            for (decision, expired) in decisions {
                match state.decide(decision, expired) {
                    Ok(next) => {
                        prop_assert!(!decided);
                        prop_assert!(!(expired && next.alerts()));
                        state = next;
                        decided = true;
                    }
                    Err(_) => prop_assert!(decided || (expired && decision != Decision::Expire)),
                }
            }
        }
    }
}
