//! Prometheus metrics of the runtime: records by what became of them, task failures.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RecordLabels {
    connector: String,
    /// written, deleted (tombstones), filtered (dropped by a transform), dead_lettered,
    /// skipped (a tolerated error without a dead-letter topic), copied (mirrored).
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectorLabels {
    connector: String,
}

/// The runtime's metrics; register once, clone freely.
#[derive(Debug, Clone, Default)]
pub struct ConnectMetrics {
    records: Family<RecordLabels, Counter>,
    failures: Family<ConnectorLabels, Counter>,
}

impl ConnectMetrics {
    /// Metrics registered under `registry` (prefix `connect_`).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = ConnectMetrics::default();
        let sub = registry.sub_registry_with_prefix("connect");
        sub.register(
            "records",
            "Records a connector's task handled, by outcome",
            metrics.records.clone(),
        );
        sub.register(
            "task_failures",
            "Times a connector's task stopped FAILED",
            metrics.failures.clone(),
        );
        metrics
    }

    pub fn records(&self, connector: &str, outcome: &str, count: u64) {
        if count > 0 {
            self.records
                .get_or_create(&RecordLabels {
                    connector: connector.to_owned(),
                    outcome: outcome.to_owned(),
                })
                .inc_by(count);
        }
    }

    /// Shows `connector`'s failures (0 until it fails).
    pub fn watch(&self, connector: &str) {
        self.failures
            .get_or_create(&ConnectorLabels {
                connector: connector.to_owned(),
            })
            .inc_by(0);
    }

    pub fn failed(&self, connector: &str) {
        self.failures
            .get_or_create(&ConnectorLabels {
                connector: connector.to_owned(),
            })
            .inc();
    }
}
