//! `codeflix views rebuild|switch|rollback|drop`: a projection built again from the beginning
//! of the log into a new generation of its view while the current one serves, switched in once
//! it has caught up, and switched back if it disappoints (ADR 0027).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use codeflix_projectors::{ProjectorMetrics, Rebuild};
use codeflix_readmodel::generations::{Generation, View, check_drop};
use codeflix_readmodel::stores::{drop_generation, open_generation, pointer, rebuild_lock};
use prometheus_client::registry::Registry;

use super::views::Projection;
use crate::progress::Progress;
use crate::settings::Settings;

/// A pass over the log shorter than this means the rebuild has caught up: the log grew by
/// less than a moment's worth of events while it read, and the live projection applies those
/// once the new generation serves.
const CAUGHT_UP: Duration = Duration::from_secs(2);

/// `codeflix views rebuild`.
#[derive(Debug, Args)]
pub(crate) struct RebuildArgs {
    #[arg(long, value_enum)]
    projection: Projection,
    /// Build the new generation but leave the current one serving; `codeflix views switch`
    /// switches later.
    #[arg(long)]
    no_switch: bool,
    /// Go on with generation N, a rebuild that was stopped (it resumes from what it holds)
    /// instead of starting a new one.
    #[arg(long, value_name = "N")]
    resume: Option<u32>,
}

pub(crate) async fn rebuild(settings: &Settings, args: RebuildArgs) -> anyhow::Result<ExitCode> {
    let views = settings.views_config();
    let view = args.projection.view();
    let _lock = rebuild_lock(&views, view)?;
    let pointer = pointer(&views, view).await?;
    let before = pointer.lineage().await?;
    let generation = match args.resume {
        Some(number) => {
            check_drop(view, &before, number).context("resuming a rebuild")?;
            before.get(number).cloned().expect("checked")
        }
        None => pointer.add().await?,
    };
    eprintln!(
        "building generation {} of the {view} view ({}) from the beginning of the log; generation {} serves meanwhile",
        generation.number, generation.place, before.current
    );
    let store = open_generation(&views, view, &generation, true).await?;
    let metrics = ProjectorMetrics::register(&mut Registry::default());
    let started = Instant::now();
    let mut rebuild = Rebuild::start(
        &settings.event_log(),
        &args.projection.configured(settings),
        store.writer(),
        metrics,
    )
    .await
    .map_err(|error| left_behind(error.into(), view, &generation))?;
    let mut progress = Progress::new("rebuilding", 0);
    let mut read = 0;
    loop {
        let ends = rebuild
            .ends()
            .await
            .map_err(|error| left_behind(error.into(), view, &generation))?;
        let (_, all) = rebuild.progress(&ends);
        progress.set_total(all);
        let pass = Instant::now();
        rebuild
            .until(&ends, |done, _| {
                read = done;
                progress.set(done);
            })
            .await
            .map_err(|error| left_behind(error.into(), view, &generation))?;
        read = rebuild.progress(&ends).0;
        if pass.elapsed() < CAUGHT_UP {
            break;
        }
    }
    progress.finish(read);
    let rejected = rebuild.rejected();
    // The new generation's writer goes before the serving processes open it as theirs.
    drop(rebuild);
    drop(store);
    let switched = !args.no_switch;
    if switched {
        pointer.switch(generation.number).await?;
    }
    println!(
        "{}",
        serde_json::json!({
            "projection": view.name(),
            "generation": generation.number,
            "place": generation.place,
            "records_read": read,
            "not_applied": rejected,
            "seconds": started.elapsed().as_secs_f64(),
            "serving": if switched { generation.number } else { before.current },
            "previous": before.current,
        })
    );
    if switched {
        eprintln!(
            "generation {} serves now; the projection goes on from it within a second. `codeflix views rollback --projection {view}` goes back to generation {}",
            generation.number, before.current
        );
    } else {
        eprintln!(
            "generation {} is built; `codeflix views switch --projection {view} --generation {}` puts it in service",
            generation.number, generation.number
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A rebuild's failure, with what is left of it and what to do.
fn left_behind(error: anyhow::Error, view: View, generation: &Generation) -> anyhow::Error {
    error.context(format!(
        "rebuilding the {view} view stopped; generation {n} keeps what it has built and does not serve. \
         `codeflix views rebuild --projection {view} --resume {n}` goes on with it, \
         `codeflix views drop --projection {view} --generation {n}` deletes it",
        n = generation.number
    ))
}

/// `codeflix views switch`.
#[derive(Debug, Args)]
pub(crate) struct SwitchArgs {
    #[arg(long, value_enum)]
    projection: Projection,
    /// The generation to serve (`codeflix views status` lists them).
    #[arg(long, value_name = "N")]
    generation: u32,
}

pub(crate) async fn switch(settings: &Settings, args: SwitchArgs) -> anyhow::Result<ExitCode> {
    switch_to(settings, args.projection, Some(args.generation)).await
}

/// `codeflix views rollback`.
#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    #[arg(long, value_enum)]
    projection: Projection,
}

pub(crate) async fn rollback(settings: &Settings, args: RollbackArgs) -> anyhow::Result<ExitCode> {
    switch_to(settings, args.projection, None).await
}

/// Serves generation `to`, or the newest one older than the serving one.
async fn switch_to(
    settings: &Settings,
    projection: Projection,
    to: Option<u32>,
) -> anyhow::Result<ExitCode> {
    let views = settings.views_config();
    let view = projection.view();
    let pointer = pointer(&views, view).await?;
    let lineage = pointer.lineage().await?;
    let to = match to {
        Some(to) => to,
        None => lineage
            .previous()
            .with_context(|| {
                format!(
                    "the {view} view has no generation older than generation {} to roll back to",
                    lineage.current
                )
            })?
            .number,
    };
    codeflix_readmodel::generations::check_switch(view, &lineage, to)?;
    pointer.switch(to).await?;
    println!(
        "{}",
        serde_json::json!({ "projection": view.name(), "serving": to, "previous": lineage.current })
    );
    eprintln!(
        "generation {to} of the {view} view serves now; the projection catches it up from its own positions"
    );
    Ok(ExitCode::SUCCESS)
}

/// `codeflix views drop`.
#[derive(Debug, Args)]
pub(crate) struct DropArgs {
    #[arg(long, value_enum)]
    projection: Projection,
    /// The generation to delete; never the one that serves.
    #[arg(long, value_name = "N")]
    generation: u32,
}

pub(crate) async fn drop_one(settings: &Settings, args: DropArgs) -> anyhow::Result<ExitCode> {
    let views = settings.views_config();
    let view = args.projection.view();
    let _lock = rebuild_lock(&views, view)?;
    let pointer = pointer(&views, view).await?;
    let lineage = pointer.lineage().await?;
    check_drop(view, &lineage, args.generation)?;
    let generation = lineage.get(args.generation).cloned().expect("checked");
    pointer.forget(generation.number).await?;
    drop_generation(&views, view, &generation).await?;
    println!(
        "{}",
        serde_json::json!({ "projection": view.name(), "dropped": generation.number, "place": generation.place })
    );
    Ok(ExitCode::SUCCESS)
}
