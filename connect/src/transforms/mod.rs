//! Single message transforms and predicates, with Kafka Connect's semantics: a chain applied in
//! the order `transforms` lists them, each optionally guarded by a predicate
//! (`transforms.<alias>.predicate`, inverted by `.negate`: the transform applies when
//! `negate XOR predicate(record)`), a `Filter` ending the chain for the record it drops.
//!
//! - [`fields`]: `ExtractField`, `ReplaceField`, `ValueToKey`;
//! - [`route`]: `RegexRouter`, `InsertHeader`, `Filter`;
//! - [`predicates`]: `TopicNameMatches`, `HasHeaderKey`, `RecordIsTombstone`.

pub mod fields;
pub mod predicates;
pub mod route;

use crate::config::defs::{self};
use crate::config::{Config, list};
use crate::errors::{Exception, Failure, Stage};
use crate::record::Record;

pub use fields::{FieldPath, Part};
pub use predicates::Predicate;

/// One transform.
#[derive(Debug, Clone)]
pub enum Transform {
    RegexRouter(route::RegexRouter),
    ExtractField(fields::ExtractField),
    ReplaceField(fields::ReplaceField),
    ValueToKey(fields::ValueToKey),
    InsertHeader(route::InsertHeader),
    Filter,
}

impl Transform {
    /// The class Connect names for it.
    pub fn class_name(&self) -> &'static str {
        match self {
            Transform::RegexRouter(_) => defs::REGEX_ROUTER,
            Transform::ExtractField(t) => match t.part {
                Part::Key => defs::EXTRACT_FIELD_KEY,
                Part::Value => defs::EXTRACT_FIELD_VALUE,
            },
            Transform::ReplaceField(t) => match t.part {
                Part::Key => defs::REPLACE_FIELD_KEY,
                Part::Value => defs::REPLACE_FIELD_VALUE,
            },
            Transform::ValueToKey(_) => defs::VALUE_TO_KEY,
            Transform::InsertHeader(_) => defs::INSERT_HEADER,
            Transform::Filter => defs::FILTER,
        }
    }

    /// The record after this transform; `None` when it drops it.
    pub fn apply(&self, record: Record) -> Result<Option<Record>, Exception> {
        match self {
            Transform::RegexRouter(t) => Ok(Some(t.apply(record))),
            Transform::ExtractField(t) => t.apply(record).map(Some),
            Transform::ReplaceField(t) => t.apply(record).map(Some),
            Transform::ValueToKey(t) => t.apply(record).map(Some),
            Transform::InsertHeader(t) => Ok(Some(t.apply(record))),
            Transform::Filter => Ok(None),
        }
    }
}

/// A transform in a chain, with its alias and guard.
#[derive(Debug, Clone)]
pub struct Step {
    pub alias: String,
    pub transform: Transform,
    pub predicate: Option<Predicate>,
    pub negate: bool,
}

/// The transforms of a connector, in order.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    pub steps: Vec<Step>,
}

