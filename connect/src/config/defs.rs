//! The documented configuration keys of the connector classes, converters, transforms and
//! predicates this repository uses, as Kafka Connect's `ConfigDef`s define them: type, default,
//! importance, group, and the validator that checks a value.
//!
//! Where each list comes from (read at the sources' current versions, December 2026):
//! - common connector keys: Apache Kafka `connect/runtime/.../ConnectorConfig.java`,
//!   `SinkConnectorConfig.java`, `SourceConnectorConfig.java` (4.1);
//! - `io.confluent.connect.jdbc.JdbcSinkConnector`: confluentinc/kafka-connect-jdbc
//!   `sink/JdbcSinkConfig.java` (10.8; `fields.whitelist` still has no newer name there) and
//!   docs.confluent.io "JDBC Sink Connector Configuration Properties";
//! - `io.confluent.connect.elasticsearch.ElasticsearchSinkConnector`:
//!   confluentinc/kafka-connect-elasticsearch `ElasticsearchSinkConnectorConfig.java` (15.x);
//! - `org.apache.kafka.connect.mirror.Mirror{Source,Checkpoint,Heartbeat}Connector`: Apache
//!   Kafka `connect/mirror/.../MirrorConnectorConfig.java`, `MirrorSourceConfig.java`,
//!   `MirrorCheckpointConfig.java`, `MirrorHeartbeatConfig.java`, `DefaultTopicFilter.java`
//!   (4.1) and the "Geo-Replication" chapter of the Kafka documentation;
//! - converters: Apache Kafka `JsonConverterConfig.java`, `StringConverterConfig.java`,
//!   Confluent `AbstractKafkaSchemaSerDeConfig.java` / `AvroConverterConfig.java` (7.7);
//! - transforms and predicates: Apache Kafka `connect/transforms/...` (4.1).

/// `ConfigDef.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Boolean => "BOOLEAN",
            Kind::String => "STRING",
            Kind::Int => "INT",
            Kind::Short => "SHORT",
            Kind::Long => "LONG",
            Kind::Double => "DOUBLE",
            Kind::List => "LIST",
            Kind::Class => "CLASS",
            Kind::Password => "PASSWORD",
        }
    }
}

/// `ConfigDef.Importance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    High,
    Medium,
    Low,
}

impl Importance {
    pub fn name(self) -> &'static str {
        match self {
            Importance::High => "HIGH",
            Importance::Medium => "MEDIUM",
            Importance::Low => "LOW",
        }
    }
}

/// A key's validator (`ConfigDef.Validator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Any,
    /// One of these, ignoring case (Connect's enum validators accept either case).
    OneOf(&'static [&'static str]),
    AtLeast(i64),
    Between(i64, i64),
    NonEmpty,
    /// A regular expression (matched whole).
    Pattern,
    /// A comma-separated list of regular expressions.
    PatternList,
    /// `a:b,c:d` pairs.
    Renames,
    /// A list whose aliases are unique.
    Aliases,
    /// A non-empty list.
    NonEmptyList,
}

/// One configuration key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Def {
    pub name: String,
    pub kind: Kind,
    /// `None`: no default (required) unless `optional`.
    pub default: Option<&'static str>,
    /// A key without a default that may still be left out (Connect's `null` default).
    pub optional: bool,
    pub importance: Importance,
    pub group: String,
    pub doc: &'static str,
    pub check: Check,
}

impl Def {
    pub fn required(&self) -> bool {
        self.default.is_none() && !self.optional
    }
}

/// A key with a default.
pub fn key(
    name: &str,
    kind: Kind,
    default: &'static str,
    importance: Importance,
    group: &str,
    doc: &'static str,
) -> Def {
    Def {
        name: name.to_owned(),
        kind,
        default: Some(default),
        optional: false,
        importance,
        group: group.to_owned(),
        doc,
        check: Check::Any,
    }
}

/// A key that may be left out and has no default (`null`).
pub fn nullable(
    name: &str,
    kind: Kind,
    importance: Importance,
    group: &str,
    doc: &'static str,
) -> Def {
    Def {
        default: None,
        optional: true,
        ..key(name, kind, "", importance, group, doc)
    }
}

/// A key that must be set.
pub fn required(
    name: &str,
    kind: Kind,
    importance: Importance,
    group: &str,
    doc: &'static str,
) -> Def {
    Def {
        default: None,
        optional: false,
        ..key(name, kind, "", importance, group, doc)
    }
}

impl Def {
    pub fn check(mut self, check: Check) -> Def {
        self.check = check;
        self
    }
}

use Importance::{High, Low, Medium};
use Kind::{Boolean, Class, Int, List, Long, Password, Short, String as Str};

/// Whether a connector reads topics into a system or copies data into topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorType {
    Sink,
    Source,
}

impl ConnectorType {
    pub fn name(self) -> &'static str {
        match self {
            ConnectorType::Sink => "sink",
            ConnectorType::Source => "source",
        }
    }
}

pub const JDBC_SINK: &str = "io.confluent.connect.jdbc.JdbcSinkConnector";
pub const ELASTICSEARCH_SINK: &str =
    "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector";
