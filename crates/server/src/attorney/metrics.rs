//! The attorney line's numbers, for `/metrics`: time to offer and time to connect by language
//! and state (summaries with p50, p95 and p99), offers declined and expired, and the queue's
//! length. Each server has its own recorder rather than the process-wide one, so several servers
//! in one test process never mix their figures.

use metrics::{Key, Label, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use std::fmt;

const TIME_TO_OFFER: &str = "amparo_dispatch_time_to_offer_seconds";
const TIME_TO_CONNECT: &str = "amparo_dispatch_time_to_connect_seconds";
const OFFERS_ENDED: &str = "amparo_dispatch_offers_ended_total";
const REQUESTS: &str = "amparo_dispatch_requests_total";
const QUEUE_LENGTH: &str = "amparo_dispatch_queue_length";
const ATTORNEYS_ON_DUTY: &str = "amparo_dispatch_attorneys_on_duty";

pub struct DispatchMetrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl fmt::Debug for DispatchMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DispatchMetrics").finish_non_exhaustive()
    }
}

impl Default for DispatchMetrics {
    fn default() -> Self {
        let (recorder, handle) = summary_recorder();
        let metrics = Self { recorder, handle };
        metrics.describe();
        metrics
    }
}

/// A recorder of its own whose histograms render as summaries with p50, p95 and p99 (also
/// used by the legal observers' metrics).
pub(crate) fn summary_recorder() -> (PrometheusRecorder, PrometheusHandle) {
    let recorder = PrometheusBuilder::new()
        .set_quantiles(&[0.5, 0.95, 0.99])
        // Fixed, valid quantiles: the builder refuses only an empty list.
        .expect("quantiles are valid")
        .build_recorder();
    let handle = recorder.handle();
    (recorder, handle)
}

pub(crate) fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    let labels: Vec<Label> = labels.iter().map(|(k, v)| Label::new(*k, (*v).to_owned())).collect();
    Key::from_parts(name, labels)
}

pub(crate) const META: metrics::Metadata<'static> = metrics::Metadata::new(module_path!(), metrics::Level::INFO, None);

impl DispatchMetrics {
    fn describe(&self) {
        let describe = |name: &'static str, text: &'static str| {
            self.recorder
                .describe_histogram(name.into(), Some(metrics::Unit::Seconds), text.into());
        };
        describe(
            TIME_TO_OFFER,
            "From a person asking for an attorney to the first attorney rung.",
        );
        describe(
            TIME_TO_CONNECT,
            "From a person asking for an attorney to an attorney taking the call.",
        );
        self.recorder.describe_counter(
            OFFERS_ENDED.into(),
            None,
            "Offers that ended without a call, by why (declined, expired, ...).".into(),
        );
        self.recorder.describe_counter(
            REQUESTS.into(),
            None,
            "Requests for an attorney, by language and state.".into(),
        );
        self.recorder.describe_gauge(
            QUEUE_LENGTH.into(),
            None,
            "Requests waiting with nobody ringing.".into(),
        );
        self.recorder.describe_gauge(
            ATTORNEYS_ON_DUTY.into(),
            None,
            "Attorneys on duty on this node's dispatcher.".into(),
        );
    }

    pub fn requested(&self, language: &str, state: &str) {
        let key = key(REQUESTS, &[("language", language), ("state", state)]);
        self.recorder.register_counter(&key, &META).increment(1);
    }

    pub fn offered(&self, language: &str, state: &str, waited_us: i64) {
        self.time(TIME_TO_OFFER, language, state, waited_us);
    }

    pub fn connected(&self, language: &str, state: &str, waited_us: i64) {
        self.time(TIME_TO_CONNECT, language, state, waited_us);
    }

    fn time(&self, name: &'static str, language: &str, state: &str, waited_us: i64) {
        let key = key(name, &[("language", language), ("state", state)]);
        self.recorder
            .register_histogram(&key, &META)
            .record(waited_us.max(0) as f64 / 1e6);
    }

    /// An offer ended without a call: `reason` is a withdraw reason's name.
    pub fn offer_ended(&self, reason: &str) {
        let key = key(OFFERS_ENDED, &[("reason", reason)]);
        self.recorder.register_counter(&key, &META).increment(1);
    }

    pub fn gauges(&self, queue_length: usize, on_duty: usize) {
        self.recorder
            .register_gauge(&key(QUEUE_LENGTH, &[]), &META)
            .set(queue_length as f64);
        self.recorder
            .register_gauge(&key(ATTORNEYS_ON_DUTY, &[]), &META)
            .set(on_duty as f64);
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}
