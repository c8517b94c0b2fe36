//! Running `codeflix` processes: the test kit's sites, given this package's binary as
//! `Site::new(env!("CARGO_BIN_EXE_codeflix"))`.

pub(crate) use codeflix_testkit::site::{
    Process, Site, free_port, kill, read_lines, wait_for_port,
};

/// A command-line tool the tests drive: the path in `variable` (which `.ci/run` sets, and which
/// must then work), else `name` on the PATH, else none (the test says it is skipped).
pub(crate) fn tool(variable: &str, name: &str) -> Option<String> {
    tool_answering(variable, name, &["--version"])
}

/// [`tool`] for one that says its version when run with `version_args` (kubectl's
/// `version --client`).
pub(crate) fn tool_answering(variable: &str, name: &str, version_args: &[&str]) -> Option<String> {
    let configured = std::env::var(variable).ok();
    let candidate = configured.clone().unwrap_or_else(|| name.into());
    let runs = std::process::Command::new(&candidate)
        .args(version_args)
        .output()
        .is_ok_and(|o| o.status.success());
    match (runs, configured) {
        (true, _) => Some(candidate),
        (false, Some(path)) => panic!("{variable}={path} does not run"),
        (false, None) => None,
    }
}

/// A finished command's standard output, once it succeeded; its output in the failure otherwise.
pub(crate) fn succeeded(output: &std::process::Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What the query API's `/metrics` shows (under `codeflix up`, every role's metrics).
pub(crate) fn query_metrics(http: &reqwest::blocking::Client, site: &Site) -> String {
    http.get(format!("{}/metrics", site.query()))
        .send()
        .unwrap()
        .text()
        .unwrap()
}
