//! The web apps in `web/dist` (`npm run build`): release builds embed them, so they are rebuilt
//! when the folder changes; debug builds read it from disk at run time.
//!
//! A fresh clone has no `web/dist`: then, so that `cargo run -p codeflix -- up` gives a newcomer
//! the apps, this script builds them once with `npm ci && npm run build` when npm is on the PATH
//! (set `CODEFLIX_WEB_BUILD=off` to skip): once per clone, one cargo process at a time, never for
//! rust-analyzer. Without npm, or when the build fails, the binary still builds: its
//! pages then say how to build the apps, and the APIs work as before.

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
    // Not for editors' background checks (rust-analyzer runs build scripts too), and not again
    // after a failed attempt in this clone: the warning said how to build by hand. The mark is
    // kept in the clone's web/ (ignored by git), not in the build directory, which clones
    // sharing a CARGO_TARGET_DIR share too.
    let tried = web.join(".build-tried");
    if built
        || std::env::var("CODEFLIX_WEB_BUILD").as_deref() == Ok("off")
        || std::env::var_os("RUST_ANALYZER_INTERNALS_DO_NOT_USE").is_some()
        || !web.join("package-lock.json").exists()
        || tried.exists()
    {
        return;
    }
    let _ = std::fs::write(&tried, b"");
    // Two cargo processes (a build and a check) may run this at once: one builds, the other
    // leaves it to it.
    let lock = web.join(".build.lock");
    // A lock left by a build that was killed is taken over after ten minutes.
    let stale = std::fs::metadata(&lock)
        .and_then(|m| m.modified())
        .is_ok_and(|at| at.elapsed().unwrap_or_default() > std::time::Duration::from_secs(600));
    if stale {
        let _ = std::fs::remove_file(&lock);
    }
    let Ok(_held) = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&lock)
        .map(|file| Held(lock.clone(), file))
    else {
        return;
    };
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

/// The lock file, removed when the build is done.
struct Held(std::path::PathBuf, #[allow(dead_code)] std::fs::File);

impl Drop for Held {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
