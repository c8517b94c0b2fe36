//! Running `codeflix` processes: the test kit's sites, given this package's binary as
//! `Site::new(env!("CARGO_BIN_EXE_codeflix"))`.

pub(crate) use codeflix_testkit::site::{
    Process, Site, free_port, kill, read_lines, wait_for_port,
};

/// A command-line tool the tests drive: the path in `variable` (which `.ci/run` sets, and which
/// must then work), else `name` on the PATH, else none (the test says it is skipped).
pub(crate) fn tool(variable: &str, name: &str) -> Option<String> {
    let configured = std::env::var(variable).ok();
    let candidate = configured.clone().unwrap_or_else(|| name.into());
    let runs = std::process::Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    match (runs, configured) {
        (true, _) => Some(candidate),
        (false, Some(path)) => panic!("{variable}={path} does not run"),
        (false, None) => None,
    }
}
