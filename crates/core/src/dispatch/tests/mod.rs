//! One test per rule, each a short story told in events at a [`Desk`]: a dispatcher and a clock.

use super::policy::{DEFAULT_HEARTBEAT_TIMEOUT_US, DEFAULT_OFFER_TIMEOUT_US};
use super::*;
use crate::ids::{AccountId, EncounterId};
use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use uuid::Uuid;

const SEC: i64 = 1_000_000;
const ORG: OrgId = OrgId(Uuid::from_u128(0xA));
const OTHER_ORG: OrgId = OrgId(Uuid::from_u128(0xB));

fn lawyer(n: u128) -> AccountId {
    AccountId(Uuid::from_u128(n))
}

fn enc(n: u128) -> EncounterId {
    EncounterId(Uuid::from_u128(0x1000 + n))
}

fn lang(tag: &str) -> Language {
    tag.parse().expect("language")
}

fn state(code: &str) -> UsState {
    code.parse().expect("state")
}

/// A vetted attorney of `ORG` speaking `languages`, admitted in `states`.
fn profile(languages: &[&str], states: &[&str]) -> AttorneyProfile {
    AttorneyProfile {
        vetted: true,
        languages: languages.iter().map(|l| lang(l)).collect(),
        bar_admissions: states.iter().map(|s| state(s)).collect(),
        ..AttorneyProfile::new(ORG)
    }
}

fn english_ca() -> AttorneyProfile {
    profile(&["en"], &["CA"])
}

/// A dispatcher and a clock. Heartbeats last an hour unless a test is about them.
struct Desk {
    dispatcher: Dispatcher,
    now: i64,
}

impl Desk {
    fn new() -> Self {
        Self::with(DispatchSettings {
            heartbeat_timeout_us: 3600 * SEC,
            ..DispatchSettings::default()
        })
    }

    fn with(settings: DispatchSettings) -> Self {
        Self {
            dispatcher: Dispatcher::new(settings),
            now: 1_790_000_000 * SEC,
        }
    }

    fn wait(&mut self, seconds: i64) -> Vec<Effect> {
        self.now += seconds * SEC;
        self.send(Event::Tick)
    }

    fn send(&mut self, event: Event) -> Vec<Effect> {
        self.dispatcher.handle(self.now, event)
    }

    fn on_duty(&mut self, n: u128, profile: AttorneyProfile) -> Vec<Effect> {
        self.send(Event::AttorneyOnDuty {
            attorney: lawyer(n),
            profile,
        })
    }

    fn ask(&mut self, n: u128, language: &str, us_state: &str) -> Vec<Effect> {
        self.ask_in(n, ORG, language, us_state)
    }

    fn ask_in(&mut self, n: u128, org: OrgId, language: &str, us_state: &str) -> Vec<Effect> {
        self.send(Event::RequestAttorney(Request {
            encounter: enc(n),
            org,
            language: lang(language),
            state: state(us_state),
            requested_at_us: self.now,
        }))
    }

    fn accept(&mut self, attorney: u128, encounter: u128) -> Vec<Effect> {
        self.send(Event::Accept {
            attorney: lawyer(attorney),
            encounter: enc(encounter),
        })
    }

    fn decline(&mut self, attorney: u128, encounter: u128) -> Vec<Effect> {
        self.send(Event::Decline {
            attorney: lawyer(attorney),
            encounter: enc(encounter),
        })
    }

    fn status(&self, encounter: u128) -> Option<RequestStatus> {
        self.dispatcher.request_status(enc(encounter))
    }
}

/// The attorneys rung, in order.
fn offered(effects: &[Effect]) -> Vec<(AccountId, EncounterId)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Offer {
                attorney, encounter, ..
            } => Some((*attorney, *encounter)),
            _ => None,
        })
        .collect()
}

fn withdrawn(effects: &[Effect]) -> Vec<(AccountId, EncounterId, WithdrawReason)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::WithdrawOffer {
                attorney,
                encounter,
                reason,
            } => Some((*attorney, *encounter, *reason)),
            _ => None,
        })
        .collect()
}

fn ringing(desk: &Desk, encounter: u128) -> Vec<AccountId> {
    match desk.status(encounter) {
        Some(RequestStatus::Offering { attorneys }) => attorneys,
        other => panic!("expected offering, got {other:?}"),
    }
}

mod eligibility;
mod queue;
mod ringing;
mod state;