impl Chain {
    /// The chain `config` describes (`transforms`, `transforms.<alias>.*`, `predicates`,
    /// `predicates.<alias>.*`).
    pub fn from_config(config: &Config) -> Result<Chain, String> {
        let setting = |key: String| config.get(&key).map(String::as_str);
        let mut steps = Vec::new();
        for alias in config
            .get("transforms")
            .map(|t| list(t))
            .unwrap_or_default()
        {
            let prefix = format!("transforms.{alias}.");
            let own = |name: &str| setting(format!("{prefix}{name}"));
            let class = own("type").ok_or_else(|| format!("{prefix}type is missing"))?;
            let class = defs::canonical_plugin(class.trim(), &defs::TRANSFORMS)
                .ok_or_else(|| format!("{class} is not a transform the embedded runtime has"))?;
            let flag = |name: &str, default: bool| {
                own(name).map_or(default, |v| v.trim().eq_ignore_ascii_case("true"))
            };
            let part = if class.ends_with("$Key") {
                Part::Key
            } else {
                Part::Value
            };
            let transform = match class {
                defs::REGEX_ROUTER => Transform::RegexRouter(route::RegexRouter::new(
                    own("regex").ok_or_else(|| format!("{prefix}regex is missing"))?,
                    own("replacement").ok_or_else(|| format!("{prefix}replacement is missing"))?,
                )?),
                defs::EXTRACT_FIELD_KEY | defs::EXTRACT_FIELD_VALUE => {
                    let field = own("field").ok_or_else(|| format!("{prefix}field is missing"))?;
                    let v2 = own("field.syntax.version")
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case("V2"));
                    Transform::ExtractField(fields::ExtractField {
                        part,
                        path: FieldPath::parse(field, v2)?,
                        replace_null_with_default: flag("replace.null.with.default", true),
                    })
                }
                defs::REPLACE_FIELD_KEY | defs::REPLACE_FIELD_VALUE => {
                    // The deprecated names count only when the new ones are not set.
                    let either = |new: &str, old: &str| {
                        own(new)
                            .filter(|v| !v.trim().is_empty())
                            .or_else(|| own(old))
                            .map(list)
                            .unwrap_or_default()
                    };
                    let renames = own("renames")
                        .map(list)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|pair| {
                            let parts: Vec<&str> = pair.split(':').collect();
                            match parts.as_slice() {
                                [from, to] => Ok(((*from).to_owned(), (*to).to_owned())),
                                _ => Err(format!("Invalid rename mapping: {pair}")),
                            }
                        })
                        .collect::<Result<_, String>>()?;
                    Transform::ReplaceField(fields::ReplaceField {
                        part,
                        include: either("include", "whitelist"),
                        exclude: either("exclude", "blacklist"),
                        renames,
                    })
                }
                defs::VALUE_TO_KEY => Transform::ValueToKey(fields::ValueToKey {
                    fields: own("fields").map(list).unwrap_or_default(),
                    replace_null_with_default: flag("replace.null.with.default", true),
                }),
                defs::INSERT_HEADER => Transform::InsertHeader(route::InsertHeader {
                    header: own("header")
                        .ok_or_else(|| format!("{prefix}header is missing"))?
                        .to_owned(),
                    value: own("value.literal")
                        .ok_or_else(|| format!("{prefix}value.literal is missing"))?
                        .as_bytes()
                        .to_vec(),
                }),
                _ => Transform::Filter,
            };
            let predicate = match own("predicate") {
                Some(name) => Some(Predicate::from_config(config, name)?),
                None => None,
            };
            steps.push(Step {
                alias,
                transform,
                predicate,
                negate: flag("negate", false),
            });
        }
        Ok(Chain { steps })
    }

    /// The record after every step; `None` when a step drops it; the failure of the first step
    /// that fails.
    pub fn apply(&self, mut record: Record) -> Result<Option<Record>, Failure> {
        for step in &self.steps {
            let applies = match &step.predicate {
                Some(predicate) => step.negate ^ predicate.test(&record),
                None => true,
            };
            if !applies {
                continue;
            }
            match step.transform.apply(record) {
                Ok(Some(next)) => record = next,
                Ok(None) => return Ok(None),
                Err(error) => {
                    return Err(Failure::new(
                        Stage::Transformation,
                        step.transform.class_name(),
                        error,
                    ));
                }
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Data, Schema, Type, Value};

    fn record(topic: &str, value: Value) -> Record {
        Record {
            topic: topic.into(),
            partition: 0,
            timestamp: None,
            key: Data::new(
                Some(Schema::of(Type::String).optional()),
                Value::String("k".into()),
            ),
            value: Data::new(None, value),
            headers: Vec::new(),
        }
    }

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_predicate_guards_its_transform_and_negate_inverts_it() {
        let chain = Chain::from_config(&config(&[
            ("transforms", "dropTombstones,route"),
            (
                "transforms.dropTombstones.type",
                "org.apache.kafka.connect.transforms.Filter",
            ),
            ("transforms.dropTombstones.predicate", "tomb"),
            ("transforms.route.type", "RegexRouter"),
            ("transforms.route.regex", "codeflix\\.(.*)\\.state"),
            ("transforms.route.replacement", "copy_$1"),
            ("transforms.route.predicate", "billing"),
            ("transforms.route.negate", "true"),
            ("predicates", "tomb,billing"),
            ("predicates.tomb.type", "RecordIsTombstone"),
            ("predicates.billing.type", "TopicNameMatches"),
            ("predicates.billing.pattern", "codeflix\\.billing\\..*"),
        ]))
        .unwrap();
        // Tombstones are dropped.
        assert_eq!(
            chain
                .apply(record("codeflix.x.state", Value::Null))
                .unwrap(),
            None
        );
        // Routed unless the topic is billing's (negated predicate).
        let routed = chain
            .apply(record("codeflix.catalog.video.state", Value::Map(vec![])))
            .unwrap()
            .unwrap();
        assert_eq!(routed.topic, "copy_catalog.video");
        let kept = chain
            .apply(record("codeflix.billing.plan.state", Value::Map(vec![])))
            .unwrap()
            .unwrap();
        assert_eq!(kept.topic, "codeflix.billing.plan.state");
    }

    #[test]
    fn a_failing_step_is_a_transformation_failure_of_its_class() {
        let chain = Chain::from_config(&config(&[
            ("transforms", "id"),
            (
                "transforms.id.type",
                "org.apache.kafka.connect.transforms.ExtractField$Value",
            ),
            ("transforms.id.field", "id"),
        ]))
        .unwrap();
        let failure = chain
            .apply(record("t", Value::String("not a map".into())))
            .unwrap_err();
        assert_eq!(failure.stage, Stage::Transformation);
        assert_eq!(failure.executing_class, defs::EXTRACT_FIELD_VALUE);
        assert_eq!(
            failure.error.message,
            "Only Map objects supported in absence of schema for [field extraction], found: java.lang.String"
        );
    }
}
