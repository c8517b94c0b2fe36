//! The contract may only grow: BACKWARD_TRANSITIVE compatibility against every version of every
//! schema already committed.
//!
//! Events are retained forever and replayed, so a consumer built from today's schemas must read
//! any event ever written: each current schema, as the reader, must resolve every earlier version
//! of itself, as the writer (Avro schema resolution), and no schema may disappear. This is the
//! check a Confluent Schema Registry applies with `BACKWARD_TRANSITIVE`; running it against git
//! history catches a breaking change before it is merged, not when the first producer registers it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use apache_avro::schema_compatibility::{Compatibility, SchemaCompatibility};

use crate::set::{SchemaError, SchemaSet};

/// One way the current schemas break a committed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A named type that was committed no longer exists.
    Removed { fullname: String, commit: String },
    /// The current schema cannot read data written with the committed version.
    Incompatible {
        fullname: String,
        commit: String,
        reason: String,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Removed { fullname, commit } => {
                write!(f, "{fullname} existed in {commit} and was removed")
            }
            Problem::Incompatible {
                fullname,
                commit,
                reason,
            } => write!(
                f,
                "{fullname} cannot read data written with its version in {commit}: {reason}"
            ),
        }
    }
}

/// What a check looked at and found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Commits that touched the schema directory.
    pub commits: usize,
    /// Distinct earlier versions compared, over all named types.
    pub versions: usize,
    pub problems: Vec<Problem>,
}

/// The history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("git {args}: {message}")]
    Git { args: String, message: String },
    #[error("the schemas committed in {commit} are broken: {source}")]
    Broken { commit: String, source: SchemaError },
}

/// Compares `current` with every earlier version in `history` (commit, schema set).
pub fn check(current: &SchemaSet, history: &[(String, SchemaSet)]) -> Report {
    let mut report = Report {
        commits: history.len(),
        ..Report::default()
    };
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (commit, earlier) in history {
        for old in earlier.iter() {
            if !seen.entry(&old.fullname).or_default().insert(&old.json) {
                continue;
            }
            report.versions += 1;
            let Some(new) = current.get(&old.fullname) else {
                report.problems.push(Problem::Removed {
                    fullname: old.fullname.clone(),
                    commit: commit.clone(),
                });
                continue;
            };
            let reason = match SchemaCompatibility::can_read(&old.schema, &new.schema) {
                Ok(Compatibility::Full) => continue,
                // A schema registry rejects this too: some old data would fail to resolve.
                Ok(Compatibility::Partial) => {
                    "some old values cannot be read: an enum lost symbols or a union lost branches"
                        .to_owned()
                }
                Err(error) => error.to_string(),
            };
            report.problems.push(Problem::Incompatible {
                fullname: old.fullname.clone(),
                commit: commit.clone(),
                reason,
            });
        }
    }
    report
}

/// Checks `current` against every commit reachable from `HEAD` that touched `dir` (relative to
/// the repository root, e.g. `schemas/avro`).
pub fn check_against_git(
    repo: &Path,
    dir: &str,
    current: &SchemaSet,
) -> Result<Report, HistoryError> {
    let history = history(repo, dir)?;
    Ok(check(current, &history))
}

fn git(repo: &Path, args: &[&str]) -> Result<String, HistoryError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .map_err(|e| HistoryError::Git {
            args: args.join(" "),
            message: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(HistoryError::Git {
            args: args.join(" "),
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Every committed version of the schema set under `dir`, newest first.
pub fn history(repo: &Path, dir: &str) -> Result<Vec<(String, SchemaSet)>, HistoryError> {
    let commits = git(repo, &["rev-list", "HEAD", "--", dir])?;
    let commits: Vec<&str> = commits.lines().collect();
    let mut requests = Vec::new();
    for commit in &commits {
        let paths = git(repo, &["ls-tree", "-r", "--name-only", commit, "--", dir])?;
        for path in paths.lines().filter(|p| p.ends_with(".avsc")) {
            requests.push((*commit, path.to_owned()));
        }
    }
    let blobs = cat_files(repo, &requests)?;
    let prefix = format!("{}/", dir.trim_end_matches('/'));
    let mut by_commit: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for ((commit, path), text) in requests.iter().zip(blobs) {
        let relative = path.strip_prefix(&prefix).unwrap_or(path).to_owned();
        by_commit.entry(commit).or_default().push((relative, text));
    }
    commits
        .iter()
        .map(|commit| {
            let files = by_commit.remove(commit).unwrap_or_default();
            SchemaSet::from_files(files)
                .map(|set| ((*commit).to_owned(), set))
                .map_err(|source| HistoryError::Broken {
                    commit: (*commit).to_owned(),
                    source,
                })
        })
        .collect()
}

/// Reads many blobs through one `git cat-file --batch`.
fn cat_files(repo: &Path, requests: &[(&str, String)]) -> Result<Vec<String>, HistoryError> {
    let failed = |message: String| HistoryError::Git {
        args: "cat-file --batch".to_owned(),
        message,
    };
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| failed(e.to_string()))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| failed("no stdin".into()))?;
    let input: String = requests
        .iter()
        .map(|(commit, path)| format!("{commit}:{path}\n"))
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| failed("no stdout".into()))?;
    let mut reader = BufReader::new(stdout);
    let mut blobs = Vec::with_capacity(requests.len());
    for (commit, path) in requests {
        let mut header = String::new();
        reader
            .read_line(&mut header)
            .map_err(|e| failed(e.to_string()))?;
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| failed(format!("{commit}:{path}: {}", header.trim())))?;
        let mut content = vec![0; size + 1];
        reader
            .read_exact(&mut content)
            .map_err(|e| failed(e.to_string()))?;
        content.pop();
        blobs.push(String::from_utf8(content).map_err(|e| failed(e.to_string()))?);
    }
    writer
        .join()
        .map_err(|_| failed("writer panicked".into()))?
        .map_err(|e| failed(e.to_string()))?;
    child.wait().map_err(|e| failed(e.to_string()))?;
    Ok(blobs)
}
