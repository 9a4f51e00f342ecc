//! The legal observers' numbers, for `/metrics` beside the attorney line's: requests open,
//! offers sent and how they ended (declined, expired, ...), observers who lapsed, and the time
//! from a request to an accept (a summary with p50, p95 and p99). Like the attorney line's, a
//! recorder of its own per server.

use crate::attorney::metrics::{META, key, summary_recorder};
use metrics::Recorder;
use metrics_exporter_prometheus::{PrometheusHandle, PrometheusRecorder};
use std::fmt;

const REQUESTS_OPEN: &str = "amparo_observers_requests_open";
const OFFERS_SENT: &str = "amparo_observers_offers_sent_total";
const OFFERS_ENDED: &str = "amparo_observers_offers_ended_total";
const LAPSED: &str = "amparo_observers_lapsed_total";
const TIME_TO_ACCEPT: &str = "amparo_observers_time_to_accept_seconds";

pub struct ObserverMetrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl fmt::Debug for ObserverMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObserverMetrics").finish_non_exhaustive()
    }
}

impl Default for ObserverMetrics {
    fn default() -> Self {
        let (recorder, handle) = summary_recorder();
        let metrics = Self { recorder, handle };
        metrics.describe();
        // Every name is there from the start, so a scraper sees zeros rather than nothing.
        metrics.requests_open(0);
        metrics
            .recorder
            .register_counter(&key(OFFERS_SENT, &[]), &META)
            .increment(0);
        metrics
    }
}

impl ObserverMetrics {
    fn describe(&self) {
        let r = &self.recorder;
        r.describe_gauge(
            REQUESTS_OPEN.into(),
            None,
            "Requests for observers open on this node's dispatcher (offering, waiting, or with observers on the way)."
                .into(),
        );
        r.describe_counter(
            OFFERS_SENT.into(),
            None,
            "Offers sent to responders to go and observe.".into(),
        );
        r.describe_counter(
            OFFERS_ENDED.into(),
            None,
            "Offers that ended without an accept, by why (declined, expired, taken_by_other, ...).".into(),
        );
        r.describe_counter(
            LAPSED.into(),
            None,
            "Observers let go for marking nothing in time, by whether they had arrived.".into(),
        );
        r.describe_histogram(
            TIME_TO_ACCEPT.into(),
            Some(metrics::Unit::Seconds),
            "From a request for observers to a responder accepting.".into(),
        );
    }

    pub fn requests_open(&self, open: usize) {
        self.recorder
            .register_gauge(&key(REQUESTS_OPEN, &[]), &META)
            .set(open as f64);
    }

    pub fn offered(&self) {
        self.recorder
            .register_counter(&key(OFFERS_SENT, &[]), &META)
            .increment(1);
    }

    /// An offer ended without an accept: `reason` is the protocol's name for why.
    pub fn offer_ended(&self, reason: &str) {
        let key = key(OFFERS_ENDED, &[("reason", reason)]);
        self.recorder.register_counter(&key, &META).increment(1);
    }

    pub fn lapsed(&self, arrived: bool) {
        let key = key(LAPSED, &[("arrived", if arrived { "true" } else { "false" })]);
        self.recorder.register_counter(&key, &META).increment(1);
    }

    pub fn accepted(&self, waited_us: i64) {
        self.recorder
            .register_histogram(&key(TIME_TO_ACCEPT, &[]), &META)
            .record(waited_us.max(0) as f64 / 1e6);
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}
