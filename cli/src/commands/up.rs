//! `codeflix up`: the whole platform in one process.

use std::process::ExitCode;

use anyhow::Context as _;
use codeflix_eventlog::broker::EmbeddedBroker;
use tokio::sync::watch;

use crate::settings::Settings;

/// How often consumer lag is measured for `/metrics` (a Prometheus scrape interval).
pub(crate) const LAG_EVERY: std::time::Duration = std::time::Duration::from_secs(15);

/// Run every part in one process: the embedded broker and schema registry (unless real ones are
/// configured), the command API, the projectors and state feeds, the query API, the encoder, the
/// billing scheduler, the notifier and a Kafka Connect runtime running connectors/*.json. Stops
/// cleanly on Ctrl-C.
///
/// Point parts at real engines with configuration (file or environment):
///
///   CODEFLIX__KAFKA__BOOTSTRAP_SERVERS=kafka-1:9092      real Kafka instead of the embedded broker
///   CODEFLIX__SCHEMA_REGISTRY__URL=http://sr:8081        real Schema Registry
///   CODEFLIX__AUTH__ISSUER=https://sso/realms/codeflix   Keycloak instead of the dev issuer
///   CODEFLIX__MEDIA__STORAGE_URL=s3://bucket/media       S3 (or gs://, az://) instead of data/media
///   CODEFLIX__COMMAND_API__LISTEN=0.0.0.0:8080           where the command API listens
///   CODEFLIX__QUERY_API__LISTEN=0.0.0.0:8082             where the query API listens
///   CODEFLIX__GATEWAY__LISTEN=0.0.0.0:8000               where the web apps and the APIs are
///                                                        served on one origin
///   CODEFLIX__VIEWS__DIR=/var/lib/codeflix/views         where the embedded read models are kept
///   CODEFLIX__EVENT_LOG__SCYLLA_URL=scylla://db1,db2/codeflix_commands?replication_factor=3
///                                                        command store in ScyllaDB (command APIs
///                                                        on several hosts), not SQLite
///   CODEFLIX__VIEWS__SCYLLA_URL=scylla://db1,db2/codeflix_catalog?replication_factor=3
///                                                        catalog views in ScyllaDB, not SQLite
///   CODEFLIX__VIEWS__ELASTICSEARCH_URL=http://es:9200/codeflix-videos
///                                                        search index in Elasticsearch, not tantivy
///   CODEFLIX__ENCODER__CONCURRENCY=2                     encodings at once
///   CODEFLIX__PLAYBACK__ENTITLEMENTS=jdbc:postgresql://db/playback?user=codeflix&password=…
///                                                        the playback side's mirror in PostgreSQL
///                                                        (a real Connect worker writes it)
///   CODEFLIX__NOTIFIER__EMAIL=smtp://127.0.0.1:1025       email to an SMTP server instead of the
///                                                        outbox data/notifications/outbox
///   CODEFLIX__SCHEDULER__CLOCK_OFFSET=31d                demonstrations only: the billing
///                                                        scheduler's clock runs a month ahead
///
/// A ScyllaDB keyspace or Elasticsearch alias that does not exist yet is created with its
/// schema (schema/scylla/commands.cql in the eventlog crate; schema/scylla/catalog.cql,
/// schema/elasticsearch/videos.json in the projectors crate).
///
/// Every part can also run alone: `codeflix broker`, `codeflix registry`, `codeflix command-api`,
/// `codeflix projectors`, `codeflix query-api`, `codeflix encoder`, `codeflix scheduler`,
/// `codeflix notifier`, `codeflix connect`, `codeflix gateway`.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct UpArgs {}

