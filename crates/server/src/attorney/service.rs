//! The dispatcher's task: takes commands in order, feeds them to the core dispatcher with the
//! time, ticks it at its next deadline, and carries out what it says. It also ends the duty span
//! of an attorney who went quiet (`lapses`), at their last heartbeat.

use super::gap_push::Gap;
use super::lapses::Lapses;
use super::messages::{self, AttorneyCard, AttorneyStatus, reason_name};
use super::stored::Stored;
use super::writer::{self, Job};
use super::{CallContext, Command, Parties};
use crate::clock::now_us;
use crate::live::hub::Frame;
use crate::state::AppState;
use amparo_core::dispatch::{Dispatcher, Effect, Event, Outcome};
use amparo_core::ids::{AccountId, EncounterId, OrgId};
use amparo_store::{CallOutcome, CallRecord};
use std::collections::{HashMap, HashSet};
use tokio::sync::mpsc;

/// An open request: what the person gave, and its record as it will be stored.
struct Open {
    context: CallContext,
    record: CallRecord,
}

/// An attorney on duty on at least one connection.
struct OnDuty {
    org: OrgId,
    card: AttorneyCard,
    connections: HashSet<u64>,
}

struct Service {
    state: AppState,
    dispatcher: Dispatcher,
    open: HashMap<EncounterId, Open>,
    on_duty: HashMap<AccountId, OnDuty>,
    /// Attorneys with a connected call who went off duty keep their card for it.
    cards: HashMap<AccountId, AttorneyCard>,
    /// When each attorney on duty was last heard.
    lapses: Lapses,
    writes: mpsc::UnboundedSender<Job>,
}

/// Runs until the server closes, every sender is gone, or this node loses the lease; gives the
/// queue back for the next time it leads.
pub async fn run(state: AppState, mut inbox: mpsc::Receiver<super::Command>) -> mpsc::Receiver<super::Command> {
    let writes = writer::start(state.clone());
    let dispatcher = Dispatcher::new(state.attorney.dispatch.core());
    let mut service = Service {
        lapses: Lapses::new(dispatcher.settings().heartbeat_timeout_us),
        dispatcher,
        state: state.clone(),
        open: HashMap::new(),
        on_duty: HashMap::new(),
        cards: HashMap::new(),
        writes,
    };
    service.restore().await;
    let mut leadership = state.leadership.clone();
    loop {
        let deadline = earliest(service.dispatcher.next_deadline(), service.lapses.next_deadline());
        tokio::select! {
            command = inbox.recv() => match command {
                Some(command) => service.command(command).await,
                None => break,
            },
            () = crate::clock::sleep_until_us(deadline) => {
                service.end_quiet_duty();
                service.apply(Event::Tick).await;
            }
            () = state.closing.cancelled() => break,
            () = leadership.lost() => break,
        }
    }
    inbox
}

fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Service {
    /// Picks up what a previous run left: each organization's state policy, and requests still
    /// open. A request that was waiting is asked again with its original time (so it keeps its
    /// place); a call that was connected lost its signaling with the restart and is recorded as
    /// ended (the attorney stays assigned and can call back). Requests the previous run rang but
    /// never recorded are found by their encounters (`recover`).
    ///
    /// Every duty span still open is ended now: nobody is on duty with this dispatcher until
    /// they say so, which the nodes do at once for their connections (a span each, from then),
    /// and attorneys whose node died never will.
    async fn restore(&mut self) {
        self.write(Job::EndAllDuty { at_us: now_us() });
        match self.state.store.dispatch_policies().await {
            Ok(policies) => {
                for p in policies {
                    self.dispatcher.handle(
                        now_us(),
                        Event::SetStatePolicy {
                            org: p.org,
                            policy: p.state_policy,
                        },
                    );
                }
            }
            Err(e) => tracing::error!(error = %e, "state policies not loaded: the defaults apply"),
        }
        let open = match self.state.store.open_calls().await {
            Ok(open) => open,
            Err(e) => return tracing::error!(error = %e, "open calls not restored"),
        };
        for mut record in open {
            let resumed = match record.attorney {
                Some(_) => None,
                None => super::request::resume(&self.state, &record).await,
            };
            match resumed {
                Some((request, context)) => {
                    self.command(Command::Request { request, context }).await;
                }
                None => {
                    record.closed_at_us = Some(now_us());
                    record.outcome = Some(if record.attorney.is_some() {
                        CallOutcome::Ended
                    } else {
                        CallOutcome::Cancelled
                    });
                    if let Some(attorney) = record.attorney {
                        self.hang_up_lost_call(record.encounter, attorney).await;
                    }
                    self.write(Job::SaveCall(record, Stored::already()));
                }
            }
        }
        for (request, context) in super::recover::unrecorded(&self.state).await {
            self.command(Command::Request { request, context }).await;
        }
    }

    /// A call connected under a previous dispatcher lost its signaling with it: when that
    /// dispatcher ran on another node (a takeover), both sides may still be connected, and are
    /// told it ended (the attorney stays assigned and can call back).
    async fn hang_up_lost_call(&self, encounter: EncounterId, attorney: AccountId) {
        self.to(attorney, messages::hangup(encounter));
        if let Ok(Some(stored)) = self.state.store.encounter(encounter).await {
            self.to(stored.owner, messages::hangup(encounter));
        }
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::OnDuty {
                attorney,
                connection,
                profile,
                card,
            } => {
                let org = profile.org;
                let entry = self.on_duty.entry(attorney).or_insert_with(|| OnDuty {
                    org,
                    card: card.clone(),
                    connections: HashSet::new(),
                });
                let first = entry.connections.is_empty();
                entry.connections.insert(connection);
                entry.card = card.clone();
                let was_quiet = self.lapses.heard(attorney, now_us());
                if first || entry.org != org || was_quiet {
                    entry.org = org;
                    self.write(Job::StartDuty {
                        attorney,
                        org,
                        at_us: now_us(),
                    });
                }
                self.cards.insert(attorney, card);
                self.state.attorney.set_on_duty(attorney, true);
                self.to(attorney, messages::duty(true));
                self.apply(Event::AttorneyOnDuty { attorney, profile }).await;
            }
            Command::OffDuty { attorney, connection } => {
                let Some(entry) = self.on_duty.get_mut(&attorney) else {
                    return;
                };
                if !entry.connections.remove(&connection) {
                    return;
                }
                if entry.connections.is_empty() {
                    self.on_duty.remove(&attorney);
                    self.state.attorney.set_on_duty(attorney, false);
                    // One who went quiet first had their span ended then.
                    if !self.lapses.forget(attorney) {
                        self.write(Job::EndDuty {
                            attorney,
                            at_us: now_us(),
                        });
                    }
                    self.to(attorney, messages::duty(false));
                    self.apply(Event::AttorneyOffDuty { attorney }).await;
                }
            }
            Command::Heartbeat { attorney } => {
                self.heard(attorney);
                self.apply(Event::Heartbeat { attorney }).await;
            }
            Command::Accept { attorney, encounter } => self.apply(Event::Accept { attorney, encounter }).await,
            Command::Decline { attorney, encounter } => self.apply(Event::Decline { attorney, encounter }).await,
            Command::Request { request, context } => {
                let encounter = request.encounter;
                let record = super::request::requested(&request);
                if let Some(open) = self.open.get(&encounter) {
                    // A second request for the encounter (asked twice at once, or left open
                    // twice by nodes of old) is dropped; if it was recorded, its record is
                    // closed, so no open record is left that no dispatcher holds.
                    if context.recorded && open.record.requested_at_us != record.requested_at_us {
                        let closed = CallRecord {
                            closed_at_us: Some(now_us()),
                            outcome: Some(CallOutcome::Cancelled),
                            ..record
                        };
                        self.write(Job::SaveCall(closed, Stored::already()));
                    }
                    return;
                }
                self.state
                    .attorney
                    .metrics
                    .requested(&record.language, &record.us_state);
                if !context.recorded {
                    self.write(Job::SaveCall(record.clone(), context.stored.clone()));
                }
                self.open.insert(encounter, Open { context, record });
                self.apply(Event::RequestAttorney(request)).await;
            }
            Command::Close { encounter } => self.apply(Event::CancelRequest { encounter }).await,
            Command::EncounterEnded { encounter } => {
                self.apply(Event::CallEnded { encounter }).await;
                self.state.attorney.forget_status(encounter);
            }
            Command::StoredUnheard { encounter } => {
                if !self.open.contains_key(&encounter) {
                    tokio::spawn(super::recover::one(self.state.clone(), encounter));
                }
            }
            Command::SetPolicy { org, policy } => self.apply(Event::SetStatePolicy { org, policy }).await,
            Command::ProfileChanged {
                attorney,
                profile,
                card,
            } => {
                self.cards.insert(attorney, card.clone());
                if let Some(entry) = self.on_duty.get_mut(&attorney) {
                    entry.card = card;
                    self.apply(Event::AttorneyOnDuty { attorney, profile }).await;
                }
            }
        }
    }

    /// The attorney, if on duty, was heard: one who had gone quiet is on duty again from now.
    fn heard(&mut self, attorney: AccountId) {
        let Some(entry) = self.on_duty.get(&attorney) else {
            return;
        };
        let at_us = now_us();
        if self.lapses.heard(attorney, at_us) {
            let org = entry.org;
            self.write(Job::StartDuty { attorney, org, at_us });
            self.state.attorney.set_on_duty(attorney, true);
        }
    }

    /// Attorneys not heard from for the heartbeat timeout are no longer rung (the dispatcher
    /// counts them away): their time on duty ends at their last heartbeat, and they read as off
    /// duty until they are heard again.
    fn end_quiet_duty(&mut self) {
        for (attorney, last_heard_us) in self.lapses.gone_quiet(now_us()) {
            self.write(Job::EndDuty {
                attorney,
                at_us: last_heard_us,
            });
            self.state.attorney.set_on_duty(attorney, false);
        }
    }

    async fn apply(&mut self, event: Event) {
        for effect in self.dispatcher.handle(now_us(), event) {
            self.carry_out(effect).await;
        }
        let waiting = self.dispatcher.waiting_count();
        self.state.attorney.metrics.gauges(waiting, self.on_duty.len());
    }

    async fn carry_out(&mut self, effect: Effect) {
        let now = now_us();
        match effect {
            Effect::Offer {
                attorney,
                encounter,
                expires_at_us,
            } => {
                let Some(open) = self.open.get_mut(&encounter) else {
                    return;
                };
                let frame = messages::offer(&open.context.facts, expires_at_us);
                let owner = open.context.owner;
                let stored = open.context.stored.clone();
                let first = open.record.offered_at_us.is_none().then(|| {
                    open.record.offered_at_us = Some(now);
                    open.record.clone()
                });
                self.to(attorney, frame);
                if let Some(record) = first {
                    let metrics = &self.state.attorney.metrics;
                    metrics.offered(&record.language, &record.us_state, now - record.requested_at_us);
                    self.write(Job::SaveCall(record, stored));
                }
                self.tell_owner(encounter, owner, AttorneyStatus::Offering);
            }
            Effect::WithdrawOffer {
                attorney,
                encounter,
                reason,
            } => {
                self.state.attorney.metrics.offer_ended(&reason_name(reason));
                self.to(attorney, messages::offer_withdrawn(encounter, reason));
            }
            Effect::Connected { attorney, encounter } => self.connected(attorney, encounter, now).await,
            Effect::Queued { encounter, position } | Effect::QueuePositionChanged { encounter, position } => {
                let Some(open) = self.open.get(&encounter) else { return };
                let status = AttorneyStatus::Queued {
                    position,
                    backup_line: open.context.backup_line.clone(),
                };
                let owner = open.context.owner;
                self.tell_owner(encounter, owner, status);
            }
            Effect::CoverageGap {
                org,
                encounter,
                language,
                state,
                reason,
            } => {
                let frame = messages::coverage_gap(org, encounter, language, state, reason);
                let gap = Gap {
                    org,
                    language: language.to_string(),
                    us_state: state.to_string(),
                    reason,
                };
                self.write(Job::NotifyAdmins { org, frame, gap });
            }
            Effect::AcceptRefused {
                attorney,
                encounter,
                reason,
            } => {
                self.to(attorney, messages::accept_refused(encounter, reason));
            }
            Effect::Closed {
                encounter,
                outcome,
                attorney,
            } => {
                self.state.attorney.set_call(encounter, None);
                let Some(mut open) = self.open.remove(&encounter) else {
                    return;
                };
                open.record.closed_at_us = Some(now);
                open.record.outcome = Some(match outcome {
                    Outcome::Ended => CallOutcome::Ended,
                    Outcome::Cancelled => CallOutcome::Cancelled,
                });
                self.write(Job::SaveCall(open.record, open.context.stored));
                if let Some(attorney) = attorney {
                    self.to(attorney, messages::hangup(encounter));
                    self.to(open.context.owner, messages::hangup(encounter));
                }
                self.tell_owner(encounter, open.context.owner, AttorneyStatus::Closed);
            }
        }
    }

    /// The attorney took the call: tell both sides, and have the assignment written and the
    /// person's household alerted.
    async fn connected(&mut self, attorney: AccountId, encounter: EncounterId, now: i64) {
        let Some(open) = self.open.get_mut(&encounter) else {
            return;
        };
        open.record.connected_at_us = Some(now);
        open.record.attorney = Some(attorney);
        let r = &open.record;
        self.state
            .attorney
            .metrics
            .connected(&r.language, &r.us_state, now - r.requested_at_us);
        let (record, owner, facts) = (r.clone(), open.context.owner, open.context.facts.clone());
        let stored = open.context.stored.clone();
        // The call table first: it lets the attorney open the encounter at once, before the
        // assignment below is written.
        self.state
            .attorney
            .set_call(encounter, Some(Parties { owner, attorney }));
        self.write(Job::SaveCall(record, stored.clone()));
        self.write(Job::Assign {
            encounter,
            attorney,
            stored,
        });
        let card = self.cards.get(&attorney).cloned().unwrap_or_else(|| AttorneyCard {
            display_name: "Attorney".to_owned(),
            languages: Vec::new(),
        });
        self.to(attorney, messages::call_for_attorney(&facts));
        self.to(owner, messages::call_for_member(encounter, &card));
        self.tell_owner(encounter, owner, AttorneyStatus::Connected { attorney: card });
    }

    fn tell_owner(&self, encounter: EncounterId, owner: AccountId, status: AttorneyStatus) {
        if self.state.attorney.status(encounter).as_ref() == Some(&status) {
            return;
        }
        self.to(owner, messages::status(encounter, &status));
        self.state.attorney.set_status(encounter, status);
    }

    fn to(&self, account: AccountId, frame: Frame) {
        crate::live::deliver::to_accounts(&self.state, &[account], &frame);
    }

    fn write(&self, job: Job) {
        if self.writes.send(job).is_err() {
            tracing::error!("the attorney line's writer has stopped; a record was not saved");
        }
    }
}
