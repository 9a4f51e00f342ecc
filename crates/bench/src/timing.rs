//! Call timings for the pass-through wrappers in `timed_store` and `timed_blobs`: each call's
//! duration and how much it carried, drained around a measured run.

use crate::stats::{Latencies, ms};
use std::sync::Mutex;
use std::time::Duration;

/// Calls recorded since the last drain.
#[derive(Debug, Default)]
pub struct Calls(Mutex<Vec<(Duration, u64)>>);

/// What a drain returns.
#[derive(Debug)]
pub struct CallStats {
    pub latencies: Latencies,
    /// Entries (log batches) or bytes (blob puts), summed.
    pub items: u64,
    /// Time inside the calls, summed.
    pub total: Duration,
}

impl Calls {
    pub fn record(&self, took: Duration, items: u64) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((took, items));
    }

    /// Everything recorded so far; starts afresh.
    pub fn drain(&self) -> CallStats {
        let calls = std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let items = calls.iter().map(|(_, n)| n).sum();
        let total = calls.iter().map(|(d, _)| *d).sum();
        CallStats {
            latencies: Latencies::new(calls.into_iter().map(|(d, _)| d).collect()),
            items,
            total,
        }
    }
}

impl CallStats {
    pub fn calls(&self) -> usize {
        self.latencies.len()
    }

    pub fn mean_items(&self) -> f64 {
        self.items as f64 / self.calls().max(1) as f64
    }

    /// "N batches, mean M entries/batch, append_batch p50 .., p99 .., max ..; busy X% of `run`".
    /// The sequencer commits one batch at a time, so "busy" near 100% means the store is the
    /// bottleneck, and well under means appends arrive slower than it can take them.
    pub fn describe_batches(&self, run: Duration) -> String {
        format!(
            "{} batches, mean {:.1} entries/batch; append_batch p50 {}, p99 {}, max {}; store busy {:.0}% of the run",
            self.calls(),
            self.mean_items(),
            ms(self.latencies.p50()),
            ms(self.latencies.p99()),
            ms(self.latencies.max()),
            100.0 * self.total.as_secs_f64() / run.as_secs_f64().max(1e-9)
        )
    }

    /// "N puts; put p50 .. p99 .. max ..".
    pub fn describe_puts(&self) -> String {
        format!(
            "{} puts; put (write, fsync, rename, fsync dir) p50 {}, p99 {}, max {}",
            self.calls(),
            ms(self.latencies.p50()),
            ms(self.latencies.p99()),
            ms(self.latencies.max())
        )
    }
}
