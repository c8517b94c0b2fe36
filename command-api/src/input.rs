//! Reading request bodies so that every broken rule is reported at once.
//!
//! A body is read as a JSON object and each field is parsed into the domain's value objects by
//! [`Fields`], which collects every error instead of stopping at the first (as a typed serde
//! deserialisation would).

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use codeflix_domain::{RangeError, TextError};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::problem::{FieldError, Problem};

/// The largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 256 * 1024;

/// A request body that is a JSON object.
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Value>);

impl JsonObject {
    /// SHA-256 of the object in canonical form (members sorted, no whitespace): the same JSON
    /// sent twice, however formatted, has the same digest.
    pub fn digest(&self) -> String {
        use sha2::Digest;
        let canonical = serde_json::to_vec(&self.0).unwrap_or_default();
        let hash = sha2::Sha256::digest(&canonical);
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Send JSON",
                format!(
                    "the body must be application/json, not {}",
                    if content_type.is_empty() {
                        "untyped"
                    } else {
                        content_type
                    }
                ),
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            let status = e.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    status,
                    "too-large",
                    "The body is too large",
                    format!("JSON bodies are at most {MAX_JSON_BYTES} bytes"),
                )
            } else {
                Problem::bad_request(e.body_text())
            }
        })?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(JsonObject(map)),
            Ok(_) => Err(Problem::bad_request("the body must be a JSON object")),
            Err(e) => Err(Problem::bad_request(format!("the body is not JSON: {e}"))),
        }
    }
}

/// Parses the members of a JSON object, collecting every broken rule.
#[derive(Debug)]
pub struct Fields {
    object: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new(JsonObject(object): JsonObject) -> Self {
        Fields {
            object,
            errors: Vec::new(),
        }
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        match self.object.remove(name) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        }
    }

    fn error(&mut self, field: &str, rule: impl Into<String>) {
        self.errors.push(FieldError::new(field, rule));
    }

    fn missing<T>(&mut self, name: &str) -> Option<T> {
        self.error(name, "is required");
        None
    }

    fn string(&mut self, name: &str) -> Option<Option<String>> {
        match self.take(name) {
            None => Some(None),
            Some(Value::String(s)) => Some(Some(s)),
            Some(_) => {
                self.error(name, "must be a string");
                None
            }
        }
    }

    /// A required text of at most `max` characters as sent (surrounding whitespace included, as
    /// the OpenAPI document's `maxLength` counts), parsed by `parse`.
    pub fn text<T>(
        &mut self,
        name: &str,
        max: usize,
        parse: impl FnOnce(&str) -> Result<T, TextError>,
    ) -> Option<T> {
        match self.string(name)? {
            None => self.missing(name),
            Some(s) => self.parse_text(name, &s, max, parse),
        }
    }

    /// An optional text like [`Fields::text`]; absent, null or blank mean none.
    pub fn optional_text<T>(
        &mut self,
        name: &str,
        max: usize,
        parse: impl FnOnce(&str) -> Result<T, TextError>,
    ) -> Option<Option<T>> {
        match self.string(name)? {
            None => Some(None),
            Some(s) if s.trim().is_empty() && s.chars().count() <= max => Some(None),
            Some(s) => self.parse_text(name, &s, max, parse).map(Some),
        }
    }

    fn parse_text<T>(
        &mut self,
        name: &str,
        text: &str,
        max: usize,
        parse: impl FnOnce(&str) -> Result<T, TextError>,
    ) -> Option<T> {
        let len = text.chars().count();
        if len > max {
            self.error(name, format!("must be at most {max} characters, not {len}"));
            return None;
        }
        match parse(text) {
            Ok(value) => Some(value),
            Err(e) => {
                self.error(name, rule_of_text(&e));
                None
            }
        }
    }

    /// A required member whose string form parses with [`FromStr`] (enumerations).
    pub fn symbol<T: FromStr<Err = TextError>>(&mut self, name: &str) -> Option<T> {
        self.text(name, usize::MAX, T::from_str)
    }

    /// A boolean, `default` when absent.
    pub fn boolean(&mut self, name: &str, default: bool) -> Option<bool> {
        match self.take(name) {
            None => Some(default),
            Some(Value::Bool(b)) => Some(b),
            Some(_) => {
                self.error(name, "must be true or false");
                None
            }
        }
    }

    /// A required integer parsed by `parse`.
    pub fn integer<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(i64) -> Result<T, RangeError>,
    ) -> Option<T> {
        match self.take(name) {
            None => self.missing(name),
            Some(Value::Number(n)) => match n.as_i64().or_else(|| {
                // 113.0 is a whole number too (JSON Schema's "integer" accepts it).
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }) {
                Some(i) => match parse(i) {
                    Ok(value) => Some(value),
                    Err(e) => {
                        self.error(
                            name,
                            format!("must be between {} and {}, not {}", e.min, e.max, e.value),
                        );
                        None
                    }
                },
                None => {
                    self.error(name, "must be a whole number");
                    None
                }
            },
            Some(_) => {
                self.error(name, "must be a number");
                None
            }
        }
    }

    /// An optional integer parsed by `parse`, `default` when absent or null.
    pub fn integer_or<T>(
        &mut self,
        name: &str,
        default: i64,
        parse: impl FnOnce(i64) -> Result<T, RangeError>,
    ) -> Option<T> {
        if matches!(self.object.get(name), None | Some(Value::Null)) {
            self.object.remove(name);
            self.object.insert(name.to_owned(), Value::from(default));
        }
        self.integer(name, parse)
    }

    /// A required id (UUID).
    pub fn id(&mut self, name: &str) -> Option<Uuid> {
        match self.take(name) {
            None => self.missing(name),
            Some(Value::String(text)) if Uuid::parse_str(&text).is_ok() => {
                Uuid::parse_str(&text).ok()
            }
            Some(_) => {
                self.error(name, "must be an id (UUID)");
                None
            }
        }
    }

    /// A required list of at most `max` strings.
    pub fn strings(&mut self, name: &str, max: usize) -> Option<Vec<String>> {
        let items = match self.take(name) {
            None => return self.missing(name),
            Some(Value::Array(items)) if items.len() <= max => items,
            Some(Value::Array(items)) => {
                self.error(
                    name,
                    format!("must hold at most {max} items, not {}", items.len()),
                );
                return None;
            }
            Some(_) => {
                self.error(name, "must be a list of strings");
                return None;
            }
        };
        let mut strings: Vec<String> = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::String(s) => strings.push(s),
                _ => {
                    self.error(&format!("{name}[{i}]"), "must be a string");
                    ok = false;
                }
            }
        }
        ok.then_some(strings)
    }

    /// A list of ids, empty when absent; duplicates are reported.
    pub fn ids(&mut self, name: &str) -> Option<Vec<Uuid>> {
        let items = match self.take(name) {
            None => return Some(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.error(name, "must be a list of ids");
                return None;
            }
        };
        let mut ids = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let field = format!("{name}[{i}]");
            match item.as_str().map(Uuid::parse_str) {
                Some(Ok(id)) if ids.contains(&id) => {
                    self.error(&field, format!("repeats {id}"));
                    ok = false;
                }
                Some(Ok(id)) => ids.push(id),
                _ => {
                    self.error(&field, "must be an id (UUID)");
                    ok = false;
                }
            }
        }
        ok.then_some(ids)
    }

    /// Adds an error found outside the body (e.g. a referenced aggregate that is missing).
    pub fn reject(&mut self, field: impl Into<String>, rule: impl Into<String>) {
        self.errors.push(FieldError::new(field, rule));
    }

    /// Every error found, including members the operation does not know.
    pub fn finish(mut self) -> Result<(), Problem> {
        let unknown: Vec<String> = self.object.keys().cloned().collect();
        for name in unknown {
            self.error(&name, "is not a field of this operation");
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::validation(self.errors))
        }
    }
}

