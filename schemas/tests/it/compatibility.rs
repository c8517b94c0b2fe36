//! The contract only grows: the committed schemas are checked against every earlier version,
//! and the check rejects breaking changes.

use std::path::Path;
use std::process::Command;

use codeflix_schemas::SchemaSet;
use codeflix_schemas::compatibility::{Problem, check_against_git};

#[test]
fn the_schemas_are_backward_compatible_with_every_committed_version() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    assert!(
        repo.join(".git").exists(),
        "{} is not a git checkout: the compatibility check needs the history of schemas/avro",
        repo.display()
    );
    let report = check_against_git(repo, "schemas/avro", SchemaSet::embedded())
        .unwrap_or_else(|e| panic!("reading the schema history: {e}"));
    println!(
        "checked against {} earlier versions from {} commits",
        report.versions, report.commits
    );
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert!(
        problems.is_empty(),
        "breaking changes:\n{}",
        problems.join("\n")
    );
}

/// A scratch repository holding `schemas/avro` with one committed version of two schemas.
struct Scratch {
    dir: tempfile::TempDir,
}

const THING_V1: &str = r#"{"type":"record","name":"Thing","namespace":"codeflix.x","doc":"v1",
  "fields":[{"name":"name","type":"string"},{"name":"kind","type":"codeflix.x.Kind"}]}"#;
const KIND_V1: &str =
    r#"{"type":"enum","name":"Kind","namespace":"codeflix.x","symbols":["A","B"]}"#;

impl Scratch {
    fn new() -> Scratch {
        let scratch = Scratch {
            dir: tempfile::tempdir().unwrap(),
        };
        scratch.git(&["init", "-q"]);
        scratch.commit(&[("Thing.avsc", THING_V1), ("Kind.avsc", KIND_V1)], "v1");
        scratch
    }

    fn git(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .arg("-C")
            .arg(self.dir.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    fn commit(&self, files: &[(&str, &str)], message: &str) {
        let dir = self.dir.path().join("schemas/avro/x");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-qm", message]);
    }

    fn problems(&self, current: &[(&str, &str)]) -> Vec<Problem> {
        let set = SchemaSet::from_files(
            current
                .iter()
                .map(|(name, text)| (format!("x/{name}"), (*text).to_owned())),
        )
        .unwrap();
        check_against_git(self.dir.path(), "schemas/avro", &set)
            .unwrap()
            .problems
    }
}

#[test]
fn adding_an_optional_field_or_a_symbol_is_accepted() {
    let scratch = Scratch::new();
    let thing = THING_V1.replace(
        r#"{"name":"kind","type":"codeflix.x.Kind"}"#,
        r#"{"name":"kind","type":"codeflix.x.Kind"},{"name":"note","type":["null","string"],"default":null}"#,
    );
    let kind = KIND_V1.replace(r#"["A","B"]"#, r#"["A","B","C"]"#);
    assert_eq!(
        scratch.problems(&[("Thing.avsc", &thing), ("Kind.avsc", &kind)]),
        vec![]
    );
}

#[test]
fn adding_a_required_field_is_rejected() {
    let scratch = Scratch::new();
    let thing = THING_V1.replace(
        r#"{"name":"name","type":"string"}"#,
        r#"{"name":"name","type":"string"},{"name":"size","type":"long"}"#,
    );
    let problems = scratch.problems(&[("Thing.avsc", &thing), ("Kind.avsc", KIND_V1)]);
    assert!(
        matches!(problems.as_slice(), [Problem::Incompatible { fullname, .. }] if fullname == "codeflix.x.Thing"),
        "{problems:?}"
    );
}

#[test]
fn changing_a_field_type_or_removing_a_symbol_is_rejected() {
    let scratch = Scratch::new();
    let thing = THING_V1.replace(
        r#"{"name":"name","type":"string"}"#,
        r#"{"name":"name","type":"int"}"#,
    );
    assert!(
        !scratch
            .problems(&[("Thing.avsc", &thing), ("Kind.avsc", KIND_V1)])
            .is_empty()
    );
    let kind = KIND_V1.replace(r#"["A","B"]"#, r#"["A"]"#);
    let problems = scratch.problems(&[("Thing.avsc", THING_V1), ("Kind.avsc", &kind)]);
    let names: Vec<&str> = problems
        .iter()
        .map(|p| match p {
            Problem::Incompatible { fullname, .. } | Problem::Removed { fullname, .. } => {
                fullname.as_str()
            }
        })
        .collect();
    assert_eq!(
        names,
        ["codeflix.x.Kind", "codeflix.x.Thing"],
        "{problems:?}"
    );
}

#[test]
fn removing_a_schema_is_rejected() {
    let scratch = Scratch::new();
    let only_kind = scratch.problems(&[("Kind.avsc", KIND_V1)]);
    assert!(
        matches!(only_kind.as_slice(), [Problem::Removed { fullname, .. }] if fullname == "codeflix.x.Thing"),
        "{only_kind:?}"
    );
}

#[test]
fn compatibility_is_transitive_over_all_versions() {
    let scratch = Scratch::new();
    let v1_commit = scratch.head();
    // v2 adds an optional field; v3 drops its default, which v2 data satisfies but v1 data does
    // not: a check against the latest version only would let v3 through.
    let v2 = THING_V1.replace(
        r#"{"name":"kind","type":"codeflix.x.Kind"}"#,
        r#"{"name":"kind","type":"codeflix.x.Kind"},{"name":"note","type":["null","string"],"default":null}"#,
    );
    scratch.commit(&[("Thing.avsc", &v2)], "v2");
    let v3 = v2.replace(r#","default":null"#, "");
    let problems = scratch.problems(&[("Thing.avsc", &v3), ("Kind.avsc", KIND_V1)]);
    assert!(
        matches!(problems.as_slice(), [Problem::Incompatible { commit, .. }] if *commit == v1_commit),
        "{problems:?}"
    );
}
