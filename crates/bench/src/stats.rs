//! Latency percentiles and the units figures are printed in.

use std::time::Duration;

/// A set of measured durations, sorted once.
#[derive(Clone, Debug, Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Self(samples)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Nearest-rank percentile (`p` in 0..=100); zero when there are no samples.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1]
    }

    pub fn p50(&self) -> Duration {
        self.percentile(50.0)
    }

    pub fn p99(&self) -> Duration {
        self.percentile(99.0)
    }

    /// How many samples exceed `d`.
    pub fn count_over(&self, d: Duration) -> usize {
        self.0.len() - self.0.partition_point(|s| *s <= d)
    }

    pub fn max(&self) -> Duration {
        self.0.last().copied().unwrap_or_default()
    }

    /// "p50 X ms, p99 Y ms, max Z ms (n N)".
    pub fn describe(&self) -> String {
        format!(
            "p50 {}, p99 {}, max {} (n {})",
            ms(self.p50()),
            ms(self.p99()),
            ms(self.max()),
            self.len()
        )
    }
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Decimal megabytes per second (10^6 bytes).
pub fn mb_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / 1e6 / elapsed.as_secs_f64().max(1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let l = Latencies::new((1..=100).rev().map(Duration::from_millis).collect());
        assert_eq!(l.p50(), Duration::from_millis(50));
        assert_eq!(l.p99(), Duration::from_millis(99));
        assert_eq!(l.max(), Duration::from_millis(100));
        assert_eq!(l.count_over(Duration::from_millis(98)), 2);
        assert_eq!(l.count_over(Duration::from_millis(100)), 0);
        assert_eq!(Latencies::default().p99(), Duration::ZERO);
        assert_eq!(
            Latencies::new(vec![Duration::from_millis(7)]).p50(),
            Duration::from_millis(7)
        );
    }
}
