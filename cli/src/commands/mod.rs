//! One module per subcommand.

pub(crate) mod aggregate;
pub(crate) mod broker;
pub(crate) mod command_api;
pub(crate) mod config;
pub(crate) mod connect;
pub(crate) mod encode;
pub(crate) mod events;
pub(crate) mod export;
pub(crate) mod gateway;
pub(crate) mod generations;
pub(crate) mod notifier;
pub(crate) mod probes;
pub(crate) mod registry;
pub(crate) mod scheduler;
pub(crate) mod signin;
pub(crate) mod stress;
pub(crate) mod token;
pub(crate) mod up;
pub(crate) mod users;
pub(crate) mod views;

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate.recv() => {}
    }
}
