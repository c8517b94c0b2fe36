//! Accepted commands reach Kafka once, in order; rejected and conflicting ones append nothing.

use std::collections::BTreeMap;

use codeflix_domain::catalog::category::{Category, CategoryError, CategoryEvent};
use codeflix_domain::{AggregateType, AnyEvent, ExpectedVersion, Version};
use codeflix_eventlog::ExecuteError;

use crate::support::{Cluster, category, create, ctx, rename};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_command_is_in_kafka_once_with_its_envelope_in_headers() {
    let cluster = Cluster::start().await;
    let log = cluster.log().await;
    let id = category();
    let context = ctx();
    let appended = log
        .execute::<Category>(
            &context,
            &id,
            ExpectedVersion::Exactly(Version::INITIAL),
            create("Movies"),
        )
        .await
        .unwrap();
    assert_eq!(appended.aggregate_version, Version::new(1));
    assert!(!appended.replayed);
    assert_eq!(appended.positions.len(), 1);

    let records = cluster.category_events(&log).await;
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record.raw.topic, "codeflix.catalog.category.events");
    assert_eq!(record.raw.offset, appended.positions[0].offset);
    assert_eq!(record.raw.partition, appended.positions[0].partition);
    assert_eq!(record.raw.key.as_deref(), Some(id.to_string().as_bytes()));
    let value = record.raw.value.as_ref().unwrap();
    assert_eq!(
        value[0], 0,
        "Confluent wire format starts with magic byte 0"
    );
    let metadata = &record.envelope.metadata;
    assert_eq!(metadata.event_id, appended.event_ids[0]);
    assert_eq!(metadata.aggregate_type, AggregateType::Category);
    assert_eq!(metadata.aggregate_id, id.to_string());
    assert_eq!(metadata.aggregate_version, Version::new(1));
    assert_eq!(metadata.causation_id, context.command_id);
    assert_eq!(metadata.correlation_id, context.correlation_id);
    assert_eq!(metadata.actor, "admin-1");
    assert!(matches!(
        record.envelope.event,
        AnyEvent::Category(CategoryEvent::CategoryCreated(ref e)) if e.name == "Movies"
    ));
    let headers: BTreeMap<&str, &str> = record
        .raw
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        headers["ce_type"],
        "codeflix.catalog.category.CategoryCreated"
    );
    assert_eq!(headers["ce_id"], appended.event_ids[0].to_string());
    assert_eq!(headers["ce_source"], "/codeflix/catalog.category");
    assert_eq!(headers["ce_specversion"], "1.0");
    assert_eq!(headers["content-type"], "application/avro");
    assert!(headers.contains_key("ce_time"));
    assert!(headers.contains_key("codeflix_seq"));
    assert_eq!(
        headers.len(),
        7,
        "the envelope's other fields are in the payload: {headers:?}"
    );
    assert_eq!(record.raw.key.as_deref(), Some(id.to_string().as_bytes()));
    assert_eq!(record.envelope.metadata.aggregate_version.get(), 1);
    assert_eq!(record.envelope.metadata.causation_id, context.command_id);
    log.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_command_is_applied_once() {
    let cluster = Cluster::start().await;
    let log = cluster.log().await;
    let id = category();
    let context = ctx();
    log.execute::<Category>(&context, &id, ExpectedVersion::Any, create("Movies"))
        .await
        .unwrap();
    let renaming = ctx();
    let first = log
        .execute::<Category>(
            &renaming,
            &id,
            ExpectedVersion::Exactly(Version::new(1)),
            rename("Films"),
        )
        .await
        .unwrap();
    // The client did not hear the answer and sends the same request again.
    let retry = log
        .execute::<Category>(
            &renaming,
            &id,
            ExpectedVersion::Exactly(Version::new(1)),
            rename("Films"),
        )
        .await
        .unwrap();
    assert!(retry.replayed);
    assert_eq!(retry.event_ids, first.event_ids);
    assert_eq!(retry.positions, first.positions);
    assert_eq!(retry.aggregate_version, Version::new(2));
    assert_eq!(cluster.category_events(&log).await.len(), 2);

    // A command id cannot be reused for another aggregate.
    let other = log
        .execute::<Category>(&renaming, &category(), ExpectedVersion::Any, create("X"))
        .await;
    assert!(
        matches!(other, Err(ExecuteError::CommandIdReused { .. })),
        "{other:?}"
    );
    log.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_and_conflicting_commands_append_nothing() {
    let cluster = Cluster::start().await;
    let (log, id) = cluster.log_with_category().await;
    let rejected = log
        .execute::<Category>(&ctx(), &id, ExpectedVersion::Any, create("Again"))
        .await;
    assert!(
        matches!(
            rejected,
            Err(ExecuteError::Rejected(CategoryError::AlreadyExists))
        ),
        "{rejected:?}"
    );
    let stale = log
        .execute::<Category>(
            &ctx(),
            &id,
            ExpectedVersion::Exactly(Version::INITIAL),
            rename("Films"),
        )
        .await;
    assert!(
        matches!(stale, Err(ExecuteError::Conflict { expected, current }) if expected == Version::INITIAL && current == Version::new(1)),
        "{stale:?}"
    );
    assert_eq!(cluster.category_events(&log).await.len(), 1);
    log.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_commands_on_the_same_version_exactly_one_is_accepted() {
    let cluster = Cluster::start().await;
    // Two event logs on one store and one broker, as two command-api processes would be.
    let first = cluster.log().await;
    let second = cluster.log().await;
    let mut ids = Vec::new();
    for round in 0..10 {
        let id = category();
        first
            .execute::<Category>(&ctx(), &id, ExpectedVersion::Any, create("Movies"))
            .await
            .unwrap();
        let (ctx_one, ctx_two) = (ctx(), ctx());
        let one = first.execute::<Category>(
            &ctx_one,
            &id,
            ExpectedVersion::Exactly(Version::new(1)),
            rename(&format!("A{round}")),
        );
        let two = second.execute::<Category>(
            &ctx_two,
            &id,
            ExpectedVersion::Exactly(Version::new(1)),
            rename(&format!("B{round}")),
        );
        let (one, two) = tokio::join!(one, two);
        let accepted = [&one, &two].iter().filter(|r| r.is_ok()).count();
        assert_eq!(accepted, 1, "round {round}: {one:?} / {two:?}");
        let loser = if one.is_ok() { two } else { one };
        assert!(
            matches!(loser, Err(ExecuteError::Conflict { current, .. }) if current == Version::new(2)),
            "the loser is told the current version: {loser:?}"
        );
        ids.push(id);
    }
    let records = cluster.category_events(&first).await;
    assert_eq!(records.len(), 20, "one create and one rename per aggregate");
    for id in ids {
        let versions: Vec<u64> = records
            .iter()
            .filter(|r| r.envelope.metadata.aggregate_id == id.to_string())
            .map(|r| r.envelope.metadata.aggregate_version.get())
            .collect();
        assert_eq!(versions, [1, 2]);
    }
    first.shutdown().await;
    second.shutdown().await;
}
