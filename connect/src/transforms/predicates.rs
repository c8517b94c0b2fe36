//! Predicates: `TopicNameMatches` (the whole topic name matches `pattern`), `HasHeaderKey` (a
//! header called `name` exists) and `RecordIsTombstone` (the value is null).

use regex::Regex;

use crate::config::Config;
use crate::config::defs;
use crate::patterns;
use crate::record::Record;

#[derive(Debug, Clone)]
pub enum Predicate {
    TopicNameMatches(Regex),
    HasHeaderKey(String),
    RecordIsTombstone,
}

impl Predicate {
    /// The predicate `predicates.<alias>.*` describes.
    pub fn from_config(config: &Config, alias: &str) -> Result<Predicate, String> {
        let setting = |name: &str| config.get(&format!("predicates.{alias}.{name}"));
        let class = setting("type").ok_or_else(|| format!("predicates.{alias}.type is missing"))?;
        match defs::canonical_plugin(class.trim(), &defs::PREDICATES) {
            Some(defs::TOPIC_NAME_MATCHES) => {
                let pattern = setting("pattern")
                    .ok_or_else(|| format!("predicates.{alias}.pattern is missing"))?;
                Ok(Predicate::TopicNameMatches(patterns::whole(pattern)?))
            }
            Some(defs::HAS_HEADER_KEY) => Ok(Predicate::HasHeaderKey(
                setting("name")
                    .ok_or_else(|| format!("predicates.{alias}.name is missing"))?
                    .clone(),
            )),
            Some(_) => Ok(Predicate::RecordIsTombstone),
            None => Err(format!(
                "{class} is not a predicate the embedded runtime has"
            )),
        }
    }

    pub fn test(&self, record: &Record) -> bool {
        match self {
            Predicate::TopicNameMatches(pattern) => pattern.is_match(&record.topic),
            Predicate::HasHeaderKey(name) => record.last_header(name).is_some(),
            Predicate::RecordIsTombstone => record.value.value.is_null(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Data, Value};

    fn record(topic: &str, value: Value, headers: &[&str]) -> Record {
        Record {
            topic: topic.into(),
            partition: 0,
            timestamp: None,
            key: Data::NULL,
            value: Data::new(None, value),
            headers: headers.iter().map(|h| ((*h).to_owned(), None)).collect(),
        }
    }

    #[test]
    fn topic_name_matches_the_whole_name() {
        let p = Predicate::TopicNameMatches(patterns::whole("codeflix\\..*\\.state").unwrap());
        assert!(p.test(&record("codeflix.billing.plan.state", Value::Null, &[])));
        assert!(!p.test(&record("codeflix.billing.plan.state.dlq", Value::Null, &[])));
        assert!(!p.test(&record("x.codeflix.billing.plan.state", Value::Null, &[])));
    }

    #[test]
    fn has_header_key_looks_for_the_name_only() {
        let p = Predicate::HasHeaderKey("ce_type".into());
        assert!(p.test(&record("t", Value::Null, &["ce_id", "ce_type"])));
        assert!(!p.test(&record("t", Value::Null, &["ce_typo"])));
    }

    #[test]
    fn a_tombstone_is_a_null_value() {
        let p = Predicate::RecordIsTombstone;
        assert!(p.test(&record("t", Value::Null, &[])));
        assert!(!p.test(&record("t", Value::String(String::new()), &[])));
    }

    #[test]
    fn predicates_are_built_from_their_aliases() {
        let config: Config = [
            ("predicates.h.type".to_owned(), "HasHeaderKey".to_owned()),
            ("predicates.h.name".to_owned(), "x".to_owned()),
            (
                "predicates.bad.type".to_owned(),
                "com.example.Odd".to_owned(),
            ),
        ]
        .into();
        assert!(
            matches!(Predicate::from_config(&config, "h"), Ok(Predicate::HasHeaderKey(n)) if n == "x")
        );
        assert!(Predicate::from_config(&config, "bad").is_err());
        assert!(Predicate::from_config(&config, "missing").is_err());
    }
}
