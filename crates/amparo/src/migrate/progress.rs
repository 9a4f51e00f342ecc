//! Progress lines for a long copy: one when a step starts, one every few seconds, one when done.

use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    last: Instant,
}

impl Progress {
    pub fn start(label: impl Into<String>, total: u64) -> Self {
        let now = Instant::now();
        Self {
            label: label.into(),
            total,
            done: 0,
            started: now,
            last: now,
        }
    }

    pub fn advance(&mut self, by: u64) {
        self.done += by;
        if self.last.elapsed() >= EVERY {
            self.last = Instant::now();
            println!("  {}: {} of {}", self.label, self.done, self.total);
        }
    }

    pub fn finish(self) {
        println!(
            "  {}: {} of {} in {:.1} s",
            self.label,
            self.done,
            self.total,
            self.started.elapsed().as_secs_f64()
        );
    }
}
