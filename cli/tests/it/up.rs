//! `codeflix up`: the platform in one process, as a newcomer runs it, and its HTTP contract
//! checked by a third-party fuzzer (schemathesis).

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::support::{Process, Site, wait_for_port};

pub(crate) fn start(site: &Site) -> Process {
    let up = site.spawn("up", &["up"]);
    wait_for_port(site.api_port);
    up
}

/// SIGINT, as Ctrl-C; the process must exit by itself, successfully.
pub(crate) fn interrupt(mut up: Process) {
    let pid = up.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = up.0.try_wait().unwrap() {
            assert!(status.success(), "codeflix up exited with {status}");
            return;
        }
        assert!(Instant::now() < deadline, "codeflix up ignored Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub(crate) fn token(site: &Site) -> String {
    let output = site.run(&["token", "--role", "catalog-admin"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[test]
fn up_serves_the_catalog_survives_a_restart_and_stops_on_ctrl_c() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let http = Client::new();
    let up = start(&site);
    let ready = http.get(format!("{}/readyz", site.api())).send().unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let token = token(&site);
    let created = http
        .post(format!("{}/categories", site.api()))
        .bearer_auth(&token)
        .json(&json!({"name": "Movies"}))
        .send()
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let written = created.json::<Value>().unwrap();
    let id = written["id"].as_str().unwrap().to_owned();
    // Viewers see it through the query API as soon as the projection has it.
    let listed = http
        .get(format!("{}/categories", site.query()))
        .header(
            "codeflix-consistency-token",
            written["consistency_token"].as_str().unwrap(),
        )
        .send()
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let listed = listed.json::<Value>().unwrap();
    assert_eq!(listed["items"][0]["name"], "Movies", "{listed}");
    // The platform wrote its schema with the run's registry token; nobody else may change the
    // registry, and everybody may read it.
    let registry = format!("http://127.0.0.1:{}", site.registry_port);
    let subjects: Value = http
        .get(format!("{registry}/subjects"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let subject = subjects
        .as_array()
        .unwrap()
        .first()
        .expect("a subject")
        .as_str()
        .unwrap();
    let anonymous = http
        .delete(format!("{registry}/subjects/{subject}"))
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    interrupt(up);
    let log = std::fs::read_to_string(site.path("up.log")).unwrap();
    assert!(log.contains("codeflix token --role catalog-admin"), "{log}");
    // How to get a token, never a token: output ends up in logs.
    assert!(!log.contains("eyJ"), "a token was printed: {log}");
    assert!(log.contains("codeflix:<redacted>@127.0.0.1"), "{log}");
    assert!(log.contains("stopped"), "{log}");

    // After a restart the category is still at version 1 and the same token is still good
    // (the development issuer's key is kept in the data directory).
    let up = start(&site);
    let renamed = http
        .put(format!("{}/categories/{id}", site.api()))
        .bearer_auth(&token)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "Films"}))
        .send()
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(renamed.json::<Value>().unwrap()["version"], 2);
    interrupt(up);
}

/// schemathesis: `CODEFLIX_SCHEMATHESIS` (set by `.ci/run`), else on the PATH.
fn schemathesis() -> Option<String> {
    crate::support::tool("CODEFLIX_SCHEMATHESIS", "schemathesis")
}

#[test]
fn schemathesis_finds_nothing_in_the_command_api() {
    let Some(schemathesis) = schemathesis() else {
        println!("skipped: no schemathesis (set CODEFLIX_SCHEMATHESIS; .ci/run installs it)");
        return;
    };
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let up = start(&site);
    let token = token(&site);
    let command_api = concat!(env!("CARGO_MANIFEST_DIR"), "/../command-api");
    let output = Command::new(schemathesis)
        .current_dir(site.dir())
        .env("PYTHONPATH", command_api)
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .args([
            "--no-color",
            "--config-file",
            &format!("{command_api}/schemathesis.toml"),
            "run",
            &format!("{}/openapi.json", site.api()),
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--max-examples",
            "30",
        ])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}");
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        report.contains("Stateful"),
        "the stateful phase did not run:\n{report}"
    );
    interrupt(up);
}

#[test]
fn schemathesis_finds_nothing_in_the_query_api() {
    let Some(schemathesis) = schemathesis() else {
        println!("skipped: no schemathesis (set CODEFLIX_SCHEMATHESIS; .ci/run installs it)");
        return;
    };
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let up = start(&site);
    wait_for_port(site.query_port);
    let token = token(&site);
    let output = Command::new(schemathesis)
        .current_dir(site.dir())
        .args([
            "--no-color",
            "run",
            &format!("{}/openapi.json", site.query()),
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--checks",
            "all",
            "--max-examples",
            "40",
        ])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}");
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    interrupt(up);
}