pub const MIRROR_SOURCE: &str = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
pub const MIRROR_CHECKPOINT: &str = "org.apache.kafka.connect.mirror.MirrorCheckpointConnector";
pub const MIRROR_HEARTBEAT: &str = "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector";

pub const STRING_CONVERTER: &str = "org.apache.kafka.connect.storage.StringConverter";
pub const BYTE_ARRAY_CONVERTER: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";
pub const JSON_CONVERTER: &str = "org.apache.kafka.connect.json.JsonConverter";
pub const AVRO_CONVERTER: &str = "io.confluent.connect.avro.AvroConverter";
pub const SIMPLE_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// A connector class this repository uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassInfo {
    pub class: &'static str,
    pub kind: ConnectorType,
    /// Whether the embedded runtime runs it (the others run only on a real Connect cluster).
    pub embedded: bool,
    /// The plugin version shown by `GET /connector-plugins` (the version whose keys are listed).
    pub version: &'static str,
}

pub const CLASSES: [ClassInfo; 5] = [
    ClassInfo {
        class: JDBC_SINK,
        kind: ConnectorType::Sink,
        embedded: true,
        version: "10.8.0",
    },
    ClassInfo {
        class: MIRROR_SOURCE,
        kind: ConnectorType::Source,
        embedded: true,
        version: "4.1.0",
    },
    ClassInfo {
        class: ELASTICSEARCH_SINK,
        kind: ConnectorType::Sink,
        embedded: false,
        version: "15.0.0",
    },
    ClassInfo {
        class: MIRROR_CHECKPOINT,
        kind: ConnectorType::Source,
        embedded: false,
        version: "4.1.0",
    },
    ClassInfo {
        class: MIRROR_HEARTBEAT,
        kind: ConnectorType::Source,
        embedded: false,
        version: "4.1.0",
    },
];

/// The class `name` names: its full name, or its simple name (Connect's plugin aliases).
pub fn class_info(name: &str) -> Option<ClassInfo> {
    CLASSES
        .into_iter()
        .find(|c| c.class == name || c.class.rsplit('.').next() == Some(name))
}

/// The keys every connector has (`ConnectorConfig`), and a sink's or a source's own.
pub fn common(kind: ConnectorType) -> Vec<Def> {
    let mut defs = vec![
        required("name", Str, High, "Common", "Globally unique name to use for this connector.")
            .check(Check::NonEmpty),
        required("connector.class", Str, High, "Common", "Name or alias of the class for this connector."),
        key("tasks.max", Int, "1", High, "Common", "Maximum number of tasks to use for this connector.")
            .check(Check::AtLeast(1)),
        key("tasks.max.enforce", Boolean, "true", Low, "Common", "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector."),
        nullable("key.converter", Class, Low, "Common", "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (keys); inherited from the worker when unset."),
        nullable("value.converter", Class, Low, "Common", "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (values); inherited from the worker when unset."),
        nullable("header.converter", Class, Low, "Common", "HeaderConverter class; inherited from the worker when unset."),
        key("config.action.reload", Str, "restart", Low, "Common", "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties.")
            .check(Check::OneOf(&["none", "restart"])),
        key("transforms", List, "", Low, "Transforms", "Aliases for the transformations to be applied to records.")
            .check(Check::Aliases),
        key("predicates", List, "", Low, "Predicates", "Aliases for the predicates used by transformations.")
            .check(Check::Aliases),
        key("errors.retry.timeout", Long, "0", Medium, "Error Handling", "The maximum duration in milliseconds that a failed operation will be reattempted."),
        key("errors.retry.delay.max.ms", Long, "60000", Medium, "Error Handling", "The maximum duration in milliseconds between consecutive retry attempts."),
        key("errors.tolerance", Str, "none", Medium, "Error Handling", "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.")
            .check(Check::OneOf(&["none", "all"])),
        key("errors.log.enable", Boolean, "false", Medium, "Error Handling", "If true, write each error and the details of the failed operation and problematic record to the Connect application log."),
        key("errors.log.include.messages", Boolean, "false", Medium, "Error Handling", "Whether to include in the log the Connect record that resulted in a failure."),
    ];
    match kind {
        ConnectorType::Sink => defs.extend([
            key("topics", List, "", High, "Common", "List of topics to consume, separated by commas"),
            key("topics.regex", Str, "", High, "Common", "Regular expression giving topics to consume. Only one of topics or topics.regex should be specified.")
                .check(Check::Pattern),
            key("errors.deadletterqueue.topic.name", Str, "", Medium, "Error Handling", "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ."),
            key("errors.deadletterqueue.topic.replication.factor", Short, "3", Medium, "Error Handling", "Replication factor used to create the dead letter queue topic when it doesn't already exist."),
            key("errors.deadletterqueue.context.headers.enable", Boolean, "false", Medium, "Error Handling", "If true, add headers containing error context to the messages written to the dead letter queue."),
        ]),
        ConnectorType::Source => defs.extend([
            key("topic.creation.groups", List, "", Low, "Topic Creation", "Groups of configurations for topics created by source connectors"),
            key("exactly.once.support", Str, "requested", Medium, "Exactly Once Support", "Permitted values are requested, required.")
                .check(Check::OneOf(&["requested", "required"])),
            key("transaction.boundary", Str, "poll", Medium, "Exactly Once Support", "Permitted values are poll, interval, connector.")
                .check(Check::OneOf(&["poll", "interval", "connector"])),
            nullable("transaction.boundary.interval.ms", Long, Low, "Exactly Once Support", "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits by connector tasks."),
            nullable("offsets.storage.topic", Str, Low, "offsets.storage", "The name of a separate offsets topic to use for this connector."),
        ]),
    }
    defs
}

