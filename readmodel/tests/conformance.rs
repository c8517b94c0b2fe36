//! The ports' contracts against the embedded adapters, and against the production adapters when
//! their engines' URLs are set (`CODEFLIX_TEST_SCYLLA_URL`, `CODEFLIX_TEST_ELASTICSEARCH_URL`; an
//! engine that is set but unreachable fails the test).

#![allow(clippy::unwrap_used)]

use codeflix_readmodel::search::tantivy::TantivySearch;
use codeflix_readmodel::store::sqlite::SqliteCatalog;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_catalog_keeps_the_catalog_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteCatalog::open(&dir.path().join("catalog.db"))
        .await
        .unwrap();
    codeflix_readmodel::store::conformance::run(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tantivy_index_keeps_the_search_contract() {
    let dir = tempfile::tempdir().unwrap();
    let index = TantivySearch::open(&dir.path().join("search"), true)
        .await
        .unwrap();
    codeflix_readmodel::search::conformance::run(&index).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_index_follows_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let writer = TantivySearch::open(&dir.path().join("search"), true)
        .await
        .unwrap();
    let reader = TantivySearch::open(&dir.path().join("search"), false)
        .await
        .unwrap();
    codeflix_readmodel::search::conformance::run(&writer).await;
    use codeflix_readmodel::store::DocReads;
    assert_eq!(
        reader.export().await.unwrap(),
        writer.export().await.unwrap()
    );
    assert_eq!(
        reader.positions().await.unwrap(),
        writer.positions().await.unwrap()
    );
}

/// The engine URL a production adapter's test runs against, or `None` (the test is skipped,
/// and says so) when the variable is unset.
fn engine(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("SKIPPED: set {variable} to run this test against a real engine");
            None
        }
    }
}

/// A name no other run uses.
fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scylla_catalog_keeps_the_catalog_contract() {
    use codeflix_readmodel::store::scylla::{ScyllaCatalog, ScyllaUrl};
    let Some(url) = engine("CODEFLIX_TEST_SCYLLA_URL") else {
        return;
    };
    let url = ScyllaUrl {
        keyspace: unique("codeflix_test_"),
        ..ScyllaCatalog::url(&url).unwrap()
    };
    let store = ScyllaCatalog::open(&url).await.unwrap();
    codeflix_readmodel::store::conformance::run(&store).await;
    // A second process opening the same keyspace finds the schema there and reads the same.
    let again = ScyllaCatalog::open(&url).await.unwrap();
    use codeflix_readmodel::store::DocReads;
    assert_eq!(again.export().await.unwrap(), store.export().await.unwrap());
    store.drop_keyspace().await.unwrap();

    // The generations' record, in a keyspace beside the catalog's.
    use codeflix_readmodel::generations::{Pointer, View, conformance};
    use codeflix_readmodel::store::scylla::{ScyllaPointer, drop_generation};
    let pointer = ScyllaPointer::open(&url, View::Billing, format!("{}_billing", url.keyspace))
        .await
        .unwrap();
    conformance(&pointer).await;
    for generation in pointer.lineage().await.unwrap().generations {
        drop_generation(&url, &generation.place).await.unwrap();
    }
    drop_generation(&url, &format!("{}_generations", url.keyspace))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_elasticsearch_index_keeps_the_search_contract_and_swaps_in_a_rebuild() {
    use codeflix_readmodel::generations::Pointer;
    use codeflix_readmodel::search::SearchReads;
    use codeflix_readmodel::search::elastic::{ElasticPointer, ElasticSearch, ElasticUrl};
    use codeflix_readmodel::store::{DocReads, DocStore};
    let Some(url) = engine("CODEFLIX_TEST_ELASTICSEARCH_URL") else {
        return;
    };
    let url = ElasticUrl {
        alias: unique("codeflix-test-"),
        ..ElasticUrl::parse(&url).unwrap()
    };
    let index = ElasticSearch::open(&url).await.unwrap();
    codeflix_readmodel::search::conformance::run(&index).await;
    let first = index.aliased_indexes().await.unwrap();
    assert_eq!(first.len(), 1, "{first:?}");

    // A new generation fills a new index while the alias keeps serving the old one, then the
    // alias moves; the old index stays for a rollback.
    let served = index.export().await.unwrap();
    let pointer = ElasticPointer::open(&url).await.unwrap();
    let second = pointer.add().await.unwrap();
    let rebuild = ElasticSearch::open_index(&url, &second.place).unwrap();
    let kept: Vec<_> = served.iter().take(3).cloned().collect();
    rebuild
        .commit(codeflix_readmodel::store::Changes {
            docs: kept.clone(),
            positions: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(
        index.export().await.unwrap(),
        served,
        "the alias still serves the old index"
    );
    pointer.switch(second.number).await.unwrap();
    let reopened = ElasticSearch::open(&url).await.unwrap();
    assert_eq!(reopened.export().await.unwrap(), kept);
    assert_ne!(reopened.aliased_indexes().await.unwrap(), first);
    pointer.switch(1).await.unwrap();
    assert_eq!(reopened.export().await.unwrap(), served, "rolled back");
    pointer.switch(second.number).await.unwrap();
    let everything = codeflix_readmodel::search::SearchQuery {
        text: String::new(),
        filter: Default::default(),
        limit: 100,
        offset: 0,
    };
    let visible = kept.iter().filter(|d| d.visible()).count();
    assert_eq!(reopened.search(&everything).await.unwrap().total, visible);
    ElasticSearch::open_index(&url, &first[0])
        .unwrap()
        .delete()
        .await
        .unwrap();
    reopened.delete().await.unwrap();

    // The pointer's own contract, on an alias of its own.
    let url = ElasticUrl {
        alias: unique("codeflix-test-"),
        ..url
    };
    let pointer = ElasticPointer::open(&url).await.unwrap();
    codeflix_readmodel::generations::conformance(&pointer).await;
    ElasticSearch::open(&url)
        .await
        .unwrap()
        .delete()
        .await
        .unwrap();
    for generation in pointer.lineage().await.unwrap().generations {
        pointer.delete_index(&generation.place).await.unwrap();
    }
}
