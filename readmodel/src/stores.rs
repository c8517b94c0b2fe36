//! Opening the read models as configured: embedded SQLite and tantivy under one directory, or
//! ScyllaDB and Elasticsearch when their URLs are given. The subscriptions context's views and
//! the notifications context's delivery log and the state feeds' working stores are stores of their
//! own beside the catalog's (SQLite files, or ScyllaDB keyspaces named after the catalog's with
//! `_billing`, `_notifications` and `_feed_<name>`). The playback
//! side's entitlements are a mirror Kafka Connect writes (`crate::mirror`).
//!
//! The four views a projection builds (catalog, search, billing, notifications) come in
//! generations ([`crate::generations`]): [`Stores`] opens the one each view's pointer names and
//! follows the pointer, so a process moves to a rebuilt generation within a second of the switch.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::Position;
use crate::generations::{FilePointer, Generation, Pointer, View};
use crate::search::elastic::{ElasticPointer, ElasticSearch, ElasticUrl};
use crate::search::tantivy::TantivySearch;
use crate::search::{SearchIndex, SearchQuery, SearchReads, SearchResults};
use crate::store::scylla::{ScyllaCatalog, ScyllaPointer, ScyllaUrl};
use crate::store::sqlite::SqliteCatalog;
use crate::store::{
    Catalog, CatalogReads, Changes, DocReads, DocStore, ListQuery, Page, StoreError,
};
use crate::views::{Doc, DocKey};

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