/// Prefixes every connector may use: per-connector client overrides, and for sources the
/// topic-creation groups.
pub fn common_prefixes(kind: ConnectorType) -> Vec<&'static str> {
    let mut prefixes = vec![
        "producer.override.",
        "consumer.override.",
        "admin.override.",
    ];
    if kind == ConnectorType::Source {
        prefixes.push("topic.creation.");
    }
    prefixes
}

/// The connector's own keys and the prefixes it passes on (driver parameters, client settings).
pub fn class_keys(class: &str) -> (Vec<Def>, Vec<&'static str>) {
    match class {
        JDBC_SINK => (jdbc_sink(), vec!["connection."]),
        ELASTICSEARCH_SINK => (elasticsearch_sink(), vec!["elastic.https."]),
        MIRROR_SOURCE => ([mirror_base(), mirror_source()].concat(), mirror_prefixes()),
        MIRROR_CHECKPOINT => (
            [mirror_base(), mirror_checkpoint()].concat(),
            mirror_prefixes(),
        ),
        MIRROR_HEARTBEAT => (
            [mirror_base(), mirror_heartbeat()].concat(),
            mirror_prefixes(),
        ),
        _ => (Vec::new(), Vec::new()),
    }
}

fn jdbc_sink() -> Vec<Def> {
    vec![
        required("connection.url", Str, High, "Connection", "JDBC connection URL. The embedded runtime writes SQLite: jdbc:sqlite:<path>, relative paths under its data directory."),
        nullable("connection.user", Str, High, "Connection", "JDBC connection user."),
        nullable("connection.password", Password, High, "Connection", "JDBC connection password."),
        key("jdbc.credentials.provider.class", Class, "io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider", Low, "Connection", "Credentials provider or provider chain to use for authentication to database."),
        key("dialect.name", Str, "", Low, "Connection", "The name of the database dialect that should be used for this connector."),
        key("connection.attempts", Int, "3", Low, "Connection", "The maximum number of attempts to get a valid JDBC connection.")
            .check(Check::AtLeast(1)),
        key("connection.backoff.ms", Long, "10000", Low, "Connection", "The backoff time in milliseconds between connection attempts."),
        key("insert.mode", Str, "insert", High, "Writes", "The insertion mode to use: insert, upsert or update.")
            .check(Check::OneOf(&["insert", "upsert", "update"])),
        key("batch.size", Int, "3000", Medium, "Writes", "Specifies how many records to attempt to batch together for insertion into the destination table, when possible.")
            .check(Check::AtLeast(0)),
        key("delete.enabled", Boolean, "false", Medium, "Writes", "Whether to treat null record values as deletes. Requires pk.mode to be record_key."),
        key("table.types", List, "TABLE", Low, "Writes", "The comma-separated types of database tables to which the sink connector can write."),
        key("replace.null.with.default", Boolean, "true", Low, "Writes", "Whether to replace null value with default value"),
        key("table.name.format", Str, "${topic}", Medium, "Data Mapping", "A format string for the destination table name, which may contain '${topic}' as a placeholder for the originating topic name.")
            .check(Check::NonEmpty),
        key("pk.mode", Str, "none", High, "Data Mapping", "The primary key mode: none, kafka, record_key or record_value.")
            .check(Check::OneOf(&["none", "kafka", "record_key", "record_value"])),
        key("pk.fields", List, "", Medium, "Data Mapping", "List of comma-separated primary key field names; its meaning depends on pk.mode (for a primitive key exactly one name, the key's column)."),
        key("fields.whitelist", List, "", Medium, "Data Mapping", "List of comma-separated record value field names. If empty, all fields from the record value are utilized, otherwise used to filter to the desired fields."),
        key("db.timezone", Str, "UTC", Medium, "Data Mapping", "Name of the JDBC timezone that should be used in the connector when inserting time-based values."),
        key("date.timezone", Str, "DB_TIMEZONE", Low, "Data Mapping", "Name of the JDBC timezone that should be used in the connector when inserting DATE type values.")
            .check(Check::OneOf(&["DB_TIMEZONE", "UTC"])),
        key("auto.create", Boolean, "false", Medium, "DDL Support", "Whether to automatically create the destination table based on record schema if it is found to be missing by issuing CREATE."),
        key("auto.evolve", Boolean, "false", Medium, "DDL Support", "Whether to automatically add columns in the table schema when found to be missing relative to the record schema by issuing ALTER."),
        key("quote.sql.identifiers", Str, "always", Medium, "DDL Support", "When to quote table names, column names, and other identifiers in SQL statements.")
            .check(Check::OneOf(&["always", "never"])),
        key("mssql.use.merge.holdlock", Boolean, "true", Low, "DML Support", "Whether to use HOLDLOCK when performing a MERGE INTO upsert statement (SQL Server only)."),
        key("max.retries", Int, "10", Medium, "Retries", "The maximum number of times to retry on errors before failing the task.")
            .check(Check::AtLeast(0)),
        key("retry.backoff.ms", Int, "3000", Medium, "Retries", "The time in milliseconds to wait following an error before a retry attempt is made.")
            .check(Check::AtLeast(0)),
        key("trim.sensitive.log", Boolean, "false", Low, "Internal", "Whether to trim sensitive data from logged SQL errors."),
    ]
}

