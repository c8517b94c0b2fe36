use std::process::ExitCode;

use crate::settings::Settings;

/// Property names whose values are secrets.
fn secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "secret", "token", "key"]
        .iter()
        .any(|word| name.contains(word))
}

pub(crate) fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let mut shown = settings.clone();
    for (name, value) in &mut shown.kafka.properties {
        if secret(name) {
            *value = "<redacted>".into();
        }
    }
    let mut value = serde_json::to_value(&shown)?;
    redact_urls(&mut value);
    print!("{}", toml_like(&value, ""));
    Ok(ExitCode::SUCCESS)
}

/// Replaces the password of every `scheme://user:password@…` string with `<redacted>`.
fn redact_urls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_urls),
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_urls),
        serde_json::Value::String(text) => {
            let Some(scheme_end) = text.find("://").map(|i| i + 3) else {
                return;
            };
            let authority_end = text[scheme_end..]
                .find(['/', '?', '#'])
                .map_or(text.len(), |i| scheme_end + i);
            let Some(at) = text[scheme_end..authority_end]
                .rfind('@')
                .map(|i| scheme_end + i)
            else {
                return;
            };
            if let Some(colon) = text[scheme_end..at].find(':').map(|i| scheme_end + i) {
                text.replace_range(colon + 1..at, "<redacted>");
            }
        }
        _ => {}
    }
}

/// Renders nested settings as `section.key = value` lines.
fn toml_like(value: &serde_json::Value, prefix: &str) -> String {
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                toml_like(v, &key)
            })
            .collect(),
        other => format!("{prefix} = {other}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::secret;

    #[test]
    fn secrets_are_recognised() {
        assert!(secret("sasl.password"));
        assert!(secret("ssl.key.password"));
        assert!(!secret("security.protocol"));
    }
}
