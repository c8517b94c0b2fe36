//! The listeners' accept loop, within limits that keep one client from taking a process down.
//!
//! `axum::serve` has no timeouts and no limits: a client that opens connections and sends its
//! headers a byte a minute (slowloris) holds a descriptor each for ever, and in `codeflix up` the
//! descriptors of every role run out together. Here each listener
//!
//! - holds at most [`Limits::max_connections`] connections (it stops accepting at the cap; the
//!   kernel's backlog queues the rest);
//! - closes a connection whose request headers take longer than
//!   [`Limits::header_read_timeout`] to arrive;
//! - fails a request whose body stalls for [`Limits::body_idle_timeout`] (a slow but moving
//!   upload is fine; the limit is between chunks);
//! - answers 503 with `Retry-After` when [`Limits::max_in_flight`] requests are already being
//!   handled (load shedding; `/healthz` is always answered).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

use crate::problem::Problem;

/// What one listener allows its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Requests being handled at once; more are answered 503 with `Retry-After`.
    pub max_in_flight: usize,
    /// How long a request's headers may take to arrive.
    pub header_read_timeout: Duration,
    /// How long a request body may go without sending anything.
    pub body_idle_timeout: Duration,
    /// How long in-flight requests get to finish at shutdown.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            max_in_flight: 512,
            header_read_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves, then lets in-flight
/// requests finish (for at most [`Limits::shutdown_grace`]).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let in_flight = Arc::new(Semaphore::new(limits.max_in_flight.max(1)));
    let idle = limits.body_idle_timeout;
    let router = router
        .layer(middleware::from_fn_with_state(in_flight, shed))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            next.run(request.map(|body| Body::new(TimeoutBody::new(idle, body))))
        }));
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, or a connection reset while queued: not fatal.
                    tracing::warn!(%error, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        // The client's address, as `axum::serve` gives it with `into_make_service_with_connect_info`
        // (the development issuer limits sign-in attempts per address).
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(grace = ?limits.shutdown_grace, "connections still open at shutdown were cut");
    }
    Ok(())
}

/// Load shedding: a request beyond the in-flight limit is answered at once.
async fn shed(State(in_flight): State<Arc<Semaphore>>, request: Request, next: Next) -> Response {
    if request.uri().path() == "/healthz" {
        return next.run(request).await;
    }
    match in_flight.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "Too many requests are being handled; retry shortly",
            "the server is at its limit of requests in flight",
        )
        .with_retry_after(1)
        .into_response(),
    }
}