fn elasticsearch_sink() -> Vec<Def> {
    let c = "Connector";
    let d = "Data Conversion";
    vec![
        required("connection.url", List, High, c, "The comma-separated list of one or more Elasticsearch URLs."),
        nullable("connection.username", Str, Medium, c, "The username used to authenticate with Elasticsearch."),
        nullable("connection.password", Password, Medium, c, "The password used to authenticate with Elasticsearch."),
        key("external.resource.usage", Str, "DISABLED", High, c, "The type of resource the connector writes to.")
            .check(Check::OneOf(&["INDEX", "DATASTREAM", "ALIAS_INDEX", "ALIAS_DATASTREAM", "DISABLED"])),
        key("topic.to.external.resource.mapping", List, "", High, c, "A list of topic-to-resource mappings in the format 'topic:resource'."),
        key("max.external.resource.mappings", Int, "15", Medium, c, "The maximum number of topic-to-external-resource mappings allowed.")
            .check(Check::AtLeast(1)),
        key("data.stream.type", Str, "NONE", Low, c, "Generic type describing the data to be written to data stream.")
            .check(Check::OneOf(&["LOGS", "METRICS", "NONE"])),
        key("data.stream.dataset", Str, "", Low, c, "Generic name describing data ingested and its structure to be written to a data stream."),
        key("data.stream.namespace", Str, "${topic}", Low, c, "Generic name describing user-configurable arbitrary grouping to be written to a data stream."),
        key("data.stream.timestamp.field", List, "", Low, c, "The Kafka record field to use as the timestamp for the @timestamp field in documents sent to a data stream."),
        key("batch.size", Int, "2000", Medium, c, "The number of records to process as a batch when writing to Elasticsearch."),
        key("bulk.size.bytes", Long, "5242880", Low, c, "The maximum size (in bytes) to be processed as a batch when writing records to Elasticsearch."),
        key("max.in.flight.requests", Int, "5", Medium, c, "The maximum number of indexing requests that can be in-flight to Elasticsearch before blocking further requests."),
        key("max.buffered.records", Int, "20000", Low, c, "The maximum number of records each task will buffer before blocking acceptance of more records."),
        key("linger.ms", Long, "1", Low, c, "Linger time in milliseconds for batching."),
        key("flush.timeout.ms", Long, "180000", Low, c, "The timeout in milliseconds to use for periodic flushing."),
        key("flush.synchronously", Boolean, "false", Low, c, "True if flushes should wait for background processing to finish."),
        key("max.retries", Int, "5", Low, c, "The maximum number of retries that are allowed for failed indexing requests."),
        key("retry.backoff.ms", Long, "100", Low, c, "How long to wait in milliseconds before attempting the first retry of a failed indexing request."),
        key("connection.compression", Boolean, "false", Low, c, "Whether to use GZip compression on HTTP connection to Elasticsearch."),
        key("max.connection.idle.time.ms", Int, "60000", Low, c, "How long to wait in milliseconds before dropping an idle connection to prevent a read timeout."),
        key("connection.timeout.ms", Int, "1000", Low, c, "How long to wait in milliseconds when establishing a connection to the Elasticsearch server."),
        key("read.timeout.ms", Int, "3000", Low, c, "How long to wait in milliseconds for the Elasticsearch server to send a response."),
        key("use.autogenerated.ids", Boolean, "false", Medium, c, "Whether to use auto-generated Elasticsearch document IDs for insertion requests."),
        key("key.ignore", Boolean, "false", High, d, "Whether to ignore the record key for the purpose of forming the Elasticsearch document ID."),
        key("schema.ignore", Boolean, "false", Low, d, "Whether to ignore schemas during indexing."),
        key("compact.map.entries", Boolean, "true", Low, d, "Defines how map entries with string keys within record values should be written to JSON."),
        key("topic.key.ignore", List, "", Low, d, "List of topics for which key.ignore should be true."),
        key("topic.schema.ignore", List, "", Low, d, "List of topics for which schema.ignore should be true."),
        key("drop.invalid.message", Boolean, "false", Low, d, "Whether to drop kafka message when it cannot be converted to output message."),
        key("behavior.on.null.values", Str, "FAIL", Low, d, "How to handle records with a non-null key and a null value (i.e. Kafka tombstone records).")
            .check(Check::OneOf(&["IGNORE", "DELETE", "FAIL"])),
        key("behavior.on.malformed.documents", Str, "FAIL", Low, d, "How to handle records that Elasticsearch rejects due to some malformation of the document itself.")
            .check(Check::OneOf(&["IGNORE", "WARN", "FAIL"])),
        key("external.version.header", Str, "", Low, d, "Header name to pull value for external versioning."),
        key("write.method", Str, "INSERT", Low, d, "Method used for writing data to Elasticsearch, and one of INSERT or UPSERT.")
            .check(Check::OneOf(&["INSERT", "UPSERT"])),
        key("proxy.host", Str, "", Low, "Proxy", "The address of the proxy host to connect through."),
        key("proxy.port", Int, "8080", Low, "Proxy", "The port of the proxy host to connect through.")
            .check(Check::Between(1, 65535)),
        key("proxy.username", Str, "", Low, "Proxy", "The username for the proxy host."),
        nullable("proxy.password", Password, Low, "Proxy", "The password for the proxy host."),
        key("elastic.security.protocol", Str, "PLAINTEXT", Medium, "Security", "The security protocol to use when connecting to Elasticsearch.")
            .check(Check::OneOf(&["PLAINTEXT", "SSL"])),
        nullable("kerberos.user.principal", Str, Low, "Kerberos", "The Kerberos user principal the connector may use to authenticate with Kerberos."),
        nullable("kerberos.keytab.path", Str, Low, "Kerberos", "The path to the keytab file to use for authentication with Kerberos."),
    ]
}

