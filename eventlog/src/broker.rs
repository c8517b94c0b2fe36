//! The embedded Kafka-protocol broker: tansu, compiled in, storing in SQLite under the data
//! directory (docs/adr/0007-embedded-broker-and-registry.md).

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

use tansu_broker::broker::Broker;
use tansu_broker::coordinator::group::administrator::Controller;
use tansu_storage::StorageContainer;
use tracing::error;
use url::Url;

use crate::EventLogError;

/// `retention.ms` for event topics on the embedded broker.
///
/// tansu 0.6.0's retention deletes records whose age exceeds `retention.ms`, so Kafka's "forever"
/// (-1) deletes every record — and its maintenance runs as soon as the broker starts. The largest
/// retention (about 292 million years) keeps everything on both tansu and Kafka.
pub const EMBEDDED_RETENTION_MS: i64 = i64::MAX;

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

fn broker_error(e: impl std::fmt::Display) -> EventLogError {
    EventLogError::Kafka(format!("embedded broker: {e}"))
}

/// A port on 127.0.0.1 that was free a moment ago (tansu cannot report a port bound to 0).
pub fn free_port() -> Result<u16, EventLogError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(broker_error)?;
    Ok(listener.local_addr().map_err(broker_error)?.port())
}

impl EmbeddedBroker {
    /// Starts a broker listening on `addr` (IPv4), storing in `data_dir/broker.db`, and waits
    /// until it accepts connections.
    pub async fn start(data_dir: &Path, addr: SocketAddr) -> Result<EmbeddedBroker, EventLogError> {
        std::fs::create_dir_all(data_dir).map_err(broker_error)?;
        let data_dir = std::path::absolute(data_dir).map_err(broker_error)?;
        let listener = Url::parse(&format!("tcp://{addr}")).map_err(broker_error)?;
        // tansu joins the URL path to its working directory unless it starts with two slashes.
        // Its storage maintenance (retention, compaction) scans whole tables synchronously on the
        // async runtime — minutes of a core at 100k messages. Event topics keep everything and
        // none is compacted, so it runs weekly rather than every 10 minutes (the default).
        let storage = Url::parse(&format!(
            "sqlite:///{}?maintenance_interval=7days",
            data_dir.join("broker.db").display()
        ))
        .map_err(broker_error)?;
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
                    let built = Broker::<Controller<StorageContainer>, StorageContainer>::builder()
                        .node_id(111)
                        .cluster_id("codeflix")
                        .incarnation_id(uuid::Uuid::new_v4())
                        .advertised_listener(listener.clone())
                        .listener(listener)
                        .storage(storage)
                        .silent(true)
                        .build()
                        .await;
                    let mut broker = match built {
                        Ok(broker) => {
                            let _ = started_tx.send(Ok(()));
                            broker
                        }
                        Err(e) => {
                            let _ = started_tx.send(Err(broker_error(e)));
                            return;
                        }
                    };
                    tokio::select! {
                        served = broker.serve(tokio::time::Instant::now()) => {
                            if let Err(e) = served {
                                error!(error = %e, "embedded broker stopped");
                            }
                        }
                        _ = stop_rx => {}
                    }
                });
                // Connections and storage tasks end with the runtime.
                runtime.shutdown_timeout(Duration::from_secs(5));
            })
            .map_err(broker_error)?;
        started_rx
            .await
            .map_err(|_| broker_error("its thread ended while starting"))??;
        wait_for_port(addr, Duration::from_secs(30)).await?;
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
