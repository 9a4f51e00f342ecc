//! The attorney line's writes, on a task of their own: a call's record is saved whole each time
//! it changes, so the last write is the whole truth even if an earlier one failed. What waits
//! when the writer gets to it goes out together (call records and assignments at once, so the
//! store can group-commit them; duty spans in the order the dispatcher made them).

use super::gap_push::Gap;
use super::stored::Stored;
use crate::alerts::AlertKind;
use crate::live::hub::Frame;
use crate::state::AppState;
use amparo_core::ids::{AccountId, EncounterId, OrgId};
use amparo_store::CallRecord;
use tokio::sync::mpsc;

#[derive(Debug)]
pub enum Job {
    /// Written once the encounter's row is (see [`Stored`]).
    SaveCall(CallRecord, Stored),
    StartDuty {
        attorney: AccountId,
        org: OrgId,
        at_us: i64,
    },
    EndDuty {
        attorney: AccountId,
        at_us: i64,
    },
    /// Every open span ends: a dispatcher starts.
    EndAllDuty {
        at_us: i64,
    },
    /// Tell the organization's admins, in the app and (at most every few minutes) by Web Push,
    /// that a request is waiting with nobody to take it.
    NotifyAdmins {
        org: OrgId,
        frame: Frame,
        gap: Gap,
    },
    /// Assign the attorney who took the call to the encounter (bundle, notes, past calls), then
    /// alert the person's household that an attorney is on the line.
    Assign {
        encounter: EncounterId,
        attorney: AccountId,
        stored: Stored,
    },
}

impl Job {
    /// Which call record this job saves, if it saves one.
    fn call_key(&self) -> Option<(EncounterId, i64)> {
        match self {
            Job::SaveCall(call, _) => Some((call.encounter, call.requested_at_us)),
            _ => None,
        }
    }
}

pub fn start(state: AppState) -> mpsc::UnboundedSender<Job> {
    let (jobs, mut inbox) = mpsc::unbounded_channel::<Job>();
    tokio::spawn(async move {
        let mut batch = Vec::new();
        while inbox.recv_many(&mut batch, 1_024).await > 0 {
            // A call's record is saved whole: when the writer is behind, only the latest save of
            // each record in the batch needs writing.
            let mut latest = std::collections::HashMap::new();
            for (at, job) in batch.iter().enumerate() {
                if let Some(key) = job.call_key() {
                    latest.insert(key, at);
                }
            }
            // Call records and assignments each touch a row of their own (one per call after
            // the coalescing above): they are written together, so the store can commit them in
            // one transaction. Duty spans and admin notices keep their order, one at a time.
            let (together, in_turn): (Vec<_>, Vec<_>) = batch
                .drain(..)
                .enumerate()
                .filter(|(at, job)| job.call_key().is_none_or(|key| latest.get(&key) == Some(at)))
                .map(|(_, job)| job)
                .partition(|job| matches!(job, Job::SaveCall(..) | Job::Assign { .. }));
            let sequential = async {
                for job in in_turn {
                    run(&state, job).await;
                }
            };
            futures::future::join(
                futures::future::join_all(together.into_iter().map(|job| run(&state, job))),
                sequential,
            )
            .await;
        }
    });
    jobs
}

async fn run(state: &AppState, job: Job) {
    if let Err(e) = write(state, job).await {
        tracing::error!(error = %e, "attorney line record not saved");
    }
}

async fn write(state: &AppState, job: Job) -> Result<(), amparo_store::StoreError> {
    let store = &state.store;
    match job {
        Job::SaveCall(call, stored) => {
            if !encounter_stored(state, call.encounter, &stored).await {
                return Ok(());
            }
            store.save_call(&call).await
        }
        Job::StartDuty { attorney, org, at_us } => store.start_duty(attorney, org, at_us).await,
        Job::EndDuty { attorney, at_us } => store.end_duty(attorney, at_us).await,
        Job::EndAllDuty { at_us } => {
            let ended = store.end_all_duty(at_us).await?;
            if ended > 0 {
                tracing::info!(ended, "duty spans left open by a previous dispatcher ended");
            }
            Ok(())
        }
        Job::NotifyAdmins { org, frame, gap } => {
            let admins = store.org_admins(org).await?;
            crate::live::deliver::to_accounts(state, &admins, &frame);
            if state.attorney.gap_pushes.due(org, crate::clock::now_us()) {
                push_gap(state, admins, gap);
            }
            Ok(())
        }
        Job::Assign {
            encounter,
            attorney,
            stored,
        } => {
            if !encounter_stored(state, encounter, &stored).await {
                return Ok(());
            }
            store.assign_attorney(encounter, attorney).await?;
            // On a task of its own: email and webhooks must not hold up the records behind it.
            let state = state.clone();
            tokio::spawn(async move {
                match state.store.encounter(encounter).await {
                    Ok(Some(found)) => {
                        if let Err(e) = crate::alerts::fanout::announce(&state, &found, AlertKind::AttorneyJoined).await
                        {
                            tracing::error!(%encounter, error = %e, "attorney-joined alert not sent");
                        }
                        crate::live::publish_state(&state, encounter).await;
                    }
                    Ok(None) => {}
                    Err(e) => tracing::error!(%encounter, error = %e, "attorney-joined alert not sent"),
                }
            });
            Ok(())
        }
    }
}

/// Waits for the encounter's row. When it was never stored, its request is cancelled (the
/// person was told their start failed; an attorney must not be left on a call that is not there)
/// and the write is dropped: its row would refer to nothing.
async fn encounter_stored(state: &AppState, encounter: EncounterId, stored: &Stored) -> bool {
    if stored.wait().await {
        return true;
    }
    tracing::warn!(%encounter, "the encounter was not stored: its attorney request is cancelled");
    state.attorney.send(super::Command::Close { encounter }).await;
    false
}

/// The gap to every admin's devices, on a task of its own: a slow push service must not hold up
/// the line's records.
fn push_gap(state: &AppState, admins: Vec<AccountId>, gap: Gap) {
    let state = state.clone();
    tokio::spawn(async move {
        for admin in admins {
            let payload = |language| super::gap_push::payload(&gap, language);
            if let Err(e) = state.web_push.to_account(&*state.store, admin, payload).await {
                tracing::warn!(%admin, error = %e, "coverage-gap push not sent");
            }
        }
    });
}
