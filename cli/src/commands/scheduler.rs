//! `codeflix scheduler`: the billing scheduler role (also run by `codeflix up`).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use axum::routing::get;
use codeflix_consumer::supervise::{Tasks, supervise};
use codeflix_eventlog::EventLog;
use codeflix_readmodel::store::CatalogReads;
use codeflix_scheduler::{Scheduler, SchedulerMetrics, SystemClock};
use prometheus_client::registry::Registry;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::settings::{PaymentProviderName, Settings};

/// The scheduler as configured, over the subscriptions view `view`.
async fn scheduler(
    settings: &Settings,
    log: Arc<EventLog>,
    view: Arc<dyn CatalogReads>,
    metrics: SchedulerMetrics,
) -> anyhow::Result<Scheduler> {
    let offset = settings.scheduler.clock_offset;
    if !offset.is_zero() {
        anyhow::ensure!(
            settings.payments.provider == PaymentProviderName::Development,
            "scheduler.clock_offset is for demonstrations with the development payment provider \
             only: it would charge real customers early"
        );
        tracing::warn!(
            offset_days = offset.as_secs_f64() / 86_400.0,
            "the billing scheduler's clock runs ahead (scheduler.clock_offset): renewals, trial \
             ends and expiries happen early"
        );
    }
    Ok(Scheduler::new(
        log,
        view,
        settings.payments().await?,
        Arc::new(SystemClock { offset }),
        metrics,
    ))
}

/// Runs the scheduler until `stop` turns true, supervised as "billing scheduler".
pub(crate) async fn spawn_scheduler(
    settings: &Settings,
    log: Arc<EventLog>,
    view: Arc<dyn CatalogReads>,
    metrics: SchedulerMetrics,
    stop: &watch::Receiver<bool>,
    tasks: &Tasks,
) -> anyhow::Result<JoinHandle<()>> {
    let scheduler = scheduler(settings, log, view, metrics).await?;
    let every = settings.scheduler.every;
    let stop = stop.clone();
    let tasks = tasks.clone();
    Ok(tokio::spawn(async move {
        supervise(&tasks, "billing scheduler", stop.clone(), || {
            let mut stop = stop.clone();
            let scheduler = scheduler.clone();
            async move {
                scheduler
                    .run(every, async move {
                        let _ = stop.wait_for(|s| *s).await;
                    })
                    .await
            }
        })
        .await;
    }))
}

/// `codeflix scheduler`: the scheduler, with `/healthz`, `/readyz` and `/metrics`.
pub(crate) async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let log = Arc::new(
        EventLog::connect(settings.event_log())
            .await
            .context("connecting the event log")?,
    );
    let stores = super::views::open_stores(settings, false).await?;
    let mut registry = Registry::with_prefix("codeflix");
    let metrics = SchedulerMetrics::register(&mut registry);
    let (stop, stopped) = watch::channel(false);
    let supervised = Tasks::default();
    let task = spawn_scheduler(
        settings,
        Arc::clone(&log),
        stores.billing.clone(),
        metrics,
        &stopped,
        &supervised,
    )
    .await?;
    let router = super::probes::router(&supervised).route(
        "/metrics",
        get(codeflix_http::metrics::render).with_state(Arc::new(registry)),
    );
    let listener = tokio::net::TcpListener::bind(settings.scheduler.listen)
        .await
        .with_context(|| format!("listening on {}", settings.scheduler.listen))?;
    println!(
        "billing scheduler running (a pass every {}); metrics on http://{}/metrics",
        humantime::format_duration(settings.scheduler.every),
        settings.scheduler.listen
    );
    codeflix_http::serve(listener, router, super::shutdown_signal()).await?;
    let _ = stop.send(true);
    task.await?;
    if let Ok(log) = Arc::try_unwrap(log) {
        log.shutdown().await;
    }
    Ok(ExitCode::SUCCESS)
}
