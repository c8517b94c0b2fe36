//! Liveness and readiness of the loops a process supervises (projections, the encoder's worker
//! and reaction): `/readyz` fails while one is down, `/healthz` once one has been failing, or has
//! stopped going round (stuck), for longer than [`LIVENESS_GRACE`], so that an orchestrator
//! restarts the process.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use codeflix_consumer::supervise::Tasks;
use serde_json::{Value, json};

/// How long a loop may keep failing before the process reports itself not live.
pub(crate) const LIVENESS_GRACE: Duration = Duration::from_secs(120);

/// Whether every loop is running, and each loop's state.
pub(crate) fn describe(tasks: &Tasks) -> (bool, Value) {
    let statuses = tasks.statuses();
    let ready = statuses.values().all(|task| task.up);
    let details = statuses
        .into_iter()
        .map(|(name, task)| {
            let status = if !task.up {
                "restarting"
            } else if task.stuck(LIVENESS_GRACE) {
                "stuck"
            } else {
                "running"
            };
            let state = json!({
                "status": status,
                "restarts": task.restarts,
                "last_error": task.last_error,
                "failing_for_seconds": task.failing_since.map(|since| since.elapsed().as_secs()),
                "silent_for_seconds": task.last_beat.map(|beat| beat.elapsed().as_secs()),
            });
            (name, state)
        })
        .collect();
    (ready, Value::Object(details))
}

/// [`describe`] as a check an API adds to its own readiness.
pub(crate) fn readiness(tasks: &Tasks) -> codeflix_http::ReadinessCheck {
    let tasks = tasks.clone();
    codeflix_http::ReadinessCheck::new(move || describe(&tasks))
}

/// `/healthz` and `/readyz` over `tasks`.
pub(crate) fn router(tasks: &Tasks) -> Router {
    let (live, ready) = (tasks.clone(), tasks.clone());
    Router::new()
        .route(
            "/healthz",
            get(move || async move {
                let (_, details) = describe(&live);
                answer(live.live(LIVENESS_GRACE), "live", "failing", details)
            }),
        )
        .route(
            "/readyz",
            get(move || async move {
                let (up, details) = describe(&ready);
                answer(up, "ready", "not ready", details)
            }),
        )
}

fn answer(ok: bool, yes: &str, no: &str, tasks: Value) -> Response {
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({ "status": if ok { yes } else { no }, "checks": { "tasks": tasks } });
    (status, Json(body)).into_response()
}