fn mirror_base() -> Vec<Def> {
    let g = "Mirror";
    vec![
        key(
            "enabled",
            Boolean,
            "true",
            Low,
            g,
            "Whether to replicate source->target.",
        ),
        required(
            "source.cluster.alias",
            Str,
            High,
            g,
            "Alias of source cluster",
        ),
        key(
            "target.cluster.alias",
            Str,
            "target",
            High,
            g,
            "Alias of target cluster. Used in metrics reporting.",
        ),
        key(
            "admin.timeout.ms",
            Long,
            "60000",
            Low,
            g,
            "Timeout for administrative tasks, e.g. detecting new topics.",
        ),
        key(
            "replication.policy.class",
            Class,
            "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
            Low,
            g,
            "Class which defines the remote topic naming convention.",
        ),
        key(
            "replication.policy.separator",
            Str,
            ".",
            Low,
            g,
            "Separator used in remote topic naming convention.",
        ),
        key(
            "forwarding.admin.class",
            Class,
            "org.apache.kafka.clients.admin.ForwardingAdmin",
            Low,
            g,
            "Class which extends ForwardingAdmin to define custom cluster resource management.",
        ),
        nullable(
            "metric.reporters",
            List,
            Low,
            g,
            "A list of classes to use as metrics reporters.",
        ),
        key(
            "security.protocol",
            Str,
            "PLAINTEXT",
            Medium,
            g,
            "Protocol used to communicate with brokers.",
        )
        .check(Check::OneOf(&[
            "PLAINTEXT",
            "SSL",
            "SASL_PLAINTEXT",
            "SASL_SSL",
        ])),
        key(
            "auto.include.jmx.reporter",
            Boolean,
            "true",
            Low,
            g,
            "Deprecated. Whether to automatically include JmxReporter even if it's not listed in metric.reporters.",
        ),
        key(
            "offset-syncs.topic.location",
            Str,
            "source",
            Low,
            g,
            "The location (source/target) of the offset-syncs topic.",
        )
        .check(Check::OneOf(&["source", "target"])),
        key(
            "topic.filter.class",
            Class,
            "org.apache.kafka.connect.mirror.DefaultTopicFilter",
            Low,
            g,
            "TopicFilter to use. Selects topics to replicate.",
        ),
    ]
}

fn mirror_prefixes() -> Vec<&'static str> {
    vec![
        "source.cluster.",
        "target.cluster.",
        "source.",
        "target.",
        "producer.",
        "consumer.",
        "admin.",
        "ssl.",
        "sasl.",
    ]
}

