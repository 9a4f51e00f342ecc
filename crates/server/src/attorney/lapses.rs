//! When each attorney on duty was last heard from, so the dispatcher can end the duty span of
//! one who went quiet at the moment they were last heard.
//!
//! An attorney whose node died, or whose socket died without closing (a laptop shut, a network
//! gone), sends no "off duty": their connection on the node is gone, or is not known to be gone
//! for many minutes. The dispatcher stops ringing them after the heartbeat timeout; this is what
//! also ends their time on duty then, dated to their last heartbeat, so the hours an
//! organization reports are hours someone could be rung. A heartbeat afterwards (the laptop
//! woke on the same connection) starts a new span.

use amparo_core::ids::AccountId;
use std::collections::{BTreeSet, HashMap};

/// Attorneys on duty by when they were last heard, and which of them went quiet.
#[derive(Debug)]
pub(super) struct Lapses {
    timeout_us: i64,
    /// Last heard, by attorney: those still counted on duty only.
    heard: HashMap<AccountId, i64>,
    /// The same, by time: the first is the next to lapse.
    by_time: BTreeSet<(i64, AccountId)>,
    /// Attorneys who went quiet and have not been heard since.
    quiet: HashMap<AccountId, i64>,
}

impl Lapses {
    pub(super) fn new(timeout_us: i64) -> Self {
        Self {
            timeout_us,
            heard: HashMap::new(),
            by_time: BTreeSet::new(),
            quiet: HashMap::new(),
        }
    }

    /// The attorney, on duty, was heard at `at_us` (a heartbeat, or duty declared). True if they
    /// had gone quiet: their time on duty starts again.
    pub(super) fn heard(&mut self, attorney: AccountId, at_us: i64) -> bool {
        if let Some(before) = self.heard.insert(attorney, at_us) {
            self.by_time.remove(&(before, attorney));
        }
        self.by_time.insert((at_us, attorney));
        self.quiet.remove(&attorney).is_some()
    }

    /// The attorney went off duty. True if they had gone quiet (their span is already ended).
    pub(super) fn forget(&mut self, attorney: AccountId) -> bool {
        if let Some(before) = self.heard.remove(&attorney) {
            self.by_time.remove(&(before, attorney));
        }
        self.quiet.remove(&attorney).is_some()
    }

    /// When the next attorney goes quiet, if nothing is heard from them first.
    pub(super) fn next_deadline(&self) -> Option<i64> {
        let (last, _) = self.by_time.first()?;
        Some(last.saturating_add(self.timeout_us))
    }

    /// The attorneys quiet for the timeout at `now_us`, with when each was last heard; they count
    /// as quiet until heard again or off duty.
    pub(super) fn gone_quiet(&mut self, now_us: i64) -> Vec<(AccountId, i64)> {
        let mut quiet = Vec::new();
        while let Some(&(last, attorney)) = self.by_time.first() {
            if now_us.saturating_sub(last) < self.timeout_us {
                break;
            }
            self.by_time.pop_first();
            self.heard.remove(&attorney);
            self.quiet.insert(attorney, last);
            quiet.push((attorney, last));
        }
        quiet
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attorney_goes_quiet_once_at_their_last_heartbeat_and_comes_back_when_heard() {
        let mut lapses = Lapses::new(10);
        let (ana, ben) = (AccountId::new(), AccountId::new());
        assert!(!lapses.heard(ana, 100));
        assert!(!lapses.heard(ben, 103));
        assert!(!lapses.heard(ana, 105));
        assert_eq!(lapses.next_deadline(), Some(113), "Ben, heard last at 103");
        assert!(lapses.gone_quiet(112).is_empty());
        assert_eq!(lapses.gone_quiet(116), [(ben, 103), (ana, 105)]);
        assert!(lapses.gone_quiet(200).is_empty(), "once");
        assert_eq!(lapses.next_deadline(), None);
        assert!(lapses.heard(ana, 300), "heard again: back on duty");
        assert!(!lapses.heard(ana, 301));
        assert!(lapses.forget(ben), "Ben's span ended when he went quiet");
        assert!(!lapses.forget(ana), "Ana's is still open");
        assert_eq!(lapses.next_deadline(), None);
    }
}
