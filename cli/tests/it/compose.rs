//! The compose stack's configuration is configuration `codeflix` accepts: every setting in
//! `compose/codeflix.env` and every `CODEFLIX__*` in `compose/docker-compose.yml` resolves to the
//! setting it names (a misspelt key fails `codeflix config`, as it would fail the container); every
//! engine asks for a password that `compose/new-secrets.sh` makes; `docker-compose` resolves it.

use std::collections::BTreeSet;
use std::process::Command;

use codeflix_domain::redact::{is_secret_name, redact};

pub(crate) fn codeflix_config(env: &[(String, String)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_codeflix"))
        .arg("config")
        .current_dir(dir.path())
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap()
}

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../compose");

fn compose_file() -> String {
    std::fs::read_to_string(format!("{ROOT}/docker-compose.yml")).unwrap()
}

/// The names of the variables the compose file interpolates (`${NAME}`, `${NAME:?why}`).
fn interpolated_names(text: &str) -> BTreeSet<String> {
    text.split("${")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect()
        })
        .collect()
}

/// A stand-in for a secret of the compose file: what it interpolates for `name`.
fn stand_in(name: &str) -> String {
    format!("pw-{}", name.to_lowercase())
}

/// `text` with every `${NAME…}` replaced by its stand-in.
fn interpolated(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let end = at + rest[at..].find('}').unwrap();
        let name: String = rest[at + 2..end]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
            .collect();
        out.push_str(&stand_in(&name));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `KEY=VALUE` lines of the env file and `KEY: value` lines of the compose file naming settings,
/// the compose file's secrets replaced by stand-ins.
fn compose_settings() -> Vec<(String, String)> {
    let env_file = std::fs::read_to_string(format!("{ROOT}/codeflix.env")).unwrap();
    let compose = interpolated(&compose_file());
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

/// The name `codeflix config` shows for the environment variable `key`.
pub(crate) fn setting_name(key: &str) -> String {
    let name = key
        .trim_start_matches("CODEFLIX__")
        .to_lowercase()
        .replace("__", ".");
    match name.strip_prefix("kafka.properties.") {
        // librdkafka's property names are dotted; the environment spells the dots `_`.
        Some(property) => format!("kafka.properties.{}", property.replace('_', ".")),
        None => name,
    }
}

#[test]
fn every_compose_setting_is_one_codeflix_reads() {
    let settings = compose_settings();
    assert!(settings.len() >= 15, "{settings:?}");
    let output = codeflix_config(&settings);
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (key, value) in &settings {
        let name = setting_name(key);
        let line = shown
            .lines()
            .find(|l| l.starts_with(&format!("{name} = ")))
            .unwrap_or_else(|| panic!("{name} is not a setting:\n{shown}"));
        // Settings named like secrets (a librdkafka password, a client secret) are hidden whole;
        // URLs lose their credentials.
        let last = if name.starts_with("kafka.properties.") {
            name.as_str()
        } else {
            name.rsplit('.').next().unwrap_or(&name)
        };
        let expected = if is_secret_name(last) {
            "<redacted>".to_owned()
        } else {
            redact(value)
        };
        assert!(line.contains(&expected), "{key}={value} shows as {line}");
    }
    for name in interpolated_names(&compose_file()) {
        assert!(!shown.contains(&stand_in(&name)), "{name} shown:\n{shown}");
    }
}

#[test]
fn the_stack_needs_a_password_for_every_engine_and_publishes_on_loopback_only() {
    let compose = compose_file();
    let names = interpolated_names(&compose);
    for engine in [
        "KAFKA",
        "REGISTRY",
        "SCYLLA",
        "ELASTIC",
        "CONNECT",
        "KEYCLOAK",
        "CONTEXT_DB",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(engine)),
            "no password for {engine}: {names:?}"
        );
    }
    let mut lines = compose.lines();
    let mut published = 0;
    while let Some(line) = lines.next() {
        if line.trim() == "ports:" {
            for entry in lines
                .by_ref()
                .take_while(|l| l.trim_start().starts_with("- "))
            {
                assert!(
                    entry.trim().starts_with("- \"127.0.0.1:"),
                    "published beyond loopback: {entry}"
                );
                published += 1;
            }
        }
    }
    assert!(published >= 7, "{published} ports published");
}

