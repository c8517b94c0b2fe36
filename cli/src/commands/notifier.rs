//! `codeflix notifier`: the notifications role (also run by `codeflix up`).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use axum::routing::get;
use codeflix_consumer::Membership;
use codeflix_consumer::supervise::{Tasks, supervise};
use codeflix_eventlog::EventLog;
use codeflix_notifier::deliver::Deliverer;
use codeflix_notifier::store::{Memory, Mirror};
use codeflix_notifier::worker::UnsubscribeLinks;
use codeflix_notifier::{Mailer, Notifier, NotifierMetrics, Rules, Templates};
use prometheus_client::registry::Registry;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::settings::Settings;

/// The notifier as configured; its rules, templates' directory and mirror are checked here.
async fn notifier(
    settings: &Settings,
    log: Arc<EventLog>,
    metrics: NotifierMetrics,
) -> anyhow::Result<Notifier> {
    let n = &settings.notifier;
    let rules = match &n.rules {
        Some(path) => Rules::parse(
            &std::fs::read_to_string(path)
                .with_context(|| format!("notifier.rules: reading {}", path.display()))?,
        )
        .with_context(|| format!("notifier.rules: {}", path.display()))?,
        None => Rules::builtin(),
    };
    if let Some(dir) = &n.templates {
        anyhow::ensure!(
            dir.is_dir(),
            "notifier.templates: {} is not a directory",
            dir.display()
        );
    }
    let templates = Arc::new(Templates::new(n.templates.clone()));
    let mailer = Mailer::from_url(&n.email, &n.from, n.timeout, &settings.data_dir)?;
    // An attempt is this process's alone for longer than the server may take to answer.
    let lease = n.timeout * 2 + std::time::Duration::from_secs(5);
    let mut deliverer = Deliverer::new(log, templates, mailer.clone(), lease);
    if let Some(url) = &n.sms {
        deliverer = deliverer.with_sms(
            codeflix_notifier::sms::SmsWebhook::new(url, n.timeout).map_err(anyhow::Error::msg)?,
        );
    }
    let memory = Memory::open(&settings.data_dir.join("notifications/notifier.db")).await?;
    let mirror = Mirror::open(&n.mirror, &settings.data_dir).await?;
    let console_url = n
        .console_url
        .clone()
        .unwrap_or_else(|| format!("{}/admin", settings.query_api_url()));
    let account_url = n
        .account_url
        .clone()
        .unwrap_or_else(|| format!("{}/me/subscription", settings.query_api_url()));
    tracing::info!(email = %mailer.describe(), "notifier sends email to");
    Ok(Notifier {
        rules,
        deliverer,
        memory,
        mirror,
        console_url,
        account_url,
        max_fact_age: n.max_fact_age,
        unsubscribe: Some(UnsubscribeLinks {
            key: settings.unsubscribe_key()?,
            url: settings.unsubscribe_url(),
        }),
        metrics,
    })
}

/// Runs the notifier over `log` until `stop` turns true, supervised as "notifier".
pub(crate) async fn spawn_notifier(
    settings: &Settings,
    log: Arc<EventLog>,
    metrics: NotifierMetrics,
    stop: &watch::Receiver<bool>,
    tasks: &Tasks,
) -> anyhow::Result<JoinHandle<()>> {
    let notifier = notifier(settings, Arc::clone(&log), metrics).await?;
    let membership = Membership::default();
    let stop = stop.clone();
    let tasks = tasks.clone();
    Ok(tokio::spawn(async move {
        supervise(&tasks, "notifier", stop.clone(), || {
            let mut stop = stop.clone();
            let notifier = notifier.clone();
            let log = Arc::clone(&log);
            async move {
                notifier
                    .run(log, membership, async move {
                        let _ = stop.wait_for(|s| *s).await;
                    })
                    .await
            }
        })
        .await;
    }))
}

/// `codeflix notifier`: the notifier, with `/healthz`, `/readyz` and `/metrics`.
pub(crate) async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let log = Arc::new(
        EventLog::connect(settings.event_log())
            .await
            .context("connecting the event log")?,
    );
    let mut registry = Registry::with_prefix("codeflix");
    let metrics = NotifierMetrics::register(&mut registry);
    let (stop, stopped) = watch::channel(false);
    let supervised = Tasks::default();
    let task = spawn_notifier(settings, Arc::clone(&log), metrics, &stopped, &supervised).await?;
    let router = super::probes::router(&supervised).route(
        "/metrics",
        get(codeflix_http::metrics::render).with_state(Arc::new(registry)),
    );
    let listener = tokio::net::TcpListener::bind(settings.notifier.listen)
        .await
        .with_context(|| format!("listening on {}", settings.notifier.listen))?;
    println!(
        "notifier running; metrics on http://{}/metrics",
        settings.notifier.listen
    );
    codeflix_http::serve(listener, router, super::shutdown_signal()).await?;
    let _ = stop.send(true);
    task.await?;
    if let Ok(log) = Arc::try_unwrap(log) {
        log.shutdown().await;
    }
    Ok(ExitCode::SUCCESS)
}
