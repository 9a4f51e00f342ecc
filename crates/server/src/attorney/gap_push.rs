//! Coverage gaps by Web Push: an organization's admins are told on their devices, not only in
//! an open app, that someone is waiting with no attorney to take the call, so they can find one
//! (or point people to the backup line) before the queue grows.
//!
//! At most one push per organization per [`EVERY`]: on a raid morning every waiting request is a
//! gap, and a hundred notifications say no more than one. The in-app message still goes out for
//! each.

use crate::alerts::Language;
use crate::alerts::webpush::PushPayload;
use amparo_core::dispatch::GapReason;
use amparo_core::ids::OrgId;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The quiet time after a push to an organization's admins.
pub const EVERY_US: i64 = 5 * 60 * 1_000_000;

/// What the notification says about the request waiting.
#[derive(Clone, Debug)]
pub struct Gap {
    pub org: OrgId,
    pub language: String,
    pub us_state: String,
    pub reason: GapReason,
}

/// When each organization's admins were last pushed a gap.
#[derive(Debug, Default)]
pub struct GapPushes {
    last: Mutex<HashMap<OrgId, i64>>,
}

impl GapPushes {
    /// Whether to push now, and if so, notes that it was.
    pub fn due(&self, org: OrgId, now_us: i64) -> bool {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        match last.get(&org) {
            Some(&at) if now_us - at < EVERY_US => false,
            _ => {
                last.insert(org, now_us);
                true
            }
        }
    }
}

/// The notification in the admin's browser language; tapping it opens the coverage page.
pub fn payload(gap: &Gap, language: Language) -> PushPayload {
    let (title, body) = match (language, gap.reason) {
        (Language::En, GapReason::NobodyAvailable) => (
            "Someone is waiting for an attorney",
            format!(
                "No attorney on duty can take a call in {} for {}. Find someone to go on duty.",
                gap.language, gap.us_state
            ),
        ),
        (Language::En, GapReason::NobodyAnswered) => (
            "Someone is waiting for an attorney",
            format!(
                "Every attorney who could take a call in {} for {} let it ring. They will be rung again.",
                gap.language, gap.us_state
            ),
        ),
        (Language::Es, GapReason::NobodyAvailable) => (
            "Alguien espera a un abogado",
            format!(
                "Ningún abogado de turno puede atender una llamada en {} para {}. Busque a alguien que se ponga de turno.",
                gap.language, gap.us_state
            ),
        ),
        (Language::Es, GapReason::NobodyAnswered) => (
            "Alguien espera a un abogado",
            format!(
                "Ningún abogado que podía atender una llamada en {} para {} contestó. Se les volverá a llamar.",
                gap.language, gap.us_state
            ),
        ),
    };
    PushPayload {
        title: title.to_owned(),
        body,
        // A later gap replaces the notification rather than stacking.
        tag: "coverage-gap".to_owned(),
        url: format!("/#/coverage/{}", gap.org),
        language,
        alert: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_push_per_organization_per_quiet_time() {
        let pushes = GapPushes::default();
        let (a, b) = (OrgId::new(), OrgId::new());
        assert!(pushes.due(a, 0));
        assert!(!pushes.due(a, EVERY_US - 1));
        assert!(pushes.due(b, 1), "another organization is its own");
        assert!(pushes.due(a, EVERY_US));
    }

    #[test]
    fn the_words_name_the_language_and_state_in_both_languages() {
        let gap = Gap {
            org: OrgId::new(),
            language: "es".into(),
            us_state: "CA".into(),
            reason: GapReason::NobodyAvailable,
        };
        assert!(payload(&gap, Language::En).body.contains("in es for CA"));
        assert!(payload(&gap, Language::Es).body.contains("en es para CA"));
        assert_eq!(payload(&gap, Language::En).url, format!("/#/coverage/{}", gap.org));
    }
}
