//! One open request's progress: ringing, waiting, or connected, and who has passed on it.

use super::event::Request;
use crate::ids::AccountId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where an open request stands: exactly one of these, by construction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Stage {
    /// Ringing these attorneys, each until the time given. Empty only inside
    /// [`super::Dispatcher::handle`], between an event and the settling that follows it.
    Offering {
        offers: BTreeMap<AccountId, i64>,
    },
    /// Nobody is ringing; 1 is next in the organization's queue. 0 only inside `handle`, for a
    /// request that has just joined and not yet been told its place.
    Queued {
        position: u32,
    },
    Connected {
        attorney: AccountId,
    },
}

/// How an attorney passed on a request: they are not rung for it again this round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Pass {
    Declined,
    Expired,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OpenRequest {
    pub(crate) request: Request,
    pub(crate) stage: Stage,
    /// Attorneys who declined or let an offer expire, this round.
    pub(crate) passed: BTreeMap<AccountId, Pass>,
    /// When the latest of them passed: the next round starts an offer timeout after it.
    pub(crate) last_pass_us: Option<i64>,
}

impl OpenRequest {
    pub(crate) fn new(request: Request) -> Self {
        Self {
            request,
            stage: Stage::Offering {
                offers: BTreeMap::new(),
            },
            passed: BTreeMap::new(),
            last_pass_us: None,
        }
    }

    pub(crate) fn pass(&mut self, attorney: AccountId, how: Pass, now: i64) {
        self.passed.insert(attorney, how);
        self.last_pass_us = Some(now);
    }

    pub(crate) fn offers(&self) -> Option<&BTreeMap<AccountId, i64>> {
        match &self.stage {
            Stage::Offering { offers } => Some(offers),
            _ => None,
        }
    }

    pub(crate) fn status(&self) -> RequestStatus {
        match &self.stage {
            Stage::Offering { offers } => RequestStatus::Offering {
                attorneys: offers.keys().copied().collect(),
            },
            Stage::Queued { position } => RequestStatus::Queued { position: *position },
            Stage::Connected { attorney } => RequestStatus::Connected { attorney: *attorney },
        }
    }
}

/// Where an open request stands, for a server to show. A request that was cancelled or ended is
/// no longer open and has no status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum RequestStatus {
    /// These attorneys are being rung.
    Offering {
        attorneys: Vec<AccountId>,
    },
    /// Waiting; 1 is next in the organization's queue.
    Queued {
        position: u32,
    },
    Connected {
        attorney: AccountId,
    },
}
