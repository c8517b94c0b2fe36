//! `RegexRouter` (renames the topic when the whole name matches `regex`, to `replacement` with
//! Java's `$1` group references) and `InsertHeader` (adds a header with a literal value).
//! `Filter` has no settings: it drops every record it is applied to.

use regex::Regex;

use crate::patterns;
use crate::record::Record;

#[derive(Debug, Clone)]
pub struct RegexRouter {
    regex: Regex,
    replacement: String,
}

impl RegexRouter {
    pub fn new(regex: &str, replacement: &str) -> Result<RegexRouter, String> {
        let regex = patterns::whole(regex)?;
        patterns::check_replacement(&regex, replacement)?;
        Ok(RegexRouter {
            regex,
            replacement: replacement.to_owned(),
        })
    }

    /// `matcher.matches()` then `replaceFirst(replacement)`; an unmatched topic is kept.
    pub fn apply(&self, mut record: Record) -> Record {
        if let Some(captures) = self.regex.captures(&record.topic)
            && let Ok(topic) = patterns::replace(&self.regex, &captures, &self.replacement)
        {
            record.topic = topic;
        }
        record
    }
}

#[derive(Debug, Clone)]
pub struct InsertHeader {
    pub header: String,
    pub value: Vec<u8>,
}

impl InsertHeader {
    /// Adds the header (a header of the same name stays: Kafka headers repeat).
    pub fn apply(&self, mut record: Record) -> Record {
        record
            .headers
            .push((self.header.clone(), Some(self.value.clone())));
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Data;

    fn record(topic: &str) -> Record {
        Record {
            topic: topic.into(),
            partition: 2,
            timestamp: Some(5),
            key: Data::NULL,
            value: Data::NULL,
            headers: vec![("origin".into(), Some(b"billing".to_vec()))],
        }
    }

    #[test]
    fn the_router_renames_only_whole_matches() {
        let router = RegexRouter::new("codeflix\\.([a-z]+)\\.([a-z]+)\\.state", "$1_$2").unwrap();
        assert_eq!(
            router.apply(record("codeflix.billing.plan.state")).topic,
            "billing_plan"
        );
        // A partial match is no match (Java's matches(), not find()).
        assert_eq!(
            router.apply(record("codeflix.billing.plan.state.v2")).topic,
            "codeflix.billing.plan.state.v2"
        );
        let kept = router.apply(record("other"));
        assert_eq!((kept.topic.as_str(), kept.partition), ("other", 2));
    }

    #[test]
    fn a_replacement_naming_a_missing_group_is_refused_up_front() {
        assert_eq!(RegexRouter::new("(a)", "$2").unwrap_err(), "No group 2");
    }

    #[test]
    fn insert_header_adds_a_literal_after_the_existing_headers() {
        let inserted = InsertHeader {
            header: "origin".into(),
            value: b"codeflix-connect".to_vec(),
        }
        .apply(record("t"));
        assert_eq!(
            inserted.headers,
            vec![
                ("origin".to_owned(), Some(b"billing".to_vec())),
                ("origin".to_owned(), Some(b"codeflix-connect".to_vec())),
            ]
        );
        assert_eq!(
            inserted.last_header("origin").unwrap().1.as_deref(),
            Some(&b"codeflix-connect"[..])
        );
    }
}
