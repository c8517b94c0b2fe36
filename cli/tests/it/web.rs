//! The web apps (web/, ADR 0028): their component tests (Vitest), and the walkthrough a new user
//! clicks through in Debian's Chromium against `codeflix up`, with accessibility checks (axe-core)
//! on the main pages. `.ci/run` builds the apps and sets `CODEFLIX_NPM` and `CODEFLIX_CHROMIUM`,
//! so in CI these run; elsewhere they need `cd web && npm ci && npm run build` first.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Site, succeeded, tool, wait_for_port};
use crate::up::{interrupt, start};

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../web")
}

/// npm, once web/node_modules is installed; `None` (skip) when neither CI asked for the web
/// tests nor the packages are there.
fn npm() -> Option<String> {
    let configured = std::env::var("CODEFLIX_NPM").is_ok();
    let installed = web_dir().join("node_modules/.package-lock.json").exists();
    match (tool("CODEFLIX_NPM", "npm"), installed) {
        (Some(npm), true) => Some(npm),
        (_, false) if configured => panic!("CODEFLIX_NPM is set but web/node_modules is missing"),
        _ => None,
    }
}

#[test]
fn the_apps_component_tests_pass() {
    let Some(npm) = npm() else {
        println!("skipped: web/node_modules is not installed (cd web && npm ci)");
        return;
    };
    let output = Command::new(npm)
        .args(["test", "--", "--reporter=dot"])
        .current_dir(web_dir())
        .env("CI", "true")
        .output()
        .unwrap();
    let stdout = succeeded(&output, "npm test (Vitest)");
    assert!(
        stdout.contains("passed"),
        "Vitest reported no passing tests: {stdout}"
    );
}