/// The rule of a text error without the field name (the problem names the field).
fn rule_of_text(error: &TextError) -> String {
    match error {
        TextError::Blank { .. } => "must not be blank".into(),
        TextError::TooLong { len, max, .. } => {
            format!("must be at most {max} characters, not {len}")
        }
        TextError::ControlCharacters { .. } => "must not contain control characters".into(),
        TextError::Format { rule, .. } => (*rule).into(),
    }
}

/// Parses a path id, or says it is not one.
pub fn path_id(text: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(text)
        .map_err(|_| Problem::validation(vec![FieldError::new("id", "must be an id (UUID)")]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use codeflix_domain::catalog::video::{LaunchYear, Title};
    use serde_json::json;

    use super::*;

    fn fields(value: Value) -> Fields {
        let Value::Object(map) = value else {
            panic!("not an object")
        };
        Fields::new(JsonObject(map))
    }

    #[test]
    fn reports_every_broken_rule_at_once() {
        let mut f = fields(json!({
            "title": "",
            "launch_year": 1700,
            "categories": ["nope", "1a8f2c3e-6a7b-4c1d-9e2f-3a4b5c6d7e8f", "1a8f2c3e-6a7b-4c1d-9e2f-3a4b5c6d7e8f"],
            "colour": "red",
        }));
        assert!(f.text("title", Title::MAX_CHARS, Title::parse).is_none());
        assert!(f.integer("launch_year", LaunchYear::parse).is_none());
        assert!(f.integer("duration", Ok::<_, RangeError>).is_none());
        assert!(f.ids("categories").is_none());
        let problem = f.finish().unwrap_err();
        let found: Vec<(&str, &str)> = problem
            .0
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("title", "must not be blank"),
                ("launch_year", "must be between 1888 and 9999, not 1700"),
                ("duration", "is required"),
                ("categories[0]", "must be an id (UUID)"),
                (
                    "categories[2]",
                    "repeats 1a8f2c3e-6a7b-4c1d-9e2f-3a4b5c6d7e8f"
                ),
                ("colour", "is not a field of this operation"),
            ]
        );
        assert_eq!(problem.0.status, 422);
    }

    #[test]
    fn accepts_what_is_valid() {
        let mut f = fields(json!({"title": " Up ", "launch_year": 2009, "description": null}));
        assert_eq!(
            f.text("title", Title::MAX_CHARS, Title::parse)
                .unwrap()
                .as_str(),
            "Up"
        );
        assert_eq!(
            f.integer("launch_year", LaunchYear::parse).unwrap().get(),
            2009
        );
        assert_eq!(
            f.optional_text("description", Title::MAX_CHARS, Title::parse)
                .unwrap(),
            None
        );
        assert!(f.finish().is_ok());
    }
}
