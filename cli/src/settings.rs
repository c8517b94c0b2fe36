//! Configuration: defaults that run everything embedded, overridden by a TOML file and then by
//! `CODEFLIX__SECTION__KEY` environment variables (e.g. `CODEFLIX__KAFKA__BOOTSTRAP_SERVERS`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use codeflix_eventlog::EventLogConfig;
use codeflix_eventlog::topics::TopicSettings;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything the `codeflix` command can be configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Settings {
    /// Where embedded engines and the command store keep their files.
    pub(crate) data_dir: PathBuf,
    pub(crate) kafka: KafkaSettings,
    pub(crate) schema_registry: RegistrySettings,
    pub(crate) event_log: EventLogSettings,
    pub(crate) command_api: CommandApiSettings,
    pub(crate) auth: AuthSettings,
    pub(crate) media: MediaSettings,
    pub(crate) views: ViewsSettings,
    pub(crate) projectors: ProjectorsSettings,
    pub(crate) query_api: QueryApiSettings,
    pub(crate) encoder: EncoderSettings,
    pub(crate) payments: PaymentsSettings,
    pub(crate) playback: PlaybackSettings,
    pub(crate) scheduler: SchedulerSettings,
    pub(crate) connect: ConnectSettings,
    pub(crate) notifier: NotifierSettings,
    pub(crate) gateway: GatewaySettings,
}

/// The gateway (`codeflix gateway`, and part of `codeflix up`): the web apps and the two APIs
/// on one origin (`/`, `/admin/`, `/api/command`, `/api/query`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct GatewaySettings {
    pub(crate) listen: SocketAddr,
    /// The command API as the gateway reaches it (default `http://{command_api.listen}`).
    pub(crate) command_api: Option<String>,
    /// The query API as the gateway reaches it (default `http://{query_api.listen}`).
    pub(crate) query_api: Option<String>,
    /// The public OpenID Connect client the apps sign in as.
    pub(crate) client_id: String,
    /// The apps' accent, focus colour, font and radius (CSS values), e.g.
    /// `CODEFLIX__GATEWAY__THEME__ACCENT=#0a84ff`.
    pub(crate) theme: BTreeMap<String, String>,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        GatewaySettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            command_api: None,
            query_api: None,
            client_id: "codeflix-web".to_owned(),
            theme: BTreeMap::new(),
        }
    }
}

/// The notifier (`codeflix notifier`): which facts send which messages, how email leaves, and
/// where its mirror of contacts and titles is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct NotifierSettings {
    /// Where `codeflix notifier` serves `/healthz`, `/readyz` and `/metrics`.
    pub(crate) listen: SocketAddr,
    /// Where email goes: `smtp://[user:password@]host[:port][?tls=required]` (STARTTLS),
    /// `smtps://host:465` (TLS), or `file:DIR` (an outbox of `.eml` files, relative to the data
    /// directory).
    pub(crate) email: String,
    /// The sender, e.g. `Codeflix <no-reply@example.com>`.
    pub(crate) from: String,
    /// The SMS provider's webhook (`http(s)://…`), which takes `{"to", "text", "message_id"}`
    /// as JSON; unset, messages on the sms channel fail for good with the reason.
    pub(crate) sms: Option<String>,
    /// How long the SMTP server may take to answer.
    #[serde(with = "humantime_serde")]
    pub(crate) timeout: Duration,
    /// Another rules file than the built-in `notifications/rules.toml`.
    pub(crate) rules: Option<PathBuf>,
    /// Another templates directory than the built-in `notifications/templates` (wording
    /// changed without a rebuild).
    pub(crate) templates: Option<PathBuf>,
    /// The notifications side's mirror that Kafka Connect writes (contacts, titles), as the
    /// connectors' `CODEFLIX_NOTIFICATIONS_JDBC_URL`; `jdbc:sqlite:` paths relative to the data
    /// directory.
    pub(crate) mirror: String,
    /// The base of links in messages to admins; unset, the query API's `/admin`.
    pub(crate) console_url: Option<String>,
    /// The link in messages to customers to manage their subscription; unset, the query API's
    /// `/me/subscription`.
    pub(crate) account_url: Option<String>,
    /// Facts older than this when the notifier reads them are not announced (a notifier
    /// deployed on an existing log), e.g. `24h`.
    #[serde(with = "humantime_serde")]
    pub(crate) max_fact_age: Duration,
    /// Signs the unsubscribe links in emails; the command API, which honours them, must have
    /// the same (at least 16 characters). Unset, one is generated in
    /// `<data_dir>/notifications/unsubscribe.secret` (fine when both roles share the data
    /// directory, as under `codeflix up`).
    pub(crate) unsubscribe_secret: Option<String>,
    /// The base of unsubscribe links (RFC 8058 one-click too); unset, the command API's
    /// `/unsubscribe`.
    pub(crate) unsubscribe_url: Option<String>,
}

