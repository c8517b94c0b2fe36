//! Opening the read models as configured: embedded SQLite and tantivy under one directory, or
//! ScyllaDB and Elasticsearch when their URLs are given.

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

/// The catalog store and the search index, opened.
#[derive(Debug, Clone)]
pub struct Stores {
    pub catalog: Arc<dyn Catalog>,
    pub search: Arc<dyn SearchIndex>,
}

impl Stores {
    /// Opens both; `writer` for the one process that projects into them (tantivy allows one
    /// writer per index).
    pub async fn open(config: &ViewsConfig, writer: bool) -> Result<Stores, OpenError> {
        let dir = &config.dir;
        let catalog: Arc<dyn Catalog> = match &config.scylla_url {
            Some(url) => {
                let url = ScyllaCatalog::url(url).map_err(|source| OpenError {
                    what: "catalog views",
                    place: "the configured ScyllaDB URL".into(),
                    source,
                })?;
                Arc::new(
                    ScyllaCatalog::open(&url)
                        .await
                        .map_err(|source| OpenError {
                            what: "catalog views",
                            place: format!("{url:?}"),
                            source,
                        })?,
                )
            }
            None => Arc::new(SqliteCatalog::open(&dir.join("catalog.db")).await.map_err(
                |source| OpenError {
                    what: "catalog views",
                    place: dir.display().to_string(),
                    source,
                },
            )?),
        };
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
        Ok(Stores { catalog, search })
    }
}
