//! An attorney's duty on one live connection. Duty lasts as long as the connection that declared
//! it: a laptop that sleeps drops its socket and stops getting offers within the heartbeat
//! timeout, and a closed tab takes its duty with it.

use super::Command;
use super::messages::AttorneyCard;
use crate::error::ApiError;
use crate::state::AppState;
use amparo_core::ids::AccountId;
use amparo_core::roles::Role;
use amparo_store::{Account, StoredAttorney};

/// Duty held by one connection; going off duty is sent when it drops.
#[derive(Debug)]
pub struct Duty {
    state: AppState,
    attorney: AccountId,
    connection: u64,
}

/// Puts the account on duty on this connection, with the profile their organization vetted.
pub async fn go_on_duty(state: &AppState, account: &Account, connection: u64) -> Result<Duty, ApiError> {
    if !account.has_role(Role::Attorney) {
        return Err(ApiError::forbidden("Only attorneys go on duty."));
    }
    let stored = state.store.attorney(account.id).await?.ok_or_else(|| {
        ApiError::conflict("Your organization has not set up your attorney profile yet: ask its admin.")
    })?;
    if !stored.profile.vetted {
        return Err(ApiError::conflict(
            "Your organization has not vetted your profile yet: you get calls once its admin does.",
        ));
    }
    let card = card(&stored);
    let held = super::HeldDuty {
        attorney: account.id,
        profile: stored.profile.clone(),
        card: card.clone(),
    };
    state.attorney.duty_held_here(connection, Some(held));
    state
        .attorney
        .send(Command::OnDuty {
            attorney: account.id,
            connection,
            profile: stored.profile,
            card,
        })
        .await;
    Ok(Duty {
        state: state.clone(),
        attorney: account.id,
        connection,
    })
}

/// The attorney as the person on the call sees them.
pub fn card(stored: &StoredAttorney) -> AttorneyCard {
    AttorneyCard {
        display_name: stored.display_name.clone(),
        languages: stored.profile.languages.iter().map(ToString::to_string).collect(),
    }
}

impl Drop for Duty {
    fn drop(&mut self) {
        let state = self.state.clone();
        state.attorney.duty_held_here(self.connection, None);
        let command = Command::OffDuty {
            attorney: self.attorney,
            connection: self.connection,
        };
        // Drop cannot wait; the queue has room almost always, and a task waits when it has not.
        if let Some(command) = state.attorney.try_send(command) {
            tokio::spawn(async move { state.attorney.send(command).await });
        }
    }
}
