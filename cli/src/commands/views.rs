//! The read side: `codeflix projectors` builds the read models, `codeflix query-api` serves them,
//! `codeflix views export` dumps them and `codeflix dlq` handles what could not be applied.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use axum::routing::get;
use clap::{Args, Subcommand, ValueEnum};
use codeflix_consumer::lag::LagMetrics;
use codeflix_consumer::supervise::{Tasks, supervise};
use codeflix_consumer::{Membership, dlq};
use codeflix_projectors::{FeedSpec, FeedStore, ProjectionSpec, ProjectorError, ProjectorMetrics};
use codeflix_query_api::{Application, QueryApiConfig};
use codeflix_readmodel::Stores;
use codeflix_readmodel::generations::View;
use codeflix_readmodel::generations::check_switch;
use codeflix_readmodel::store::{DocStore, StoreError};
use codeflix_readmodel::stores::{open_feed_store, open_generation, pointer};
use prometheus_client::registry::Registry;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::settings::Settings;

/// The read models as configured: embedded (SQLite, tantivy) unless `views.scylla_url` or
/// `views.elasticsearch_url` name production engines; `project` for the one process that writes
/// them.
pub(crate) async fn open_stores(settings: &Settings, project: bool) -> anyhow::Result<Stores> {
    Ok(Stores::open(&settings.views_config(), project).await?)
}

/// The store `projection` writes.
fn store_of(stores: &Stores, projection: Projection) -> Arc<dyn DocStore> {
    match projection {
        Projection::Catalog => stores.catalog.clone() as Arc<dyn DocStore>,
        Projection::Search => stores.search.clone() as Arc<dyn DocStore>,
        Projection::Billing => stores.billing.clone() as Arc<dyn DocStore>,
        Projection::Notifications => stores.notifications.clone() as Arc<dyn DocStore>,
    }
}

/// The projections Codeflix runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Projection {
    /// Categories, genres, cast members and videos (SQLite, or ScyllaDB).
    Catalog,
    /// The videos' search index (tantivy, or Elasticsearch).
    Search,
    /// Plans, subscriptions (what is due when) and accounts: the subscriptions context's views
    /// (SQLite, or ScyllaDB).
    Billing,
    /// Every notification and how its delivery went: the notifications context's delivery log
    /// (SQLite, or ScyllaDB).
    Notifications,
}

impl Projection {
    const ALL: [Projection; 4] = [
        Projection::Catalog,
        Projection::Search,
        Projection::Billing,
        Projection::Notifications,
    ];

    /// The read model it builds.
    pub(crate) fn view(self) -> View {
        match self {
            Projection::Catalog => View::Catalog,
            Projection::Search => View::Search,
            Projection::Billing => View::Billing,
            Projection::Notifications => View::Notifications,
        }
    }

    pub(crate) fn spec(self) -> ProjectionSpec {
        match self {
            Projection::Catalog => ProjectionSpec::catalog(),
            Projection::Search => ProjectionSpec::search(),
            Projection::Billing => ProjectionSpec::billing(),
            Projection::Notifications => ProjectionSpec::notifications(),
        }
    }

    /// The projection as configured.
    pub(crate) fn configured(self, settings: &Settings) -> ProjectionSpec {
        ProjectionSpec {
            batch: settings.projectors.batch.max(1),
            membership: if settings.projectors.consumer_groups {
                Membership::ConsumerGroup
            } else {
                Membership::AllPartitions
            },
            ..self.spec()
        }
    }
}

/// Runs every projection until `stop` turns true; each task ends with its projection.
pub(crate) fn spawn_projectors(
    settings: &Settings,
    stores: &Stores,
    metrics: &ProjectorMetrics,
    stop: &watch::Receiver<bool>,
    tasks: &Tasks,
) -> Vec<JoinHandle<()>> {
    Projection::ALL
        .into_iter()
        .map(|projection| {
            let config = settings.event_log();
            let spec = projection.configured(settings);
            let stores = stores.clone();
            let view = projection.view();
            let metrics = metrics.clone();
            let stop = stop.clone();
            let tasks = tasks.clone();
            tokio::spawn(async move {
                let name = format!("{} projection", spec.name);
                // Each run projects into the generation serving when it starts, and ends when
                // the view moves to another one (a rebuild switched in, or a rollback): the
                // next run starts from that generation's own positions.
                loop {
                    supervise(&tasks, &name, stop.clone(), || {
                        let (generation, store) = stores.current(view);
                        metrics.generation(&spec.name, generation);
                        let mut changes = stores.changes(view);
                        let mut stop = stop.clone();
                        codeflix_projectors::run(
                            &config,
                            &spec,
                            store,
                            metrics.clone(),
                            async move {
                                tokio::select! {
                                    _ = stop.wait_for(|s| *s) => {}
                                    _ = changes.wait_for(|g| *g != generation) => {}
                                }
                            },
                        )
                    })
                    .await;
                    if *stop.borrow() {
                        break;
                    }
                    tracing::info!(projection = %spec.name, generation = stores.current(view).0, "the projection moves to another generation");
                }
            })
        })
        .collect()
}

