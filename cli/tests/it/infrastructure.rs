//! Infrastructure as code and the delivery pipeline, checked offline with linters from PyPI and
//! held against the code: the Ansible role (`ops/ansible`, ansible-lint's production profile; its
//! templates rendered by ansible-playbook into settings `codeflix config` accepts, one unit per
//! role the binary has, on the ports `codeflix up` uses), the Terraform module (`ops/terraform`,
//! checkov) and the hosted CI workflow (`.github/workflows/delivery.yml`, GitHub's workflow
//! schema through check-jsonschema; it runs `.ci/run`, builds the image from compose/'s
//! Dockerfile and rolls out every Deployment of the kustomize overlay).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::compose::{codeflix_config, setting_name};
use crate::support::{succeeded, tool};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `KEY=value` lines, comments and blank lines skipped.
fn env_pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l
                .split_once('=')
                .unwrap_or_else(|| panic!("not KEY=value: {l}"));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

#[test]
fn the_ansible_role_lints_and_renders_one_unit_per_role_with_settings_codeflix_reads() {
    let (Some(lint), Some(playbook)) = (
        tool("CODEFLIX_ANSIBLE_LINT", "ansible-lint"),
        tool("CODEFLIX_ANSIBLE_PLAYBOOK", "ansible-playbook"),
    ) else {
        println!("skipped: no ansible-lint or ansible-playbook (.ci/run installs both)");
        return;
    };
    let ansible = repository().join("ops/ansible");
    let linted = Command::new(&lint)
        .args(["--offline", "--profile", "production", "site.yml", "roles"])
        .current_dir(&ansible)
        .output()
        .unwrap();
    succeeded(&linted, "ansible-lint");
    let said = String::from_utf8_lossy(&linted.stderr);
    assert!(said.contains("Passed"), "{said}");

    // The role's templates, rendered by Ansible with the role's defaults and one setting of
    // an operator's.
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path();
    let role = ansible.join("roles/codeflix");
    let test_playbook = out.join("render.yml");
    std::fs::write(
        &test_playbook,
        format!(
            r#"---
- name: Render the codeflix role's files
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - {defaults}
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  tasks:
    - name: Decide which roles run here
      ansible.builtin.set_fact:
        codeflix_all_roles: "{{{{ (codeflix_engine_roles if codeflix_embedded_engines else []) + codeflix_roles }}}}"
    - name: Render the settings
      ansible.builtin.template:
        src: {templates}/codeflix.env.j2
        dest: {out}/codeflix.env
        mode: "0640"
    - name: Render the unit
      ansible.builtin.template:
        src: {templates}/codeflix@.service.j2
        dest: {out}/codeflix@.service
        mode: "0644"
    - name: List the roles
      ansible.builtin.copy:
        content: "{{{{ codeflix_all_roles | join('\n') }}}}"
        dest: {out}/roles
        mode: "0644"
"#,
            defaults = role.join("defaults/main.yml").display(),
            templates = role.join("templates").display(),
            out = out.display(),
        ),
    )
    .unwrap();
    let rendered = Command::new(&playbook)
        .args(["-i", "localhost,"])
        // An operator's setting, as inventory or extra variables give it (above the defaults).
        .args([
            "-e",
            r#"{"codeflix_settings": {"CODEFLIX__NOTIFIER__FROM": "Codeflix <no-reply@codeflix.example.com>"}}"#,
        ])
        .arg(&test_playbook)
        .env("ANSIBLE_NOCOLOR", "1")
        .output()
        .unwrap();
    succeeded(&rendered, "ansible-playbook");

    // Every role the host runs is one `codeflix` has.
    let roles: Vec<String> = std::fs::read_to_string(out.join("roles"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        roles.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from([
            "broker",
            "registry",
            "connect",
            "command-api",
            "query-api",
            "projectors",
            "encoder",
            "scheduler",
            "notifier",
            "gateway",
        ])
    );
    for role in &roles {
        let help = Command::new(env!("CARGO_BIN_EXE_codeflix"))
            .args([role.as_str(), "--help"])
            .output()
            .unwrap();
        succeeded(&help, &format!("codeflix {role} --help"));
    }
    let unit = std::fs::read_to_string(out.join("codeflix@.service")).unwrap();
    for line in [
        "ExecStart=/usr/local/bin/codeflix %i",
        "EnvironmentFile=/etc/codeflix/codeflix.env",
        "User=codeflix",
        "ReadWritePaths=/var/lib/codeflix",
        "KillSignal=SIGINT",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} in\n{unit}");
    }

    // Its settings are ones `codeflix` reads, each role listens where `codeflix up` would (on
    // the address given), and the operator's setting is there.
    let settings = env_pairs(&std::fs::read_to_string(out.join("codeflix.env")).unwrap());
    let listeners: Vec<&(String, String)> = settings
        .iter()
        .filter(|(k, _)| k.ends_with("__LISTEN"))
        .collect();
    assert_eq!(listeners.len(), roles.len(), "{settings:?}");
    let defaults = codeflix_config(&[]);
    let defaults = String::from_utf8_lossy(&defaults.stdout);
    for (key, value) in &listeners {
        let default = format!("{} = \"{value}\"", setting_name(key));
        assert!(
            defaults.lines().any(|l| l == default),
            "{key}={value} is not `codeflix up`'s port:\n{defaults}"
        );
    }
    let configured = codeflix_config(&settings);
    let shown = succeeded(&configured, "codeflix config");
    for (key, value) in &settings {
        let line = format!("{} = \"{value}\"", setting_name(key));
        assert!(shown.lines().any(|l| l == line), "{line} in\n{shown}");
    }
    assert!(
        settings
            .iter()
            .any(|(k, _)| k == "CODEFLIX__NOTIFIER__FROM")
    );
}