impl Default for NotifierSettings {
    fn default() -> Self {
        NotifierSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8087)),
            email: "file:notifications/outbox".to_owned(),
            from: "Codeflix <no-reply@codeflix.localhost>".to_owned(),
            sms: None,
            timeout: Duration::from_secs(30),
            rules: None,
            templates: None,
            mirror: "jdbc:sqlite:notifications/mirror.db".to_owned(),
            console_url: None,
            account_url: None,
            max_fact_age: Duration::from_secs(24 * 3600),
            unsubscribe_secret: None,
            unsubscribe_url: None,
        }
    }
}

/// The embedded Kafka Connect runtime (`codeflix connect`): the connector files it runs and
/// where it serves Connect's REST API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ConnectSettings {
    /// Where `codeflix connect` serves Connect's REST API, `/healthz`, `/readyz` and
    /// `/metrics`.
    pub(crate) listen: SocketAddr,
    /// The connector files (Connect's REST create format, one connector per `*.json`),
    /// relative to the working directory; when it is `connectors` and the working directory has
    /// none, the files the binary was built with.
    pub(crate) dir: PathBuf,
    /// How often sinks look for new topics and partitions, e.g. `10s`.
    #[serde(with = "humantime_serde")]
    pub(crate) discovery: Duration,
    /// What the connector files' `${env:NAME}` placeholders resolve to when the environment has
    /// no `NAME` (names match ignoring case), e.g. `[connect.variables]
    /// CODEFLIX_PLAYBACK_JDBC_URL = "jdbc:sqlite:playback.db"`. `CODEFLIX_SCHEMA_REGISTRY_URL`
    /// and `CODEFLIX_CONNECT_REPLICATION_FACTOR` default to the registry's URL and
    /// `kafka.replication_factor`.
    pub(crate) variables: BTreeMap<String, String>,
}

/// Where connector files are looked for unless configured otherwise.
pub(crate) const DEFAULT_CONNECT_DIR: &str = "connectors";

impl Default for ConnectSettings {
    fn default() -> Self {
        ConnectSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8086)),
            dir: PathBuf::from(DEFAULT_CONNECT_DIR),
            discovery: Duration::from_secs(10),
            variables: BTreeMap::new(),
        }
    }
}

/// The playback side (the query API's streaming).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PlaybackSettings {
    /// Its mirror of what subscriptions grant, as the JDBC sink of
    /// connectors/playback-entitlements.json writes it: `jdbc:sqlite:PATH` (relative to the data
    /// directory) or `jdbc:postgresql://HOST/DB?user=…&password=…`. The embedded Connect runtime
    /// writes here too unless CODEFLIX_PLAYBACK_JDBC_URL says otherwise.
    pub(crate) entitlements: String,
}

impl Default for PlaybackSettings {
    fn default() -> Self {
        PlaybackSettings {
            entitlements: "jdbc:sqlite:playback/entitlements.db".to_owned(),
        }
    }
}

