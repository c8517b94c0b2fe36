//! Compatibility levels and the check they imply, by Avro schema resolution.

use std::fmt;
use std::str::FromStr;

use apache_avro::Schema;
use apache_avro::schema_compatibility::{Compatibility, SchemaCompatibility};

/// A subject's compatibility level, as the Confluent registry names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl Level {
    pub const ALL: [Level; 7] = [
        Level::None,
        Level::Backward,
        Level::BackwardTransitive,
        Level::Forward,
        Level::ForwardTransitive,
        Level::Full,
        Level::FullTransitive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "NONE",
            Level::Backward => "BACKWARD",
            Level::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Level::Forward => "FORWARD",
            Level::ForwardTransitive => "FORWARD_TRANSITIVE",
            Level::Full => "FULL",
            Level::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    fn transitive(self) -> bool {
        matches!(
            self,
            Level::BackwardTransitive | Level::ForwardTransitive | Level::FullTransitive
        )
    }

    fn backward(self) -> bool {
        matches!(
            self,
            Level::Backward | Level::BackwardTransitive | Level::Full | Level::FullTransitive
        )
    }

    fn forward(self) -> bool {
        matches!(
            self,
            Level::Forward | Level::ForwardTransitive | Level::Full | Level::FullTransitive
        )
    }

    /// Why `candidate` cannot join a subject whose versions are `existing` (oldest first), if
    /// it cannot. Non-transitive levels compare with the latest version only.
    pub fn violations(self, existing: &[Schema], candidate: &Schema) -> Vec<String> {
        let against: &[Schema] = if self.transitive() {
            existing
        } else {
            existing.last().map_or(&[], std::slice::from_ref)
        };
        let mut problems = Vec::new();
        for (i, old) in against.iter().enumerate() {
            let backward = self
                .backward()
                .then(|| cannot_read(old, candidate))
                .flatten();
            if let Some(problem) = backward {
                problems.push(format!(
                    "the new schema cannot read data written with an earlier version ({i}): {problem}"
                ));
            }
            let forward = self
                .forward()
                .then(|| cannot_read(candidate, old))
                .flatten();
            if let Some(problem) = forward {
                problems.push(format!(
                    "an earlier version ({i}) cannot read data written with the new schema: {problem}"
                ));
            }
        }
        problems
    }
}

fn cannot_read(writer: &Schema, reader: &Schema) -> Option<String> {
    match SchemaCompatibility::can_read(writer, reader) {
        Ok(Compatibility::Full) => None,
        Ok(Compatibility::Partial) => Some(
            "some values cannot be resolved (an enum lost symbols or a union lost branches)".into(),
        ),
        Err(error) => Some(error.to_string()),
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("{s:?} is not a compatibility level"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &str) -> Schema {
        Schema::parse_str(&format!(
            r#"{{"type":"record","name":"R","fields":[{fields}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn backward_accepts_an_optional_field_and_refuses_a_required_one() {
        let v1 = record(r#"{"name":"a","type":"string"}"#);
        let optional = record(
            r#"{"name":"a","type":"string"},{"name":"b","type":["null","int"],"default":null}"#,
        );
        let required = record(r#"{"name":"a","type":"string"},{"name":"b","type":"int"}"#);
        assert!(
            Level::Backward
                .violations(std::slice::from_ref(&v1), &optional)
                .is_empty()
        );
        assert_eq!(
            Level::Backward
                .violations(std::slice::from_ref(&v1), &required)
                .len(),
            1
        );
        // A required field can be added when only forward compatibility is asked.
        assert!(
            Level::Forward
                .violations(std::slice::from_ref(&v1), &required)
                .is_empty()
        );
        assert!(Level::None.violations(&[v1], &required).is_empty());
    }

    #[test]
    fn transitive_levels_compare_with_every_version() {
        let v1 = record(r#"{"name":"a","type":"string"}"#);
        let v2 = record(
            r#"{"name":"a","type":"string"},{"name":"b","type":["null","int"],"default":null}"#,
        );
        let v3 = record(r#"{"name":"a","type":"string"},{"name":"b","type":["null","int"]}"#);
        let history = [v1, v2];
        assert!(Level::Backward.violations(&history, &v3).is_empty());
        assert!(
            !Level::BackwardTransitive
                .violations(&history, &v3)
                .is_empty()
        );
    }

    #[test]
    fn levels_parse_case_insensitively() {
        assert_eq!("full_transitive".parse(), Ok(Level::FullTransitive));
        assert!("SIDEWAYS".parse::<Level>().is_err());
    }
}
