use std::process::ExitCode;

use crate::settings::Settings;

/// `codeflix config`: the settings in effect, secrets redacted.
pub(crate) fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let mut shown = settings.clone();
    for (name, value) in &mut shown.kafka.properties {
        if codeflix_domain::redact::is_secret_name(name) {
            *value = "<redacted>".into();
        }
    }
    let mut value = serde_json::to_value(&shown)?;
    redact_urls(&mut value);
    print!("{}", toml_like(&value, ""));
    Ok(ExitCode::SUCCESS)
}

/// Redacts the credentials of every URL among the settings, and every setting named like a
/// secret (`auth.admin_client_secret`, …).
fn redact_urls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (name, value) in map.iter_mut() {
                if value.is_string() && codeflix_domain::redact::is_secret_name(name) {
                    *value = "<redacted>".into();
                } else {
                    redact_urls(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_urls),
        serde_json::Value::String(text) => *text = codeflix_domain::redact::redact(text),
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
