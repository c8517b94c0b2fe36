//! Loading schema files and making each named type self-contained.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use apache_avro::Schema;
use codeflix_domain::AggregateType;
use serde_json::Value as Json;

/// A schema file set that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{path}: not JSON: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("{path}: a schema file holds one named type with a name and namespace")]
    NotNamed { path: String },
    #[error("{path}: declares {fullname}, which belongs in {expected}")]
    WrongPath {
        path: String,
        fullname: String,
        expected: String,
    },
    #[error("{fullname} is declared twice")]
    Duplicate { fullname: String },
    #[error("{fullname} refers to {missing}, which no schema file declares")]
    UnknownType { fullname: String, missing: String },
    #[error("{fullname}: not a valid Avro schema: {source}")]
    Avro {
        fullname: String,
        source: Box<apache_avro::Error>,
    },
}

/// One named type with everything it refers to inlined.
#[derive(Debug, Clone)]
pub struct NamedSchema {
    /// E.g. `codeflix.catalog.video.VideoUploaded`.
    pub fullname: String,
    /// The file it came from, relative to `schemas/avro`.
    pub path: String,
    /// Self-contained JSON: what a schema registry stores for the subject.
    pub json: String,
    pub schema: Schema,
}

/// A consistent set of schema files.
#[derive(Debug, Clone)]
pub struct SchemaSet {
    types: BTreeMap<String, NamedSchema>,
}

/// The full Avro name of an event's schema: `codeflix.<aggregate type>.<event type>`.
pub fn event_fullname(aggregate_type: AggregateType, event_type: &str) -> String {
    format!("codeflix.{aggregate_type}.{event_type}")
}

/// The aggregate type and event type named by an event schema's full name.
pub fn split_event_fullname(fullname: &str) -> Option<(AggregateType, &str)> {
    let (namespace, name) = fullname.rsplit_once('.')?;
    let aggregate_type = namespace.strip_prefix("codeflix.")?.parse().ok()?;
    Some((aggregate_type, name))
}

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

fn qualify(name: &str, namespace: &str) -> String {
    if name.contains('.') || namespace.is_empty() {
        name.to_owned()
    } else {
        format!("{namespace}.{name}")
    }
}

fn namespace_of(fullname: &str) -> &str {
    fullname.rsplit_once('.').map_or("", |(ns, _)| ns)
}

/// The full name a named-type definition declares, relative to the enclosing namespace.
fn declared_name(definition: &serde_json::Map<String, Json>, namespace: &str) -> Option<String> {
    let name = definition.get("name")?.as_str()?;
    let namespace = definition
        .get("namespace")
        .and_then(Json::as_str)
        .unwrap_or(namespace);
    Some(qualify(name, namespace))
}

impl SchemaSet {
    /// The schemas this binary was built with.
    pub fn embedded() -> &'static SchemaSet {
        static SET: LazyLock<SchemaSet> = LazyLock::new(|| {
            SchemaSet::from_files(
                crate::embedded::FILES
                    .iter()
                    .map(|(path, text)| ((*path).to_owned(), (*text).to_owned())),
            )
            .unwrap_or_else(|e| panic!("the embedded schemas are broken: {e}"))
        });
        &SET
    }

    /// Parses schema files, given as (path relative to `schemas/avro`, content).
    ///
    /// Each file declares one named type whose namespace matches its directory:
    /// `codeflix.catalog.video.VideoUploaded` lives in `catalog/video/VideoUploaded.avsc`.
    pub fn from_files(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<SchemaSet, SchemaError> {
        let mut raw: BTreeMap<String, (String, Json)> = BTreeMap::new();
        for (path, text) in files {
            let json: Json = serde_json::from_str(&text).map_err(|source| SchemaError::Json {
                path: path.clone(),
                source,
            })?;
            let fullname = json
                .as_object()
                .and_then(|o| declared_name(o, ""))
                .filter(|name| name.contains('.'))
                .ok_or_else(|| SchemaError::NotNamed { path: path.clone() })?;
            let expected = format!(
                "{}.avsc",
                fullname
                    .strip_prefix("codeflix.")
                    .unwrap_or(&fullname)
                    .replace('.', "/")
            );
            if path != expected {
                return Err(SchemaError::WrongPath {
                    path,
                    fullname,
                    expected,
                });
            }
            if raw.insert(fullname.clone(), (path, json)).is_some() {
                return Err(SchemaError::Duplicate { fullname });
            }
        }
        let mut types = BTreeMap::new();
        for (fullname, (path, json)) in &raw {
            let mut composed = json.clone();
            let mut defined = HashSet::new();
            inline(&raw, fullname, &mut composed, "", &mut defined)?;
            let text = composed.to_string();
            let schema = Schema::parse_str(&text).map_err(|source| SchemaError::Avro {
                fullname: fullname.clone(),
                source: Box::new(source),
            })?;
            types.insert(
                fullname.clone(),
                NamedSchema {
                    fullname: fullname.clone(),
                    path: path.clone(),
                    json: text,
                    schema,
                },
            );
        }
        Ok(SchemaSet { types })
    }

    pub fn get(&self, fullname: &str) -> Option<&NamedSchema> {
        self.types.get(fullname)
    }

    /// The schema of one event type.
    pub fn event(&self, aggregate_type: AggregateType, event_type: &str) -> Option<&NamedSchema> {
        self.get(&event_fullname(aggregate_type, event_type))
    }

    /// Every named type, events and shared types alike, by full name.
    pub fn iter(&self) -> impl Iterator<Item = &NamedSchema> {
        self.types.values()
    }

    /// The event schemas: records that carry a `metadata` envelope.
    pub fn events(&self) -> impl Iterator<Item = &NamedSchema> {
        self.iter().filter(|s| match &s.schema {
            Schema::Record(record) => record.fields.first().is_some_and(|f| f.name == "metadata"),
            _ => false,
        })
    }
}