/// How customers are charged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PaymentsSettings {
    /// `development`, the only provider built so far: it charges test cards
    /// (`card_4242424242424242`) by rule and moves no money.
    pub(crate) provider: PaymentProviderName,
    /// The development provider's ledger, shared by the processes of one machine; unset means
    /// `payments/development.db` under the data directory.
    pub(crate) ledger: Option<PathBuf>,
    /// The development provider's rules, first match wins (`pattern` = a card number, or
    /// digits then `*`; `outcome` = `approve`, `decline` with `code` and `message`, or
    /// `unavailable`); unset means the test cards of Stripe's documentation.
    pub(crate) rules: Option<Vec<codeflix_payments::CardRule>>,
}

/// Which payment provider charges customers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PaymentProviderName {
    #[default]
    Development,
}

/// The billing scheduler: what time makes due (renewal charges, retries, trial notices,
/// expiries).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SchedulerSettings {
    /// Where `codeflix scheduler` serves `/healthz`, `/readyz` and `/metrics`.
    pub(crate) listen: SocketAddr,
    /// How often it looks for what is due, e.g. `30s`.
    #[serde(with = "humantime_serde")]
    pub(crate) every: Duration,
    /// For demonstrations only: the scheduler's clock runs this far ahead, e.g. `31d`, so that
    /// renewals, trial ends and expiries happen without waiting. Refused unless payments are
    /// the development provider's.
    #[serde(with = "humantime_serde")]
    pub(crate) clock_offset: Duration,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8085)),
            every: Duration::from_secs(30),
            clock_offset: Duration::ZERO,
        }
    }
}

/// The encoder's role: uploads of videos and trailers into adaptive HLS/DASH ladders.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct EncoderSettings {
    /// Where `codeflix encoder` serves `/healthz` and `/metrics`.
    pub(crate) listen: SocketAddr,
    /// Encodings running at once in this process (each runs one ffmpeg over every core).
    pub(crate) concurrency: usize,
    /// Attempts of a job before it fails for good and goes to the dead-letter topic.
    pub(crate) max_attempts: u32,
    /// The pause before attempt n+1 is n times this, e.g. `5s`.
    #[serde(with = "humantime_serde")]
    pub(crate) retry_backoff: Duration,
    /// Progress events are appended at most this often, e.g. `2s`.
    #[serde(with = "humantime_serde")]
    pub(crate) progress_interval: Duration,
    /// Local scratch space for sources and outputs; unset means `encoder/` under the data
    /// directory.
    pub(crate) work_dir: Option<PathBuf>,
    /// The x264 preset.
    pub(crate) preset: String,
    pub(crate) ffmpeg: PathBuf,
    pub(crate) ffprobe: PathBuf,
    /// Join the encoder's consumer group (uploads spread over encoder processes; for real
    /// Kafka) instead of reading every partition (see `projectors.consumer_groups`).
    pub(crate) consumer_groups: bool,
    /// The name recorded in `EncodingStarted`; unset means `<host name>/<process id>`.
    pub(crate) worker_name: Option<String>,
    /// Bounds on uploads: beyond them an upload is refused (media ERROR with the limit named)
    /// before ffmpeg runs, and an ffprobe or ffmpeg that runs too long is killed.
    pub(crate) limits: EncoderLimits,
}

/// `encoder.limits`: what an upload may be and how long its encoding may take.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct EncoderLimits {
    /// Pixels per frame, at most (default 3840×2160 = 8294400).
    pub(crate) max_pixels: u64,
    /// Width or height, at most.
    pub(crate) max_side: u32,
    /// Duration, at most, e.g. `6h`.
    #[serde(with = "humantime_serde")]
    pub(crate) max_duration: Duration,
    /// Frames per second, at most.
    pub(crate) max_frame_rate: f64,
    /// How long ffprobe may take, e.g. `60s`.
    #[serde(with = "humantime_serde")]
    pub(crate) probe_timeout: Duration,
    /// ffmpeg may take this, e.g. `5m`, plus `encode_time_per_second` seconds per second of video.
    #[serde(with = "humantime_serde")]
    pub(crate) encode_timeout_base: Duration,
    pub(crate) encode_time_per_second: f64,
}

