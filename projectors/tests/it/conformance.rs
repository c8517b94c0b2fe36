//! The ports' contracts against the embedded adapters (the production adapters run the same
//! contracts in their own tests when their engines' URLs are set).

use codeflix_projectors::search::tantivy::TantivySearch;
use codeflix_projectors::store::sqlite::SqliteCatalog;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_catalog_keeps_the_catalog_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteCatalog::open(&dir.path().join("catalog.db"))
        .await
        .unwrap();
    codeflix_projectors::store::conformance::run(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tantivy_index_keeps_the_search_contract() {
    let dir = tempfile::tempdir().unwrap();
    let index = TantivySearch::open(&dir.path().join("search"), true)
        .await
        .unwrap();
    codeflix_projectors::search::conformance::run(&index).await;
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
    codeflix_projectors::search::conformance::run(&writer).await;
    use codeflix_projectors::store::DocStore;
    assert_eq!(
        reader.export().await.unwrap(),
        writer.export().await.unwrap()
    );
    assert_eq!(
        reader.positions().await.unwrap(),
        writer.positions().await.unwrap()
    );
}