fn mirror_source() -> Vec<Def> {
    let g = "Mirror Source";
    vec![
        key("topics", List, ".*", High, g, "Topics to replicate. Supports comma-separated topic names and regexes.")
            .check(Check::PatternList),
        key("topics.exclude", List, ".*[\\-\\.]internal, .*\\.replica, __.*", High, g, "Excluded topics. Supports comma-separated topic names and regexes. Excludes take precedence over includes.")
            .check(Check::PatternList),
        nullable("topics.blacklist", List, High, g, "Deprecated. Use topics.exclude instead.")
            .check(Check::PatternList),
        key("config.properties.exclude", List, "follower\\.replication\\.throttled\\.replicas, leader\\.replication\\.throttled\\.replicas, message\\.timestamp\\.difference\\.max\\.ms, message\\.timestamp\\.type, unclean\\.leader\\.election\\.enable, min\\.insync\\.replicas", High, g, "Topic config properties that should not be replicated."),
        nullable("config.properties.blacklist", List, High, g, "Deprecated. Use config.properties.exclude instead."),
        key("config.property.filter.class", Class, "org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter", Low, g, "ConfigPropertyFilter to use. Selects topic config properties to replicate."),
        key("consumer.poll.timeout.ms", Long, "1000", Low, g, "Timeout when polling source cluster."),
        key("refresh.topics.enabled", Boolean, "true", Low, g, "Whether to periodically check for new topics and partitions."),
        key("refresh.topics.interval.seconds", Long, "600", Low, g, "Frequency of topic refresh.")
            .check(Check::AtLeast(1)),
        key("sync.topic.configs.enabled", Boolean, "true", Low, g, "Whether to periodically configure remote topics to match their corresponding upstream topics."),
        key("sync.topic.configs.interval.seconds", Long, "600", Low, g, "Frequency of topic config sync."),
        key("sync.topic.acls.enabled", Boolean, "true", Low, g, "Whether to periodically configure remote topic ACLs to match their corresponding upstream topics."),
        key("sync.topic.acls.interval.seconds", Long, "600", Low, g, "Frequency of topic ACL sync."),
        key("replication.factor", Int, "2", Low, g, "Replication factor for newly created remote topics."),
        key("offset-syncs.topic.replication.factor", Short, "3", Low, g, "Replication factor for offset-syncs topic."),
        key("offset.lag.max", Long, "100", Low, g, "How out-of-sync a remote partition can be before it is resynced."),
        key("emit.offset-syncs.enabled", Boolean, "true", Low, g, "Whether to store the new offset of the replicated records in offset-syncs topic or not."),
    ]
}

fn mirror_checkpoint() -> Vec<Def> {
    let g = "Mirror Checkpoint";
    vec![
        key("consumer.poll.timeout.ms", Long, "1000", Low, g, "Timeout when polling source cluster."),
        key("groups", List, ".*", High, g, "Consumer groups to replicate. Supports comma-separated group IDs and regexes.")
            .check(Check::PatternList),
        key("groups.exclude", List, "console-consumer-.*, connect-.*, __.*", High, g, "Exclude groups. Supports comma-separated group IDs and regexes. Excludes take precedence over includes.")
            .check(Check::PatternList),
        nullable("groups.blacklist", List, High, g, "Deprecated. Use groups.exclude instead."),
        key("group.filter.class", Class, "org.apache.kafka.connect.mirror.DefaultGroupFilter", Low, g, "GroupFilter to use. Selects consumer groups to replicate."),
        key("refresh.groups.enabled", Boolean, "true", Low, g, "Whether to periodically check for new consumer groups."),
        key("refresh.groups.interval.seconds", Long, "600", Low, g, "Frequency of group refresh."),
        key("emit.checkpoints.enabled", Boolean, "true", Low, g, "Whether to replicate consumer offsets to target cluster."),
        key("emit.checkpoints.interval.seconds", Long, "60", Low, g, "Frequency of checkpoints."),
        key("sync.group.offsets.enabled", Boolean, "false", Low, g, "Whether to periodically write the translated offsets to __consumer_offsets topic in target cluster."),
        key("sync.group.offsets.interval.seconds", Long, "60", Low, g, "Frequency of consumer group offset sync."),
        key("checkpoints.topic.replication.factor", Short, "3", Low, g, "Replication factor for checkpoints topic."),
        key("checkpoints.tasks.max", Int, "1", Low, g, "Maximum number of checkpoint connector tasks."),
        key("emit.offset-syncs.enabled", Boolean, "true", Low, g, "Whether offset syncs are emitted (the checkpoint connector cannot run without them)."),
    ]
}

fn mirror_heartbeat() -> Vec<Def> {
    let g = "Mirror Heartbeat";
    vec![
        key(
            "emit.heartbeats.enabled",
            Boolean,
            "true",
            Low,
            g,
            "Whether to emit heartbeats to target cluster.",
        ),
        key(
            "emit.heartbeats.interval.seconds",
            Long,
            "1",
            Low,
            g,
            "Frequency of heartbeats.",
        ),
        key(
            "heartbeats.topic.replication.factor",
            Short,
            "3",
            Low,
            g,
            "Replication factor for heartbeats topic.",
        ),
    ]
}