impl Default for EncoderLimits {
    fn default() -> Self {
        let limits = codeflix_encoder::InputLimits::default();
        EncoderLimits {
            max_pixels: limits.max_pixels,
            max_side: limits.max_side,
            max_duration: limits.max_duration,
            max_frame_rate: limits.max_frame_rate,
            probe_timeout: limits.probe_timeout,
            encode_timeout_base: limits.encode_timeout_base,
            encode_time_per_second: limits.encode_time_per_second,
        }
    }
}

impl EncoderLimits {
    pub(crate) fn input_limits(&self) -> codeflix_encoder::InputLimits {
        codeflix_encoder::InputLimits {
            max_pixels: self.max_pixels,
            max_side: self.max_side,
            max_duration: self.max_duration,
            max_frame_rate: self.max_frame_rate,
            probe_timeout: self.probe_timeout,
            encode_timeout_base: self.encode_timeout_base,
            encode_time_per_second: self.encode_time_per_second,
        }
    }
}

impl Default for EncoderSettings {
    fn default() -> Self {
        let encoder = codeflix_encoder::EncoderConfig::default();
        EncoderSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8084)),
            concurrency: 1,
            max_attempts: 3,
            retry_backoff: Duration::from_secs(5),
            progress_interval: Duration::from_secs(2),
            work_dir: None,
            preset: encoder.preset,
            ffmpeg: encoder.ffmpeg,
            ffprobe: encoder.ffprobe,
            consumer_groups: false,
            worker_name: None,
            limits: EncoderLimits::default(),
        }
    }
}

/// The read models projectors build and the query API reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ViewsSettings {
    /// Where the embedded catalog store (SQLite) and search index (tantivy) live; unset means
    /// `views/` under the data directory.
    pub(crate) dir: Option<PathBuf>,
    /// Keep the catalog views in ScyllaDB instead of SQLite:
    /// `scylla://[user:password@]host[:port][,host…]/keyspace[?replication_factor=N]`
    /// (keyspace `codeflix_catalog` if none is named; created with its tables if missing).
    pub(crate) scylla_url: Option<String>,
    /// Keep the search index in Elasticsearch instead of tantivy:
    /// `http(s)://[user:password@]host[:port][/alias]` (alias `codeflix-videos` if none is
    /// named; created with its first index if missing).
    pub(crate) elasticsearch_url: Option<String>,
}

/// The projectors' role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ProjectorsSettings {
    /// Where `codeflix projectors` serves `/healthz` and `/metrics`.
    pub(crate) listen: SocketAddr,
    /// Events applied in one store commit, at most.
    pub(crate) batch: usize,
    /// Join each projection's consumer group (partitions spread over projector processes; for
    /// real Kafka) instead of reading every partition (the default: the embedded broker never
    /// evicts a crashed group member, so a restarted projector would wait forever).
    pub(crate) consumer_groups: bool,
    /// Publish the state feeds (`codeflix.<aggregate>.state` topics: videos, published videos,
    /// subscriptions, accounts) that Kafka Connect mirrors into other contexts' stores.
    pub(crate) state_feeds: bool,
}

impl Default for ProjectorsSettings {
    fn default() -> Self {
        ProjectorsSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8083)),
            batch: 1000,
            consumer_groups: false,
            state_feeds: true,
        }
    }
}

/// The viewers' HTTP API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct QueryApiSettings {
    pub(crate) listen: SocketAddr,
    /// How long a read carrying a consistency token waits for the projections, e.g. `10s`.
    #[serde(with = "humantime_serde")]
    pub(crate) consistency_wait: Duration,
}

impl Default for QueryApiSettings {
    fn default() -> Self {
        QueryApiSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8082)),
            consistency_wait: Duration::from_secs(10),
        }
    }
}

