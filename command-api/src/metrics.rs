//! Prometheus metrics: requests by route and status, latency, command outcomes and the relay.

use std::sync::Arc;

use codeflix_eventlog::relay::RelayHandle;
use codeflix_http::metrics::HttpMetrics;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    aggregate: String,
    /// accepted, replayed, rejected, conflict, unconfirmed or unavailable.
    outcome: String,
}

/// The command API's metrics, rendered at `/metrics`.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    http: HttpMetrics,
    commands: Family<CommandLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// The relay's counters, read at each scrape.
#[derive(Debug)]
struct RelayCollector(RelayHandle);

impl Collector for RelayCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let foreign = ConstCounter::new(self.0.foreign_records());
        let metric = encoder.encode_descriptor(
            "relay_foreign_records",
            "Messages in event topics without the relay's codeflix_seq and ce_id headers \
             (written by something other than the relay), skipped by relay recovery",
            None,
            foreign.metric_type(),
        )?;
        foreign.encode(metric)
    }
}

impl Metrics {
    /// The metrics of a command API whose event log has this relay.
    pub fn new(relay: RelayHandle) -> Self {
        let mut registry = Registry::with_prefix("codeflix_command_api");
        registry.register_collector(Box::new(RelayCollector(relay)));
        let http = HttpMetrics::register(&mut registry);
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "commands",
            "Commands executed against the event log, by aggregate type and outcome",
            commands.clone(),
        );
        // Present at 0 from the start, so that an alert on their increase sees the first one.
        for aggregate in codeflix_domain::AggregateType::ALL {
            for outcome in ["unconfirmed", "unavailable"] {
                commands
                    .get_or_create(&CommandLabels {
                        aggregate: aggregate.as_str().to_owned(),
                        outcome: outcome.to_owned(),
                    })
                    .inc_by(0);
            }
        }
        Metrics {
            registry: Arc::new(registry),
            http,
            commands,
        }
    }

    pub fn command(&self, aggregate: &str, outcome: &str) {
        self.commands
            .get_or_create(&CommandLabels {
                aggregate: aggregate.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        codeflix_http::metrics::encode(&self.registry)
    }

    pub(crate) fn http(&self) -> &HttpMetrics {
        &self.http
    }

    pub(crate) fn registry(&self) -> Arc<Registry> {
        Arc::clone(&self.registry)
    }
}
