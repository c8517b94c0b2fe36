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
    print!("{}", toml_like(&serde_json::to_value(&shown)?, ""));
    Ok(ExitCode::SUCCESS)
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