/// Where uploaded and encoded media are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct MediaSettings {
    /// An object store URL: `s3://bucket/prefix`, `gs://bucket/prefix`, `az://container/prefix`
    /// or `file:///dir` (credentials from the usual `AWS_*`, `GOOGLE_*`, `AZURE_*` variables);
    /// unset means `media/` under the data directory.
    pub(crate) storage_url: Option<String>,
    /// How long an unfinished resumable upload is kept after its last byte, e.g. `24h`.
    #[serde(with = "humantime_serde")]
    pub(crate) upload_expiry: Duration,
}

impl Default for MediaSettings {
    fn default() -> Self {
        MediaSettings {
            storage_url: None,
            upload_expiry: Duration::from_secs(24 * 3600),
        }
    }
}

/// The admins' HTTP API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct CommandApiSettings {
    pub(crate) listen: SocketAddr,
    /// The URL clients reach it by (default `http://{listen}`); the development issuer's tokens
    /// name it.
    pub(crate) public_url: Option<String>,
}

impl Default for CommandApiSettings {
    fn default() -> Self {
        CommandApiSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
        }
    }
}

/// Who may call the HTTP APIs: an OpenID Connect issuer (Keycloak-compatible).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AuthSettings {
    /// The issuer tokens must carry, e.g. `https://sso.example.com/realms/codeflix`; unset means
    /// the development issuer served by the command API (`codeflix token` mints its tokens).
    pub(crate) issuer: Option<String>,
    /// When set, tokens must name it in `aud`; unset, they must be issued to `client_id` (`azp`)
    /// or name it in `aud`.
    pub(crate) audience: Option<String>,
    /// The client whose roles count besides realm roles (`resource_access.<client_id>.roles`),
    /// and whom tokens must be meant for when no `audience` is set.
    pub(crate) client_id: String,
    /// The JWKS URL; unset means the issuer's discovery document says.
    pub(crate) jwks_url: Option<String>,
    /// Serve the development issuer although the command API listens beyond loopback (refused
    /// otherwise: anyone who reads its key mints any role). For trying compose/ only.
    pub(crate) dev_issuer_off_loopback: bool,
    /// With a real issuer (Keycloak): its realm URL as the command API reaches it, for the admin
    /// API that changes accounts' roles, e.g. `http://keycloak:8080/realms/codeflix`; unset
    /// means `issuer`.
    pub(crate) admin_realm_url: Option<String>,
    /// With a real issuer: the secret of `client_id`, whose service account may manage users
    /// (Keycloak: realm-management's manage-users and view-realm). Unset, roles cannot be
    /// changed through Codeflix.
    pub(crate) admin_client_secret: Option<String>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            issuer: None,
            audience: None,
            client_id: codeflix_auth::DEFAULT_CLIENT_ID.into(),
            jwks_url: None,
            dev_issuer_off_loopback: false,
            admin_realm_url: None,
            admin_client_secret: None,
        }
    }
}

/// How appends are confirmed and published.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct EventLogSettings {
    /// How long a command waits for its events to be confirmed in Kafka, e.g. `30s`.
    #[serde(with = "humantime_serde")]
    pub(crate) ack_timeout: Duration,
    /// How long the publishing relay's lease lasts; another process takes over after it.
    #[serde(with = "humantime_serde")]
    pub(crate) relay_lease_ttl: Duration,
    /// How long a relay waits after a producer failure before recovering (also the producer's
    /// request timeout).
    #[serde(with = "humantime_serde")]
    pub(crate) relay_quarantine: Duration,
    /// The command store on ScyllaDB, for command-side processes on several hosts:
    /// `scylla://[user:password@]host[:port][,host…]/keyspace[?replication_factor=N]`
    /// (keyspace `codeflix_commands` when none); unset means the embedded SQLite file
    /// `command-store.db` in the data directory, shared by the processes of one machine.
    pub(crate) scylla_url: Option<String>,
}

