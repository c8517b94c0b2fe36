//! The embedded Kafka-protocol broker: tansu's protocol, group coordinator and SQLite storage,
//! compiled in, served by our own listener with two parts of our own: a fetch that answers as
//! soon as there is something to read ([`fetch`]) and storage that indexes what tansu's fetch
//! reads and describes consumer groups correctly ([`storage`], [`sqlite`])
//! (docs/adr/0007-embedded-broker-and-registry.md,
//! docs/adr/0014-embedded-broker-serving-and-storage.md).

mod fetch;
mod produce;
mod sqlite;
mod storage;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rama::layer::{MapErrLayer, MapStateLayer};
use rama::{Context, Layer as _, Service as _};
use tansu_broker::coordinator::group::administrator::Controller;
use tansu_broker::service::{auth, coordinator, storage as routes};
use tansu_sans_io::{ApiKey as _, FetchRequest};
use tansu_service::{
    BytesFrameLayer, FrameRequestLayer, FrameRouteService, TcpBytesLayer, TcpContext,
    TcpContextLayer,
};
use tansu_storage::{BrokerRegistrationRequest, Storage as _, StorageContainer};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, warn};
use url::Url;

use crate::EventLogError;
use fetch::LongPollFetch;
use sqlite::BrokerDb;
use storage::BrokerStorage;

/// `retention.ms` for event topics on the embedded broker.
///
/// tansu 0.6.0's retention deletes records whose age exceeds `retention.ms`, so Kafka's "forever"
/// (-1) deletes every record — and its maintenance runs as soon as the broker starts. The largest
/// retention (about 292 million years) keeps everything on both tansu and Kafka.
pub const EMBEDDED_RETENTION_MS: i64 = i64::MAX;

/// The broker's node id and cluster id, as clients see them.
const NODE_ID: i32 = 111;
const CLUSTER_ID: &str = "codeflix";

/// How often storage maintenance (retention, compaction) runs. It scans whole tables
/// synchronously — minutes of a core at 100k messages — and event topics keep everything, so it
/// runs at start and then weekly rather than every 10 minutes (tansu's default).
const MAINTENANCE_EVERY: Duration = Duration::from_secs(7 * 24 * 3600);

/// A broker running in this process, on its own thread and runtime.
///
/// tansu does blocking work (SQLite) on the threads of the runtime it runs on; on the
/// application's runtime that starved everything else under load — requests, and the relay
/// whose lease then expired (measured by the command API benchmark). A runtime of its own lets the
/// operating system share the cores instead.
#[derive(Debug)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn broker_error(e: impl Into<crate::store::BoxError>) -> EventLogError {
    EventLogError::kafka("embedded broker", e)
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16, EventLogError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(broker_error)?;
    Ok(listener.local_addr().map_err(broker_error)?.port())
}

/// Where an embedded broker keeps its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrokerStore {
    /// `broker.db` in this directory: tansu's SQLite engine, read around where it is slow and
    /// wrong (the default; docs/adr/0014-embedded-broker-serving-and-storage.md).
    Sqlite(PathBuf),
    /// Another of tansu 0.6's storage engines, by its URL, served as tansu serves it: `memory://`
    /// (nothing survives a restart); with this crate's `engines` feature also `slatedb://memory`,
    /// `turso://<path>` and `postgres://…` (a database holding tansu 0.6's schema). Compared in
    /// docs/benchmarks.md; not for production use.
    Url(Url),
}

impl EmbeddedBroker {
    /// Starts a broker listening on `addr` (IPv4), storing in `data_dir/broker.db`, and waits
    /// until it accepts connections.
    pub async fn start(data_dir: &Path, addr: SocketAddr) -> Result<EmbeddedBroker, EventLogError> {
        Self::start_on(BrokerStore::Sqlite(data_dir.to_path_buf()), addr).await
    }

