//! The compose stack's configuration is configuration `codeflix` accepts: every setting in
//! `compose/codeflix.env` and every `CODEFLIX__*` in `compose/docker-compose.yml` resolves to the
//! setting it names (a misspelt key fails `codeflix config`, as it would fail the container).

use std::process::Command;

fn codeflix_config(env: &[(String, String)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_codeflix"))
        .arg("config")
        .current_dir(dir.path())
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap()
}

/// `KEY=VALUE` lines of the env file and `KEY: value` lines of the compose file naming settings.
fn compose_settings() -> Vec<(String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../compose");
    let env_file = std::fs::read_to_string(format!("{root}/codeflix.env")).unwrap();
    let compose = std::fs::read_to_string(format!("{root}/docker-compose.yml")).unwrap();
    let mut settings: Vec<(String, String)> = env_file
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    settings.extend(compose.lines().filter_map(|l| {
        let (k, v) = l.trim().split_once(": ")?;
        k.starts_with("CODEFLIX__")
            .then(|| (k.to_owned(), v.trim_matches('"').to_owned()))
    }));
    settings
}

#[test]
fn every_compose_setting_is_one_codeflix_reads() {
    let settings = compose_settings();
    assert!(settings.len() >= 10, "{settings:?}");
    let output = codeflix_config(&settings);
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (key, value) in &settings {
        let name = key
            .trim_start_matches("CODEFLIX__")
            .to_lowercase()
            .replace("__", ".");
        let line = shown
            .lines()
            .find(|l| l.starts_with(&format!("{name} = ")))
            .unwrap_or_else(|| panic!("{name} is not a setting:\n{shown}"));
        assert!(
            line.contains(value.as_str()),
            "{key}={value} shows as {line}"
        );
    }
}

#[test]
fn a_misspelt_setting_is_refused() {
    let output = codeflix_config(&[(
        "CODEFLIX__VIEWS__SCYLA_URL".to_owned(),
        "scylla://db".to_owned(),
    )]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("scyla_url"), "{stderr}");
}

#[test]
fn passwords_in_engine_urls_are_not_shown() {
    let output = codeflix_config(&[
        (
            "CODEFLIX__VIEWS__ELASTICSEARCH_URL".to_owned(),
            "https://elastic:hunter2@es:9200/codeflix-videos".to_owned(),
        ),
        (
            "CODEFLIX__VIEWS__SCYLLA_URL".to_owned(),
            "scylla://app:hunter2@db1,db2/codeflix_catalog".to_owned(),
        ),
        (
            "CODEFLIX__EVENT_LOG__SCYLLA_URL".to_owned(),
            "scylla://app:hunter2@db1/codeflix_commands".to_owned(),
        ),
    ]);
    assert!(output.status.success());
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("https://elastic:<redacted>@es:9200/codeflix-videos"),
        "{shown}"
    );
    assert!(
        shown.contains("scylla://app:<redacted>@db1,db2/codeflix_catalog"),
        "{shown}"
    );
    assert!(
        shown.contains("scylla://app:<redacted>@db1/codeflix_commands"),
        "{shown}"
    );
}
