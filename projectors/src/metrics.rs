//! Prometheus metrics of the projectors: events applied, dead letters, lag per partition, and
//! the generation of its view each projection writes.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProjectionLabels {
    projection: String,
    /// applied, duplicate (already applied: redelivery) or skipped (below the stored position).
    outcome: String,
}

/// A projection's own label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Projection {
    projection: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PartitionLabels {
    projection: String,
    topic: String,
    partition: i32,
}

/// The projectors' metrics; register once, clone freely.
#[derive(Debug, Clone, Default)]
pub struct ProjectorMetrics {
    events: Family<ProjectionLabels, Counter>,
    dead_letters: Family<Projection, Counter>,
    lag: Family<PartitionLabels, Gauge>,
    generation: Family<Projection, Gauge>,
}

impl ProjectorMetrics {
    /// Metrics registered under `registry` (prefix `projector_`).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = ProjectorMetrics::default();
        let sub = registry.sub_registry_with_prefix("projector");
        sub.register(
            "events",
            "Events read by projections, by outcome",
            metrics.events.clone(),
        );
        sub.register(
            "dead_letters",
            "Events sent to a projection's dead-letter topic",
            metrics.dead_letters.clone(),
        );
        sub.register(
            "lag",
            "Messages in a partition the projection has not applied yet",
            metrics.lag.clone(),
        );
        sub.register(
            "generation",
            "The generation of its view a projection writes (`codeflix views status` lists them)",
            metrics.generation.clone(),
        );
        metrics
    }

    /// The projection writes generation `generation` of its view from now on.
    pub fn generation(&self, projection: &str, generation: u32) {
        self.generation
            .get_or_create(&Projection {
                projection: projection.to_owned(),
            })
            .set(i64::from(generation));
    }

    pub(crate) fn events(&self, projection: &str, outcome: &str, count: u64) {
        if count > 0 {
            self.events
                .get_or_create(&ProjectionLabels {
                    projection: projection.to_owned(),
                    outcome: outcome.to_owned(),
                })
                .inc_by(count);
        }
    }

    pub(crate) fn dead_letters(&self, projection: &str, count: u64) {
        self.dead_letters
            .get_or_create(&Projection {
                projection: projection.to_owned(),
            })
            .inc_by(count);
    }

    pub(crate) fn lag(&self, projection: &str, topic: &str, partition: i32, lag: i64) {
        self.lag
            .get_or_create(&PartitionLabels {
                projection: projection.to_owned(),
                topic: topic.to_owned(),
                partition,
            })
            .set(lag);
    }
}
