//! The silence watch on every node of a deployment: the node that starts an encounter, stores
//! a chunk of it or ends it tells the others on the bus (`silence`), so each node's
//! [`SilenceWatch`](super::silence::SilenceWatch) knows every open encounter. Only the node that
//! holds the lease alerts (`fanout::watch_silence`), and says so on the bus, so a node that
//! takes over knows which silences were already told and which were not.

use crate::bus::{BusError, Topic};
use crate::state::AppState;
use amparo_core::ids::EncounterId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
enum SilenceEvent {
    Started { encounter: EncounterId, at_us: i64 },
    Chunk { encounter: EncounterId, at_us: i64 },
    Ended { encounter: EncounterId },
    Alerted { encounter: EncounterId },
}

fn topic(state: &AppState) -> Topic<SilenceEvent> {
    Topic::new(state.subjects.named("silence"))
}

/// Starts watching an encounter, on every node.
pub fn started(state: &AppState, encounter: EncounterId, at_us: i64) {
    state.silence.started(encounter, at_us);
    topic(state).publish(&state.bus, &SilenceEvent::Started { encounter, at_us });
}

/// A chunk of the encounter was stored: true when it had been reported silent (it came back).
pub fn chunk(state: &AppState, encounter: EncounterId, at_us: i64) -> bool {
    topic(state).publish(&state.bus, &SilenceEvent::Chunk { encounter, at_us });
    state.silence.chunk(encounter, at_us)
}

/// The encounter ended: no node watches it any more.
pub fn ended(state: &AppState, encounter: EncounterId) {
    state.silence.ended(encounter);
    topic(state).publish(&state.bus, &SilenceEvent::Ended { encounter });
}

/// The lease holder told the encounter's people: the other nodes mark it told.
pub fn alerted(state: &AppState, encounter: EncounterId) {
    topic(state).publish(&state.bus, &SilenceEvent::Alerted { encounter });
}

/// Applies the other nodes' news to this node's watch until the bus closes.
pub async fn listen(state: &AppState) -> Result<tokio::task::JoinHandle<()>, BusError> {
    let mut subscription = state.bus.subscribe(topic(state).subject).await?;
    let state = state.clone();
    Ok(tokio::spawn(async move {
        while let Some(message) = subscription.next().await {
            match message.decode::<SilenceEvent>() {
                Some(SilenceEvent::Started { encounter, at_us }) => state.silence.started(encounter, at_us),
                Some(SilenceEvent::Chunk { encounter, at_us }) => {
                    let came_back = state.silence.chunk(encounter, at_us);
                    // The node that stored the chunk may not have known it was reported silent
                    // (it had not heard yet): the lease holder, which alerted, says it is back.
                    if came_back && state.leadership.held() {
                        let state = state.clone();
                        tokio::spawn(async move { crate::live::publish_state(&state, encounter).await });
                    }
                }
                Some(SilenceEvent::Ended { encounter }) => state.silence.ended(encounter),
                Some(SilenceEvent::Alerted { encounter }) => state.silence.mark_alerted(encounter),
                None => {}
            }
        }
    }))
}