/// The settings a converter class takes under `key.converter.` / `value.converter.`, and the
/// prefixes it passes on; `None` for a class this table does not know.
pub fn converter_keys(class: &str) -> Option<(Vec<Def>, Vec<&'static str>)> {
    let g = "Converter";
    let converter_type = nullable(
        "converter.type",
        Str,
        Low,
        g,
        "How this converter will be used (set by the worker).",
    );
    match canonical_converter(class)? {
        STRING_CONVERTER => Some((
            vec![
                key("converter.encoding", Str, "UTF8", High, g, "The name of the Java character set to use for encoding strings as byte arrays."),
                converter_type,
            ],
            vec![],
        )),
        BYTE_ARRAY_CONVERTER => Some((vec![converter_type], vec![])),
        SIMPLE_HEADER_CONVERTER => Some((vec![converter_type], vec![])),
        JSON_CONVERTER => Some((
            vec![
                key("schemas.enable", Boolean, "true", High, g, "Include schemas within each of the serialized values and keys."),
                key("schemas.cache.size", Int, "1000", High, g, "The maximum number of schemas that can be cached in this converter instance."),
                key("decimal.format", Str, "BASE64", Low, g, "Controls which format this converter will serialize decimals in: BASE64 or NUMERIC.")
                    .check(Check::OneOf(&["BASE64", "NUMERIC"])),
                key("replace.null.with.default", Boolean, "true", Low, g, "Whether to replace fields that have a default value and that are null to the default value."),
                converter_type,
            ],
            vec![],
        )),
        AVRO_CONVERTER => Some((
            vec![
                required("schema.registry.url", List, High, g, "Comma-separated list of URLs for schema registry instances that can be used to register or look up schemas."),
                key("basic.auth.credentials.source", Str, "URL", Medium, g, "Specify how to pick the credentials for the Basic authentication header: URL, USER_INFO or SASL_INHERIT.")
                    .check(Check::OneOf(&["URL", "USER_INFO", "SASL_INHERIT"])),
                nullable("basic.auth.user.info", Password, Medium, g, "Specify the user info for the Basic authentication in the form of {username}:{password}."),
                nullable("schema.registry.basic.auth.user.info", Password, Medium, g, "Deprecated alias of basic.auth.user.info."),
                key("bearer.auth.credentials.source", Str, "STATIC_TOKEN", Medium, g, "Specify how to pick the credentials for the Bearer authentication header."),
                nullable("bearer.auth.token", Password, Medium, g, "Specify the Bearer token to be used for authentication."),
                key("auto.register.schemas", Boolean, "true", Medium, g, "Specify if the Serializer should attempt to register the Schema with Schema Registry."),
                key("use.latest.version", Boolean, "false", Low, g, "Use the latest version of the schema in the subject."),
                key("latest.compatibility.strict", Boolean, "true", Low, g, "Whether to check for backward compatibility between the latest subject version and the serialized schema."),
                key("use.schema.id", Int, "-1", Low, g, "Schema ID to use for serialization."),
                key("id.compatibility.strict", Boolean, "true", Low, g, "Whether to check for backward compatibility between the schema with the given ID and the serialized schema."),
                key("normalize.schemas", Boolean, "false", Low, g, "Whether to normalize schemas."),
                key("key.subject.name.strategy", Class, "io.confluent.kafka.serializers.subject.TopicNameStrategy", Medium, g, "Determines how to construct the subject name under which the key schema is registered."),
                key("value.subject.name.strategy", Class, "io.confluent.kafka.serializers.subject.TopicNameStrategy", Medium, g, "Determines how to construct the subject name under which the value schema is registered."),
                key("max.schemas.per.subject", Int, "1000", Low, g, "Maximum number of schemas to create or cache locally."),
                key("connect.meta.data", Boolean, "true", Low, g, "Allow connect converter to add its metadata to the output schema."),
                key("enhanced.avro.schema.support", Boolean, "false", Medium, g, "Enable enhanced schema support to preserve package information and Enums."),
                key("scrub.invalid.names", Boolean, "false", Low, g, "Whether to scrub invalid names by replacing invalid characters with valid characters."),
                key("schemas.cache.config", Int, "1000", Low, g, "Size of the converted schemas cache."),
                key("generalized.sum.type.support", Boolean, "false", Low, g, "Whether to use generalized sum types for unions."),
                converter_type,
            ],
            vec!["schema.registry.ssl.", "proxy.", "context.name.strategy"],
        )),
        _ => None,
    }
}

/// The full name of a converter class given by its full or simple name.
pub fn canonical_converter(class: &str) -> Option<&'static str> {
    [
        STRING_CONVERTER,
        BYTE_ARRAY_CONVERTER,
        JSON_CONVERTER,
        AVRO_CONVERTER,
        SIMPLE_HEADER_CONVERTER,
    ]
    .into_iter()
    .find(|c| *c == class || c.rsplit('.').next() == Some(class))
}

pub const REGEX_ROUTER: &str = "org.apache.kafka.connect.transforms.RegexRouter";
pub const EXTRACT_FIELD_KEY: &str = "org.apache.kafka.connect.transforms.ExtractField$Key";
pub const EXTRACT_FIELD_VALUE: &str = "org.apache.kafka.connect.transforms.ExtractField$Value";
pub const REPLACE_FIELD_KEY: &str = "org.apache.kafka.connect.transforms.ReplaceField$Key";
pub const REPLACE_FIELD_VALUE: &str = "org.apache.kafka.connect.transforms.ReplaceField$Value";
pub const VALUE_TO_KEY: &str = "org.apache.kafka.connect.transforms.ValueToKey";
pub const INSERT_HEADER: &str = "org.apache.kafka.connect.transforms.InsertHeader";
pub const FILTER: &str = "org.apache.kafka.connect.transforms.Filter";
pub const TOPIC_NAME_MATCHES: &str =
    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches";
pub const HAS_HEADER_KEY: &str = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey";
pub const RECORD_IS_TOMBSTONE: &str =
    "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone";