/// The roles trust the realm the keycloak service imports, at the address it publishes, and
/// the secret the realm file leaves as a placeholder is given to Keycloak.
#[test]
fn the_roles_trust_the_realm_keycloak_imports() {
    let compose = compose_file();
    let realm: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{ROOT}/keycloak/codeflix-realm.json")).unwrap(),
    )
    .unwrap();
    let issuer = compose_settings()
        .into_iter()
        .find(|(k, _)| k == "CODEFLIX__AUTH__ISSUER")
        .map(|(_, v)| v)
        .expect("CODEFLIX__AUTH__ISSUER is set");
    let realm_name = realm["realm"].as_str().unwrap();
    assert_eq!(issuer, format!("http://localhost:8180/realms/{realm_name}"));
    assert!(compose.contains("- \"127.0.0.1:8180:8080\""), "{compose}");
    assert!(
        compose.contains("KC_HOSTNAME: http://localhost:8180\n"),
        "{compose}"
    );
    assert!(compose.contains("--import-realm"), "{compose}");
    assert!(
        compose.contains("- ./keycloak:/opt/keycloak/data/import:ro"),
        "{compose}"
    );
    let secret = realm["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clientId"] == "codeflix-admin")
        .unwrap()["secret"]
        .as_str()
        .unwrap();
    let placeholder = secret
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .expect("the secret is a placeholder, not committed");
    assert!(
        compose.contains(&format!(
            "{placeholder}: ${{KEYCLOAK_CODEFLIX_ADMIN_SECRET:?}}"
        )),
        "{compose}"
    );
    // No role serves the development issuer here: nothing may mint tokens beside Keycloak.
    assert!(!compose.contains("dev-issuer"), "{compose}");
}

#[test]
fn new_secrets_makes_every_password_the_stack_interpolates() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secrets.env");
    let run = || {
        Command::new("sh")
            .arg(format!("{ROOT}/new-secrets.sh"))
            .arg(&file)
            .output()
            .unwrap()
    };
    let made = run();
    assert!(made.status.success(), "{made:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut made_names = BTreeSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (name, password) = line.split_once('=').unwrap();
        assert_eq!(password.len(), 48, "{line}");
        assert!(password.chars().all(|c| c.is_ascii_hexdigit()), "{line}");
        made_names.insert(name.to_owned());
    }
    // The stack's and the operators' overlay's.
    let overlay = std::fs::read_to_string(format!("{ROOT}/ops.yml")).unwrap();
    let mut interpolated = interpolated_names(&compose_file());
    interpolated.extend(interpolated_names(&overlay));
    assert_eq!(made_names, interpolated);
    // A second run keeps the passwords the engines already hold.
    let again = run();
    assert!(!again.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

/// A directory holding the passwords `new-secrets.sh` makes (`secrets.env`); none (the test
/// says it is skipped) without Debian's `docker-compose`, which `.ci/run` installs.
fn with_secrets() -> Option<(tempfile::TempDir, std::path::PathBuf)> {
    if Command::new("docker-compose")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: docker-compose is not installed");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.env");
    let made = Command::new("sh")
        .arg(format!("{ROOT}/new-secrets.sh"))
        .arg(&secrets)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    Some((dir, secrets))
}

/// `docker-compose config` of `files` (under compose/), with `env_file` when given, in a clean
/// environment.
fn compose_config(
    dir: &std::path::Path,
    env_file: Option<&std::path::Path>,
    files: &[&str],
) -> std::process::Output {
    let mut command = Command::new("docker-compose");
    command.current_dir(dir).env_clear();
    if let Some(file) = env_file {
        command.arg("--env-file").arg(file);
    }
    for file in files {
        command.arg("-f").arg(format!("{ROOT}/{file}"));
    }
    command.arg("config").output().unwrap()
}

/// The password `name` of a secrets file.
fn secret(file: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")).map(str::to_owned))
        .unwrap()
}

/// Debian's `docker-compose` (installed by `.ci/run`) resolves the file with the secrets, and
/// refuses it without them, naming what to do.
#[test]
fn docker_compose_resolves_the_stack_only_with_its_secrets() {
    let Some((dir, secrets)) = with_secrets() else {
        return;
    };
    let compose = |env_file| compose_config(dir.path(), env_file, &["docker-compose.yml"]);
    let resolved = compose(Some(&secrets));
    assert!(resolved.status.success(), "{resolved:?}");
    let config = String::from_utf8_lossy(&resolved.stdout);
    let kafka_password = secret(&secrets, "KAFKA_CODEFLIX_PASSWORD");
    assert!(
        config.contains(&format!("user_codeflix=\"{kafka_password}\"")),
        "{config}"
    );
    assert!(
        config.contains(&format!(
            "CODEFLIX__KAFKA__PROPERTIES__SASL_PASSWORD: {kafka_password}"
        )),
        "{config}"
    );
    let refused = compose(None);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("run compose/new-secrets.sh"), "{stderr}");
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

