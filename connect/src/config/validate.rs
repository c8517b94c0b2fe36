//! Validation of a connector configuration, with every problem on the key it concerns: unknown
//! keys (with the nearest known one), missing required keys, values of the wrong type or out of
//! range, and the rules that tie keys together. The result is what `PUT
//! /connector-plugins/{class}/config/validate` answers and what `codeflix connect validate`
//! prints.
//!
//! Two modes:
//! - [`Mode::Embedded`]: whether the embedded runtime can *run* the connector — placeholders are
//!   resolved first, and a class, converter, transform or setting it does not implement is an
//!   error that says it runs only on a real Kafka Connect cluster;
//! - [`Mode::Production`]: whether a real Connect cluster will accept the file — keys and values
//!   against the documented tables ([`super::defs`]), placeholders left for the worker.
//!
//! Stricter than Connect on purpose: Connect ignores keys it does not know, which turns a typo
//! (`fields.whitelsit`) into a silently different connector; here it is an error.

use std::collections::{BTreeMap, BTreeSet};

use super::defs::{self, Check, ClassInfo, ConnectorType, Def, Importance, Kind};
use super::providers::{self, Lookup};
use super::{Config, list};
use crate::patterns;

/// What the configuration is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Running it on the embedded runtime.
    Embedded,
    /// Submitting it to a real Kafka Connect cluster.
    Production,
}

/// One key: its definition, its value and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub def: Def,
    /// Whether the key is documented (an unknown key's definition is a stand-in, and Connect
    /// answers `"definition": null` for it).
    pub defined: bool,
    pub value: Option<String>,
    pub errors: Vec<String>,
}

/// Every key of a configuration, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// The connector class, as given.
    pub class: String,
    pub configs: Vec<Checked>,
}

impl Validation {
    /// How many problems there are (Connect's `error_count`).
    pub fn error_count(&self) -> usize {
        self.configs.iter().map(|c| c.errors.len()).sum()
    }

    /// Every problem as (key, message), in key order of the configuration's definitions.
    pub fn errors(&self) -> Vec<(String, String)> {
        self.configs
            .iter()
            .flat_map(|c| c.errors.iter().map(|e| (c.def.name.clone(), e.clone())))
            .collect()
    }

    /// The groups of the definitions, in order of first appearance.
    pub fn groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = Vec::new();
        for checked in self.configs.iter().filter(|c| c.defined) {
            if !groups.contains(&checked.def.group) {
                groups.push(checked.def.group.clone());
            }
        }
        groups
    }

    fn add(&mut self, def: Def, value: Option<String>) -> usize {
        if let Some(i) = self.configs.iter().position(|c| c.def.name == def.name) {
            return i;
        }
        self.configs.push(Checked {
            def,
            defined: true,
            value,
            errors: Vec::new(),
        });
        self.configs.len() - 1
    }

    fn error(&mut self, name: &str, message: impl Into<String>) {
        let message = message.into();
        match self.configs.iter_mut().find(|c| c.def.name == name) {
            Some(checked) => {
                if !checked.errors.contains(&message) {
                    checked.errors.push(message);
                }
            }
            None => {
                let i = self.add(unknown_def(name), None);
                self.configs[i].defined = false;
                self.configs[i].errors.push(message);
            }
        }
    }
}

fn unknown_def(name: &str) -> Def {
    Def {
        optional: true,
        ..defs::nullable(
            name,
            Kind::String,
            Importance::Low,
            "Unknown",
            "not a documented key",
        )
    }
}

