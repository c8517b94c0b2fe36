//! Prometheus metrics of the billing scheduler.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Step {
    step: &'static str,
    outcome: &'static str,
}

/// The scheduler's metrics; register once, clone freely.
#[derive(Debug, Clone, Default)]
pub struct SchedulerMetrics {
    steps: Family<Step, Counter>,
    due: Gauge,
    last_pass: Gauge,
}

impl SchedulerMetrics {
    /// Metrics registered under `registry` (prefix `scheduler_`).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = SchedulerMetrics::default();
        let sub = registry.sub_registry_with_prefix("scheduler");
        sub.register(
            "steps",
            "Steps taken on subscriptions, by step (trial_notice, charge, expire) and outcome \
             (done, declined, replayed, skipped, refused, unavailable)",
            metrics.steps.clone(),
        );
        sub.register(
            "due",
            "Subscriptions the view showed due at the last pass",
            metrics.due.clone(),
        );
        sub.register(
            "last_pass_timestamp_seconds",
            "When the last pass over what is due finished (Unix time)",
            metrics.last_pass.clone(),
        );
        metrics
    }

    pub(crate) fn step(&self, step: &'static str, outcome: &'static str) {
        self.steps.get_or_create(&Step { step, outcome }).inc();
    }

    pub(crate) fn passed(&self, due: usize, at_unix_seconds: i64) {
        self.due.set(i64::try_from(due).unwrap_or(i64::MAX));
        self.last_pass.set(at_unix_seconds);
    }
}
