//! Configuration providers: `${env:NAME}` and `${file:PATH:KEY}` placeholders in connector
//! configurations, resolved when a connector starts, as a Connect worker does with
//! `config.providers=env,file` (Apache Kafka's `EnvVarConfigProvider` and `FileConfigProvider`;
//! the file is a Java properties file).
//!
//! Stored and shown configurations keep their placeholders (a secret read from a file is never
//! echoed by `GET /connectors/{name}/config`); only a running task sees resolved values.
//!
//! Where Connect leaves a placeholder it cannot resolve as it is (a variable that is not set, a
//! key missing from the file, a provider the worker lacks), the embedded runtime refuses the
//! configuration and names the key: a literal `${env:PASSWORD}` is never the intended value.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::Config;

/// Connect's `ConfigTransformer.DEFAULT_PATTERN`: `${provider:[path:]key}`.
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)] // A constant pattern.
    Regex::new(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}").unwrap()
});

/// Whether `value` holds a provider placeholder (which only a worker can resolve).
pub fn has_placeholder(value: &str) -> bool {
    PLACEHOLDER.is_match(value)
}

/// Where placeholders' values come from; the process's environment and files by default.
pub trait Lookup {
    fn env(&self, name: &str) -> Option<String>;
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

/// The process's environment and file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct System;

impl Lookup for System {
    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// The process's environment, then `defaults` for the names it lacks (matched ignoring case,
/// as settings from `CODEFLIX__…` variables arrive lower-cased): how a role gives the connector
/// files embedded defaults without touching its own environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    pub defaults: BTreeMap<String, String>,
}

impl Lookup for Variables {
    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().or_else(|| {
            self.defaults
                .get(name)
                .or_else(|| {
                    self.defaults
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v)
                })
                .cloned()
        })
    }

    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// `config` with every placeholder replaced, or the problems by key.
pub fn resolve(
    config: &Config,
    lookup: &impl Lookup,
) -> Result<Config, BTreeMap<String, Vec<String>>> {
    let (resolved, problems) = resolve_each(config, lookup);
    if problems.is_empty() {
        Ok(resolved)
    } else {
        Err(problems)
    }
}

/// Every key whose placeholders resolve, resolved; and the problems of the others by key.
pub fn resolve_each(
    config: &Config,
    lookup: &impl Lookup,
) -> (Config, BTreeMap<String, Vec<String>>) {
    let mut files: HashMap<String, Result<HashMap<String, String>, String>> = HashMap::new();
    let mut resolved = Config::new();
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in config {
        let mut out = String::new();
        let mut last = 0;
        for caps in PLACEHOLDER.captures_iter(value) {
            let (Some(whole), Some(provider), Some(name)) = (caps.get(0), caps.get(1), caps.get(4))
            else {
                continue;
            };
            out.push_str(&value[last..whole.start()]);
            last = whole.end();
            let path = caps.get(3).map(|m| m.as_str());
            match lookup_one(lookup, &mut files, provider.as_str(), path, name.as_str()) {
                Ok(found) => out.push_str(&found),
                Err(problem) => problems.entry(key.clone()).or_default().push(problem),
            }
        }
        out.push_str(&value[last..]);
        if !problems.contains_key(key) {
            resolved.insert(key.clone(), out);
        }
    }
    (resolved, problems)
}

fn lookup_one(
    lookup: &impl Lookup,
    files: &mut HashMap<String, Result<HashMap<String, String>, String>>,
    provider: &str,
    path: Option<&str>,
    key: &str,
) -> Result<String, String> {
    match provider {
        "env" => {
            if let Some(path) = path.filter(|p| !p.is_empty()) {
                return Err(format!(
                    "${{env:{path}:{key}}}: the env provider takes no path, write ${{env:{key}}}"
                ));
            }
            lookup
                .env(key)
                .ok_or_else(|| format!("${{env:{key}}}: the environment variable {key} is not set"))
        }
        "file" => {
            let Some(path) = path.filter(|p| !p.is_empty()) else {
                return Err(format!(
                    "${{file:{key}}}: the file provider needs a path and a key, e.g. ${{file:/run/secrets/db.properties:password}}"
                ));
            };
            let properties = files
                .entry(path.to_owned())
                .or_insert_with(|| {
                    lookup
                        .read(Path::new(path))
                        .map(|text| parse_properties(&text))
                        .map_err(|e| format!("reading {path}: {e}"))
                })
                .as_ref()
                .map_err(|e| format!("${{file:{path}:{key}}}: {e}"))?;
            properties
                .get(key)
                .cloned()
                .ok_or_else(|| format!("${{file:{path}:{key}}}: {path} has no property {key}"))
        }
        other => Err(format!(
            "${{{other}:…}}: the embedded runtime has the config providers env and file, not {other}"
        )),
    }
}

