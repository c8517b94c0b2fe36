//! `codeflix`: one binary for Codeflix's roles and its operators' tools.

mod commands;
mod progress;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::settings::Settings;

/// mimalloc instead of the C library's allocator: under load `codeflix up` spent about an
/// eighth of its CPU inside glibc's malloc and free (much of it consolidating and unlinking
/// fragmented chunks), for the many short-lived buffers of requests, records and documents.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Codeflix: an event-sourced video streaming platform on Kafka.
///
/// Every part runs on embedded engines by default: a Kafka-protocol broker, a schema registry and
/// SQLite stores under the data directory. Point a part at real engines with environment variables
/// (`CODEFLIX__SECTION__KEY`) or a configuration file, for example:
///
///   CODEFLIX__KAFKA__BOOTSTRAP_SERVERS=kafka-1:9092,kafka-2:9092
///   CODEFLIX__SCHEMA_REGISTRY__URL=http://schema-registry:8081
///
/// librdkafka properties go in the file, or in the environment with underscores for their dots:
///
///   [kafka.properties]
///   "security.protocol" = "SASL_SSL"
///
///   CODEFLIX__KAFKA__PROPERTIES__SECURITY_PROTOCOL=SASL_SSL
///
/// `codeflix config` prints the effective configuration, secrets redacted.
///
/// Logs go to standard error, filtered by CODEFLIX_LOG (default `info`; e.g.
/// `CODEFLIX_LOG=info,codeflix_projectors=debug`; the embedded broker's own tracing stays at
/// `warn` unless named: `CODEFLIX_LOG=info,tansu=debug`).
#[derive(Debug, Parser)]
#[command(name = "codeflix", version, max_term_width = 100, verbatim_doc_comment)]
struct Cli {
    /// A TOML configuration file (default: codeflix.toml in the working directory, if present).
    #[arg(long, global = true, env = "CODEFLIX_CONFIG")]
    config: Option<PathBuf>,
    /// Where embedded engines keep their files (overrides `data_dir`).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// How logs are written to standard error.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::enum_variant_names)] // `CommandApi` is the role's name: `codeflix command-api`.
enum Command {
    /// Run the whole platform in one process on embedded defaults, printing its URLs and how to
    /// get an admin token (see `codeflix up --help` for pointing parts at real engines).
    Up(commands::up::UpArgs),
    /// Run the embedded Kafka-protocol broker (tansu) on `kafka.listen`, storing under the data
    /// directory. Not needed when `kafka.bootstrap_servers` points at a real cluster.
    Broker,
    /// Run the embedded schema registry (Confluent REST API) on `schema_registry.listen`.
    Registry,
    /// Run the admins' command API (HTTP) on `command_api.listen`.
    CommandApi,
    /// Run the projectors: consume the event topics and build the catalog views and the search
    /// index under `views.dir` (metrics on `projectors.listen`).
    Projectors(commands::views::ProjectorsArgs),
    /// Run the viewers' query API (HTTP) on `query_api.listen`, reading `views.dir`.
    QueryApi,
    /// Run the gateway on `gateway.listen`: the viewer app at `/`, the admin console at
    /// `/admin/` (both built into this binary from web/), and the command and query APIs behind
    /// `/api/command` and `/api/query`, so that browsers use one origin.
    Gateway,
    /// Export the read models, or show how far each projection has read.
    #[command(subcommand)]
    Views(commands::views::ViewsCommand),
    /// List or re-drive what a projection could not apply or the encoder could not encode.
    #[command(subcommand)]
    Dlq(commands::views::DlqCommand),
    /// Encode a video file into an adaptive HLS/DASH ladder in a directory, as the encoder does
    /// (needs ffmpeg and ffprobe on the PATH).
    Encode(commands::encode::EncodeArgs),
    /// Run the encoder: every uploaded video and trailer becomes an HLS/DASH ladder in the media
    /// store, its progress and result recorded as encoding events and in the video's media
    /// status (metrics on `encoder.listen`; needs ffmpeg and ffprobe).
    Encoder,
    /// Run the billing scheduler: renewal charges, payment retries, trial notices and expiries
    /// as they fall due, each once however many schedulers run (metrics on
    /// `scheduler.listen`).
    Scheduler,
    /// Run the notifier: the facts `notifications/rules.toml` names send email from
    /// `notifications/templates`, once per fact, each attempt recorded as notification events
    /// (SMTP or an outbox: `notifier.email`; metrics on `notifier.listen`).
    Notifier,
    /// Run the embedded Kafka Connect runtime over the connector files of `connect.dir`
    /// (JdbcSinkConnector into SQLite, MirrorSourceConnector), with Kafka Connect's REST API on
    /// `connect.listen`; or check the files (`validate`), or submit them to a real Kafka Connect
    /// cluster (`apply`).
    Connect(commands::connect::ConnectArgs),
    /// Mint a bearer token from the development issuer.
    Token(commands::token::TokenArgs),
    /// Sign in (or sign up) at the identity provider in a browser and print an access token:
    /// what a person does, where `token` is for scripts.
    Signin(commands::signin::SigninArgs),
    /// Add accounts to the development issuer (an admin who signs in at its pages, say).
    #[command(subcommand)]
    Users(commands::users::UsersCommand),
    /// Read the event log: dump or follow events as JSON, or verify its integrity.
    #[command(subcommand)]
    Events(commands::events::EventsCommand),
    /// One aggregate's state, now or as it was at a time or version, folded from its events.
    #[command(subcommand)]
    Aggregate(commands::aggregate::AggregateCommand),
    /// Drive concurrent commands against the event log and record every acknowledgement:
    /// a load and fault-injection workload for testing a deployment.
    Stress(commands::stress::StressArgs),
    /// Print the effective configuration (secrets redacted).
    Config,
}

/// The log filter: `CODEFLIX_LOG` (tracing's `EnvFilter` syntax) if set and not empty, else
/// `info`. The embedded broker (tansu) traces every frame it decodes at `info`, tens of
/// megabytes a minute, so it stays at `warn` unless the filter names it
/// (`CODEFLIX_LOG=info,tansu=debug`).
fn log_filter(configured: Option<&str>) -> tracing_subscriber::EnvFilter {
    let directives = configured
        .filter(|d| !d.trim().is_empty())
        .unwrap_or("info,librdkafka=warn,rdkafka=warn");
    let mut filter = tracing_subscriber::EnvFilter::builder().parse_lossy(directives);
    if !directives.contains("tansu")
        && let Ok(quiet) = "tansu=warn".parse()
    {
        filter = filter.add_directive(quiet);
    }
    filter
}

fn init_logging(format: LogFormat) {
    let filter = log_filter(std::env::var("CODEFLIX_LOG").ok().as_deref());
    // Colours only for a person at a terminal: log files and collectors get plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let result = async {
        let mut settings = Settings::load(cli.config.as_deref())?;
        if let Some(dir) = cli.data_dir {
            settings.data_dir = dir;
        }
        match cli.command {
            Command::Up(args) => commands::up::run(&settings, args).await,
            Command::CommandApi => commands::command_api::run(&settings).await,
            Command::Projectors(args) => commands::views::projectors(&settings, args).await,
            Command::QueryApi => commands::views::query_api(&settings).await,
            Command::Gateway => commands::gateway::run(&settings).await,
            Command::Views(command) => commands::views::views(&settings, command).await,
            Command::Dlq(command) => commands::views::dlq(&settings, command).await,
            Command::Token(args) => commands::token::run(&settings, args),
            Command::Signin(args) => commands::signin::run(&settings, args).await,
            Command::Users(command) => commands::users::run(&settings, command).await,
            Command::Encode(args) => commands::encode::run(args).await,
            Command::Encoder => commands::encode::encoder(&settings).await,
            Command::Scheduler => commands::scheduler::run(&settings).await,
            Command::Notifier => commands::notifier::run(&settings).await,
            Command::Connect(args) => commands::connect::run(&settings, args).await,
            Command::Broker => commands::broker::run(&settings).await,
            Command::Registry => commands::registry::run(&settings).await,
            Command::Events(command) => commands::events::run(&settings, command).await,
            Command::Aggregate(command) => commands::aggregate::run(&settings, command).await,
            Command::Stress(args) => commands::stress::run(&settings, args).await,
            Command::Config => commands::config::run(&settings),
        }
    }
    .await;
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