/// Opens one document store: `<dir>/<name>.db`, or in ScyllaDB the catalog's keyspace with
/// `suffix` appended (each bounded context keeps its own data).
async fn open_docs(
    config: &ViewsConfig,
    what: &'static str,
    file: &str,
    suffix: &str,
) -> Result<Arc<dyn Catalog>, OpenError> {
    match scylla_url(config, what, suffix)? {
        Some(url) => Ok(Arc::new(ScyllaCatalog::open(&url).await.map_err(
            |source| OpenError {
                what,
                place: format!("{url:?}"),
                source,
            },
        )?)),
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

/// A view's store, of whichever kind.
#[derive(Debug, Clone)]
pub enum ViewStore {
    Docs(Arc<dyn Catalog>),
    Search(Arc<dyn SearchIndex>),
}

impl ViewStore {
    /// The writing port, for the view's projection.
    pub fn writer(&self) -> Arc<dyn DocStore> {
        match self {
            ViewStore::Docs(store) => Arc::clone(store) as Arc<dyn DocStore>,
            ViewStore::Search(index) => Arc::clone(index) as Arc<dyn DocStore>,
        }
    }
}

/// Where a view lives, by engine.
enum Engine {
    /// A SQLite file in `views.dir`; generation 1's file name.
    Sqlite(&'static str),
    /// A tantivy directory in `views.dir`.
    Tantivy,
    /// A ScyllaDB keyspace: the catalog's URL with the view's generation 1 keyspace.
    Scylla(ScyllaUrl),
    Elastic(ElasticUrl),
}

fn engine(config: &ViewsConfig, view: View) -> Result<Engine, OpenError> {
    let (what, file, suffix) = match view {
        View::Search => {
            return match &config.elasticsearch_url {
                Some(url) => Ok(Engine::Elastic(ElasticUrl::parse(url).map_err(
                    |source| OpenError {
                        what: "search index",
                        place: "the configured Elasticsearch URL".into(),
                        source,
                    },
                )?)),
                None => Ok(Engine::Tantivy),
            };
        }
        View::Catalog => ("catalog views", "catalog.db", ""),
        View::Billing => ("subscriptions views", "billing.db", "_billing"),
        View::Notifications => ("notifications views", "notifications.db", "_notifications"),
    };
    Ok(match scylla_url(config, what, suffix)? {
        Some(url) => Engine::Scylla(url),
        None => Engine::Sqlite(file),
    })
}

/// The configured ScyllaDB URL with `suffix` added to its keyspace, if one is configured.
fn scylla_url(
    config: &ViewsConfig,
    what: &'static str,
    suffix: &str,
) -> Result<Option<ScyllaUrl>, OpenError> {
    let Some(url) = &config.scylla_url else {
        return Ok(None);
    };
    let mut url = ScyllaCatalog::url(url).map_err(|source| OpenError {
        what,
        place: "the configured ScyllaDB URL".into(),
        source,
    })?;
    url.keyspace.push_str(suffix);
    Ok(Some(url))
}

/// What a docs view's keyspace adds to the catalog's.
fn docs_suffix(view: View) -> Option<&'static str> {
    match view {
        View::Billing => Some("_billing"),
        View::Notifications => Some("_notifications"),
        View::Catalog | View::Search => None,
    }
}

fn what(view: View) -> &'static str {
    match view {
        View::Catalog => "catalog views",
        View::Search => "search index",
        View::Billing => "subscriptions views",
        View::Notifications => "notifications views",
    }
}

/// Where `view`'s generations are recorded and which one serves: a file in `views.dir` for the
/// embedded engines, a table on ScyllaDB, the alias on Elasticsearch.
pub async fn pointer(config: &ViewsConfig, view: View) -> Result<Arc<dyn Pointer>, OpenError> {
    let failed = |place: String| {
        move |source| OpenError {
            what: "generations",
            place,
            source,
        }
    };
    Ok(match engine(config, view)? {
        Engine::Sqlite(file) => Arc::new(FilePointer::new(&config.dir, view, file.to_owned())),
        Engine::Tantivy => Arc::new(FilePointer::new(&config.dir, view, "search".to_owned())),
        Engine::Scylla(url) => {
            // The record lives beside the catalog's keyspace, whichever view it is.
            let mut catalog = url.clone();
            if let Some(suffix) = docs_suffix(view) {
                catalog
                    .keyspace
                    .truncate(catalog.keyspace.len() - suffix.len());
            }
            Arc::new(
                ScyllaPointer::open(&catalog, view, url.keyspace.clone())
                    .await
                    .map_err(failed(format!("{catalog:?}")))?,
            )
        }
        Engine::Elastic(url) => Arc::new(
            ElasticPointer::open(&url)
                .await
                .map_err(failed(format!("{url:?}")))?,
        ),
    })
}

/// Opens `generation` of `view`; `writer` for the one process that projects into it.
pub async fn open_generation(
    config: &ViewsConfig,
    view: View,
    generation: &Generation,
    writer: bool,
) -> Result<ViewStore, OpenError> {
    let failed = |place: String| {
        move |source| OpenError {
            what: what(view),
            place,
            source,
        }
    };
    let place = &generation.place;
    Ok(match engine(config, view)? {
        Engine::Sqlite(_) => {
            let path = config.dir.join(place);
            ViewStore::Docs(Arc::new(
                SqliteCatalog::open(&path)
                    .await
                    .map_err(failed(path.display().to_string()))?,
            ))
        }
        Engine::Tantivy => {
            let path = config.dir.join(place);
            ViewStore::Search(Arc::new(
                TantivySearch::open(&path, writer)
                    .await
                    .map_err(failed(path.display().to_string()))?,
            ))
        }
        Engine::Scylla(mut url) => {
            url.keyspace = place.clone();
            ViewStore::Docs(Arc::new(
                ScyllaCatalog::open(&url)
                    .await
                    .map_err(failed(format!("{url:?}")))?,
            ))
        }
        Engine::Elastic(url) => ViewStore::Search(Arc::new(
            ElasticSearch::open_index(&url, place).map_err(failed(format!("{url:?}")))?,
        )),
    })
}

/// Deletes `generation`'s data (it must no longer be in its view's lineage).
pub async fn drop_generation(
    config: &ViewsConfig,
    view: View,
    generation: &Generation,
) -> Result<(), OpenError> {
    let place = &generation.place;
    let failed = |source| OpenError {
        what: what(view),
        place: place.clone(),
        source,
    };
    match engine(config, view)? {
        Engine::Sqlite(_) => {
            for suffix in ["", "-wal", "-shm"] {
                let path = config.dir.join(format!("{place}{suffix}"));
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(failed(crate::store::backend(e)));
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        Engine::Tantivy => match std::fs::remove_dir_all(config.dir.join(place)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(failed(crate::store::backend(e)))
            }
            _ => Ok(()),
        },
        Engine::Scylla(url) => crate::store::scylla::drop_generation(&url, place)
            .await
            .map_err(failed),
        Engine::Elastic(url) => ElasticPointer::open(&url)
            .await
            .map_err(failed)?
            .delete_index(place)
            .await
            .map_err(failed),
    }
}

/// Held while a view is rebuilt, so that a second rebuild of it refuses to start. The embedded
/// engines lock a file in `views.dir`; on ScyllaDB and Elasticsearch, run one rebuild of a view
/// at a time yourself (two would each build, and switch to, a generation of their own).
#[derive(Debug)]
pub struct RebuildLock {
    _file: Option<File>,
}

/// Takes `view`'s rebuild lock, or says who holds it.
pub fn rebuild_lock(config: &ViewsConfig, view: View) -> Result<RebuildLock, OpenError> {
    let embedded = match view {
        View::Search => config.elasticsearch_url.is_none(),
        _ => config.scylla_url.is_none(),
    };
    if !embedded {
        return Ok(RebuildLock { _file: None });
    }
    let pointer = FilePointer::new(&config.dir, view, String::new());
    let lock = pointer.rebuild_lock().map_err(|source| OpenError {
        what: "generations",
        place: config.dir.display().to_string(),
        source,
    })?;
    match lock {
        Some(file) => Ok(RebuildLock { _file: Some(file) }),
        None => Err(OpenError {
            what: "generations",
            place: config.dir.display().to_string(),
            source: crate::store::backend(format!(
                "another `codeflix views rebuild` of the {view} view is running"
            )),
        }),
    }
}

/// How often a process looks whether a view's generation has been switched.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// The generation of a view a process uses now, swapped when the pointer moves.
#[derive(Debug)]
struct Slot<S: ?Sized> {
    now: RwLock<(u32, Arc<S>)>,
    changes: watch::Sender<u32>,
}

impl<S: ?Sized> Slot<S> {
    fn new(generation: u32, store: Arc<S>) -> Arc<Slot<S>> {
        Arc::new(Slot {
            now: RwLock::new((generation, store)),
            changes: watch::channel(generation).0,
        })
    }

    fn get(&self) -> Arc<S> {
        Arc::clone(&self.now.read().unwrap_or_else(|e| e.into_inner()).1)
    }

    fn generation(&self) -> u32 {
        self.now.read().unwrap_or_else(|e| e.into_inner()).0
    }

    fn set(&self, generation: u32, store: Arc<S>) {
        *self.now.write().unwrap_or_else(|e| e.into_inner()) = (generation, store);
        self.changes.send_replace(generation);
    }
}

/// The catalog-shaped view a process uses now: reads go to the current generation.
#[derive(Debug, Clone)]
struct CurrentDocs(Arc<Slot<dyn Catalog>>);

/// The search index a process uses now.
#[derive(Debug, Clone)]
struct CurrentSearch(Arc<Slot<dyn SearchIndex>>);

macro_rules! delegate_doc_ports {
    ($current:ty) => {
        #[async_trait]
        impl DocReads for $current {
            async fn load(&self, keys: &[DocKey]) -> Result<Vec<Doc>, StoreError> {
                self.0.get().load(keys).await
            }
            async fn positions(&self) -> Result<Vec<Position>, StoreError> {
                self.0.get().positions().await
            }
            async fn export(&self) -> Result<Vec<Doc>, StoreError> {
                self.0.get().export().await
            }
        }

        /// Commits to the generation current at the call. A projection holds a generation's
        /// own store instead ([`Stores::current`]): its positions are that generation's.
        #[async_trait]
        impl DocStore for $current {
            async fn commit(&self, changes: Changes) -> Result<(), StoreError> {
                self.0.get().commit(changes).await
            }
        }
    };
}

delegate_doc_ports!(CurrentDocs);
delegate_doc_ports!(CurrentSearch);

#[async_trait]
impl CatalogReads for CurrentDocs {
    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        self.0.get().list(query).await
    }
}

#[async_trait]
impl SearchReads for CurrentSearch {
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, StoreError> {
        self.0.get().search(query).await
    }
}

/// Every view's slot.
#[derive(Debug)]
struct Slots {
    catalog: Arc<Slot<dyn Catalog>>,
    search: Arc<Slot<dyn SearchIndex>>,
    billing: Arc<Slot<dyn Catalog>>,
    notifications: Arc<Slot<dyn Catalog>>,
}

impl Slots {
    fn docs(&self, view: View) -> Option<&Arc<Slot<dyn Catalog>>> {
        match view {
            View::Catalog => Some(&self.catalog),
            View::Billing => Some(&self.billing),
            View::Notifications => Some(&self.notifications),
            View::Search => None,
        }
    }

    fn generation(&self, view: View) -> u32 {
        self.docs(view)
            .map_or_else(|| self.search.generation(), |slot| slot.generation())
    }

    fn set(&self, view: View, generation: u32, store: ViewStore) {
        match (self.docs(view), store) {
            (Some(slot), ViewStore::Docs(store)) => slot.set(generation, store),
            (None, ViewStore::Search(index)) => self.search.set(generation, index),
            _ => unreachable!("a view's generations are all of its kind"),
        }
    }
}

/// The read models, opened at the generation each view's pointer names: the catalog store and
/// the search index, the subscriptions context's views (plans, subscriptions, accounts) and the
/// notifications' delivery log. Each field reads (and writes) whatever generation serves now.
#[derive(Debug, Clone)]
pub struct Stores {
    pub catalog: Arc<dyn Catalog>,
    pub search: Arc<dyn SearchIndex>,
    pub billing: Arc<dyn Catalog>,
    /// The notifications context's delivery log.
    pub notifications: Arc<dyn Catalog>,
    slots: Arc<Slots>,
}

impl Stores {
    /// Opens every view at its current generation and follows the pointers from then on;
    /// `writer` for the one process that projects into them (tantivy allows one writer per
    /// index).
    pub async fn open(config: &ViewsConfig, writer: bool) -> Result<Stores, OpenError> {
        let mut pointers = Vec::new();
        let mut opened = Vec::new();
        for view in View::ALL {
            let pointer = pointer(config, view).await?;
            let lineage = pointer.lineage().await.map_err(|source| OpenError {
                what: "generations",
                place: format!("{pointer:?}"),
                source,
            })?;
            let store = open_generation(config, view, lineage.current(), writer).await?;
            opened.push((lineage.current, store));
            pointers.push((view, pointer));
        }
        let mut search = None;
        let mut docs = Vec::new();
        for (generation, store) in opened {
            match store {
                ViewStore::Docs(store) => docs.push(Slot::new(generation, store)),
                ViewStore::Search(index) => search = Some(Slot::new(generation, index)),
            }
        }
        // In View::ALL's order: catalog, (search), billing, notifications.
        let Ok([catalog, billing, notifications]) = <[_; 3]>::try_from(docs) else {
            unreachable!("View::ALL has three docs views");
        };
        let search = search.expect("View::ALL has the search view");
        let slots = Arc::new(Slots {
            catalog,
            search,
            billing,
            notifications,
        });
        tokio::spawn(follow(
            config.clone(),
            writer,
            pointers,
            Arc::downgrade(&slots),
        ));
        Ok(Stores {
            catalog: Arc::new(CurrentDocs(Arc::clone(&slots.catalog))),
            search: Arc::new(CurrentSearch(Arc::clone(&slots.search))),
            billing: Arc::new(CurrentDocs(Arc::clone(&slots.billing))),
            notifications: Arc::new(CurrentDocs(Arc::clone(&slots.notifications))),
            slots,
        })
    }

    /// The generation of `view` in use now and its own store: what a projection writes until
    /// [`Stores::changes`] says the view has moved to another generation.
    pub fn current(&self, view: View) -> (u32, Arc<dyn DocStore>) {
        match self.slots.docs(view) {
            Some(slot) => {
                let now = slot.now.read().unwrap_or_else(|e| e.into_inner());
                (now.0, Arc::clone(&now.1) as Arc<dyn DocStore>)
            }
            None => {
                let now = self
                    .slots
                    .search
                    .now
                    .read()
                    .unwrap_or_else(|e| e.into_inner());
                (now.0, Arc::clone(&now.1) as Arc<dyn DocStore>)
            }
        }
    }

    /// The generation of `view` in use, as it changes.
    pub fn changes(&self, view: View) -> watch::Receiver<u32> {
        match self.slots.docs(view) {
            Some(slot) => slot.changes.subscribe(),
            None => self.slots.search.changes.subscribe(),
        }
    }
}

/// Moves each view to the generation its pointer names, once a [`FOLLOW_EVERY`], until the
/// stores are dropped. A pointer that cannot be read, or a generation that cannot be opened,
/// is tried again next time; the view stays where it is meanwhile.
async fn follow(
    config: ViewsConfig,
    writer: bool,
    pointers: Vec<(View, Arc<dyn Pointer>)>,
    slots: Weak<Slots>,
) {
    let mut failing: Vec<View> = Vec::new();
    loop {
        tokio::time::sleep(FOLLOW_EVERY).await;
        let Some(slots) = slots.upgrade() else {
            return;
        };
        for (view, pointer) in &pointers {
            let view = *view;
            let outcome = async {
                let lineage = pointer.lineage().await.map_err(|source| OpenError {
                    what: "generations",
                    place: format!("{pointer:?}"),
                    source,
                })?;
                if lineage.current != slots.generation(view) {
                    let store = open_generation(&config, view, lineage.current(), writer).await?;
                    tracing::info!(%view, generation = lineage.current, "the view moves to another generation");
                    slots.set(view, lineage.current, store);
                }
                Ok::<_, OpenError>(())
            }
            .await;
            match outcome {
                Ok(()) => failing.retain(|v| *v != view),
                Err(error) if !failing.contains(&view) => {
                    failing.push(view);
                    tracing::warn!(%view, error = %codeflix_domain::report::Report(&error), "following the view's generation; trying again every second");
                }
                Err(_) => {}
            }
        }
    }
}