pub(crate) async fn run(settings: &Settings, _args: UpArgs) -> anyhow::Result<ExitCode> {
    // Only the roles in this process may change the embedded registry; everyone may read it.
    let mut settings = settings.clone();
    if settings.schema_registry.url.is_none() && settings.schema_registry.token.is_none() {
        settings.schema_registry.token = Some(uuid::Uuid::new_v4().simple().to_string());
    }
    let settings = &settings;
    let broker = match settings.kafka.bootstrap_servers {
        Some(_) => None,
        None => Some(
            EmbeddedBroker::start(&settings.data_dir.join("broker"), settings.kafka.listen).await?,
        ),
    };
    let (stop, stopped) = watch::channel(false);
    let registry = match settings.schema_registry.url {
        Some(_) => None,
        None => {
            let serving = super::registry::start(settings).await?;
            let mut stopped = stopped.clone();
            Some(tokio::spawn(async move {
                tokio::select! {
                    result = serving => result,
                    _ = stopped.wait_for(|s| *s) => Ok(()),
                }
            }))
        }
    };
    let api = super::command_api::start(settings).await?;
    let stores = super::views::open_stores(settings, true).await?;
    // Kafka's lag exporters' names have no prefix; Codeflix's own metrics have `codeflix_`.
    let mut metrics_registry = prometheus_client::registry::Registry::default();
    let lag_metrics = codeflix_consumer::lag::LagMetrics::register(&mut metrics_registry);
    let lag = codeflix_consumer::lag::watch(settings.event_log(), lag_metrics, LAG_EVERY);
    let metrics = codeflix_projectors::ProjectorMetrics::register(
        metrics_registry.sub_registry_with_prefix("codeflix"),
    );
    // The loops beside the APIs restart themselves when they fail; the query API's /readyz
    // reports them.
    let tasks = codeflix_consumer::supervise::Tasks::default();
    let mut projectors =
        super::views::spawn_projectors(settings, &stores, &metrics, &stopped, &tasks);
    projectors.extend(super::views::spawn_feeds(
        settings, &metrics, &stopped, &tasks,
    ));
    let encoder_metrics = codeflix_encoder::EncoderMetrics::register(
        metrics_registry.sub_registry_with_prefix("codeflix"),
    );
    let encoder =
        super::encode::spawn_encoder(settings, api.log(), &encoder_metrics, &stopped, &tasks)?;
    let scheduler_metrics = codeflix_scheduler::SchedulerMetrics::register(
        metrics_registry.sub_registry_with_prefix("codeflix"),
    );
    let scheduler = super::scheduler::spawn_scheduler(
        settings,
        api.log(),
        stores.billing.clone(),
        scheduler_metrics,
        &stopped,
        &tasks,
    )
    .await?;
    let notifier_metrics = codeflix_notifier::NotifierMetrics::register(
        metrics_registry.sub_registry_with_prefix("codeflix"),
    );
    let notifier =
        super::notifier::spawn_notifier(settings, api.log(), notifier_metrics, &stopped, &tasks)
            .await?;
    // Kafka Connect's part: the connectors of `connect.dir` copy the state feeds into the
    // contexts' own stores (the playback side's entitlements among them). The feeds' topics
    // exist first, so that the sinks subscribe to them at once.
    if settings.projectors.state_feeds {
        codeflix_projectors::feeds::ensure_topics(&settings.event_log())
            .await
            .context("creating the state feeds' topics")?;
    }
    let Some(connect) = super::connect::start(settings, metrics_registry).await? else {
        anyhow::bail!("the connector files have errors (above); nothing started");
    };
    let connect_listener = tokio::net::TcpListener::bind(settings.connect.listen)
        .await
        .with_context(|| format!("listening on {} (connect.listen)", settings.connect.listen))?;
    let mut connect_stopped = stopped.clone();
    let connect_rest = tokio::spawn(codeflix_http::serve(
        connect_listener,
        connect.router,
        async move {
            let _ = connect_stopped.wait_for(|s| *s).await;
        },
    ));
    let mut query_stopped = stopped.clone();
    let query_api =
        super::views::serve_query_api(settings, &stores, connect.registry, &tasks, async move {
            let _ = query_stopped.wait_for(|s| *s).await;
        })
        .await?;
    let mut gateway_stopped = stopped.clone();
    let gateway = super::gateway::start(settings, async move {
        let _ = gateway_stopped.wait_for(|s| *s).await;
    })
    .await?;
    let dev_issuer = api.dev_issuer().is_some();
    println!("Codeflix is up:");
    if codeflix_gateway::assets::built() {
        println!(
            "  open             {}  (viewer app; admin console at {0}/admin/)",
            settings.gateway_url()
        );
    } else {
        println!(
            "  open             {}  (the web apps are not built: cd web && npm ci && npm run build)",
            settings.gateway_url()
        );
    }
    let shown = |url: &str| codeflix_domain::redact::redact(url);
    println!(
        "  kafka            {}",
        shown(&settings.bootstrap_servers())
    );
    println!("  schema registry  {}", shown(&settings.registry_url()));
    println!(
        "  command API      {}  (docs: {0}/docs)",
        settings.command_api_url()
    );
    println!(
        "  query API        {}  (docs: {0}/docs)",
        settings.query_api_url()
    );
    println!(
        "  kafka connect    http://{}  ({} connector(s): curl it /connectors?expand=status)",
        settings.connect.listen,
        connect.runtime.names().await.len()
    );
    println!("  issuer           {}", settings.issuer_url());
    if dev_issuer {
        // Not a token itself: output ends up in logs and terminals' scrollback.
        println!("  admin token      codeflix token --role catalog-admin  (from this directory)");
        println!("  sign in          codeflix signin  (people; --register to create an account)");
    }
    println!("Press Ctrl-C to stop.");
    // The encoder lets go of the command API's event log before the API stops its relay.
    let stopping = stop.clone();
    api.run_until_stopped(async move {
        super::shutdown_signal().await;
        let _ = stopping.send(true);
        if let Err(error) = encoder.await {
            tracing::error!(%error, "encoder");
        }
        if let Err(error) = scheduler.await {
            tracing::error!(%error, "billing scheduler");
        }
        if let Err(error) = notifier.await {
            tracing::error!(%error, "notifier");
        }
    })
    .await?;
    let _ = stop.send(true);
    lag.stop();
    let _ = query_api.await;
    let _ = gateway.await;
    let _ = connect_rest.await;
    connect.runtime.shutdown().await;
    for projector in projectors {
        if let Err(error) = projector.await {
            tracing::error!(%error, "projector");
        }
    }
    if let Some(registry) = registry {
        let _ = registry.await;
    }
    if let Some(broker) = broker {
        broker.stop();
    }
    println!("stopped");
    Ok(ExitCode::SUCCESS)
}