/// The command lines of the services that run the `codeflix` image, by service.
fn codeflix_commands() -> Vec<(String, Vec<String>)> {
    let compose = interpolated(&compose_file());
    let mut services = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    let mut in_command = false;
    let mut runs_codeflix = false;
    for line in compose.lines() {
        if let Some(name) = line
            .strip_prefix("  ")
            .and_then(|l| l.strip_suffix(':'))
            .filter(|l| !l.starts_with(' ') && !l.starts_with('#'))
        {
            if let Some(done) = current.take().filter(|_| runs_codeflix) {
                services.push(done);
            }
            current = Some((name.to_owned(), Vec::new()));
            runs_codeflix = false;
            in_command = false;
            continue;
        }
        let Some((_, args)) = current.as_mut() else {
            continue;
        };
        let trimmed = line.trim();
        if trimmed == "<<: *codeflix" {
            runs_codeflix = true;
        } else if let Some(inline) = trimmed.strip_prefix("command: [") {
            let list: Vec<String> = serde_json::from_str(&format!("[{inline}")).unwrap();
            args.extend(list);
        } else if trimmed == "command:" {
            in_command = true;
        } else if in_command && let Some(item) = trimmed.strip_prefix("- ") {
            args.push(item.to_owned());
        } else {
            in_command = false;
        }
    }
    if let Some(done) = current.filter(|_| runs_codeflix) {
        services.push(done);
    }
    services
}

#[test]
fn every_codeflix_service_runs_a_command_line_codeflix_accepts() {
    let services = codeflix_commands();
    let names: Vec<&str> = services.iter().map(|(name, _)| name.as_str()).collect();
    for expected in ["command-api", "query-api", "connect-apply"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    for (name, args) in &services {
        assert!(!args.is_empty(), "{name} has no command");
        // Clap reads every argument before it answers --help: a misspelt one fails.
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_codeflix"))
            .args(args)
            .arg("--help")
            .current_dir(dir.path())
            .env_clear()
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: codeflix {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The operators' overlay (`compose/ops.yml`): Prometheus scrapes every role where the stack
/// says it listens, its configuration and rules pass `promtool check config`, the overlay
/// resolves with the stack's secrets, and it publishes on loopback only.
#[test]
fn the_ops_overlay_scrapes_every_role_where_it_listens() {
    let compose = compose_file();
    let prometheus = std::fs::read_to_string(format!("{ROOT}/prometheus/prometheus.yml")).unwrap();
    let (_, scraped) = prometheus.split_once("scrape_configs:").unwrap();
    let targets: BTreeSet<String> = scraped
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .filter(|t| {
            t.split_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
        })
        .map(str::to_owned)
        .collect();
    // Every role's service and the port its LISTEN setting names.
    let mut roles = BTreeSet::new();
    let mut service = String::new();
    for line in compose.lines() {
        if let Some(name) = line
            .strip_prefix("  ")
            .and_then(|l| l.strip_suffix(':'))
            .filter(|l| !l.starts_with(' '))
        {
            service = name.to_owned();
        }
        if let Some((key, value)) = line.trim().split_once(": ")
            && key.starts_with("CODEFLIX__")
            && key.ends_with("__LISTEN")
        {
            let port = value.rsplit(':').next().unwrap();
            roles.insert(format!("{service}:{port}"));
        }
    }
    assert!(roles.len() >= 6, "{roles:?}");
    assert_eq!(targets, roles, "scraped vs listening");

    let overlay = std::fs::read_to_string(format!("{ROOT}/ops.yml")).unwrap();
    let mut lines = overlay.lines();
    let mut published = Vec::new();
    while let Some(line) = lines.next() {
        if line.trim() == "ports:" {
            published.extend(
                lines
                    .by_ref()
                    .take_while(|l| l.trim_start().starts_with("- "))
                    .map(str::trim),
            );
        }
    }
    assert_eq!(published.len(), 4, "{published:?}");
    assert!(
        published.iter().all(|l| l.starts_with("- \"127.0.0.1:")),
        "published beyond loopback: {published:?}"
    );

    if let Ok(promtool) = std::env::var("CODEFLIX_PROMTOOL") {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("prometheus.yml"), &prometheus).unwrap();
        std::fs::copy(
            format!("{ROOT}/../ops/prometheus/alerts.yml"),
            dir.path().join("alerts.yml"),
        )
        .unwrap();
        let checked = Command::new(promtool)
            .args(["check", "config", "prometheus.yml"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(checked.status.success(), "{checked:?}");
    }

    let Some((dir, secrets)) = with_secrets() else {
        return;
    };
    let resolved = compose_config(
        dir.path(),
        Some(&secrets),
        &["docker-compose.yml", "ops.yml"],
    );
    assert!(resolved.status.success(), "{resolved:?}");
    let config = String::from_utf8_lossy(&resolved.stdout);
    let grafana_password = secret(&secrets, "GRAFANA_ADMIN_PASSWORD");
    assert!(
        config.contains(&format!("GF_SECURITY_ADMIN_PASSWORD: {grafana_password}")),
        "{config}"
    );
    for service in [
        "prometheus:",
        "alertmanager:",
        "grafana:",
        "kafka-ui:",
        "command-api:",
    ] {
        assert!(config.contains(&format!("\n  {service}\n")), "{service}");
    }
}
