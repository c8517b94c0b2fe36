//! Prometheus metrics: requests by route and status, latency, and command outcomes.

use std::sync::Arc;

use codeflix_http::metrics::HttpMetrics;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
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

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("codeflix_command_api");
        let http = HttpMetrics::register(&mut registry);
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "commands",
            "Commands executed against the event log, by aggregate type and outcome",
            commands.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            http,
            commands,
        }
    }
}

impl Metrics {
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