pub const TRANSFORMS: [&str; 8] = [
    REGEX_ROUTER,
    EXTRACT_FIELD_KEY,
    EXTRACT_FIELD_VALUE,
    REPLACE_FIELD_KEY,
    REPLACE_FIELD_VALUE,
    VALUE_TO_KEY,
    INSERT_HEADER,
    FILTER,
];

pub const PREDICATES: [&str; 3] = [TOPIC_NAME_MATCHES, HAS_HEADER_KEY, RECORD_IS_TOMBSTONE];

/// The full name of a transform or predicate given by its full or simple name
/// (`RegexRouter`, `ExtractField$Value`).
pub fn canonical_plugin(class: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .copied()
        .find(|c| *c == class || c.rsplit('.').next() == Some(class))
}

/// A transform's own settings (under `transforms.<alias>.`), unprefixed.
pub fn transform_keys(class: &str) -> Vec<Def> {
    let g = "Transform";
    match class {
        REGEX_ROUTER => vec![
            required("regex", Str, High, g, "Regular expression to use for matching.")
                .check(Check::Pattern),
            required("replacement", Str, High, g, "Replacement string."),
        ],
        EXTRACT_FIELD_KEY | EXTRACT_FIELD_VALUE => vec![
            required("field", Str, Medium, g, "Field name to extract."),
            key("field.syntax.version", Str, "V1", High, g, "Defines the version of the syntax to access fields (V1: a field name; V2: dotted paths into nested structs, backquotes for names with dots).")
                .check(Check::OneOf(&["V1", "V2"])),
            key("replace.null.with.default", Boolean, "true", Medium, g, "Whether to replace fields that have a default value and that are null to the default value."),
        ],
        REPLACE_FIELD_KEY | REPLACE_FIELD_VALUE => vec![
            key("exclude", List, "", Medium, g, "Fields to exclude. This takes precedence over the fields to include."),
            nullable("blacklist", List, Low, g, "Deprecated. Use exclude instead."),
            key("include", List, "", Medium, g, "Fields to include. If specified, only these fields will be used."),
            nullable("whitelist", List, Low, g, "Deprecated. Use include instead."),
            key("renames", List, "", Medium, g, "Field rename mappings.").check(Check::Renames),
            key("replace.null.with.default", Boolean, "true", Medium, g, "Whether to replace fields that have a default value and that are null to the default value."),
        ],
        VALUE_TO_KEY => vec![
            required("fields", List, High, g, "Field names on the record value to extract as the record key.")
                .check(Check::NonEmptyList),
            key("replace.null.with.default", Boolean, "true", Medium, g, "Whether to replace fields that have a default value and that are null to the default value."),
        ],
        INSERT_HEADER => vec![
            required("header", Str, High, g, "The name of the header.").check(Check::NonEmpty),
            required("value.literal", Str, High, g, "The literal value that is to be set as the header value on all records."),
        ],
        _ => Vec::new(),
    }
}

/// A predicate's own settings (under `predicates.<alias>.`), unprefixed.
pub fn predicate_keys(class: &str) -> Vec<Def> {
    let g = "Predicate";
    match class {
        TOPIC_NAME_MATCHES => vec![
            required(
                "pattern",
                Str,
                Medium,
                g,
                "A Java regular expression for matching against the name of a record's topic.",
            )
            .check(Check::Pattern),
        ],
        HAS_HEADER_KEY => {
            vec![required("name", Str, Medium, g, "The header name.").check(Check::NonEmpty)]
        }
        _ => Vec::new(),
    }
}

/// The settings Connect itself reads for each transform alias.
pub fn transform_alias_keys(alias: &str) -> Vec<Def> {
    let g = format!("Transforms: {alias}");
    vec![
        required(
            &format!("transforms.{alias}.type"),
            Class,
            High,
            &g,
            "Class for the 'transform' transformation.",
        ),
        nullable(
            &format!("transforms.{alias}.predicate"),
            Str,
            Medium,
            &g,
            "The alias of a predicate used to determine whether to apply this transformation.",
        ),
        key(
            &format!("transforms.{alias}.negate"),
            Boolean,
            "false",
            Medium,
            &g,
            "Whether the configured predicate should be negated.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_plugins_are_found_by_full_or_simple_name() {
        assert_eq!(
            class_info("JdbcSinkConnector").map(|c| c.class),
            Some(JDBC_SINK)
        );
        assert_eq!(class_info(MIRROR_SOURCE).map(|c| c.embedded), Some(true));
        assert_eq!(
            class_info(ELASTICSEARCH_SINK).map(|c| c.embedded),
            Some(false)
        );
        assert_eq!(class_info("com.example.Unknown"), None);
        assert_eq!(canonical_converter("JsonConverter"), Some(JSON_CONVERTER));
        assert_eq!(
            canonical_plugin("ExtractField$Value", &TRANSFORMS),
            Some(EXTRACT_FIELD_VALUE)
        );
    }

    #[test]
    fn no_class_defines_a_key_twice() {
        for info in CLASSES {
            let (own, _) = class_keys(info.class);
            let mut names: Vec<String> = common(info.kind)
                .into_iter()
                .chain(own)
                .map(|d| d.name)
                .collect();
            let count = names.len();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), count, "{}", info.class);
        }
    }
}
