//! Prometheus metrics of the notifier: messages by kind, channel and outcome, retries, and the
//! delay from a fact to its message's delivery.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Message {
    kind: String,
    channel: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Channel {
    channel: &'static str,
}

/// The notifier's metrics; register once, clone freely.
#[derive(Debug, Clone)]
pub struct NotifierMetrics {
    messages: Family<Message, Counter>,
    retries: Family<Channel, Counter>,
    latency: Family<Channel, Histogram>,
}

impl Default for NotifierMetrics {
    fn default() -> Self {
        NotifierMetrics {
            messages: Family::default(),
            retries: Family::default(),
            // 50 ms to about 14 hours.
            latency: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.05, 2.0, 20))
            }),
        }
    }
}

impl NotifierMetrics {
    /// Metrics registered under `registry` (prefix `notifier_`).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = NotifierMetrics::default();
        let sub = registry.sub_registry_with_prefix("notifier");
        sub.register(
            "messages",
            "Messages by kind, channel and outcome: sent, already_sent (a fact met again), \
             gave_up (a refused address, a broken template), no_contact (the recipient has no \
             contact in the mirror), dead_lettered (transient failures outlasted the attempts)",
            metrics.messages.clone(),
        );
        sub.register(
            "retries",
            "Delivery attempts that failed for now and will be made again, by channel",
            metrics.retries.clone(),
        );
        sub.register(
            "fact_to_delivery_seconds",
            "From the triggering fact to the provider taking the message, by channel",
            metrics.latency.clone(),
        );
        // Both channels shown from the start (no deliveries yet is a fact worth a dashboard).
        for channel in ["email", "sms"] {
            drop(metrics.latency.get_or_create(&Channel { channel }));
        }
        metrics
    }

    pub(crate) fn message(&self, kind: &str, channel: &'static str, outcome: &'static str) {
        self.messages
            .get_or_create(&Message {
                kind: kind.to_owned(),
                channel,
                outcome,
            })
            .inc();
    }

    pub(crate) fn retry(&self, channel: &'static str) {
        self.retries.get_or_create(&Channel { channel }).inc();
    }

    pub(crate) fn delivered_after(&self, channel: &'static str, seconds: f64) {
        self.latency
            .get_or_create(&Channel { channel })
            .observe(seconds);
    }
}
