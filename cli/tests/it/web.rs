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

/// Debian's Chromium (never a downloaded browser).
fn chromium() -> Option<String> {
    crate::support::tool_answering("CODEFLIX_CHROMIUM", "/usr/bin/chromium", &["--version"])
}

#[test]
fn a_new_user_clicks_through_both_apps_in_chromium() {
    let (Some(_), Some(chromium)) = (npm(), chromium()) else {
        println!("skipped: needs web/node_modules (cd web && npm ci) and Debian's chromium");
        return;
    };
    assert!(
        web_dir().join("dist/admin/index.html").exists(),
        "the apps are not built: cd web && npm run build"
    );
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let up = start(&site);
    wait_for_port(site.gateway_port);
    let (email, password) = ("ana@example.com", "console-password-1");
    let mut add = site.command(&[
        "users",
        "add",
        "--email",
        email,
        "--name",
        "Ana Admin",
        "--role",
        "catalog-admin",
        "--role",
        "billing-plans",
        "--password-stdin",
    ]);
    add.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut adding = add.spawn().unwrap();
    {
        use std::io::Write as _;
        let mut stdin = adding.stdin.take().unwrap();
        writeln!(stdin, "{password}").unwrap();
    }
    succeeded(&adding.wait_with_output().unwrap(), "codeflix users add");
    crate::playback::clip(&site);
    let thumbnail = site.path("poster.png");
    let made = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=640x360")
        .args(["-frames:v", "1"])
        .arg(&thumbnail)
        .status()
        .unwrap();
    assert!(made.success());
    // A record the catalog cannot read, for the console's dead-letter pages to show and re-drive.
    let poison = "poison-walkthrough";
    produce_poison(&site, "codeflix.catalog.category.events", poison);
    // CODEFLIX_SCREENSHOTS=docs/screenshots refreshes the README's pictures.
    let screenshots = std::env::var("CODEFLIX_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| site.path("screenshots"));
    let output = Command::new("node")
        .arg("e2e/walkthrough.mjs")
        .current_dir(web_dir())
        .env("BASE", site.gateway())
        .env("ADMIN_EMAIL", email)
        .env("ADMIN_PASSWORD", password)
        .env("CLIP", site.path("clip.mp4"))
        .env("POISON_KEY", poison)
        .env("THUMBNAIL", &thumbnail)
        .env("SCREENSHOTS", &screenshots)
        .env("CODEFLIX_CHROMIUM", chromium)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the walkthrough failed:\n{}\n(codeflix up's log: {})",
        String::from_utf8_lossy(&output.stderr),
        site.path("up.log").display()
    );
    // The steps and their timings, for `--no-capture`.
    println!("{}", String::from_utf8_lossy(&output.stderr));
    for page in [
        "console-video",
        "console-dead-letters",
        "viewer-search",
        "viewer-gated",
        "viewer-player",
    ] {
        assert!(
            screenshots.join(format!("{page}.png")).exists(),
            "no screenshot of {page}"
        );
    }
    interrupt(up);
}

/// Produces a record that is not Avro, keyed `key`, on `topic` of the site's broker.
fn produce_poison(site: &Site, topic: &str, key: &str) {
    use rdkafka::ClientConfig;
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let producer: FutureProducer = ClientConfig::new()
            .set(
                "bootstrap.servers",
                format!("127.0.0.1:{}", site.broker_port),
            )
            .create()
            .unwrap();
        producer
            .send(
                FutureRecord::to(topic).key(key).payload("not avro"),
                std::time::Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)
            .unwrap();
    });
}