/// Checks `config` (which holds its `name`). `worker` holds the worker's own settings a
/// connector inherits (its converters); empty when they are not known.
pub fn validate(config: &Config, mode: Mode, worker: &Config, lookup: &impl Lookup) -> Validation {
    let class = config.get("connector.class").cloned().unwrap_or_default();
    let info = defs::class_info(&class);
    let kind = info.map_or(ConnectorType::Sink, |i| i.kind);
    let mut v = Validation {
        class: class.clone(),
        configs: Vec::new(),
    };

    // What values are checked: resolved ones when running embedded (the placeholders' problems
    // are errors on their keys), and for production the text, skipping placeholders.
    // (The placeholders' problems are put on their keys at the end, once every key is defined.)
    let (values, unresolved): (Config, BTreeMap<String, Vec<String>>) = match mode {
        Mode::Embedded => providers::resolve_each(config, lookup),
        Mode::Production => (config.clone(), BTreeMap::new()),
    };
    let checkable = |key: &str| -> Option<&str> {
        let value = values.get(key)?;
        (mode == Mode::Embedded || !providers::has_placeholder(value)).then_some(value.as_str())
    };

    let mut known: Vec<Def> = defs::common(kind);
    let mut prefixes: Vec<&'static str> = defs::common_prefixes(kind);
    match info {
        Some(info) => {
            let (own, own_prefixes) = defs::class_keys(info.class);
            known.extend(own);
            prefixes.extend(own_prefixes);
        }
        None if !class.is_empty() => {
            // Without a table of its keys only the common ones can be checked.
            prefixes.push("");
        }
        None => {}
    }
    for def in &known {
        v.add(def.clone(), config.get(&def.name).cloned());
    }
    for def in &known {
        check_def(
            &mut v,
            def,
            checkable(&def.name),
            config.contains_key(&def.name),
        );
    }
    check_class(&mut v, &class, info, mode);

    let mut extra: BTreeSet<String> = BTreeSet::new();
    check_converters(&mut v, config, &values, mode, &mut extra, &checkable);
    check_transforms(&mut v, config, mode, &mut extra, &checkable);

    // Keys nobody defines.
    let names: BTreeSet<&str> = known.iter().map(|d| d.name.as_str()).collect();
    for key in config.keys() {
        if names.contains(key.as_str())
            || extra.contains(key)
            || prefixes.iter().any(|p| key.starts_with(p))
        {
            continue;
        }
        let mut message = format!(
            "unknown configuration key for {}",
            if class.is_empty() {
                "this connector"
            } else {
                &class
            }
        );
        if let Some(near) = nearest(key, names.iter().copied()) {
            message.push_str(&format!("; did you mean {near}?"));
        }
        v.error(key, message);
    }

    if let Some(info) = info {
        check_rules(&mut v, info, config, &values, worker, mode, &checkable);
    }
    for (key, messages) in unresolved {
        for message in messages {
            v.error(&key, message);
        }
    }
    v
}

/// A missing required key, a value of the wrong type, a value its validator refuses.
fn check_def(v: &mut Validation, def: &Def, value: Option<&str>, present: bool) {
    let name = def.name.as_str();
    let Some(value) = value else {
        if !present && def.required() {
            v.error(
                name,
                format!("Missing required configuration \"{name}\" which has no default value."),
            );
        }
        return;
    };
    if let Err(message) = parse_check(def, value) {
        v.error(name, message);
    }
}

/// Connect's parse-then-validate of one value; the message as Connect words it.
pub fn parse_check(def: &Def, value: &str) -> Result<(), String> {
    let name = &def.name;
    let invalid = |why: &str| format!("Invalid value {value} for configuration {name}: {why}");
    let trimmed = value.trim();
    let number: Option<i64> = match def.kind {
        Kind::Boolean => {
            if !trimmed.eq_ignore_ascii_case("true") && !trimmed.eq_ignore_ascii_case("false") {
                return Err(invalid("Expected value to be either true or false"));
            }
            None
        }
        Kind::Int => Some(
            trimmed
                .parse::<i32>()
                .map(i64::from)
                .map_err(|_| invalid("Not a number of type INT"))?,
        ),
        Kind::Short => Some(
            trimmed
                .parse::<i16>()
                .map(i64::from)
                .map_err(|_| invalid("Not a number of type SHORT"))?,
        ),
        Kind::Long => Some(
            trimmed
                .parse::<i64>()
                .map_err(|_| invalid("Not a number of type LONG"))?,
        ),
        Kind::Double => {
            trimmed
                .parse::<f64>()
                .map_err(|_| invalid("Not a number of type DOUBLE"))?;
            None
        }
        Kind::Class => {
            if trimmed.is_empty() {
                return Err(invalid("Class name must not be empty"));
            }
            None
        }
        Kind::String | Kind::List | Kind::Password => None,
    };
    match def.check {
        Check::Any => Ok(()),
        Check::OneOf(options) => {
            if options.iter().any(|o| o.eq_ignore_ascii_case(trimmed)) {
                Ok(())
            } else {
                Err(invalid(&format!(
                    "String must be one of: {}",
                    options.join(", ")
                )))
            }
        }
        Check::AtLeast(min) => match number {
            Some(n) if n < min => Err(invalid(&format!("Value must be at least {min}"))),
            _ => Ok(()),
        },
        Check::Between(min, max) => match number {
            Some(n) if n < min || n > max => Err(invalid(&format!(
                "Value must be no less than {min} and no more than {max}"
            ))),
            _ => Ok(()),
        },
        Check::NonEmpty => {
            if trimmed.is_empty() {
                Err(invalid("String may not be empty"))
            } else if value.chars().any(char::is_control) {
                Err(invalid("String may not contain control characters"))
            } else {
                Ok(())
            }
        }
        Check::Pattern => {
            if value.is_empty() {
                return Ok(());
            }
            patterns::whole(value).map(|_| ()).map_err(|e| invalid(&e))
        }
        Check::PatternList => patterns::any_of(value).map(|_| ()).map_err(|e| invalid(&e)),
        Check::Renames => {
            for pair in list(value) {
                if pair.split(':').count() != 2 {
                    return Err(invalid(&format!("Invalid rename mapping: {pair}")));
                }
            }
            Ok(())
        }
        Check::Aliases => {
            let aliases = list(value);
            let unique: BTreeSet<&String> = aliases.iter().collect();
            if unique.len() < aliases.len() {
                Err(invalid("Duplicate alias provided."))
            } else {
                Ok(())
            }
        }
        Check::NonEmptyList => {
            if list(value).is_empty() {
                Err(invalid("Empty list"))
            } else {
                Ok(())
            }
        }
    }
}