/// A Java properties file (`java.util.Properties.load`): `key=value`, `key: value` or
/// `key value`; `#` and `!` comments; a trailing backslash continues a line; `\t`, `\n`, `\r`,
/// `\f`, `\uXXXX` and `\x` escapes.
pub fn parse_properties(text: &str) -> HashMap<String, String> {
    let mut properties = HashMap::new();
    let mut lines = text.lines();
    while let Some(first) = lines.next() {
        let mut logical = first.trim_start().to_owned();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        while ends_in_continuation(&logical) {
            logical.pop();
            match lines.next() {
                Some(next) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let (key, value) = split_property(&logical);
        properties.insert(unescape(key), unescape(value));
    }
    properties
}

/// An odd number of trailing backslashes continues the line.
fn ends_in_continuation(line: &str) -> bool {
    line.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1
}

/// The raw key and value of a logical line.
fn split_property(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut end = line.len();
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | ':' | ' ' | '\t' | '\x0c' => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let key = &line[..end];
    let mut rest = line[end..].trim_start_matches([' ', '\t', '\x0c']);
    if let Some(after) = rest.strip_prefix(['=', ':']) {
        rest = after.trim_start_matches([' ', '\t', '\x0c']);
    }
    (key, rest)
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(decoded) => out.push(decoded),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake {
        env: HashMap<&'static str, &'static str>,
        files: HashMap<&'static str, &'static str>,
    }

    impl Lookup for Fake {
        fn env(&self, name: &str) -> Option<String> {
            self.env.get(name).map(|v| (*v).to_owned())
        }

        fn read(&self, path: &Path) -> std::io::Result<String> {
            self.files
                .get(path.to_str().unwrap_or_default())
                .map(|v| (*v).to_owned())
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        }
    }

    fn fake() -> Fake {
        Fake {
            env: HashMap::from([("DB_DIR", "/var/lib/codeflix"), ("EMPTY", "")]),
            files: HashMap::from([(
                "/run/secrets/jdbc.properties",
                "# credentials\nuser = connect\npassword:s3cr\\\n   et\\u0021\n",
            )]),
        }
    }

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn env_and_file_placeholders_are_replaced_inside_values() {
        let resolved = resolve(
            &config(&[
                ("connection.url", "jdbc:sqlite:${env:DB_DIR}/billing.db"),
                (
                    "connection.password",
                    "${file:/run/secrets/jdbc.properties:password}",
                ),
                (
                    "connection.user",
                    "${file:/run/secrets/jdbc.properties:user}",
                ),
                ("table.name.format", "copy_${topic}"),
                ("empty", "${env:EMPTY}"),
            ]),
            &fake(),
        )
        .unwrap();
        assert_eq!(
            resolved["connection.url"],
            "jdbc:sqlite:/var/lib/codeflix/billing.db"
        );
        assert_eq!(resolved["connection.password"], "s3cret!");
        assert_eq!(resolved["connection.user"], "connect");
        // Not a provider placeholder: the sink's own `${topic}` stays.
        assert_eq!(resolved["table.name.format"], "copy_${topic}");
        assert_eq!(resolved["empty"], "");
    }

    #[test]
    fn unresolvable_placeholders_are_errors_on_their_keys() {
        let problems = resolve(
            &config(&[
                ("a", "${env:NOT_SET}"),
                ("b", "${file:/run/secrets/jdbc.properties:nope}"),
                ("c", "${file:/missing.properties:x}"),
                ("c2", "${file:/missing.properties:y}"),
                ("d", "${vault:secret/db:password}"),
                ("e", "${env:/path:DB_DIR}"),
                ("fine", "${env:DB_DIR}"),
            ]),
            &fake(),
        )
        .unwrap_err();
        assert_eq!(
            problems.keys().collect::<Vec<_>>(),
            ["a", "b", "c", "c2", "d", "e"]
        );
        assert!(
            problems["a"][0].contains("NOT_SET is not set"),
            "{problems:?}"
        );
        assert!(problems["b"][0].contains("has no property nope"));
        assert!(problems["c"][0].contains("reading /missing.properties"));
        // Each key's message names its own key, though the file was read once.
        assert!(
            problems["c2"][0].starts_with("${file:/missing.properties:y}: "),
            "{problems:?}"
        );
        assert!(problems["d"][0].contains("not vault"));
        assert!(problems["e"][0].contains("takes no path"));
    }

    #[test]
    fn defaults_fill_in_for_variables_the_environment_lacks() {
        let lookup = Variables {
            defaults: BTreeMap::from([
                (
                    "codeflix_test_surely_unset_url".to_owned(),
                    "jdbc:sqlite:x.db".to_owned(),
                ),
                ("PATH".to_owned(), "not this".to_owned()),
            ]),
        };
        assert_eq!(
            lookup.env("CODEFLIX_TEST_SURELY_UNSET_URL").as_deref(),
            Some("jdbc:sqlite:x.db")
        );
        // The environment wins.
        assert_ne!(lookup.env("PATH").as_deref(), Some("not this"));
        assert_eq!(lookup.env("CODEFLIX_TEST_ALSO_UNSET"), None);
    }

    #[test]
    fn properties_files_follow_java_rules() {
        let parsed = parse_properties(
            "! comment\n  key1 = value one \nkey2:value2\nkey3 value3\nkey\\ 4=a\\=b\\tc\nempty\nlong = a\\\n    b\n",
        );
        assert_eq!(parsed["key1"], "value one ");
        assert_eq!(parsed["key2"], "value2");
        assert_eq!(parsed["key3"], "value3");
        assert_eq!(parsed["key 4"], "a=b\tc");
        assert_eq!(parsed["empty"], "");
        assert_eq!(parsed["long"], "ab");
        assert_eq!(parsed.len(), 6);
    }
}