/// Runs every state feed until `stop` turns true (ADR 0022); each task ends with its feed.
pub(crate) fn spawn_feeds(
    settings: &Settings,
    metrics: &ProjectorMetrics,
    stop: &watch::Receiver<bool>,
    tasks: &Tasks,
) -> Vec<JoinHandle<()>> {
    if !settings.projectors.state_feeds {
        return Vec::new();
    }
    FeedSpec::ALL
        .into_iter()
        .map(|feed| {
            let config = settings.event_log();
            let views = settings.views_config();
            let membership = Projection::Catalog.configured(settings).membership;
            let spec = ProjectionSpec {
                membership,
                ..feed.projection()
            };
            let metrics = metrics.clone();
            let stop = stop.clone();
            let tasks = tasks.clone();
            tokio::spawn(async move {
                let name = format!("{} feed", feed.name);
                supervise(&tasks, &name, stop.clone(), || {
                    let mut stop = stop.clone();
                    let (config, views, spec, metrics) =
                        (config.clone(), views.clone(), spec.clone(), metrics.clone());
                    async move {
                        let local = open_feed_store(&views, feed.name)
                            .await
                            .map_err(|e| ProjectorError::Store(StoreError::Backend(Box::new(e))))?;
                        let store = FeedStore::open(&config, feed, local).await?;
                        codeflix_projectors::run(
                            &config,
                            &spec,
                            Arc::new(store),
                            metrics,
                            async move {
                                let _ = stop.wait_for(|s| *s).await;
                            },
                        )
                        .await
                    }
                })
                .await;
            })
        })
        .collect()
}

/// The query API as configured.
pub(crate) fn query_api_config(settings: &Settings) -> anyhow::Result<QueryApiConfig> {
    let prefix = &settings.kafka.topic_prefix;
    Ok(QueryApiConfig {
        readiness: None,
        listen: settings.query_api.listen,
        views: settings.views_config(),
        catalog_topics: ProjectionSpec::catalog().topics(prefix),
        search_topics: ProjectionSpec::search().topics(prefix),
        billing_topics: ProjectionSpec::billing().topics(prefix),
        notifications_topics: ProjectionSpec::notifications().topics(prefix),
        consistency_wait: settings.query_api.consistency_wait,
        verifier: settings.verifier(),
        media: Some(settings.media_store()?),
        entitlements: settings.playback.entitlements.clone(),
        entitlements_base: settings.data_dir.clone(),
    })
}

/// `codeflix projectors`.
#[derive(Debug, Args)]
pub(crate) struct ProjectorsArgs {
    /// Apply everything the topics hold now, then exit (a rebuild into an empty `views.dir`, or
    /// a one-off catch-up) instead of running until stopped.
    #[arg(long)]
    until_caught_up: bool,
}