#[test]
fn the_terraform_module_passes_checkov() {
    let Some(checkov) = tool("CODEFLIX_CHECKOV", "checkov") else {
        println!("skipped: no checkov (.ci/run installs it)");
        return;
    };
    let checked = Command::new(&checkov)
        .args([
            "--directory",
            "ops/terraform",
            "--framework",
            "terraform",
            "--skip-download",
            "--output",
            "json",
        ])
        .current_dir(repository())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&checked.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov's JSON ({e}): {}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        )
    });
    let summary = &report["summary"];
    let failed: Vec<&Value> = report["results"]["failed_checks"]
        .as_array()
        .map(|checks| checks.iter().collect())
        .unwrap_or_default();
    assert_eq!(summary["failed"], 0, "{failed:#?}");
    assert_eq!(summary["parsing_errors"], 0, "{summary}");
    // Every resource of the module was read (and checked).
    assert!(
        summary["resource_count"].as_u64().unwrap() >= 10,
        "{summary}"
    );
    assert!(summary["passed"].as_u64().unwrap() >= 40, "{summary}");
    assert!(checked.status.success());
}

#[test]
fn the_delivery_workflow_validates_runs_ci_and_rolls_out_every_deployment() {
    let Some(check) = tool("CODEFLIX_CHECK_JSONSCHEMA", "check-jsonschema") else {
        println!("skipped: no check-jsonschema (.ci/run installs it)");
        return;
    };
    let file = repository().join(".github/workflows/delivery.yml");
    let validated = Command::new(&check)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&file)
        .output()
        .unwrap();
    succeeded(&validated, "check-jsonschema");

    let workflow = std::fs::read_to_string(&file).unwrap();
    assert!(workflow.contains("run: bash .ci/run"), "{workflow}");
    let dockerfile = workflow
        .lines()
        .find_map(|l| l.trim().strip_prefix("file: "))
        .unwrap();
    assert!(repository().join(dockerfile).is_file(), "{dockerfile}");
    assert!(workflow.contains("kubectl apply -k ops/kubernetes/overlays/production"));
    assert!(
        repository()
            .join("ops/kubernetes/overlays/production/kustomization.yaml")
            .is_file()
    );
    // It waits for every Deployment the base has.
    let rolled: BTreeSet<&str> = workflow
        .lines()
        .find_map(|l| l.trim().strip_prefix("for role in "))
        .and_then(|l| l.strip_suffix("; do"))
        .unwrap()
        .split_whitespace()
        .collect();
    let base = repository().join("ops/kubernetes/base");
    let deployments: BTreeSet<String> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            std::fs::read_to_string(p).is_ok_and(|text| text.contains("\nkind: Deployment\n"))
        })
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        rolled,
        deployments
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>()
    );
    assert!(workflow.contains("rollout status \"deployment/$role\""));
}
