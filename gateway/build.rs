//! The web apps in `web/dist` (`npm run build`): release builds embed them, so they are rebuilt
//! when the folder changes; debug builds read it from disk at run time.
//!
//! A fresh clone has no `web/dist`: then, so that `cargo run -p codeflix -- up` gives a newcomer
//! the apps, this script builds them once with `npm ci && npm run build` when npm is on the PATH
//! (set `CODEFLIX_WEB_BUILD=off` to skip). Without npm, or when the build fails, the binary still
//! builds: its pages then say how to build the apps, and the APIs work as before.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CODEFLIX_WEB_BUILD");
    let Ok(manifest_dir) = std::env::var("CARGO_MANIFEST_DIR") else {
        return;
    };
    let web = Path::new(&manifest_dir).join("../web");
    let dist = web.join("dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let built = dist.join("index.html").exists() && dist.join("admin/index.html").exists();
    if built || std::env::var("CODEFLIX_WEB_BUILD").as_deref() == Ok("off") {
        return;
    }
    if !web.join("package-lock.json").exists() {
        return;
    }
    let npm = |args: &[&str]| {
        Command::new("npm")
            .args(args)
            .current_dir(&web)
            .status()
            .is_ok_and(|status| status.success())
    };
    if !npm(&["--version"]) {
        println!(
            "cargo:warning=web apps not built (no npm on the PATH): install Node.js 20.19+ and \
             run `cd web && npm ci && npm run build`"
        );
        return;
    }
    let installed = web.join("node_modules/.package-lock.json").exists()
        || npm(&["ci", "--no-audit", "--no-fund"]);
    if !(installed && npm(&["run", "build"])) {
        println!(
            "cargo:warning=building the web apps failed: run `cd web && npm ci && npm run build` \
             to see why; the binary serves the APIs without them"
        );
    }
}
