//! `attorney-dispatch`, its second figure: the dispatch decision alone. The core
//! `Dispatcher` in this process, with 1,000 attorneys on duty and calls coming and going as in
//! the network run (each request accepted by its first offer, each call over after 250 more
//! requests), times `handle(RequestAttorney)`: everything dispatch decides for a new request
//! (eligibility, ranking, offers, queue places). Issue 4: p99 < 100 µs.
//!
//! Baseline: `handle(Tick)` on the same state, interleaved with the requests: the machine's cost
//! of one event that decides nothing new. Ratio: p99 of a request / p99 of a tick.

use crate::outcome::Outcome;
use crate::stats::Latencies;
use amparo_core::dispatch::{AttorneyProfile, DispatchSettings, Dispatcher, Effect, Event, Request};
use amparo_core::ids::{AccountId, EncounterId, OrgId};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub const TARGET_P99: Duration = Duration::from_micros(100);
/// Calls in progress at once: 500 starts a second with calls of about half a second.
const CALLS_AT_ONCE: usize = 250;

pub fn run(attorneys: usize, requests: usize) -> Outcome {
    let org = OrgId::new();
    let mut profile = AttorneyProfile::new(org);
    profile.vetted = true;
    profile.languages = ["es".parse().expect("es"), "en".parse().expect("en")].into();
    profile.bar_admissions = ["CA".parse().expect("CA")].into();
    let mut dispatcher = Dispatcher::new(DispatchSettings::default());
    // A clock of our own, a millisecond per request: offers never expire, heartbeats never lapse
    // (every attorney beats once a second of it), as in a healthy network run.
    let mut now = 1_000_000_000_i64;
    let ids: Vec<AccountId> = (0..attorneys).map(|_| AccountId::new()).collect();
    for id in &ids {
        dispatcher.handle(
            now,
            Event::AttorneyOnDuty {
                attorney: *id,
                profile: profile.clone(),
            },
        );
    }
    let (mut decide, mut tick) = (Vec::with_capacity(requests), Vec::with_capacity(requests));
    let mut calls = VecDeque::new();
    for i in 0..requests {
        now += 1_000;
        if i % 1_000 == 0 {
            for id in &ids {
                dispatcher.handle(now, Event::Heartbeat { attorney: *id });
            }
        }
        let request = Request {
            encounter: EncounterId::new(),
            org,
            language: "es".parse().expect("es"),
            state: "CA".parse().expect("CA"),
            requested_at_us: now,
        };
        let started = Instant::now();
        let effects = dispatcher.handle(now, Event::RequestAttorney(request));
        decide.push(started.elapsed());
        let started = Instant::now();
        dispatcher.handle(now, Event::Tick);
        tick.push(started.elapsed());
        // Every request is taken by the first attorney it rang, as in the network run where every
        // console accepts at once: requests never pile up waiting.
        let first_offer = effects.into_iter().find_map(|effect| match effect {
            Effect::Offer {
                attorney, encounter, ..
            } if encounter == request.encounter => Some(attorney),
            _ => None,
        });
        if let Some(attorney) = first_offer {
            let encounter = request.encounter;
            dispatcher.handle(now, Event::Accept { attorney, encounter });
            calls.push_back(encounter);
        }
        if calls.len() > CALLS_AT_ONCE
            && let Some(encounter) = calls.pop_front()
        {
            dispatcher.handle(now, Event::CallEnded { encounter });
        }
    }
    let (decide, tick) = (Latencies::new(decide), Latencies::new(tick));
    let us = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);
    println!(
        "  decision (RequestAttorney): p50 {}, p99 {}, max {} (n {}); tick: p50 {}, p99 {}",
        us(decide.p50()),
        us(decide.p99()),
        us(decide.max()),
        decide.len(),
        us(tick.p50()),
        us(tick.p99())
    );
    Outcome {
        name: "dispatch-decision",
        measured: format!(
            "p50 {}, p99 {} (n {})",
            us(decide.p50()),
            us(decide.p99()),
            decide.len()
        ),
        baseline: format!("tick p50 {}, p99 {}", us(tick.p50()), us(tick.p99())),
        ratio: decide.p99().as_secs_f64() / tick.p99().as_secs_f64().max(1e-9),
        ratio_is: "p99 / tick p99",
        target: "p99 < 100 µs",
        pass: decide.p99() < TARGET_P99,
    }
}
