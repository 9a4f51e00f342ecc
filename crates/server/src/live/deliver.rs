//! Live messages to accounts and followers wherever they are connected: this node's hub at
//! once, and the other nodes through the bus (one subject per account and per followed
//! encounter, the frame's bytes as the payload: serialized once, never wrapped). Each node
//! listens with one wildcard subscription and hands what arrives to its own hub.

use super::hub::Frame;
use crate::bus::{BusError, Subjects};
use crate::state::AppState;
use amparo_core::ids::{AccountId, EncounterId};
use bytes::Bytes;

/// Sends to every connection of each account, on every node; returns how many of this node's
/// connections took it.
pub fn to_accounts(state: &AppState, accounts: &[AccountId], frame: &Frame) -> usize {
    if state.bus.reaches_others() {
        let payload = Bytes::copy_from_slice(frame.as_bytes());
        for account in accounts {
            state
                .bus
                .publish(account_subject(&state.subjects, *account), payload.clone());
        }
    }
    state.hub.to_accounts(accounts, frame)
}

/// Sends to every connection following the encounter, on every node; returns how many of this
/// node's took it.
pub fn to_followers(state: &AppState, encounter: EncounterId, frame: &Frame) -> usize {
    if state.bus.reaches_others() {
        let payload = Bytes::copy_from_slice(frame.as_bytes());
        state
            .bus
            .publish(encounter_subject(&state.subjects, encounter), payload);
    }
    state.hub.to_followers(encounter, frame)
}

/// Whether a message for the encounter's followers could reach anyone (here, or elsewhere):
/// when not, it is not even built.
pub fn may_have_followers(state: &AppState, encounter: EncounterId) -> bool {
    state.bus.reaches_others() || state.hub.has_followers(encounter)
}

fn account_subject(subjects: &Subjects, account: AccountId) -> String {
    subjects.named(&format!("live.account.{account}"))
}

fn encounter_subject(subjects: &Subjects, encounter: EncounterId) -> String {
    subjects.named(&format!("live.encounter.{encounter}"))
}

/// Subscribes to the other nodes' live messages (ready when this returns) and hands them to
/// this node's hub until the bus closes.
pub async fn listen(state: &AppState) -> Result<tokio::task::JoinHandle<()>, BusError> {
    let pattern = state.subjects.named("live.>");
    let mut subscription = state.bus.subscribe(pattern).await?;
    let (hub, prefix) = (state.hub.clone(), state.subjects.named("live."));
    Ok(tokio::spawn(async move {
        while let Some(message) = subscription.next().await {
            let Ok(text) = std::str::from_utf8(&message.payload) else {
                continue;
            };
            let frame = Frame::from(text);
            let target = message.subject.strip_prefix(&prefix).and_then(|t| t.split_once('.'));
            match target {
                Some(("account", id)) => {
                    if let Ok(account) = id.parse::<AccountId>() {
                        hub.to_accounts(&[account], &frame);
                    }
                }
                Some(("encounter", id)) => {
                    if let Ok(encounter) = id.parse::<EncounterId>() {
                        hub.to_followers(encounter, &frame);
                    }
                }
                _ => tracing::debug!(subject = %message.subject, "a live message for nobody"),
            }
        }
    }))
}