fn check_class(v: &mut Validation, class: &str, info: Option<ClassInfo>, mode: Mode) {
    if class.is_empty() {
        return;
    }
    let runnable: Vec<&str> = defs::CLASSES
        .iter()
        .filter(|c| c.embedded)
        .map(|c| c.class)
        .collect();
    match (info, mode) {
        (None, Mode::Embedded) => v.error(
            "connector.class",
            format!(
                "{class} runs only on a real Kafka Connect cluster: the embedded runtime runs {}",
                runnable.join(" and ")
            ),
        ),
        (None, Mode::Production) => v.error(
            "connector.class",
            format!(
                "{class} is not a connector class whose keys this repository knows ({}); add its \
                 documented keys to connect/src/config/defs.rs",
                defs::CLASSES.map(|c| c.class).join(", ")
            ),
        ),
        (Some(info), Mode::Embedded) if !info.embedded => v.error(
            "connector.class",
            format!(
                "{} runs only on a real Kafka Connect cluster (check it with `codeflix connect \
                 validate --production`): the embedded runtime runs {}",
                info.class,
                runnable.join(" and ")
            ),
        ),
        _ => {}
    }
}

/// Each converter's class and the settings under its prefix.
fn check_converters<'a>(
    v: &mut Validation,
    config: &Config,
    values: &Config,
    mode: Mode,
    extra: &mut BTreeSet<String>,
    checkable: &impl Fn(&str) -> Option<&'a str>,
) {
    for (which, header) in [
        ("key.converter", false),
        ("value.converter", false),
        ("header.converter", true),
    ] {
        let prefix = format!("{which}.");
        let set: Vec<&String> = config.keys().filter(|k| k.starts_with(&prefix)).collect();
        let Some(class) = values.get(which) else {
            for key in set {
                v.error(
                    key,
                    format!(
                        "{key} is a setting of a converter the connector does not choose: set \
                         {which} too (settings of the worker's converter come from the worker)"
                    ),
                );
            }
            continue;
        };
        let canonical = defs::canonical_converter(class.trim());
        let supported = match (canonical, header) {
            (Some(defs::AVRO_CONVERTER), true) => false,
            (Some(defs::SIMPLE_HEADER_CONVERTER), false) => false,
            (Some(_), _) => true,
            (None, _) => false,
        };
        if !supported && mode == Mode::Embedded {
            v.error(
                which,
                format!(
                    "{class} is not a {} the embedded runtime has ({})",
                    if header {
                        "header converter"
                    } else {
                        "converter"
                    },
                    if header {
                        "SimpleHeaderConverter, StringConverter, ByteArrayConverter, JsonConverter"
                    } else {
                        "StringConverter, ByteArrayConverter, JsonConverter, AvroConverter"
                    }
                ),
            );
        }
        let Some((subdefs, subprefixes)) = canonical.and_then(defs::converter_keys) else {
            // A converter whose settings are not known: its keys are its own business.
            extra.extend(set.into_iter().cloned());
            continue;
        };
        for sub in subdefs {
            let full = Def {
                name: format!("{prefix}{}", sub.name),
                group: format!("Converter: {which}"),
                ..sub
            };
            v.add(full.clone(), config.get(&full.name).cloned());
            check_def(
                v,
                &full,
                checkable(&full.name),
                config.contains_key(&full.name),
            );
            extra.insert(full.name);
        }
        for key in set {
            let rest = &key[prefix.len()..];
            if subprefixes.iter().any(|p| rest.starts_with(p)) {
                extra.insert(key.clone());
            }
        }
        // The remaining keys under the prefix are unknown settings of this converter.
        for key in config.keys().filter(|k| k.starts_with(&prefix)) {
            if !extra.contains(key) {
                v.error(key, format!("unknown setting of {class}"));
                extra.insert(key.clone());
            }
        }
    }
}

