//! Opening the read models as configured: embedded SQLite and tantivy under one directory, or
//! ScyllaDB and Elasticsearch when their URLs are given. The subscriptions context's views and
//! the notifications context's delivery log and the state feeds' working stores are stores of their
//! own beside the catalog's (SQLite files, or ScyllaDB keyspaces named after the catalog's with
//! `_billing`, `_notifications` and `_feed_<name>`). The playback
//! side's entitlements are a mirror Kafka Connect writes (`crate::mirror`).

use std::path::PathBuf;
use std::sync::Arc;

use crate::search::SearchIndex;
use crate::search::elastic::{ElasticSearch, ElasticUrl};
use crate::search::tantivy::TantivySearch;
use crate::store::scylla::ScyllaCatalog;
use crate::store::sqlite::SqliteCatalog;
use crate::store::{Catalog, StoreError};

/// Where the read models live.
#[derive(Debug, Clone)]
pub struct ViewsConfig {
    /// The embedded catalog store (`catalog.db`) and search index (`search/`).
    pub dir: PathBuf,
    /// The catalog views in ScyllaDB instead of SQLite.
    pub scylla_url: Option<String>,
    /// The search index in Elasticsearch instead of tantivy.
    pub elasticsearch_url: Option<String>,
}

/// Why a read model could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("opening the {what} in {place}")]
pub struct OpenError {
    /// "catalog views" or "search index".
    pub what: &'static str,
    /// The URL or directory.
    pub place: String,
    #[source]
    pub source: StoreError,
}

/// The read models, opened: the catalog store and the search index, the subscriptions
/// context's views (plans, subscriptions, accounts).
#[derive(Debug, Clone)]
pub struct Stores {
    pub catalog: Arc<dyn Catalog>,
    pub search: Arc<dyn SearchIndex>,
    pub billing: Arc<dyn Catalog>,
    /// The notifications context's delivery log.
    pub notifications: Arc<dyn Catalog>,
}

/// Opens one document store: `<dir>/<name>.db`, or in ScyllaDB the catalog's keyspace with
/// `suffix` appended (each bounded context keeps its own data).
async fn open_docs(
    config: &ViewsConfig,
    what: &'static str,
    file: &str,
    suffix: &str,
) -> Result<Arc<dyn Catalog>, OpenError> {
    match &config.scylla_url {
        Some(url) => {
            let mut url = ScyllaCatalog::url(url).map_err(|source| OpenError {
                what,
                place: "the configured ScyllaDB URL".into(),
                source,
            })?;
            url.keyspace.push_str(suffix);
            Ok(Arc::new(ScyllaCatalog::open(&url).await.map_err(
                |source| OpenError {
                    what,
                    place: format!("{url:?}"),
                    source,
                },
            )?))
        }
        None => Ok(Arc::new(
            SqliteCatalog::open(&config.dir.join(file))
                .await
                .map_err(|source| OpenError {
                    what,
                    place: config.dir.display().to_string(),
                    source,
                })?,
        )),
    }
}

/// The working store of a state feed named `name` (`feeds/<name>.db`, or a keyspace of its
/// own): what the feed folds events over before it publishes them.
pub async fn open_feed_store(
    config: &ViewsConfig,
    name: &str,
) -> Result<Arc<dyn Catalog>, OpenError> {
    open_docs(
        config,
        "state feed's working store",
        &format!("feeds/{name}.db"),
        &format!("_feed_{}", name.replace('-', "_")),
    )
    .await
}

impl Stores {
    /// Opens both; `writer` for the one process that projects into them (tantivy allows one
    /// writer per index).
    pub async fn open(config: &ViewsConfig, writer: bool) -> Result<Stores, OpenError> {
        let dir = &config.dir;
        let catalog = open_docs(config, "catalog views", "catalog.db", "").await?;
        let billing = open_docs(config, "subscriptions views", "billing.db", "_billing").await?;
        let notifications = open_docs(
            config,
            "notifications views",
            "notifications.db",
            "_notifications",
        )
        .await?;
        let search: Arc<dyn SearchIndex> = match &config.elasticsearch_url {
            Some(url) => {
                let url = ElasticUrl::parse(url).map_err(|source| OpenError {
                    what: "search index",
                    place: "the configured Elasticsearch URL".into(),
                    source,
                })?;
                Arc::new(
                    ElasticSearch::open(&url)
                        .await
                        .map_err(|source| OpenError {
                            what: "search index",
                            place: format!("{url:?}"),
                            source,
                        })?,
                )
            }
            None => Arc::new(
                TantivySearch::open(&dir.join("search"), writer)
                    .await
                    .map_err(|source| OpenError {
                        what: "search index",
                        place: dir.display().to_string(),
                        source,
                    })?,
            ),
        };
        Ok(Stores {
            catalog,
            search,
            billing,
            notifications,
        })
    }
}