pub(crate) async fn projectors(
    settings: &Settings,
    args: ProjectorsArgs,
) -> anyhow::Result<ExitCode> {
    let stores = open_stores(settings, true).await?;
    // Kafka's lag exporters' names have no prefix; Codeflix's own metrics have `codeflix_`.
    let mut registry = Registry::default();
    let metrics = ProjectorMetrics::register(registry.sub_registry_with_prefix("codeflix"));
    if args.until_caught_up {
        for projection in Projection::ALL {
            codeflix_projectors::catch_up(
                &settings.event_log(),
                &projection.configured(settings),
                store_of(&stores, projection),
                metrics.clone(),
            )
            .await?;
            println!("{} projection caught up", projection.spec().name);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let lag = codeflix_consumer::lag::watch(
        settings.event_log(),
        LagMetrics::register(&mut registry),
        super::up::LAG_EVERY,
    );
    let (stop, stopped) = watch::channel(false);
    let supervised = Tasks::default();
    let mut tasks = spawn_projectors(settings, &stores, &metrics, &stopped, &supervised);
    tasks.extend(spawn_feeds(settings, &metrics, &stopped, &supervised));
    let registry = Arc::new(registry);
    let router = super::probes::router(&supervised).route(
        "/metrics",
        get(codeflix_http::metrics::render).with_state(registry),
    );
    let listener = tokio::net::TcpListener::bind(settings.projectors.listen)
        .await
        .with_context(|| format!("listening on {}", settings.projectors.listen))?;
    println!(
        "projectors running; metrics on http://{}/metrics",
        settings.projectors.listen
    );
    let mut watching = stopped.clone();
    codeflix_http::serve(listener, router, async move {
        tokio::select! {
            () = super::shutdown_signal() => {}
            _ = watching.wait_for(|s| *s) => {}
        }
    })
    .await?;
    let _ = stop.send(true);
    lag.stop();
    for task in tasks {
        task.await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Serves the query API over `stores` until `shutdown`; `registry` holds whatever else the
/// process exposes at `/metrics`.
pub(crate) async fn serve_query_api(
    settings: &Settings,
    stores: &Stores,
    registry: Registry,
    tasks: &Tasks,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<JoinHandle<std::io::Result<()>>> {
    let mut config = query_api_config(settings)?;
    config.readiness = Some(super::probes::readiness(tasks));
    let api = Application::build_with(config, stores, registry).await?;
    Ok(tokio::spawn(api.run_until_stopped(shutdown)))
}

/// `codeflix query-api`.
pub(crate) async fn query_api(settings: &Settings) -> anyhow::Result<ExitCode> {
    let api = Application::build(query_api_config(settings)?).await?;
    println!("query API listening on {}", settings.query_api_url());
    api.run_until_stopped(super::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// `codeflix views`.
#[derive(Debug, Subcommand)]
pub(crate) enum ViewsCommand {
    /// Print every document of a read model as JSON lines, sorted by kind and id (for analysts,
    /// and for comparing two builds).
    Export {
        #[arg(long, value_enum, default_value_t = Projection::Catalog)]
        projection: Projection,
        /// Export this generation instead of the one serving.
        #[arg(long, value_name = "N")]
        generation: Option<u32>,
    },
    /// Print how far each projection's generations and each state feed have read each
    /// partition, and their lag, as JSON lines (`"current": true` on the generation serving).
    Status,
    /// Build a projection again from the beginning of the log into a new generation of its
    /// view (a new SQLite file, tantivy directory, ScyllaDB keyspace or Elasticsearch index),
    /// with progress, while the current one keeps serving; once it has caught up, switch to it.
    /// The old generation is kept for a rollback.
    Rebuild(super::generations::RebuildArgs),
    /// Serve another generation of a view (one built with `--no-switch`, or an older one).
    Switch(super::generations::SwitchArgs),
    /// Serve the newest generation older than the one serving.
    Rollback(super::generations::RollbackArgs),
    /// Delete a generation that does not serve.
    Drop(super::generations::DropArgs),
}

pub(crate) async fn views(settings: &Settings, command: ViewsCommand) -> anyhow::Result<ExitCode> {
    use super::generations;
    let views = settings.views_config();
    let mut out = std::io::stdout().lock();
    match command {
        ViewsCommand::Rebuild(args) => return generations::rebuild(settings, args).await,
        ViewsCommand::Switch(args) => return generations::switch(settings, args).await,
        ViewsCommand::Rollback(args) => return generations::rollback(settings, args).await,
        ViewsCommand::Drop(args) => return generations::drop_one(settings, args).await,
        ViewsCommand::Export {
            projection,
            generation,
        } => {
            let view = projection.view();
            let lineage = pointer(&views, view).await?.lineage().await?;
            let number = generation.unwrap_or(lineage.current);
            check_switch(view, &lineage, number)?;
            let store = open_generation(&views, view, lineage.get(number).expect("checked"), false)
                .await?
                .writer();
            for doc in store.export().await? {
                writeln!(out, "{}", serde_json::to_string(&doc)?)?;
            }
        }
        ViewsCommand::Status => {
            // (projection, generation and whether it serves, positions)
            let mut projections = Vec::new();
            for projection in Projection::ALL {
                let view = projection.view();
                let lineage = pointer(&views, view).await?.lineage().await?;
                for generation in &lineage.generations {
                    let store = open_generation(&views, view, generation, false).await?;
                    let positions = store.writer().positions().await?;
                    let serving = generation.number == lineage.current;
                    projections.push((
                        projection.spec(),
                        Some((generation.clone(), serving)),
                        positions,
                    ));
                }
            }
            if settings.projectors.state_feeds {
                for feed in FeedSpec::ALL {
                    let store = open_feed_store(&views, feed.name).await?;
                    projections.push((feed.projection(), None, store.positions().await?));
                }
            }
            let config = settings.event_log();
            for (spec, generation, positions) in projections {
                let ends =
                    codeflix_consumer::ends(&config, &spec.topics(&config.topics.prefix)).await?;
                for end in ends {
                    let at = positions
                        .iter()
                        .find(|p| p.topic == end.topic && p.partition == end.partition)
                        .map_or(0, |p| p.offset);
                    let mut line = serde_json::json!({
                        "projection": spec.name,
                        "topic": end.topic,
                        "partition": end.partition,
                        "applied_up_to": at,
                        "end": end.offset,
                        "lag": end.offset - at,
                    });
                    if let Some((generation, serving)) = &generation {
                        line["generation"] = generation.number.into();
                        line["current"] = (*serving).into();
                        line["place"] = generation.place.clone().into();
                        line["created_at"] = generation.created_at.clone().into();
                    }
                    writeln!(out, "{line}")?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Who dead-letters what it cannot handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Consumer {
    /// The catalog projection: events it cannot decode or apply.
    Catalog,
    /// The search projection: events it cannot decode or apply.
    Search,
    /// The encoder: uploads whose encoding failed every attempt (a redrive buys one more).
    Encoder,
    /// The encoding reaction: encoding events that could not move their video's media (they
    /// do not decode, or the event log failed for every attempt).
    EncodingReaction,
    /// The billing projection: plan, subscription and account events it cannot apply.
    Billing,
    /// The delivery log's projection: notification events it cannot apply.
    Notifications,
    /// The videos' state feed (`feed-video-state`): video events it cannot apply.
    FeedVideoState,
    /// The published videos' state feed (`feed-published-video-state`).
    FeedPublishedVideoState,
    /// The subscriptions' state feed (`feed-subscription-state`).
    FeedSubscriptionState,
    /// The accounts' state feed (`feed-account-state`).
    FeedAccountState,
    /// The notifier: facts whose messages failed for now every attempt, or that do not decode.
    Notifier,
}

impl Consumer {
    fn name(self) -> String {
        match self {
            Consumer::Catalog => Projection::Catalog.spec().name,
            Consumer::Search => Projection::Search.spec().name,
            Consumer::Encoder => codeflix_encoder::worker::NAME.to_owned(),
            Consumer::EncodingReaction => codeflix_encoder::reaction::NAME.to_owned(),
            Consumer::Billing => Projection::Billing.spec().name,
            Consumer::Notifications => Projection::Notifications.spec().name,
            Consumer::FeedVideoState => FeedSpec::VIDEOS.projection().name,
            Consumer::FeedPublishedVideoState => FeedSpec::PUBLISHED_VIDEOS.projection().name,
            Consumer::FeedSubscriptionState => FeedSpec::SUBSCRIPTIONS.projection().name,
            Consumer::FeedAccountState => FeedSpec::ACCOUNTS.projection().name,
            Consumer::Notifier => codeflix_notifier::worker::NAME.to_owned(),
        }
    }
}

/// Every consumer that dead-letters, for the command API's operations routes: its name and its
/// `--projection` help as the description (a sentence: clap drops a lone sentence's full stop).
pub(crate) fn known_consumers() -> Vec<codeflix_command_api::KnownConsumer> {
    Consumer::value_variants()
        .iter()
        .map(|consumer| {
            let mut description = consumer
                .to_possible_value()
                .and_then(|value| value.get_help().map(ToString::to_string))
                .unwrap_or_default();
            if !description.is_empty() && !description.ends_with('.') {
                description.push('.');
            }
            codeflix_command_api::KnownConsumer {
                name: consumer.name(),
                description,
            }
        })
        .collect()
}

/// `codeflix dlq`.
#[derive(Debug, Subcommand)]
pub(crate) enum DlqCommand {
    /// Print dead letters as JSON lines as they are read, in the order they were dead-lettered:
    /// where each came from, why it failed, and whether it has been re-driven.
    List {
        #[arg(long, value_enum, default_value_t = Consumer::Catalog)]
        projection: Consumer,
    },
    /// Send every dead letter not re-driven yet back to its consumer (in order, through its
    /// redrive topic); what still fails is dead-lettered again.
    Redrive {
        #[arg(long, value_enum, default_value_t = Consumer::Catalog)]
        projection: Consumer,
    },
}

pub(crate) async fn dlq(settings: &Settings, command: DlqCommand) -> anyhow::Result<ExitCode> {
    let config = settings.event_log();
    match command {
        DlqCommand::List { projection } => {
            let mut letters = dlq::Letters::open(&config, &projection.name()).await?;
            while let Some(listed) = letters.next().await? {
                let mut out = std::io::stdout().lock();
                let record = &listed.letter.record;
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({
                        "topic": record.topic,
                        "partition": record.partition,
                        "offset": record.offset,
                        "key": record.key.as_deref().map(String::from_utf8_lossy),
                        "reason": listed.letter.reason,
                        "redriven": listed.redriven,
                        "dead_letter_partition": listed.dlq_partition,
                        "dead_letter_offset": listed.dlq_offset,
                    })
                )?;
            }
        }
        DlqCommand::Redrive { projection } => {
            let count = dlq::redrive(&config, &projection.name()).await?;
            println!("re-drove {count} dead letters");
        }
    }
    Ok(ExitCode::SUCCESS)
}