/// Replaces the first reference to each named type with its definition (Avro requires a
/// definition before any use, in document order) and qualifies later references.
fn inline(
    raw: &BTreeMap<String, (String, Json)>,
    owner: &str,
    schema: &mut Json,
    namespace: &str,
    defined: &mut HashSet<String>,
) -> Result<(), SchemaError> {
    match schema {
        Json::String(name) if !PRIMITIVES.contains(&name.as_str()) => {
            let fullname = qualify(name, namespace);
            if defined.contains(&fullname) {
                *name = fullname;
                return Ok(());
            }
            let (_, definition) = raw.get(&fullname).ok_or_else(|| SchemaError::UnknownType {
                fullname: owner.to_owned(),
                missing: fullname.clone(),
            })?;
            let mut definition = definition.clone();
            inline(
                raw,
                owner,
                &mut definition,
                namespace_of(&fullname),
                defined,
            )?;
            *schema = definition;
        }
        Json::Array(branches) => {
            for branch in branches {
                inline(raw, owner, branch, namespace, defined)?;
            }
        }
        Json::Object(definition) => {
            let kind = definition.get("type").and_then(Json::as_str).unwrap_or("");
            match kind {
                "record" | "error" | "enum" | "fixed" => {
                    let fullname = declared_name(definition, namespace).unwrap_or_default();
                    let inner = namespace_of(&fullname).to_owned();
                    defined.insert(fullname);
                    if let Some(Json::Array(fields)) = definition.get_mut("fields") {
                        for field in fields {
                            if let Some(field_type) = field.get_mut("type") {
                                inline(raw, owner, field_type, &inner, defined)?;
                            }
                        }
                    }
                }
                "array" => {
                    if let Some(items) = definition.get_mut("items") {
                        inline(raw, owner, items, namespace, defined)?;
                    }
                }
                "map" => {
                    if let Some(values) = definition.get_mut("values") {
                        inline(raw, owner, values, namespace, defined)?;
                    }
                }
                _ => {
                    // A primitive with a logical type, or a nested {"type": <schema>}.
                    if let Some(inner @ (Json::Object(_) | Json::Array(_))) =
                        definition.get_mut("type")
                    {
                        inline(raw, owner, inner, namespace, defined)?;
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, json: &str) -> (String, String) {
        (path.to_owned(), json.to_owned())
    }

    #[test]
    fn shared_types_are_inlined_once_then_referenced() {
        let set = SchemaSet::from_files([
            file(
                "x/Kind.avsc",
                r#"{"type":"enum","name":"Kind","namespace":"codeflix.x","symbols":["A","B"]}"#,
            ),
            file(
                "x/Thing.avsc",
                r#"{"type":"record","name":"Thing","namespace":"codeflix.x","fields":[
                    {"name":"first","type":"Kind"},
                    {"name":"second","type":["null","codeflix.x.Kind"],"default":null}]}"#,
            ),
        ])
        .unwrap();
        let thing = set.get("codeflix.x.Thing").unwrap();
        assert_eq!(
            thing.json.matches("\"symbols\"").count(),
            1,
            "{}",
            thing.json
        );
        assert!(
            thing.json.contains(r#""codeflix.x.Kind""#),
            "{}",
            thing.json
        );
    }

    #[test]
    fn an_unknown_reference_or_a_misplaced_file_is_an_error() {
        let unknown = SchemaSet::from_files([file(
            "x/Thing.avsc",
            r#"{"type":"record","name":"Thing","namespace":"codeflix.x","fields":[{"name":"a","type":"codeflix.x.Nope"}]}"#,
        )]);
        assert!(
            matches!(unknown, Err(SchemaError::UnknownType { ref missing, .. }) if missing == "codeflix.x.Nope"),
            "{unknown:?}"
        );
        let misplaced = SchemaSet::from_files([file(
            "y/Thing.avsc",
            r#"{"type":"record","name":"Thing","namespace":"codeflix.x","fields":[]}"#,
        )]);
        assert!(
            matches!(misplaced, Err(SchemaError::WrongPath { .. })),
            "{misplaced:?}"
        );
    }

    #[test]
    fn event_names_follow_the_aggregate_type() {
        assert_eq!(
            event_fullname(AggregateType::Video, "VideoUploaded"),
            "codeflix.catalog.video.VideoUploaded"
        );
        assert_eq!(
            split_event_fullname("codeflix.subscriptions.subscription.SubscriptionStarted"),
            Some((AggregateType::Subscription, "SubscriptionStarted"))
        );
        assert_eq!(split_event_fullname("other.Thing"), None);
    }
}
