//! The embedded stack on a scratch directory, and projections running on it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codeflix_domain::{Aggregate, CommandContext, ExpectedVersion, Timestamp};
use codeflix_eventlog::embedded::EmbeddedStack;
use codeflix_eventlog::{EventLog, EventLogConfig};
use codeflix_projectors::{ProjectionSpec, ProjectorMetrics};
use codeflix_readmodel::Position;
use codeflix_readmodel::store::{DocReads, DocStore};
use tokio::sync::oneshot;
use uuid::Uuid;

/// The embedded broker and schema registry, their data in a directory removed on drop, and an
/// event log connected to them.
pub struct Stack {
    pub log: Arc<EventLog>,
    pub embedded: EmbeddedStack,
    /// Dropped last, once nothing writes into it.
    pub dir: tempfile::TempDir,
}

impl Stack {
    pub async fn start() -> Stack {
        let dir = tempfile::tempdir().unwrap();
        let embedded = EmbeddedStack::start(dir.path()).await.unwrap();
        let log = Arc::new(EventLog::connect(embedded.config()).await.unwrap());
        Stack { dir, embedded, log }
    }

    /// The event log configuration for this stack.
    pub fn config(&self) -> EventLogConfig {
        self.embedded.config()
    }

    /// `relative` under the scratch directory.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Runs `command` on aggregate `id` as "admin-1", whatever its version.
    pub async fn run<A: Aggregate + Send + Sync + 'static>(
        &self,
        id: &A::Id,
        command: impl Into<A::Command>,
    ) where
        A::Error: std::fmt::Debug,
    {
        self.log
            .execute::<A>(
                &context("admin-1"),
                id,
                ExpectedVersion::Any,
                command.into(),
            )
            .await
            .unwrap();
    }

    /// Starts projecting `spec` into `store`; stop it with [`Running::stop`] or by dropping.
    pub fn project(&self, spec: ProjectionSpec, store: Arc<dyn DocStore>) -> Running {
        self.project_with(self.config(), spec, store)
    }

    /// [`Stack::project`] with another configuration (say, a registry behind a fault).
    pub fn project_with(
        &self,
        config: EventLogConfig,
        spec: ProjectionSpec,
        store: Arc<dyn DocStore>,
    ) -> Running {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            codeflix_projectors::run(&config, &spec, store, ProjectorMetrics::default(), async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Running {
            stop: Some(stop),
            task,
        }
    }
}

/// A command context for `actor`, with fresh ids and a fixed time.
pub fn context(actor: &str) -> CommandContext {
    CommandContext {
        command_id: Uuid::new_v4(),
        correlation_id: Uuid::new_v4(),
        actor: actor.into(),
        now: Timestamp::from_unix_micros(1_790_000_000_000_000).unwrap(),
    }
}

/// A projection running in a task; aborted when dropped.
pub struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops it cleanly and waits for it to end.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Waits (up to a minute) until `store` has applied everything `topics` hold now.
pub async fn caught_up(config: &EventLogConfig, store: &dyn DocReads, topics: &[String]) {
    let ends = codeflix_consumer::ends(config, topics).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let positions = store.positions().await.unwrap();
        let behind: Vec<&Position> = ends
            .iter()
            .filter(|end| {
                !positions.iter().any(|p| {
                    p.topic == end.topic && p.partition == end.partition && p.offset >= end.offset
                })
            })
            .collect();
        if behind.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the projection did not reach {behind:?}; it is at {positions:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