/// Each transform and predicate alias: its class, its settings, its predicate.
fn check_transforms<'a>(
    v: &mut Validation,
    config: &Config,
    mode: Mode,
    extra: &mut BTreeSet<String>,
    checkable: &impl Fn(&str) -> Option<&'a str>,
) {
    let transforms = config
        .get("transforms")
        .map(|t| list(t))
        .unwrap_or_default();
    let predicates = config
        .get("predicates")
        .map(|p| list(p))
        .unwrap_or_default();
    for (group, aliases, known, keys_of) in [
        (
            "transforms",
            &transforms,
            &defs::TRANSFORMS[..],
            defs::transform_keys as fn(&str) -> Vec<Def>,
        ),
        (
            "predicates",
            &predicates,
            &defs::PREDICATES[..],
            defs::predicate_keys as fn(&str) -> Vec<Def>,
        ),
    ] {
        for alias in aliases {
            let prefix = format!("{group}.{alias}.");
            let alias_defs = if group == "transforms" {
                defs::transform_alias_keys(alias)
            } else {
                vec![defs::required(
                    &format!("predicates.{alias}.type"),
                    Kind::Class,
                    Importance::High,
                    &format!("Predicates: {alias}"),
                    "Class for the predicate.",
                )]
            };
            for def in &alias_defs {
                v.add(def.clone(), config.get(&def.name).cloned());
                check_def(v, def, checkable(&def.name), config.contains_key(&def.name));
                extra.insert(def.name.clone());
            }
            let type_key = format!("{prefix}type");
            let Some(class) = config.get(&type_key) else {
                continue;
            };
            let Some(canonical) = defs::canonical_plugin(class.trim(), known) else {
                if mode == Mode::Embedded {
                    v.error(
                        &type_key,
                        format!(
                            "{class} is not a {} the embedded runtime has ({})",
                            if group == "transforms" {
                                "transform"
                            } else {
                                "predicate"
                            },
                            known
                                .iter()
                                .map(|k| k.rsplit('.').next().unwrap_or(k))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
                // Its settings are its own business.
                extra.extend(config.keys().filter(|k| k.starts_with(&prefix)).cloned());
                continue;
            };
            for sub in keys_of(canonical) {
                let def = Def {
                    name: format!("{prefix}{}", sub.name),
                    group: format!("{}: {alias}", capitalised(group)),
                    ..sub
                };
                v.add(def.clone(), config.get(&def.name).cloned());
                check_def(
                    v,
                    &def,
                    checkable(&def.name),
                    config.contains_key(&def.name),
                );
                extra.insert(def.name);
            }
            if canonical == defs::REGEX_ROUTER
                && let (Some(regex), Some(replacement)) = (
                    checkable(&format!("{prefix}regex")),
                    checkable(&format!("{prefix}replacement")),
                )
                && let Ok(pattern) = patterns::whole(regex)
                && let Err(problem) = patterns::check_replacement(&pattern, replacement)
            {
                v.error(
                    &format!("{prefix}replacement"),
                    format!("Invalid value {replacement} for configuration {prefix}replacement: {problem}"),
                );
            }
            for key in config.keys().filter(|k| k.starts_with(&prefix)) {
                if !extra.contains(key) {
                    v.error(key, format!("unknown setting of {canonical}"));
                    extra.insert(key.clone());
                }
            }
        }
        // Settings of aliases that are not listed.
        for key in config
            .keys()
            .filter(|k| k.starts_with(&format!("{group}.")))
        {
            if !extra.contains(key) {
                let alias = key[group.len() + 1..].split('.').next().unwrap_or_default();
                v.error(
                    key,
                    format!("{alias} is not one of the aliases listed in {group}"),
                );
                extra.insert(key.clone());
            }
        }
    }
    for alias in &transforms {
        let key = format!("transforms.{alias}.predicate");
        if let Some(predicate) = config.get(&key)
            && !predicates.contains(predicate)
        {
            v.error(
                &key,
                format!("the predicate {predicate} is not one of the aliases listed in predicates"),
            );
        }
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The rules that tie keys together, per class.
fn check_rules<'a>(
    v: &mut Validation,
    info: ClassInfo,
    raw: &Config,
    values: &'a Config,
    worker: &Config,
    mode: Mode,
    checkable: &impl Fn(&str) -> Option<&'a str>,
) {
    let (own, _) = defs::class_keys(info.class);
    let all: Vec<Def> = defs::common(info.kind).into_iter().chain(own).collect();
    let get = |key: &str| -> Option<&str> {
        checkable(key).or_else(|| {
            if values.contains_key(key) {
                // A placeholder: set, value unknown.
                None
            } else {
                super::value(values, &all, key)
            }
        })
    };
    let is = |key: &str, expected: &str| {
        get(key).is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
    };

    if info.kind == ConnectorType::Sink {
        let topics = get("topics").map(list).unwrap_or_default();
        let regex = get("topics.regex").unwrap_or_default().trim().to_owned();
        let topics_set =
            values.contains_key("topics") && (!topics.is_empty() || checkable("topics").is_none());
        let regex_set = values.contains_key("topics.regex")
            && (!regex.is_empty() || checkable("topics.regex").is_none());
        match (topics_set, regex_set) {
            (false, false) => {
                v.error("topics", "Must configure one of topics or topics.regex");
                v.error(
                    "topics.regex",
                    "Must configure one of topics or topics.regex",
                );
            }
            (true, true) => {
                let message =
                    "topics and topics.regex are mutually exclusive options, but both are set.";
                v.error("topics", message);
                v.error("topics.regex", message);
            }
            _ => {}
        }
        if let Some(dlq) = get("errors.deadletterqueue.topic.name").map(str::trim)
            && !dlq.is_empty()
        {
            let consumed = topics.iter().any(|t| t == dlq)
                || (!regex.is_empty() && patterns::whole(&regex).is_ok_and(|r| r.is_match(dlq)));
            if consumed {
                v.error(
                    "errors.deadletterqueue.topic.name",
                    format!("The DLQ topic '{dlq}' may not be included in the list of topics to be consumed."),
                );
            }
        }
    }

    match info.class {
        defs::JDBC_SINK => jdbc_rules(v, values, worker, mode, &get, &is),
        defs::MIRROR_SOURCE => mirror_rules(v, raw, values, mode, &get, &is),
        defs::MIRROR_CHECKPOINT => {
            if is("emit.checkpoints.enabled", "false") {
                v.error(
                    "emit.checkpoints.enabled",
                    "MirrorCheckpointConnector can't run with emit.checkpoints.enabled set to false",
                );
            }
            if is("emit.offset-syncs.enabled", "false") {
                v.error(
                    "emit.offset-syncs.enabled",
                    "MirrorCheckpointConnector can't run without offset syncs",
                );
            }
        }
        _ => {}
    }
}

fn jdbc_rules<'a>(
    v: &mut Validation,
    values: &'a Config,
    worker: &Config,
    mode: Mode,
    get: &impl Fn(&str) -> Option<&'a str>,
    is: &impl Fn(&str, &str) -> bool,
) {
    let pk_mode = get("pk.mode").unwrap_or("none").trim().to_ascii_lowercase();
    let pk_fields = get("pk.fields").map(list).unwrap_or_default();
    if is("delete.enabled", "true") && pk_mode != "record_key" {
        v.error(
            "delete.enabled",
            "Primary key mode must be 'record_key' when delete support is enabled",
        );
    }
    for mode_name in ["upsert", "update"] {
        if is("insert.mode", mode_name) && pk_mode == "none" {
            v.error(
                "pk.mode",
                format!(
                    "insert.mode={mode_name} needs the rows' keys: set pk.mode to record_key, record_value or kafka"
                ),
            );
        }
    }
    if pk_mode == "kafka" && !pk_fields.is_empty() && pk_fields.len() != 3 {
        v.error(
            "pk.fields",
            "PK mode kafka needs either no field names (__connect_topic, __connect_partition, __connect_offset) or exactly 3",
        );
    }
    // A key converter that only makes primitive keys: the key is one column, named by pk.fields.
    let key_converter = values
        .get("key.converter")
        .or_else(|| worker.get("key.converter"))
        .and_then(|c| defs::canonical_converter(c.trim()));
    if pk_mode == "record_key"
        && matches!(
            key_converter,
            Some(defs::STRING_CONVERTER | defs::BYTE_ARRAY_CONVERTER)
        )
        && pk_fields.len() != 1
    {
        v.error(
            "pk.fields",
            format!(
                "Need exactly one PK column defined since the key schema for records is a primitive type \
                 ({}), defined columns are: [{}]",
                key_converter.unwrap_or_default().rsplit('.').next().unwrap_or_default(),
                pk_fields.join(", ")
            ),
        );
    }
    if mode == Mode::Production {
        return;
    }
    if let Some(url) = get("connection.url")
        && let Err(problem) = crate::sink::jdbc::sqlite_path(url)
    {
        v.error("connection.url", problem);
    }
    if is("insert.mode", "update") {
        v.error(
            "insert.mode",
            "insert.mode=update runs only on a real Kafka Connect cluster: the embedded runtime writes insert or upsert",
        );
    }
    if let Some(dialect) = get("dialect.name").map(str::trim)
        && !dialect.is_empty()
        && dialect != "SqliteDatabaseDialect"
    {
        v.error(
            "dialect.name",
            format!(
                "the embedded runtime writes SQLite only (SqliteDatabaseDialect), not {dialect}"
            ),
        );
    }
    if let Some(types) = get("table.types") {
        let types = list(types);
        if types.iter().any(|t| !t.eq_ignore_ascii_case("TABLE")) {
            v.error(
                "table.types",
                "the embedded runtime writes tables only (table.types=TABLE)",
            );
        }
    }
}

fn mirror_rules<'a>(
    v: &mut Validation,
    raw: &Config,
    values: &'a Config,
    mode: Mode,
    get: &impl Fn(&str) -> Option<&'a str>,
    is: &impl Fn(&str, &str) -> bool,
) {
    if mode == Mode::Production {
        return;
    }
    for key in [
        "source.cluster.bootstrap.servers",
        "target.cluster.bootstrap.servers",
    ] {
        if !raw.contains_key(key) {
            v.error(
                key,
                format!("Missing required configuration \"{key}\": the embedded MirrorSourceConnector connects to the clusters it names"),
            );
        }
    }
    for key in ["key.converter", "value.converter", "header.converter"] {
        let explicit = values
            .get(key)
            .and_then(|c| defs::canonical_converter(c.trim()));
        if explicit != Some(defs::BYTE_ARRAY_CONVERTER) {
            v.error(
                key,
                format!(
                    "MirrorSourceConnector copies bytes: set {key}={} (a worker's default \
                     converter would re-encode what it copies)",
                    defs::BYTE_ARRAY_CONVERTER
                ),
            );
        }
    }
    let policy = get("replication.policy.class").unwrap_or_default().trim();
    let identity = policy.ends_with("IdentityReplicationPolicy");
    if !(policy.ends_with("DefaultReplicationPolicy") || identity) {
        v.error(
            "replication.policy.class",
            format!("the embedded runtime has DefaultReplicationPolicy and IdentityReplicationPolicy, not {policy}"),
        );
    }
    if identity
        && let (Some(source), Some(target)) = (
            get("source.cluster.bootstrap.servers"),
            get("target.cluster.bootstrap.servers"),
        )
        && same_servers(source, target)
    {
        v.error(
            "replication.policy.class",
            "IdentityReplicationPolicy between the same cluster would copy every topic onto itself",
        );
    }
    if is("exactly.once.support", "required") {
        v.error(
            "exactly.once.support",
            "exactly-once source delivery runs only on a real Kafka Connect cluster",
        );
    }
    if let Some(separator) = get("replication.policy.separator")
        && separator.is_empty()
    {
        v.error(
            "replication.policy.separator",
            "the separator may not be empty",
        );
    }
}

/// Whether two bootstrap lists name the same servers.
pub fn same_servers(a: &str, b: &str) -> bool {
    let set = |s: &str| -> BTreeSet<String> { list(s).into_iter().collect() };
    set(a) == set(b)
}

/// The known key nearest `key`, if it is near enough to be a typo.
fn nearest<'a>(key: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names
        .map(|name| (distance(key, name), name))
        .filter(|(d, name)| *d <= 3.min(name.len() / 3).max(1))
        .min()
        .map(|(_, name)| name)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

/// The checked values as a map from key to its problems, for tests and tools.
pub fn problems_by_key(validation: &Validation) -> BTreeMap<String, Vec<String>> {
    validation
        .configs
        .iter()
        .filter(|c| !c.errors.is_empty())
        .map(|c| (c.def.name.clone(), c.errors.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::providers::System;

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn worker() -> Config {
        config(&[
            ("key.converter", defs::STRING_CONVERTER),
            ("value.converter", defs::AVRO_CONVERTER),
        ])
    }

    fn jdbc(extra: &[(&str, &str)]) -> Config {
        let mut c = config(&[
            ("name", "plans-copy"),
            ("connector.class", defs::JDBC_SINK),
            ("topics", "codeflix.billing.plan.state"),
            ("connection.url", "jdbc:sqlite:billing-copy.db"),
            ("insert.mode", "upsert"),
            ("pk.mode", "record_key"),
            ("pk.fields", "id"),
            ("auto.create", "true"),
        ]);
        c.extend(config(extra));
        c
    }

    fn problems(c: &Config, mode: Mode) -> BTreeMap<String, Vec<String>> {
        problems_by_key(&validate(c, mode, &worker(), &System))
    }

    #[test]
    fn a_runnable_jdbc_sink_has_no_errors() {
        let found = problems(&jdbc(&[]), Mode::Embedded);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn unknown_keys_are_errors_with_the_nearest_known_key() {
        let found = problems(
            &jdbc(&[("fields.whitelsit", "a"), ("completely.made.up", "1")]),
            Mode::Embedded,
        );
        assert_eq!(
            found["fields.whitelsit"],
            [
                "unknown configuration key for io.confluent.connect.jdbc.JdbcSinkConnector; did you mean fields.whitelist?"
            ]
        );
        assert_eq!(
            found["completely.made.up"],
            ["unknown configuration key for io.confluent.connect.jdbc.JdbcSinkConnector"]
        );
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn missing_required_keys_and_bad_values_are_errors_on_their_keys() {
        let mut c = jdbc(&[
            ("batch.size", "lots"),
            ("auto.create", "yes"),
            ("tasks.max", "0"),
            ("insert.mode", "merge"),
        ]);
        c.remove("connection.url");
        let found = problems(&c, Mode::Embedded);
        assert_eq!(
            found["connection.url"],
            ["Missing required configuration \"connection.url\" which has no default value."]
        );
        assert_eq!(
            found["batch.size"],
            ["Invalid value lots for configuration batch.size: Not a number of type INT"]
        );
        assert_eq!(
            found["auto.create"],
            [
                "Invalid value yes for configuration auto.create: Expected value to be either true or false"
            ]
        );
        assert_eq!(
            found["tasks.max"],
            ["Invalid value 0 for configuration tasks.max: Value must be at least 1"]
        );
        assert_eq!(
            found["insert.mode"],
            [
                "Invalid value merge for configuration insert.mode: String must be one of: insert, upsert, update"
            ]
        );
    }

    #[test]
    fn keys_that_belong_together_are_checked_together() {
        let found = problems(
            &jdbc(&[
                ("pk.mode", "none"),
                ("delete.enabled", "true"),
                ("topics.regex", "codeflix\\..*"),
                (
                    "errors.deadletterqueue.topic.name",
                    "codeflix.billing.plan.state",
                ),
            ]),
            Mode::Embedded,
        );
        assert_eq!(
            found["delete.enabled"],
            ["Primary key mode must be 'record_key' when delete support is enabled"]
        );
        assert!(found["pk.mode"][0].contains("insert.mode=upsert needs the rows' keys"));
        assert_eq!(
            found["topics"],
            ["topics and topics.regex are mutually exclusive options, but both are set."]
        );
        assert!(found["errors.deadletterqueue.topic.name"][0].contains("may not be included"));

        let none = problems(
            &{
                let mut c = jdbc(&[]);
                c.remove("topics");
                c
            },
            Mode::Embedded,
        );
        assert_eq!(
            none["topics"],
            ["Must configure one of topics or topics.regex"]
        );
    }

    #[test]
    fn a_primitive_key_needs_exactly_one_pk_field() {
        let found = problems(&jdbc(&[("pk.fields", "")]), Mode::Embedded);
        assert!(
            found["pk.fields"][0].starts_with("Need exactly one PK column defined since the key schema for records is a primitive type (StringConverter)"),
            "{found:?}"
        );
        // A JSON key may be a struct: any number of fields.
        let json_key = problems(
            &jdbc(&[
                ("pk.fields", ""),
                ("key.converter", defs::JSON_CONVERTER),
                ("key.converter.schemas.enable", "true"),
            ]),
            Mode::Embedded,
        );
        assert!(json_key.is_empty(), "{json_key:?}");
    }

    #[test]
    fn what_only_a_real_cluster_runs_is_named_as_such() {
        let found = problems(
            &jdbc(&[
                ("connection.url", "jdbc:postgresql://db/billing"),
                ("insert.mode", "update"),
                ("transforms", "ts"),
                (
                    "transforms.ts.type",
                    "org.apache.kafka.connect.transforms.TimestampConverter$Value",
                ),
                ("transforms.ts.target.type", "Timestamp"),
                (
                    "value.converter",
                    "io.confluent.connect.protobuf.ProtobufConverter",
                ),
            ]),
            Mode::Embedded,
        );
        assert!(
            found["connection.url"][0].contains("jdbc:sqlite:"),
            "{found:?}"
        );
        assert!(found["insert.mode"][0].contains("runs only on a real Kafka Connect cluster"));
        assert!(
            found["transforms.ts.type"][0].contains("is not a transform the embedded runtime has")
        );
        assert!(
            found["value.converter"][0].contains("is not a converter the embedded runtime has")
        );
        assert!(
            !found.contains_key("transforms.ts.target.type"),
            "its keys are its own"
        );

        let es = config(&[
            ("name", "videos-search"),
            ("connector.class", defs::ELASTICSEARCH_SINK),
            ("topics", "codeflix.catalog.video.state"),
            ("connection.url", "http://es:9200"),
        ]);
        let embedded = problems(&es, Mode::Embedded);
        assert!(
            embedded["connector.class"][0].contains("runs only on a real Kafka Connect cluster")
        );
        assert!(problems(&es, Mode::Production).is_empty());
    }

    #[test]
    fn production_mode_checks_keys_and_leaves_placeholders_to_the_worker() {
        let es = config(&[
            ("name", "videos-search"),
            ("connector.class", defs::ELASTICSEARCH_SINK),
            ("topics", "codeflix.catalog.video.state"),
            ("connection.url", "${env:ELASTICSEARCH_URL}"),
            (
                "connection.password",
                "${file:/run/secrets/es.properties:password}",
            ),
            ("batch.size", "${env:BATCH}"),
            ("behavior.on.null.values", "delete"),
            ("type.name", "_doc"),
        ]);
        let found = problems(&es, Mode::Production);
        assert_eq!(found.keys().collect::<Vec<_>>(), ["type.name"], "{found:?}");
        let bad = config(&[
            ("name", "x"),
            ("connector.class", defs::ELASTICSEARCH_SINK),
            ("topics", "t"),
            ("behavior.on.null.values", "drop"),
        ]);
        let found = problems(&bad, Mode::Production);
        assert!(found["connection.url"][0].starts_with("Missing required configuration"));
        assert!(
            found["behavior.on.null.values"][0]
                .contains("String must be one of: IGNORE, DELETE, FAIL")
        );
    }

    #[test]
    fn transforms_and_predicates_are_checked_per_alias() {
        let found = problems(
            &jdbc(&[
                ("transforms", "route,drop,ghost"),
                (
                    "transforms.route.type",
                    "org.apache.kafka.connect.transforms.RegexRouter",
                ),
                ("transforms.route.regex", "codeflix\\.(.*)"),
                ("transforms.route.replacement", "copy_$2"),
                ("transforms.drop.type", "Filter"),
                ("transforms.drop.predicate", "isTombstone"),
                ("transforms.other.type", "Filter"),
                ("predicates", "tomb"),
                ("predicates.tomb.type", "RecordIsTombstone"),
                ("predicates.tomb.extra", "1"),
            ]),
            Mode::Embedded,
        );
        assert_eq!(
            found["transforms.route.replacement"],
            ["Invalid value copy_$2 for configuration transforms.route.replacement: No group 2"]
        );
        assert!(
            found["transforms.drop.predicate"][0].contains("isTombstone is not one of the aliases")
        );
        assert!(found["transforms.ghost.type"][0].starts_with("Missing required configuration"));
        assert!(
            found["transforms.other.type"][0]
                .contains("other is not one of the aliases listed in transforms")
        );
        assert!(found["predicates.tomb.extra"][0].contains("unknown setting"));
        assert_eq!(found.len(), 5, "{found:?}");
    }

    #[test]
    fn converter_settings_are_checked_against_their_converter() {
        let found = problems(
            &jdbc(&[
                ("value.converter", defs::AVRO_CONVERTER),
                ("value.converter.schemas.enable", "false"),
                ("key.converter.schemas.enable", "false"),
            ]),
            Mode::Embedded,
        );
        assert!(found["value.converter.schema.registry.url"][0].starts_with("Missing required"));
        assert!(found["value.converter.schemas.enable"][0].contains("unknown setting"));
        assert!(found["key.converter.schemas.enable"][0].contains("set key.converter too"));
    }

    #[test]
    fn unresolvable_placeholders_are_errors_when_running_embedded() {
        let config = jdbc(&[
            (
                "connection.url",
                "jdbc:sqlite:${env:CODEFLIX_TEST_SURELY_UNSET}/x.db",
            ),
            ("batch.size", "${env:CODEFLIX_TEST_BATCH}"),
        ]);
        let lookup = crate::config::providers::Variables {
            defaults: [("CODEFLIX_TEST_BATCH".to_owned(), "50".to_owned())].into(),
        };
        let validation = validate(&config, Mode::Embedded, &worker(), &lookup);
        let found = problems_by_key(&validation);
        assert_eq!(
            found.keys().collect::<Vec<_>>(),
            ["connection.url"],
            "{found:?}"
        );
        assert!(found["connection.url"][0].contains("CODEFLIX_TEST_SURELY_UNSET is not set"));
        let url = validation
            .configs
            .iter()
            .find(|c| c.def.name == "connection.url")
            .unwrap();
        assert!(url.defined, "the key keeps its definition");
        assert_eq!(url.def.group, "Connection");
    }

    #[test]
    fn a_mirror_must_copy_bytes_between_named_clusters() {
        let mirror = config(&[
            ("name", "m"),
            ("connector.class", defs::MIRROR_SOURCE),
            ("source.cluster.alias", "billing"),
            ("source.cluster.bootstrap.servers", "127.0.0.1:9092"),
            ("target.cluster.bootstrap.servers", "127.0.0.1:9092"),
            (
                "replication.policy.class",
                "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
            ),
            ("key.converter", defs::BYTE_ARRAY_CONVERTER),
            ("value.converter", defs::BYTE_ARRAY_CONVERTER),
        ]);
        let found = problems(&mirror, Mode::Embedded);
        assert!(found["replication.policy.class"][0].contains("onto itself"));
        assert!(found["header.converter"][0].contains("copies bytes"));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(problems(&mirror, Mode::Production).is_empty());
    }
}
