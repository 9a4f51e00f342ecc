//! The attorney line's messages on the live WebSocket: duty and heartbeats, answering an offer,
//! and the call's signaling, relayed between its two sides only.

use super::Command;
use super::presence::{Duty, go_on_duty};
use crate::live::hub::Frame;
use crate::live::socket::error;
use crate::state::AppState;
use amparo_core::ids::EncounterId;
use amparo_store::Account;
use serde_json::Value;

/// Signaling data larger than this is refused: an SDP with audio and video is a few KiB.
const MAX_SIGNAL_BYTES: usize = 32 * 1024;

/// One connection's part in the attorney line.
#[derive(Debug)]
pub struct CallSocket {
    connection: u64,
    duty: Option<Duty>,
}

impl CallSocket {
    pub fn new(state: &AppState) -> Self {
        Self {
            connection: state.attorney.connection_id(),
            duty: None,
        }
    }

    pub async fn duty(&mut self, state: &AppState, account: &Account, on: bool) -> Option<Frame> {
        if !on {
            // Dropping the duty sends "off duty" for this connection.
            return self.duty.take().is_none().then(|| super::messages::duty(false));
        }
        if self.duty.is_some() {
            return Some(super::messages::duty(true));
        }
        match go_on_duty(state, account, self.connection).await {
            Ok(duty) => {
                self.duty = Some(duty);
                None
            }
            Err(e) => Some(error(None, e.status().as_u16(), e.detail())),
        }
    }

    pub async fn heartbeat(&self, state: &AppState, account: &Account) {
        if self.duty.is_some() {
            state.attorney.send(Command::Heartbeat { attorney: account.id }).await;
        }
    }
}

/// Accepts or declines an offer. The dispatcher answers (`call`, `accept_refused`, or
/// `offer_withdrawn`) on this account's connections.
pub async fn answer(state: &AppState, account: &Account, encounter: &str, accept: bool) -> Option<Frame> {
    let Ok(encounter) = encounter.parse::<EncounterId>() else {
        return Some(error(Some(encounter), 404, "No such encounter."));
    };
    let attorney = account.id;
    let command = if accept {
        Command::Accept { attorney, encounter }
    } else {
        Command::Decline { attorney, encounter }
    };
    state.attorney.send(command).await;
    None
}

/// Relays signaling to the other side of the encounter's connected call.
pub fn signal(state: &AppState, account: &Account, encounter: &str, data: &Value) -> Option<Frame> {
    let (id, other, from) = match other_side(state, account, encounter) {
        Ok(found) => found,
        Err(frame) => return Some(frame),
    };
    if data.to_string().len() > MAX_SIGNAL_BYTES {
        return Some(error(Some(encounter), 413, "That signaling message is too large."));
    }
    crate::live::deliver::to_accounts(state, &[other], &super::messages::signal(id, from, data));
    None
}

/// Ends the encounter's call, from either side. The recording goes on.
pub async fn hangup(state: &AppState, account: &Account, encounter: &str) -> Option<Frame> {
    match other_side(state, account, encounter) {
        Ok((id, _, _)) => {
            state.attorney.send(Command::Close { encounter: id }).await;
            None
        }
        Err(frame) => Some(frame),
    }
}

/// The encounter, the other side's account, and which side the caller is.
fn other_side(
    state: &AppState,
    account: &Account,
    encounter: &str,
) -> Result<(EncounterId, amparo_core::ids::AccountId, &'static str), Frame> {
    let no_call = || error(Some(encounter), 409, "There is no call on this encounter right now.");
    let id = encounter.parse::<EncounterId>().map_err(|_| no_call())?;
    let parties = state.attorney.parties(id).ok_or_else(no_call)?;
    if account.id == parties.owner {
        Ok((id, parties.attorney, "member"))
    } else if account.id == parties.attorney {
        Ok((id, parties.owner, "attorney"))
    } else {
        Err(error(
            Some(encounter),
            403,
            "Only the two people on this call can signal on it.",
        ))
    }
}
