//! The contract of `CommandStore`, run against every implementation: the embedded SQLite store
//! always, the ScyllaDB store when `CODEFLIX_TEST_SCYLLA_URL` names a cluster (ADR 0013; each
//! case in a keyspace of its own, dropped afterwards).

use codeflix_domain::{AggregateType, Version};
use codeflix_eventlog::store::{
    AppendOutcome, CommandStore, NewEvent, NewEvents, ScyllaStore, SqliteStore, StoreError,
};
use codeflix_scylla::ScyllaUrl;
use uuid::Uuid;

async fn sqlite() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("store.db"))
        .await
        .unwrap();
    (dir, store)
}

/// A ScyllaDB store in a fresh keyspace, or `None` (the case is skipped, and says so) when
/// `CODEFLIX_TEST_SCYLLA_URL` is unset.
async fn scylla() -> Option<ScyllaStore> {
    let url = match std::env::var("CODEFLIX_TEST_SCYLLA_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!("SKIPPED: set CODEFLIX_TEST_SCYLLA_URL to run this case against ScyllaDB");
            return None;
        }
    };
    let url = ScyllaUrl {
        keyspace: format!("codeflix_test_{}", Uuid::new_v4().simple()),
        ..ScyllaStore::url(&url).unwrap()
    };
    Some(ScyllaStore::open(&url).await.unwrap())
}

fn events(aggregate: &str, base: u64, count: u64) -> Vec<NewEvent> {
    (1..=count)
        .map(|n| NewEvent {
            version: Version::new(base + n),
            event_id: Uuid::new_v4(),
            topic: "t".into(),
            partition: 1,
            key: aggregate.as_bytes().to_vec(),
            value: vec![0, 0, 0, 0, 1, n as u8],
            headers: vec![("ce_subject".into(), aggregate.into())],
        })
        .collect()
}

fn append(aggregate: &str, base: u64, count: u64) -> NewEvents {
    NewEvents {
        command_id: Uuid::new_v4(),
        aggregate_type: AggregateType::Video,
        aggregate_id: aggregate.into(),
        base: Version::new(base),
        events: events(aggregate, base, count),
        request_digest: None,
    }
}

async fn seqs(store: &dyn CommandStore, new: NewEvents) -> Vec<i64> {
    match store.append(new).await.unwrap() {
        AppendOutcome::Appended { seqs } => seqs,
        other => panic!("expected an append, got {other:?}"),
    }
}

async fn the_gate_admits_one_append_per_version(store: &dyn CommandStore) {
    let first = seqs(store, append("a", 0, 2)).await;
    assert_eq!(first.len(), 2);
    assert!(first[0] < first[1]);
    assert_eq!(
        store.version(AggregateType::Video, "a").await.unwrap(),
        Version::new(2)
    );
    let stale = store.append(append("a", 0, 1)).await.unwrap();
    assert_eq!(
        stale,
        AppendOutcome::Conflict {
            current: Version::new(2)
        }
    );
    let ahead = store.append(append("a", 5, 1)).await.unwrap();
    assert_eq!(
        ahead,
        AppendOutcome::Conflict {
            current: Version::new(2)
        }
    );
    assert_eq!(
        store
            .events(AggregateType::Video, "a", Version::INITIAL)
            .await
            .unwrap()
            .len(),
        2
    );
    // Another aggregate, or another type with the same id, has its own versions.
    seqs(store, append("b", 0, 1)).await;
    let mut other_type = append("a", 0, 1);
    other_type.aggregate_type = AggregateType::Category;
    seqs(store, other_type).await;
}

