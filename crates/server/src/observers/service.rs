//! The observer dispatcher's task: takes commands in order, feeds them to the core dispatcher
//! with the time, ticks it at its next deadline, and carries out what it says.

use super::messages;
use super::{Answer, Availability, Command, Published, Queued, Refused, split};
use crate::clock::now_us;
use crate::live::hub::Frame;
use crate::state::AppState;
use amparo_core::ids::{AccountId, IncidentId};
use amparo_core::observers::{Effect, Event, ObserverDispatcher, Request, RequestStatus, WithdrawReason};
use amparo_store::{Incident, ObserverDispatch, ResponderAction};
use std::collections::{BTreeSet, HashMap};
use tokio::sync::mpsc;

struct Service {
    state: AppState,
    dispatcher: ObserverDispatcher,
    /// The facts of each incident with an open request: what an offer shows.
    incidents: HashMap<IncidentId, Incident>,
    /// Who asked for observers at each incident: they hear how the request goes.
    requesters: HashMap<IncidentId, BTreeSet<AccountId>>,
    /// The display name of whoever is accepting now, for the row written when they are sent.
    accepting: Option<(AccountId, String)>,
    /// The row written for the latest dispatch (or the failure), for the accept's answer.
    dispatched: Option<Result<ObserverDispatch, Refused>>,
    /// The status each incident's people were last told, so they hear only changes.
    announced: HashMap<IncidentId, &'static str>,
    /// When each open request was made: the start of its time to accept.
    asked_at: HashMap<IncidentId, i64>,
}

/// Runs until the server closes, every sender is gone, or this node loses the lease; gives the
/// queue back for the next time it leads, after sending on what it did not carry out.
pub async fn run(state: AppState, mut inbox: mpsc::Receiver<Queued>) -> mpsc::Receiver<Queued> {
    let mut service = Service {
        dispatcher: ObserverDispatcher::new(state.observers.config.core()),
        state: state.clone(),
        incidents: HashMap::new(),
        requesters: HashMap::new(),
        accepting: None,
        dispatched: None,
        announced: HashMap::new(),
        asked_at: HashMap::new(),
    };
    service.restore().await;
    let mut leadership = state.observers.to_dispatcher.leadership();
    loop {
        let deadline = service.dispatcher.next_deadline();
        tokio::select! {
            queued = inbox.recv() => match queued {
                Some(Queued { command, reply, .. }) => {
                    let answer = service.command(command).await;
                    if let Some(reply) = reply {
                        // The asker may have stopped waiting.
                        let _ = reply.send(answer);
                    }
                }
                None => break,
            },
            () = crate::clock::sleep_until_us(deadline) => { service.apply(Event::Tick).await; }
            () = state.closing.cancelled() => break,
            () = leadership.lost() => {
                super::cluster::send_on(&state, &mut inbox);
                break;
            }
        }
    }
    inbox
}

