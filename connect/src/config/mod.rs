//! Connector configurations: the files in `connect.dir` (Connect's REST create format,
//! `{"name": …, "config": {…}}`), placeholders ([`providers`]), the documented keys
//! ([`defs`]) and their validation ([`validate`]).

pub mod defs;
pub mod providers;
pub mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A connector's configuration: every value a string, as Connect's REST API holds them.
pub type Config = BTreeMap<String, String>;

/// A connector file: where it is, the connector's name and its configuration (with `name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorFile {
    pub path: PathBuf,
    pub name: String,
    pub config: Config,
}

/// Something wrong with a connector file itself (not with its keys).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct FileError {
    pub path: PathBuf,
    pub message: String,
}

/// A JSON object of settings as a configuration: strings as they are, numbers and booleans as
/// their text (Connect's REST API accepts both); anything else is refused by key.
pub fn config_from_json(value: &serde_json::Value) -> Result<Config, String> {
    let serde_json::Value::Object(map) = value else {
        return Err("the configuration must be a JSON object of strings".to_owned());
    };
    let mut config = Config::new();
    let mut wrong = Vec::new();
    for (key, value) in map {
        match value {
            serde_json::Value::String(s) => {
                config.insert(key.clone(), s.clone());
            }
            serde_json::Value::Number(n) => {
                config.insert(key.clone(), n.to_string());
            }
            serde_json::Value::Bool(b) => {
                config.insert(key.clone(), b.to_string());
            }
            _ => wrong.push(key.clone()),
        }
    }
    if wrong.is_empty() {
        Ok(config)
    } else {
        Err(format!(
            "configuration values must be strings, numbers or booleans; not {}",
            wrong.join(", ")
        ))
    }
}

/// A create request (`{"name": …, "config": {…}}`) as a name and a configuration that holds
/// the name too; a `config.name` that differs is refused, as Connect refuses it.
pub fn from_create_request(value: &serde_json::Value) -> Result<(String, Config), String> {
    let name = value
        .get("name")
        .and_then(serde_json::Value::as_str)
        .ok_or("a connector needs a \"name\" (a string) next to its \"config\"")?;
    let config = value
        .get("config")
        .ok_or("a connector needs a \"config\" object next to its \"name\"")?;
    let mut config = config_from_json(config)?;
    match config.get("name") {
        Some(inner) if inner != name => {
            return Err(format!(
                "Connector name configuration ({inner}) doesn't match connector name in the URL ({name})"
            ));
        }
        _ => {
            config.insert("name".to_owned(), name.to_owned());
        }
    }
    Ok((name.to_owned(), config))
}

/// Every connector file (`*.json`) in `dir`, by file name; every file that cannot be read or is
/// not a connector, and every name used twice, is an error.
pub fn load_dir(dir: &Path) -> Result<Vec<ConnectorFile>, Vec<FileError>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![FileError {
            path: dir.to_owned(),
            message: format!("cannot read the connector directory: {e}"),
        }]
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json") && path.is_file())
        .collect();
    paths.sort();
    let mut files: Vec<ConnectorFile> = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match load_file(&path) {
            Ok(file) => {
                if let Some(first) = files.iter().find(|f| f.name == file.name) {
                    errors.push(FileError {
                        message: format!(
                            "connector {} is already defined by {}",
                            file.name,
                            first.path.display()
                        ),
                        path,
                    });
                } else {
                    files.push(file);
                }
            }
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// One connector file.
pub fn load_file(path: &Path) -> Result<ConnectorFile, FileError> {
    let error = |message: String| FileError {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| error(format!("not JSON: {e}")))?;
    let (name, config) = from_create_request(&json).map_err(error)?;
    Ok(ConnectorFile {
        path: path.to_owned(),
        name,
        config,
    })
}

/// A configuration value, or its documented default; `None` for an unset key without one.
pub fn value<'a>(config: &'a Config, defs: &'a [defs::Def], name: &str) -> Option<&'a str> {
    config
        .get(name)
        .map(String::as_str)
        .or_else(|| defs.iter().find(|d| d.name == name).and_then(|d| d.default))
}

/// A comma-separated list, trimmed, without empty items (Connect's `ConfigDef.Type.LIST`).
pub fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_requests_carry_the_name_into_the_config() {
        let (name, config) = from_create_request(&serde_json::json!({
            "name": "plans-copy",
            "config": {"connector.class": "JdbcSinkConnector", "tasks.max": 1, "auto.create": true}
        }))
        .unwrap();
        assert_eq!(name, "plans-copy");
        assert_eq!(config["name"], "plans-copy");
        assert_eq!(config["tasks.max"], "1");
        assert_eq!(config["auto.create"], "true");
    }

    #[test]
    fn a_config_naming_another_connector_or_holding_objects_is_refused() {
        let mismatch = from_create_request(&serde_json::json!({
            "name": "a", "config": {"name": "b"}
        }))
        .unwrap_err();
        assert!(mismatch.contains("(b) doesn't match"), "{mismatch}");
        let nested = from_create_request(&serde_json::json!({
            "name": "a", "config": {"x": {"y": 1}}
        }))
        .unwrap_err();
        assert!(nested.contains("not x"), "{nested}");
        assert!(from_create_request(&serde_json::json!({"config": {}})).is_err());
    }

    #[test]
    fn a_directory_loads_json_files_in_order_and_reports_each_bad_one() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("b.json", r#"{"name": "second", "config": {}}"#);
        write("a.json", r#"{"name": "first", "config": {}}"#);
        write("README.md", "not a connector");
        assert_eq!(
            load_dir(dir.path())
                .unwrap()
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["first", "second"]
        );
        write("c.json", r#"{"name": "first", "config": {}}"#);
        write("d.json", "{");
        let errors = load_dir(dir.path()).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].message.contains("already defined by"));
        assert!(errors[1].message.contains("not JSON"));
    }
}