impl Default for EventLogSettings {
    fn default() -> Self {
        let relay = codeflix_eventlog::config::RelaySettings::default();
        EventLogSettings {
            ack_timeout: Duration::from_secs(30),
            relay_lease_ttl: relay.lease_ttl,
            relay_quarantine: relay.quarantine,
            scylla_url: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct KafkaSettings {
    /// Bootstrap servers of a real Kafka cluster; unset means the embedded broker at `listen`.
    pub(crate) bootstrap_servers: Option<String>,
    /// Where the embedded broker listens (IPv4).
    pub(crate) listen: SocketAddr,
    pub(crate) topic_prefix: String,
    pub(crate) partitions: i32,
    pub(crate) replication_factor: i32,
    /// `retention.ms` of event topics; unset means forever (-1 on Kafka; on the embedded broker
    /// the largest value, because tansu 0.6.0 deletes everything at -1).
    pub(crate) retention_ms: Option<i64>,
    /// Extra librdkafka properties for every client, e.g. `security.protocol`, `sasl.username`;
    /// from the environment with underscores for dots
    /// (`CODEFLIX__KAFKA__PROPERTIES__SECURITY_PROTOCOL=SASL_SSL`).
    pub(crate) properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RegistrySettings {
    /// URL of a real schema registry; unset means the embedded registry at `listen`.
    pub(crate) url: Option<String>,
    /// Where the embedded registry listens.
    pub(crate) listen: SocketAddr,
    /// The embedded registry's default compatibility level.
    pub(crate) compatibility: String,
    /// The token that changes to the embedded registry need (reads stay open). The roles that
    /// write events present it; unset, `codeflix up` makes one for each run.
    pub(crate) token: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data"),
            kafka: KafkaSettings::default(),
            schema_registry: RegistrySettings::default(),
            event_log: EventLogSettings::default(),
            command_api: CommandApiSettings::default(),
            auth: AuthSettings::default(),
            media: MediaSettings::default(),
            views: ViewsSettings::default(),
            projectors: ProjectorsSettings::default(),
            query_api: QueryApiSettings::default(),
            encoder: EncoderSettings::default(),
            payments: PaymentsSettings::default(),
            playback: PlaybackSettings::default(),
            scheduler: SchedulerSettings::default(),
            connect: ConnectSettings::default(),
            notifier: NotifierSettings::default(),
            gateway: GatewaySettings::default(),
        }
    }
}

impl Default for KafkaSettings {
    fn default() -> Self {
        KafkaSettings {
            bootstrap_servers: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 9092)),
            topic_prefix: "codeflix".into(),
            partitions: 3,
            replication_factor: 1,
            retention_ms: None,
            properties: BTreeMap::new(),
        }
    }
}

impl Default for RegistrySettings {
    fn default() -> Self {
        RegistrySettings {
            url: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            compatibility: "BACKWARD_TRANSITIVE".into(),
            token: None,
        }
    }
}