impl Service {
    /// Asks again for every request a previous run left open, with the observers it already
    /// has, keeping its first time (so its place). Availability is not restored: it was never
    /// stored, and the responders' apps say it again.
    async fn restore(&mut self) {
        let open = match self.state.store.open_observer_requests().await {
            Ok(open) => open,
            Err(e) => return tracing::error!(error = %e, "observer requests not restored"),
        };
        for request in open {
            let incident = match self.state.store.incident(request.incident).await {
                Ok(Some(incident)) if incident.withdrawn_at_us.is_none() => incident,
                Ok(_) => {
                    self.close_in_store(request.incident).await;
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, incident = %request.incident, "observer request not restored");
                    continue;
                }
            };
            let sent = self
                .state
                .store
                .observers_of(request.incident)
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "observers not read; the request is asked again without them");
                    Vec::new()
                });
            let (on_the_way, done) = split(&sent);
            let command = Command::Request {
                incident,
                requester: request.requested_by,
                wanted: request.wanted,
                requested_at_us: request.requested_at_us,
                on_the_way,
                done,
            };
            Box::pin(self.command(command)).await;
            // Those already there have until the lapse after their arrival, not their accept.
            for arrived in sent.iter().filter(|d| d.going() && d.arrived_at_us.is_some()) {
                let event = Event::Arrived {
                    responder: arrived.observer,
                    incident: request.incident,
                };
                Box::pin(self.apply(event)).await;
            }
        }
    }

    async fn command(&mut self, command: Command) -> Answer {
        match command {
            Command::Available { responder, cell } => {
                self.apply(Event::Available { responder, cell }).await;
            }
            Command::Unavailable { responder } => {
                self.apply(Event::Unavailable { responder }).await;
            }
            Command::Request {
                incident,
                requester,
                wanted,
                requested_at_us,
                on_the_way,
                done,
            } => {
                let request = Request {
                    incident: incident.id,
                    cell: incident.cell,
                    wanted,
                    requested_at_us,
                };
                self.requesters.entry(incident.id).or_default().insert(requester);
                self.asked_at.insert(incident.id, requested_at_us);
                self.incidents.insert(incident.id, incident);
                self.apply(Event::Request {
                    request,
                    on_the_way,
                    done,
                })
                .await;
                return Answer::Status(self.dispatcher.request_status(request.incident));
            }
            Command::Accept {
                responder,
                display_name,
                incident,
            } => {
                self.accepting = Some((responder, display_name));
                self.dispatched = None;
                let effects = self.apply(Event::Accept { responder, incident }).await;
                self.accepting = None;
                let refused = effects.iter().find_map(|e| match e {
                    Effect::AcceptRefused { reason, .. } => Some(*reason),
                    _ => None,
                });
                let answer = match (self.dispatched.take(), refused) {
                    (Some(written), _) => written,
                    (None, Some(reason)) => Err(Refused::Core(reason)),
                    // A repeated accept: already on the way; answer with the row written then.
                    (None, None) => self.row_of(incident, responder).await,
                };
                return Answer::Accepted(answer);
            }
            Command::Decline { responder, incident } => {
                let effects = self.apply(Event::Decline { responder, incident }).await;
                let declined = effects.iter().any(|e| {
                    matches!(e, Effect::WithdrawOffer { responder: r, reason: WithdrawReason::Declined, .. } if *r == responder)
                });
                return Answer::Declined(declined);
            }
            // A mark changes the incident page whether or not the request's status changes.
            Command::Arrived { responder, incident } => {
                self.apply(Event::Arrived { responder, incident }).await;
                self.announce(incident, true).await;
            }
            Command::Done { responder, incident } => {
                self.apply(Event::Done { responder, incident }).await;
                self.announce(incident, true).await;
            }
            Command::Cancel { incident } => {
                self.apply(Event::Cancel { incident }).await;
            }
        }
        Answer::Done
    }

    /// Applies one event, carries out its effects, tells whoever asked how their requests
    /// stand, and publishes the new picture. Returns the effects.
    async fn apply(&mut self, event: Event) -> Vec<Effect> {
        let before: BTreeSet<AccountId> = self.available_now();
        let said_unavailable = match &event {
            Event::Unavailable { responder } => Some(*responder),
            _ => None,
        };
        let mut touched: BTreeSet<IncidentId> = BTreeSet::new();
        if let Event::Request { request, .. } = &event {
            touched.insert(request.incident);
        }
        let effects = self.dispatcher.handle(now_us(), event);
        for effect in &effects {
            touched.insert(incident_of(effect));
            self.carry_out(effect).await;
        }
        for incident in touched {
            // A lapse changes who the page lists even when the request's status stays.
            let lapsed_here = effects
                .iter()
                .any(|e| matches!(e, Effect::Lapsed { incident: i, .. } if *i == incident));
            self.announce(incident, lapsed_here).await;
        }
        // Availability that ended by itself (it lapsed): the app's switch should go off.
        for responder in before.difference(&self.available_now()) {
            if Some(*responder) != said_unavailable {
                self.to(*responder, messages::availability_ended("lapsed"));
            }
        }
        self.publish();
        effects
    }

    async fn carry_out(&mut self, effect: &Effect) {
        match effect {
            Effect::Offer {
                responder,
                incident,
                distance,
                expires_at_us,
            } => {
                self.state.observers.metrics.offered();
                if let Some(facts) = self.incidents.get(incident) {
                    self.to(*responder, messages::offer(facts, *distance, *expires_at_us));
                }
            }
            Effect::WithdrawOffer {
                responder,
                incident,
                reason,
            } => {
                let metrics = &self.state.observers.metrics;
                metrics.offer_ended(&messages::reason_name(*reason));
                self.to(*responder, messages::offer_withdrawn(*incident, *reason));
            }
            Effect::Dispatched { responder, incident } => {
                if let Some(asked_at) = self.asked_at.get(incident) {
                    self.state.observers.metrics.accepted(now_us() - asked_at);
                }
                self.dispatch(*responder, *incident).await;
            }
            Effect::AcceptRefused {
                responder,
                incident,
                reason,
            } => self.to(*responder, messages::accept_refused(*incident, *reason)),
            Effect::Waiting { .. } => {}
            Effect::Lapsed {
                responder,
                incident,
                arrived,
            } => self.lapse(*responder, *incident, *arrived).await,
            Effect::Cancelled { incident, on_the_way } => {
                for responder in on_the_way {
                    self.to(*responder, messages::cancelled(*incident));
                }
                self.close_in_store(*incident).await;
            }
        }
    }

    /// Writes the observer's row (with the accept in the audit log) before anyone is told, so
    /// the incident page shows them from the moment they are on the way, restart or not.
    async fn dispatch(&mut self, responder: AccountId, incident: IncidentId) {
        let now = now_us();
        let display_name = match &self.accepting {
            Some((who, name)) if *who == responder => name.clone(),
            _ => "Observer".to_owned(),
        };
        let row = ObserverDispatch {
            incident,
            observer: responder,
            display_name,
            accepted_at_us: now,
            arrived_at_us: None,
            done_at_us: None,
            lapsed_at_us: None,
        };
        let audit = ResponderAction {
            at_us: now,
            responder,
            action: "observer_accept".to_owned(),
            report: None,
            incident: Some(incident),
            vehicle: None,
            note: String::new(),
        };
        self.dispatched = Some(match self.state.store.add_observer(&row, &audit).await {
            Ok(()) => Ok(row),
            Err(e) => {
                tracing::error!(error = %e, %incident, "an observer's dispatch was not saved");
                Err(Refused::NotSaved)
            }
        });
    }

    /// Marks the observer's row lapsed (so the page and a restart both know) and tells them.
    async fn lapse(&self, responder: AccountId, incident: IncidentId, arrived: bool) {
        self.state.observers.metrics.lapsed(arrived);
        if let Err(e) = self.state.store.lapse_observer(incident, responder, now_us()).await {
            tracing::warn!(error = %e, %incident, "an observer's lapse was not saved");
        }
        self.to(responder, messages::lapsed(incident, arrived));
    }

    /// Tells whoever asked, and the observers on the way, how the request stands; closes it in
    /// the store once the dispatcher is done with it.
    async fn announce(&mut self, incident: IncidentId, page_changed: bool) {
        let status = self.dispatcher.request_status(incident);
        let name = match &status {
            Some(RequestStatus::Offering { .. }) => "offering",
            Some(RequestStatus::Waiting) => "waiting",
            Some(RequestStatus::Fulfilled) => "fulfilled",
            None => "closed",
        };
        let changed = match status {
            None => self.announced.remove(&incident).is_some(),
            Some(_) => self.announced.insert(incident, name) != Some(name),
        };
        // A new observer changes the page but not the status: tell them anyway.
        let dispatched_here = self
            .dispatched
            .as_ref()
            .is_some_and(|d| d.as_ref().is_ok_and(|row| row.incident == incident));
        if !changed && !dispatched_here && !page_changed {
            return;
        }
        let mut told: BTreeSet<AccountId> = self.requesters.get(&incident).cloned().unwrap_or_default();
        if let Ok(sent) = self.state.store.observers_of(incident).await {
            told.extend(sent.iter().map(|d| d.observer));
        }
        let frame = messages::status(incident, name);
        for account in &told {
            self.to(*account, frame.clone());
        }
        if status.is_none() && self.incidents.remove(&incident).is_some() {
            self.requesters.remove(&incident);
            self.asked_at.remove(&incident);
            self.close_in_store(incident).await;
        }
    }

    async fn close_in_store(&self, incident: IncidentId) {
        if let Err(e) = self.state.store.close_observer_request(incident, now_us()).await {
            tracing::warn!(error = %e, %incident, "an observer request was not closed");
        }
    }

    async fn row_of(&self, incident: IncidentId, responder: AccountId) -> Result<ObserverDispatch, Refused> {
        let sent = self
            .state
            .store
            .observers_of(incident)
            .await
            .map_err(|_| Refused::NotSaved)?;
        sent.into_iter()
            .find(|d| d.observer == responder)
            .ok_or(Refused::Core(amparo_core::observers::RefuseReason::NotOffered))
    }

    fn available_now(&self) -> BTreeSet<AccountId> {
        available_set(&self.dispatcher)
    }

    fn publish(&self) {
        let d = &self.dispatcher;
        let mut published = Published::default();
        for responder in available_set(d) {
            if let (Some(cell), Some(until_us)) = (d.available_at(responder), d.available_until(responder)) {
                published.available.insert(responder, Availability { cell, until_us });
            }
            let offers = d.offers_of(responder);
            if !offers.is_empty() {
                published.offers.insert(responder, offers);
            }
        }
        for incident in self.incidents.keys() {
            if let Some(status) = d.request_status(*incident) {
                published.statuses.insert(*incident, status);
            }
        }
        for (responder, incident) in d.on_the_way() {
            published.on_the_way.insert(responder, incident);
        }
        self.state.observers.publish(published);
        self.state.observers.metrics.requests_open(d.open_requests());
    }

    fn to(&self, account: AccountId, frame: Frame) {
        crate::live::deliver::to_accounts(&self.state, &[account], &frame);
    }
}

fn available_set(d: &ObserverDispatcher) -> BTreeSet<AccountId> {
    d.available_responders().collect()
}

fn incident_of(effect: &Effect) -> IncidentId {
    match effect {
        Effect::Offer { incident, .. }
        | Effect::WithdrawOffer { incident, .. }
        | Effect::Dispatched { incident, .. }
        | Effect::Waiting { incident }
        | Effect::AcceptRefused { incident, .. }
        | Effect::Lapsed { incident, .. }
        | Effect::Cancelled { incident, .. } => *incident,
    }
}
