//! "The recording stopped without being ended": the phone may have been taken. Every open
//! encounter is watched from the moment it starts (a phone seized before its first chunk counts
//! too); each chunk resets its clock; after `after` of silence its people are alerted once, and
//! once more after each time the recording comes back and stops again.
//!
//! The watch lives in memory and is rebuilt from chunks as they arrive after a restart; with
//! several nodes (issue 7) every node keeps it, told by the others (see `silence_shared`).

use amparo_core::ids::EncounterId;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

#[derive(Debug)]
pub struct SilenceWatch {
    after_us: i64,
    watches: Mutex<HashMap<EncounterId, Watch>>,
}

#[derive(Clone, Copy, Debug)]
struct Watch {
    last_us: i64,
    alerted: bool,
}

/// An encounter that has just gone silent for too long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Silent {
    pub encounter: EncounterId,
    pub silent_secs: u64,
}

impl SilenceWatch {
    pub fn new(after: Duration) -> Self {
        Self {
            after_us: i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
            watches: Mutex::default(),
        }
    }

    pub fn after(&self) -> Duration {
        Duration::from_micros(self.after_us.unsigned_abs())
    }

    fn watches(&self) -> std::sync::MutexGuard<'_, HashMap<EncounterId, Watch>> {
        self.watches.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts watching an encounter.
    pub fn started(&self, encounter: EncounterId, at_us: i64) {
        self.watches().insert(
            encounter,
            Watch {
                last_us: at_us,
                alerted: false,
            },
        );
    }

    /// A chunk arrived: the recording is alive. Returns true when it had been reported silent
    /// (it came back).
    pub fn chunk(&self, encounter: EncounterId, at_us: i64) -> bool {
        let mut watches = self.watches();
        let watch = watches.entry(encounter).or_insert(Watch {
            last_us: at_us,
            alerted: false,
        });
        let came_back = watch.alerted;
        watch.last_us = watch.last_us.max(at_us);
        watch.alerted = false;
        came_back
    }

    /// Another node reported the encounter silent: it is not reported again until a chunk
    /// arrives.
    pub fn mark_alerted(&self, encounter: EncounterId) {
        if let Some(watch) = self.watches().get_mut(&encounter) {
            watch.alerted = true;
        }
    }

    /// The encounter ended: nothing more to watch.
    pub fn ended(&self, encounter: EncounterId) {
        self.watches().remove(&encounter);
    }

    /// Seconds since the encounter's last chunk (or its start), if it is watched.
    pub fn silent_for(&self, encounter: EncounterId, now_us: i64) -> Option<u64> {
        self.watches()
            .get(&encounter)
            .map(|w| (now_us - w.last_us).max(0).unsigned_abs() / 1_000_000)
    }

    /// The encounters that have been silent for too long and not yet reported; each is reported
    /// once until a chunk arrives again.
    pub fn due(&self, now_us: i64) -> Vec<Silent> {
        let mut due = Vec::new();
        for (encounter, watch) in self.watches().iter_mut() {
            let silent = now_us - watch.last_us;
            if !watch.alerted && silent >= self.after_us {
                watch.alerted = true;
                due.push(Silent {
                    encounter: *encounter,
                    silent_secs: silent.unsigned_abs() / 1_000_000,
                });
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    #[test]
    fn silence_is_reported_once_then_again_after_the_recording_comes_back() {
        let watch = SilenceWatch::new(Duration::from_secs(20));
        let (a, b) = (EncounterId::new(), EncounterId::new());
        watch.started(a, 0);
        watch.started(b, 0);
        assert!(!watch.chunk(a, 5 * S));
        assert_eq!(watch.due(19 * S), []);
        assert_eq!(
            watch.due(20 * S),
            [Silent {
                encounter: b,
                silent_secs: 20
            }],
            "b never sent a chunk"
        );
        assert_eq!(watch.due(24 * S), [], "b is reported once");
        assert_eq!(
            watch.due(25 * S),
            [Silent {
                encounter: a,
                silent_secs: 20
            }]
        );
        assert_eq!(watch.silent_for(a, 30 * S), Some(25));
        assert!(watch.chunk(a, 31 * S), "a came back");
        assert_eq!(watch.due(50 * S), []);
        assert_eq!(
            watch.due(51 * S),
            [Silent {
                encounter: a,
                silent_secs: 20
            }],
            "and stopped again"
        );
        watch.ended(a);
        watch.ended(b);
        assert_eq!(watch.due(1_000 * S), []);
        assert_eq!(watch.silent_for(a, 1_000 * S), None);
    }

    #[test]
    fn late_chunks_do_not_move_the_clock_back() {
        let watch = SilenceWatch::new(Duration::from_secs(20));
        let a = EncounterId::new();
        watch.chunk(a, 10 * S);
        watch.chunk(a, 4 * S);
        assert_eq!(watch.due(29 * S), []);
        assert_eq!(watch.due(30 * S).len(), 1);
    }
}
