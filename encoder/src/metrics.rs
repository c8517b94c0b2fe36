//! Prometheus metrics of the encoder: jobs by outcome, encoding time, jobs running, reactions.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

/// The encoder's metrics; register once, clone freely.
#[derive(Debug, Clone)]
pub struct EncoderMetrics {
    jobs: Family<Outcome, Counter>,
    reactions: Family<Outcome, Counter>,
    running: Gauge,
    seconds: Histogram,
}

impl Default for EncoderMetrics {
    fn default() -> Self {
        EncoderMetrics {
            jobs: Family::default(),
            reactions: Family::default(),
            running: Gauge::default(),
            // 0.5 s to about 9 hours.
            seconds: Histogram::new(exponential_buckets(0.5, 2.0, 16)),
        }
    }
}

impl EncoderMetrics {
    /// Metrics registered under `registry` (prefix `encoder_`).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = EncoderMetrics::default();
        let sub = registry.sub_registry_with_prefix("encoder");
        sub.register(
            "jobs",
            "Uploads the encoder handled, by outcome: finished, failed, retried, dead_lettered, \
             skipped (already finished, taken by another worker, not a video slot)",
            metrics.jobs.clone(),
        );
        sub.register(
            "reactions",
            "Encoding events turned into catalog media commands, by outcome: applied, stale",
            metrics.reactions.clone(),
        );
        sub.register(
            "running",
            "Encoding attempts running now",
            metrics.running.clone(),
        );
        sub.register(
            "attempt_seconds",
            "Wall time of encoding attempts (download, ffmpeg, upload)",
            metrics.seconds.clone(),
        );
        // Present at 0 from the start, so that an alert on their increase sees the first one.
        for outcome in ["failed", "dead_lettered"] {
            metrics.jobs.get_or_create(&Outcome { outcome }).inc_by(0);
        }
        metrics
    }

    pub(crate) fn job(&self, outcome: &'static str) {
        self.jobs.get_or_create(&Outcome { outcome }).inc();
    }

    pub(crate) fn reaction(&self, outcome: &'static str) {
        self.reactions.get_or_create(&Outcome { outcome }).inc();
    }

    pub(crate) fn running(&self) -> &Gauge {
        &self.running
    }

    pub(crate) fn attempt_took(&self, seconds: f64) {
        self.seconds.observe(seconds);
    }
}