impl Settings {
    /// Defaults, then `file` (or `codeflix.toml` in the working directory, if present), then the
    /// environment.
    pub(crate) fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(file) => {
                anyhow::ensure!(
                    file.exists(),
                    "the configuration file {} does not exist",
                    file.display()
                );
                figment = figment.merge(Toml::file(file));
            }
            None => figment = figment.merge(Toml::file("codeflix.toml")),
        }
        let mut settings: Settings = figment
            .merge(Env::prefixed("CODEFLIX__").split("__"))
            .extract()?;
        // Environment variables cannot hold dots: `CODEFLIX__KAFKA__PROPERTIES__SASL_USERNAME`
        // names `sasl.username` (librdkafka's property names are dotted, never underscored).
        // Likewise `CODEFLIX__GATEWAY__THEME__ACCENT_TEXT` names the theme's `accent-text`.
        settings.gateway.theme = std::mem::take(&mut settings.gateway.theme)
            .into_iter()
            .map(|(name, value)| (name.replace('_', "-"), value))
            .collect();
        settings.kafka.properties = std::mem::take(&mut settings.kafka.properties)
            .into_iter()
            .map(|(name, value)| (name.replace('_', "."), value))
            .collect();
        Ok(settings)
    }

    pub(crate) fn bootstrap_servers(&self) -> String {
        self.kafka
            .bootstrap_servers
            .clone()
            .unwrap_or_else(|| self.kafka.listen.to_string())
    }

    /// The registry's URL; for the embedded registry with a token, the token is the password
    /// of its userinfo (clients send it as Basic authentication).
    pub(crate) fn registry_url(&self) -> String {
        if let Some(url) = &self.schema_registry.url {
            return url.clone();
        }
        let listen = self.schema_registry.listen;
        match &self.schema_registry.token {
            Some(token) => format!("http://codeflix:{}@{listen}", percent_encoded(token)),
            None => format!("http://{listen}"),
        }
    }

    /// The command API's base URL.
    pub(crate) fn command_api_url(&self) -> String {
        self.command_api
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.command_api.listen))
            .trim_end_matches('/')
            .to_owned()
    }

    /// What signs (notifier) and checks (command API) unsubscribe links: the configured secret,
    /// or one generated once in the data directory.
    pub(crate) fn unsubscribe_key(
        &self,
    ) -> anyhow::Result<codeflix_domain::accounts::UnsubscribeKey> {
        let secret = match &self.notifier.unsubscribe_secret {
            Some(secret) => secret.clone(),
            None => {
                let file = self.data_dir.join("notifications/unsubscribe.secret");
                read_or_generate_secret(&file).map_err(|e| {
                    anyhow::anyhow!("notifier.unsubscribe_secret: {}: {e}", file.display())
                })?
            }
        };
        codeflix_domain::accounts::UnsubscribeKey::new(secret.trim().as_bytes()).ok_or_else(|| {
            anyhow::anyhow!("notifier.unsubscribe_secret must be at least 16 characters")
        })
    }

    /// Where the unsubscribe links in emails point.
    pub(crate) fn unsubscribe_url(&self) -> String {
        self.notifier
            .unsubscribe_url
            .clone()
            .unwrap_or_else(|| format!("{}/unsubscribe", self.command_api_url()))
    }

    /// Where the embedded read models live.
    pub(crate) fn views_dir(&self) -> PathBuf {
        self.views
            .dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("views"))
    }

    /// Where the read models live.
    pub(crate) fn views_config(&self) -> codeflix_readmodel::ViewsConfig {
        codeflix_readmodel::ViewsConfig {
            dir: self.views_dir(),
            scylla_url: self.views.scylla_url.clone(),
            elasticsearch_url: self.views.elasticsearch_url.clone(),
        }
    }

    /// The query API's base URL.
    pub(crate) fn query_api_url(&self) -> String {
        format!("http://{}", self.query_api.listen)
    }

    /// The gateway's base URL, as people open it.
    pub(crate) fn gateway_url(&self) -> String {
        format!("http://{}", self.gateway.listen)
    }

    /// The issuer tokens are checked against: the configured one, or the development issuer.
    pub(crate) fn issuer_url(&self) -> String {
        self.auth
            .issuer
            .clone()
            .unwrap_or_else(|| self.dev_issuer_url())
    }

    /// Where the development issuer lives, Keycloak style.
    pub(crate) fn dev_issuer_url(&self) -> String {
        format!("{}/realms/codeflix", self.command_api_url())
    }

    /// The development issuer's signing key.
    pub(crate) fn dev_issuer_key(&self) -> PathBuf {
        self.data_dir.join("dev-issuer").join("signing-key.pem")
    }

    /// The payment provider as configured.
    pub(crate) async fn payments(
        &self,
    ) -> anyhow::Result<std::sync::Arc<dyn codeflix_payments::PaymentProvider>> {
        let p = &self.payments;
        match p.provider {
            PaymentProviderName::Development => {
                let ledger = p
                    .ledger
                    .clone()
                    .unwrap_or_else(|| self.data_dir.join("payments").join("development.db"));
                let rules = p
                    .rules
                    .clone()
                    .unwrap_or_else(codeflix_payments::DevelopmentPayments::default_rules);
                let provider = codeflix_payments::DevelopmentPayments::open(&ledger, rules)
                    .await
                    .map_err(|e| {
                        anyhow::Error::new(e)
                            .context(format!("opening the payment ledger {}", ledger.display()))
                    })?;
                Ok(std::sync::Arc::new(provider))
            }
        }
    }

    /// The media store: the configured URL, or a directory under the data directory.
    pub(crate) fn media_store(&self) -> anyhow::Result<codeflix_storage::MediaStore> {
        match &self.media.storage_url {
            Some(url) => codeflix_storage::MediaStore::from_url(url),
            None => codeflix_storage::MediaStore::local(&self.data_dir.join("media")),
        }
        .map_err(anyhow::Error::msg)
    }

    /// The encoder worker's settings.
    pub(crate) fn encoder_worker(&self) -> codeflix_encoder::worker::WorkerSettings {
        let e = &self.encoder;
        let mut worker = codeflix_encoder::worker::WorkerSettings::new(
            e.work_dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("encoder")),
        );
        worker.encoder.preset = e.preset.clone();
        worker.encoder.ffmpeg = e.ffmpeg.clone();
        worker.encoder.ffprobe = e.ffprobe.clone();
        worker.encoder.limits = e.limits.input_limits();
        worker.concurrency = e.concurrency.max(1);
        worker.max_attempts = e.max_attempts.max(1);
        worker.retry_backoff = e.retry_backoff;
        worker.progress_interval = e.progress_interval;
        if let Some(name) = &e.worker_name {
            worker.name = name.clone();
        }
        worker.membership = if e.consumer_groups {
            codeflix_consumer::Membership::ConsumerGroup
        } else {
            codeflix_consumer::Membership::AllPartitions
        };
        worker
    }

    pub(crate) fn verifier(&self) -> codeflix_auth::VerifierConfig {
        let mut config = codeflix_auth::VerifierConfig::new(&self.issuer_url());
        config.audience = self.auth.audience.clone();
        config.client_id = self.auth.client_id.clone();
        config.jwks_url = self.auth.jwks_url.clone();
        config
    }

    pub(crate) fn event_log(&self) -> EventLogConfig {
        let mut config = EventLogConfig::new(
            &self.bootstrap_servers(),
            &self.registry_url(),
            self.data_dir.join("command-store.db"),
        );
        let forever = if self.kafka.bootstrap_servers.is_some() {
            codeflix_eventlog::topics::RETENTION_FOREVER
        } else {
            codeflix_eventlog::broker::EMBEDDED_RETENTION_MS
        };
        config.topics = TopicSettings {
            prefix: self.kafka.topic_prefix.clone(),
            partitions: self.kafka.partitions,
            replication_factor: self.kafka.replication_factor,
            retention_ms: self.kafka.retention_ms.unwrap_or(forever),
        };
        config.kafka = self.kafka.properties.clone();
        config.ack_timeout = self.event_log.ack_timeout;
        config.relay.lease_ttl = self.event_log.relay_lease_ttl;
        config.relay.quarantine = self.event_log.relay_quarantine;
        config.command_store_url = self.event_log.scylla_url.clone();
        config
    }
}

/// `text` with every byte outside RFC 3986's unreserved set percent-encoded.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The secret in `file`, generating a random one first when there is none. Written to a
/// temporary file and renamed, so that two roles starting at once agree on one.
fn read_or_generate_secret(file: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(file) {
        Ok(secret) if !secret.trim().is_empty() => return Ok(secret.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Two v4 UUIDs: 244 random bits from the operating system.
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let temporary = file.with_extension(format!("tmp{}", std::process::id()));
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(&temporary)?;
        out.write_all(secret.as_bytes())?;
        out.sync_all()?;
    }
    // The first to link wins; a later one reads what it wrote.
    match std::fs::hard_link(&temporary, file) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(e);
        }
    }
    let _ = std::fs::remove_file(&temporary);
    Ok(std::fs::read_to_string(file)?.trim().to_owned())
}