async fn a_known_command_id_returns_what_it_did(store: &dyn CommandStore) {
    let new = append("c", 0, 2);
    let command_id = new.command_id;
    let stored = seqs(store, new.clone()).await;
    match store.append(new).await.unwrap() {
        AppendOutcome::Duplicate(record) => {
            assert_eq!(record.command_id, command_id);
            assert_eq!(record.seqs, stored);
            assert_eq!(record.base, Version::INITIAL);
            assert_eq!(record.new_version, Version::new(2));
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
    assert_eq!(
        store.command(command_id).await.unwrap().unwrap().seqs,
        stored
    );
    assert_eq!(
        store
            .events(AggregateType::Video, "c", Version::INITIAL)
            .await
            .unwrap()
            .len(),
        2
    );
    // A command that changed nothing is remembered too.
    let nothing = NewEvents {
        events: vec![],
        ..append("c", 2, 0)
    };
    assert_eq!(seqs(store, nothing.clone()).await, Vec::<i64>::new());
    assert!(matches!(
        store.append(nothing).await.unwrap(),
        AppendOutcome::Duplicate(_)
    ));
}

async fn a_command_remembers_the_digest_of_its_request(store: &dyn CommandStore) {
    let with = NewEvents {
        request_digest: Some("sha256:abc".into()),
        ..append("d", 0, 1)
    };
    let without = append("e", 0, 1);
    let (with_id, without_id) = (with.command_id, without.command_id);
    seqs(store, with).await;
    seqs(store, without).await;
    let recorded = |id| async move { store.command(id).await.unwrap().unwrap().request_digest };
    assert_eq!(recorded(with_id).await.as_deref(), Some("sha256:abc"));
    assert_eq!(recorded(without_id).await, None);
}

async fn events_load_in_version_order_after_a_version(store: &dyn CommandStore) {
    seqs(store, append("d", 0, 3)).await;
    seqs(store, append("d", 3, 2)).await;
    let later = store
        .events(AggregateType::Video, "d", Version::new(2))
        .await
        .unwrap();
    let versions: Vec<u64> = later.iter().map(|e| e.version.get()).collect();
    assert_eq!(versions, [3, 4, 5]);
}

async fn malformed_appends_fail_alone(store: &dyn CommandStore) {
    let mut broken = append("e", 0, 2);
    broken.events[1].version = Version::new(7);
    let good = append("f", 0, 1);
    // Sent together so that the store may commit them in one group.
    let (broken, good) = tokio::join!(store.append(broken), store.append(good));
    assert!(matches!(broken, Err(StoreError::Corrupt(_))), "{broken:?}");
    assert!(
        matches!(good, Ok(AppendOutcome::Appended { .. })),
        "{good:?}"
    );
    assert_eq!(
        store.version(AggregateType::Video, "e").await.unwrap(),
        Version::INITIAL
    );
}

async fn publication_is_recorded_per_row_and_event(store: &dyn CommandStore) {
    let new = append("g", 0, 2);
    let ids: Vec<Uuid> = new.events.iter().map(|e| e.event_id).collect();
    let rows = seqs(store, new).await;
    let unpublished = store.unpublished(rows[0] - 1, 10).await.unwrap();
    assert_eq!(unpublished.iter().map(|r| r.seq).collect::<Vec<_>>(), rows);
    assert_eq!(
        unpublished[0].headers,
        vec![("ce_subject".to_owned(), "g".to_owned())]
    );
    // A message from another store's history (same seq, other event) marks nothing.
    assert_eq!(
        store
            .mark_published(&[(rows[0], Uuid::new_v4(), 40)])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .mark_published(&[(rows[0], ids[0], 40)])
            .await
            .unwrap(),
        1
    );
    let publications = store.publications(&rows).await.unwrap();
    assert_eq!(
        publications[0]
            .position
            .as_ref()
            .map(|p| (p.topic.as_str(), p.partition, p.offset)),
        Some(("t", 1, 40))
    );
    assert_eq!(publications[1].position, None);
    assert_eq!(
        store.last_published("t", 1).await.unwrap(),
        Some((rows[0], 40))
    );
    assert_eq!(
        store
            .unpublished(0, 100)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.seq == rows[0])
            .count(),
        0
    );
    store
        .mark_published(&[(rows[1], ids[1], 41)])
        .await
        .unwrap();
    assert_eq!(
        store.last_published("t", 1).await.unwrap(),
        Some((rows[1], 41))
    );
}

async fn one_relay_holds_the_lease_at_a_time(store: &dyn CommandStore) {
    let t = 1_000_000;
    assert!(store.try_lease("a", t, 100).await.unwrap());
    assert!(
        !store.try_lease("b", t + 50, 100).await.unwrap(),
        "a's lease is valid"
    );
    assert!(store.renew_lease("a", t + 60, 100).await.unwrap());
    assert!(
        !store.try_lease("b", t + 150, 100).await.unwrap(),
        "renewed until t+160"
    );
    assert!(
        store.try_lease("b", t + 161, 100).await.unwrap(),
        "expired: b takes it"
    );
    assert!(
        !store.renew_lease("a", t + 170, 100).await.unwrap(),
        "a lost it and cannot renew"
    );
    assert!(
        !store.renew_lease("b", t + 300, 100).await.unwrap(),
        "an expired lease is not renewed"
    );
    assert!(
        store.try_lease("b", t + 300, 100).await.unwrap(),
        "but can be taken anew"
    );
    store.release_lease("a").await.unwrap();
    assert!(
        !store.try_lease("a", t + 310, 100).await.unwrap(),
        "releasing another's lease does nothing"
    );
    store.release_lease("b").await.unwrap();
    assert!(store.try_lease("a", t + 311, 100).await.unwrap());
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite_store {
            $(
                #[tokio::test]
                async fn $case() {
                    let (_dir, store) = super::sqlite().await;
                    super::$case(&store).await;
                }
            )*
        }
        mod scylla_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(store) = super::scylla().await else {
                        return;
                    };
                    super::$case(&store).await;
                    store.drop_keyspace().await.unwrap();
                }
            )*
        }
    };
}

conformance!(
    the_gate_admits_one_append_per_version,
    a_known_command_id_returns_what_it_did,
    a_command_remembers_the_digest_of_its_request,
    events_load_in_version_order_after_a_version,
    malformed_appends_fail_alone,
    publication_is_recorded_per_row_and_event,
    one_relay_holds_the_lease_at_a_time,
);

/// A store created before commands had a request digest opens, gains the column, and keeps
/// its commands.
#[tokio::test]
async fn a_store_from_before_request_digests_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let db = libsql::Builder::new_local(&path).build().await.unwrap();
        let conn = db.connect().unwrap();
        conn.execute_batch(
            "CREATE TABLE commands (command_id TEXT PRIMARY KEY, aggregate_type TEXT NOT NULL,
                 aggregate_id TEXT NOT NULL, base_version INTEGER NOT NULL,
                 new_version INTEGER NOT NULL, seqs TEXT NOT NULL);
             INSERT INTO commands VALUES
                 ('6f1c7a52-8a2e-4d1b-9b1a-0c2d3e4f5a6b', 'catalog.video', 'old', 0, 0, '[]');",
        )
        .await
        .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let id = Uuid::parse_str("6f1c7a52-8a2e-4d1b-9b1a-0c2d3e4f5a6b").unwrap();
    let old = store.command(id).await.unwrap().unwrap();
    assert_eq!(old.aggregate_id, "old");
    assert_eq!(old.request_digest, None);
    let new = NewEvents {
        request_digest: Some("d".into()),
        ..append("new", 0, 1)
    };
    let new_id = new.command_id;
    seqs(&store, new).await;
    assert_eq!(
        store
            .command(new_id)
            .await
            .unwrap()
            .unwrap()
            .request_digest
            .as_deref(),
        Some("d")
    );
}
