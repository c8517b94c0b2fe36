//! The embedded broker keeps every event across restarts (tansu 0.6.0 deleted them all at start-up
//! when event topics had Kafka's `retention.ms=-1`).

use codeflix_domain::ExpectedVersion;
use codeflix_domain::catalog::category::Category;

use crate::support::{Cluster, ctx, rename};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_survive_a_broker_restart() {
    let mut cluster = Cluster::start().await;
    let (log, id) = cluster.log_with_category().await;
    for n in 0..4 {
        log.execute::<Category>(&ctx(), &id, ExpectedVersion::Any, rename(&format!("N{n}")))
            .await
            .unwrap();
    }
    log.shutdown().await;
    assert_eq!(cluster.category_events(&cluster.log().await).await.len(), 5);

    cluster
        .stack
        .restart_broker(std::time::Duration::from_millis(500))
        .await
        .unwrap();
    let log = cluster.log().await;
    let versions: Vec<u64> = cluster
        .category_events(&log)
        .await
        .iter()
        .map(|r| r.envelope.metadata.aggregate_version.get())
        .collect();
    assert_eq!(
        versions,
        [1, 2, 3, 4, 5],
        "every event is still there after the restart"
    );
    log.shutdown().await;
}