    /// Starts a broker listening on `addr` (IPv4), storing in `store`, and waits until it accepts
    /// connections.
    pub async fn start_on(
        store: BrokerStore,
        addr: SocketAddr,
    ) -> Result<EmbeddedBroker, EventLogError> {
        let store = match store {
            BrokerStore::Sqlite(data_dir) => {
                std::fs::create_dir_all(&data_dir).map_err(broker_error)?;
                BrokerStore::Sqlite(
                    std::path::absolute(data_dir.join("broker.db")).map_err(broker_error)?,
                )
            }
            other => other,
        };
        let listener = TcpListener::bind(addr).map_err(|e| {
            EventLogError::kafka(format!("embedded broker: listening on {addr}"), e)
        })?;
        listener.set_nonblocking(true).map_err(broker_error)?;
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("embedded-broker".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("embedded-broker")
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = started_tx.send(Err(broker_error(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let cancellation = CancellationToken::new();
                    let served = match Served::open(addr, &store, cancellation.clone()).await {
                        Ok(served) => served,
                        Err(e) => {
                            let _ = started_tx.send(Err(e));
                            return;
                        }
                    };
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(e) => {
                            let _ = started_tx.send(Err(broker_error(e)));
                            return;
                        }
                    };
                    let _ = started_tx.send(Ok(()));
                    tokio::select! {
                        () = served.accept(listener) => {}
                        _ = stop_rx => {}
                    }
                    cancellation.cancel();
                });
                // Connections and storage tasks end with the runtime.
                runtime.shutdown_timeout(Duration::from_secs(5));
            })
            .map_err(broker_error)?;
        started_rx
            .await
            .map_err(|_| broker_error("its thread ended while starting"))??;
        Ok(EmbeddedBroker {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `host:port` for `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        self.addr.to_string()
    }

    /// Stops the broker (tansu has no graceful stop: its runtime is shut down, connections
    /// close) and waits for its thread to end.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The protocol's routes over one storage: tansu's services for every API but Fetch, ours for
/// Fetch, answered through one connection service per client.
type Routes = FrameRouteService<(), tansu_broker::Error>;

struct Served {
    storage: BrokerStorage<StorageContainer>,
    routes: Routes,
}

impl Served {
    /// Opens `store`; a [`BrokerStore::Sqlite`] names the database file itself here.
    async fn open(
        addr: SocketAddr,
        store: &BrokerStore,
        cancellation: CancellationToken,
    ) -> Result<Served, EventLogError> {
        let advertised = Url::parse(&format!("tcp://{addr}")).map_err(broker_error)?;
        let url = match store {
            // tansu joins the URL path to its working directory unless it starts with two
            // slashes.
            BrokerStore::Sqlite(db_path) => {
                Url::parse(&format!("sqlite:///{}", db_path.display())).map_err(broker_error)?
            }
            BrokerStore::Url(url) => url.clone(),
        };
        let container = StorageContainer::builder()
            .cluster_id(CLUSTER_ID)
            .node_id(NODE_ID)
            .advertised_listener(advertised)
            .storage(url)
            .cancellation(cancellation)
            .silent(true)
            .build()
            .await
            .map_err(broker_error)?;
        let db = match store {
            BrokerStore::Sqlite(db_path) => Some(BrokerDb::open(db_path).await?),
            BrokerStore::Url(_) => None,
        };
        let storage = BrokerStorage::new(container, CLUSTER_ID, db);
        storage
            .register_broker(BrokerRegistrationRequest {
                broker_id: NODE_ID,
                cluster_id: CLUSTER_ID.to_owned(),
                incarnation_id: uuid::Uuid::new_v4(),
                rack: None,
            })
            .await
            .map_err(broker_error)?;
        let routes = routes(&storage).map_err(broker_error)?;
        Ok(Served { storage, routes })
    }

    /// Serves every connection `listener` accepts and runs maintenance, until dropped.
    async fn accept(self, listener: tokio::net::TcpListener) {
        let service = Arc::new(
            (
                TcpContextLayer::new(TcpContext::default().cluster_id(Some(CLUSTER_ID.into()))),
                TcpBytesLayer::default(),
                BytesFrameLayer::default(),
            )
                .into_layer(self.routes),
        );
        let mut maintenance = tokio::time::interval(MAINTENANCE_EVERY);
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        if let Err(error) = stream.set_nodelay(true) {
                            debug!(%error, %peer, "TCP_NODELAY");
                        }
                        let service = Arc::clone(&service);
                        connections.spawn(async move {
                            if let Err(error) = service.serve(Context::default(), stream).await {
                                closed(peer, &error);
                            }
                        });
                    }
                    Err(error) => {
                        warn!(%error, "embedded broker: accepting a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                _ = maintenance.tick() => {
                    let storage = self.storage.clone();
                    connections.spawn(async move {
                        if let Err(error) = storage.maintain(SystemTime::now()).await {
                            warn!(%error, "embedded broker: storage maintenance");
                        }
                    });
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    }
}

/// Logs why a connection ended, unless the client simply went away.
fn closed(peer: SocketAddr, error: &tansu_broker::Error) {
    use std::io::ErrorKind;
    if let tansu_broker::Error::Io(io) = error
        && matches!(
            io.kind(),
            ErrorKind::UnexpectedEof | ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
        )
    {
        return;
    }
    error!(%peer, ?error, "embedded broker: a connection failed");
}

fn routes(storage: &BrokerStorage<StorageContainer>) -> Result<Routes, tansu_broker::Error> {
    type Route = fn(
        tansu_service::FrameRouteBuilder<(), tansu_broker::Error>,
        BrokerStorage<StorageContainer>,
    ) -> Result<
        tansu_service::FrameRouteBuilder<(), tansu_broker::Error>,
        tansu_broker::Error,
    >;
    // Every storage API tansu serves (tansu_broker::service::storage::services) but Fetch.
    let tansus: [Route; 25] = [
        routes::add_offsets_to_txn,
        routes::add_partitions_to_txn,
        routes::alter_user_scram_credentials,
        routes::consumer_group_describe,
        routes::create_acls,
        routes::create_topics,
        routes::delete_groups,
        routes::delete_records,
        routes::delete_topics,
        routes::describe_acls,
        routes::describe_cluster,
        routes::describe_configs,
        routes::describe_groups,
        routes::describe_topic_partitions,
        routes::describe_user_scram_credentials,
        routes::find_coordinator,
        routes::get_telemetry_subscriptions,
        routes::incremental_alter_configs,
        routes::init_producer_id,
        routes::list_groups,
        routes::list_offsets,
        routes::list_partition_reassignments,
        routes::metadata,
        routes::produce,
        routes::txn_offset_commit_request,
    ];
    let builder = tansus
        .iter()
        .try_fold(Routes::builder(), |builder, route| {
            route(builder, storage.clone())
        })?;
    let fetch_storage = storage.clone();
    let builder = builder.with_route(
        FetchRequest::KEY,
        (
            MapErrLayer::new(tansu_broker::Error::from),
            MapStateLayer::new(move |_| fetch_storage),
            FrameRequestLayer::<FetchRequest>::new(),
        )
            .into_layer(LongPollFetch {
                produced: storage.produced(),
            })
            .boxed(),
    )?;
    let builder = coordinator::services(builder, Controller::with_storage(storage.clone())?)?;
    Ok(auth::services(builder)?.build()?)
}

/// Waits until something accepts TCP connections on `addr`.
pub async fn wait_for_port(addr: SocketAddr, timeout: Duration) -> Result<(), EventLogError> {
    let deadline = Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(broker_error(format!(
                "nothing listens on {addr} after {timeout:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
