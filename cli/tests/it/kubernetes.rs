//! `ops/kubernetes`, checked offline: rendered by kustomize (Debian's kubectl, `CODEFLIX_KUBECTL`),
//! validated against the Kubernetes 1.30 schemas (kubernetes-validate, strict), linted
//! (yamllint), and held against the code: one Deployment per role the binary has, probes on the
//! port each role listens on, every setting one `codeflix` reads, a KEDA trigger for exactly the
//! consumer groups each consumer role runs, never more replicas than partitions.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

use crate::compose::{codeflix_config, setting_name};
use crate::python::python_with;
use crate::support::{succeeded, tool_answering};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ops/kubernetes");

/// `CODEFLIX_KUBECTL`, else `kubectl`, when it runs; `None` on a machine without one.
fn kubectl() -> Option<String> {
    tool_answering("CODEFLIX_KUBECTL", "kubectl", &["version", "--client"])
}

/// The roles and the consumer groups each one runs, from the code.
fn consumer_groups() -> BTreeMap<&'static str, BTreeSet<String>> {
    use codeflix_projectors::feeds::FeedSpec;
    use codeflix_projectors::runner::ProjectionSpec;
    let mut projectors: BTreeSet<String> = [
        ProjectionSpec::catalog(),
        ProjectionSpec::search(),
        ProjectionSpec::billing(),
        ProjectionSpec::notifications(),
    ]
    .iter()
    .map(ProjectionSpec::group_id)
    .collect();
    projectors.extend(FeedSpec::ALL.iter().map(|f| f.projection().group_id()));
    let encoder = [
        codeflix_encoder::worker::NAME,
        codeflix_encoder::reaction::NAME,
    ];
    BTreeMap::from([
        ("projectors", projectors),
        (
            "encoder",
            encoder.iter().map(|n| format!("codeflix-{n}")).collect(),
        ),
        (
            "notifier",
            BTreeSet::from([format!("codeflix-{}", codeflix_notifier::worker::NAME)]),
        ),
    ])
}

#[test]
fn the_kubernetes_manifests_render_validate_and_match_the_code() {
    let (Some(kubectl), Some(python)) = (kubectl(), python_with(&["yaml", "kubernetes_validate"]))
    else {
        println!("skipped: no kubectl or no Python with kubernetes-validate (.ci/run has both)");
        return;
    };
    let rendered = succeeded(
        &Command::new(&kubectl)
            .args(["kustomize", &format!("{ROOT}/overlays/production")])
            .output()
            .unwrap(),
        "kustomize",
    );
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("production.yaml");
    std::fs::write(&file, &rendered).unwrap();
    let validated = Command::new(&python)
        .args([
            "-m",
            "kubernetes_validate",
            "--strict",
            "--no-warn",
            "-k",
            "1.30.0",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let said = succeeded(&validated, "kubernetes-validate");
    assert!(
        said.contains("passed for resource deployment/encoder"),
        "{said}"
    );
    let linted = Command::new(&python)
        .args(["-m", "yamllint", "--strict", "-c"])
        .arg(format!("{ROOT}/.yamllint"))
        .arg(ROOT)
        .output()
        .unwrap();
    succeeded(&linted, "yamllint");

    let json = Command::new(&python)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))",
        ])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    let resources: Vec<Value> = serde_json::from_str(&succeeded(&json, "yaml")).unwrap();
    let of_kind = |kind: &str| -> BTreeMap<String, &Value> {
        resources
            .iter()
            .filter(|r| r["kind"] == kind)
            .map(|r| (r["metadata"]["name"].as_str().unwrap().to_owned(), r))
            .collect()
    };
    let deployments = of_kind("Deployment");
    let config_maps = of_kind("ConfigMap");
    let [(config_map_name, config_map)] = config_maps.iter().collect::<Vec<_>>()[..] else {
        panic!("one ConfigMap: {config_maps:?}");
    };
    let config = config_map["data"].as_object().unwrap();

    // One Deployment per role, all from one image, each a role `codeflix` runs.
    let roles: BTreeSet<&str> = deployments.keys().map(String::as_str).collect();
    assert_eq!(
        roles,
        BTreeSet::from([
            "command-api",
            "encoder",
            "gateway",
            "notifier",
            "projectors",
            "query-api",
            "scheduler"
        ])
    );
    let images: BTreeSet<&str> = deployments
        .values()
        .map(|d| {
            d["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(images.len(), 1, "{images:?}");
    let mut settings: Vec<(String, String)> = config
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let claims = of_kind("PersistentVolumeClaim");
    for (name, deployment) in &deployments {
        let pod = &deployment["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
        let container = &pod["containers"][0];
        assert_eq!(container["args"][0], name.as_str());
        let help = crate::support::Site::new(env!("CARGO_BIN_EXE_codeflix")).run(&[name, "--help"]);
        succeeded(&help, &format!("codeflix {name} --help"));
        // It listens where its probes and Service look.
        let listen = container["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"].as_str().unwrap().ends_with("__LISTEN"))
            .unwrap_or_else(|| panic!("{name} sets no listen address"));
        settings.push((
            listen["name"].as_str().unwrap().to_owned(),
            listen["value"].as_str().unwrap().to_owned(),
        ));
        let port = container["ports"][0]["containerPort"].as_u64().unwrap();
        assert!(
            listen["value"]
                .as_str()
                .unwrap()
                .ends_with(&format!(":{port}")),
            "{name}: {listen} but port {port}"
        );
        for (probe, path) in [
            ("startupProbe", "/healthz"),
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
        ] {
            assert_eq!(container[probe]["httpGet"]["path"], path, "{name} {probe}");
            assert_eq!(
                container[probe]["httpGet"]["port"], "http",
                "{name} {probe}"
            );
        }
        let resources = &container["resources"];
        for wanted in ["/requests/cpu", "/requests/memory", "/limits/memory"] {
            assert!(resources.pointer(wanted).is_some(), "{name}: no {wanted}");
        }
        let from = container["envFrom"].as_array().unwrap();
        assert!(
            from.iter()
                .any(|f| f["configMapRef"]["name"] == config_map_name.as_str()),
            "{name}: {from:?}"
        );
        for volume in pod["volumes"].as_array().unwrap() {
            if let Some(claim) = volume["persistentVolumeClaim"]["claimName"].as_str() {
                assert!(claims.contains_key(claim), "{name}: no claim {claim}");
            }
        }
        // A disruption budget selects its pods.
        let budget = of_kind("PodDisruptionBudget")
            .get(name)
            .map(|b| b["spec"]["selector"]["matchLabels"].clone())
            .unwrap_or_else(|| panic!("{name} has no PodDisruptionBudget"));
        for (label, value) in budget.as_object().unwrap() {
            assert_eq!(
                &deployment["spec"]["template"]["metadata"]["labels"][label], value,
                "{name}: the budget's {label}"
            );
        }
    }

    // The Secret's keys, as credentials.sh writes them from compose/'s passwords file.
    let secrets = scratch.path().join("secrets.env");
    let names = [
        "KAFKA_CODEFLIX_PASSWORD",
        "REGISTRY_CODEFLIX_PASSWORD",
        "SCYLLA_CODEFLIX_PASSWORD",
        "ELASTIC_CODEFLIX_PASSWORD",
        "KEYCLOAK_CODEFLIX_ADMIN_SECRET",
        "UNSUBSCRIBE_SECRET",
        "CONTEXT_DB_PASSWORD",
    ];
    let lines: Vec<String> = names.iter().map(|n| format!("{n}=0123abcd")).collect();
    std::fs::write(&secrets, lines.join("\n")).unwrap();
    let credentials = Command::new("sh")
        .arg(format!("{ROOT}/credentials.sh"))
        .arg(&secrets)
        .output()
        .unwrap();
    let credentials = succeeded(&credentials, "credentials.sh");
    for line in credentials.lines() {
        let (key, value) = line.split_once('=').unwrap();
        if key.starts_with("CODEFLIX__") {
            settings.push((key.to_owned(), value.to_owned()));
        } else {
            // KEDA's own keys, which the TriggerAuthentication reads.
            assert!(
                rendered.contains(&format!("key: {key}")),
                "{key} is not read"
            );
        }
    }
    assert!(rendered.contains("key: CODEFLIX__KAFKA__PROPERTIES__SASL_PASSWORD"));

    // Every setting is one codeflix reads: the shared env file, the overlay's, the roles' and the
    // Secret's.
    let output = codeflix_config(&settings);
    let shown = succeeded(&output, "codeflix config");
    for (key, _) in &settings {
        let name = setting_name(key);
        assert!(
            shown.lines().any(|l| l.starts_with(&format!("{name} = "))),
            "{key} is not a setting"
        );
    }
    let shared = std::fs::read_to_string(format!("{ROOT}/base/codeflix.env")).unwrap();
    for line in shared
        .lines()
        .filter(|l| l.contains('=') && !l.starts_with('#'))
    {
        let key = line.split_once('=').unwrap().0;
        assert!(
            config.contains_key(key),
            "{key} of codeflix.env is not in the ConfigMap"
        );
    }

    // CPU autoscaling for the APIs and the gateway in front of them.
    let autoscalers = of_kind("HorizontalPodAutoscaler");
    assert_eq!(
        autoscalers
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        BTreeSet::from(["command-api", "gateway", "query-api"])
    );
    for (name, hpa) in &autoscalers {
        assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], name.as_str());
        assert_eq!(hpa["spec"]["metrics"][0]["resource"]["name"], "cpu");
    }

    // Lag autoscaling for the consumers: exactly their groups, at most one replica a partition.
    let partitions: u64 = config["CODEFLIX__KAFKA__PARTITIONS"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let authentications = of_kind("TriggerAuthentication");
    let scaled = of_kind("ScaledObject");
    for (role, groups) in consumer_groups() {
        let object = scaled
            .get(role)
            .unwrap_or_else(|| panic!("{role} has no ScaledObject"));
        assert_eq!(object["spec"]["scaleTargetRef"]["name"], role);
        let max = object["spec"]["maxReplicaCount"].as_u64().unwrap();
        assert!(
            max <= partitions,
            "{role}: {max} replicas, {partitions} partitions"
        );
        let triggers = object["spec"]["triggers"].as_array().unwrap();
        let named: BTreeSet<String> = triggers
            .iter()
            .map(|t| t["metadata"]["consumerGroup"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(named, groups, "{role}");
        for trigger in triggers {
            assert_eq!(trigger["type"], "kafka");
            // KEDA reads the brokers from the role's own environment: the ones the role uses.
            assert_eq!(
                trigger["metadata"]["bootstrapServersFromEnv"],
                "CODEFLIX__KAFKA__BOOTSTRAP_SERVERS",
                "{role}"
            );
            assert!(config.contains_key("CODEFLIX__KAFKA__BOOTSTRAP_SERVERS"));
            let authentication = trigger["authenticationRef"]["name"].as_str().unwrap();
            assert!(
                authentications.contains_key(authentication),
                "{authentication}"
            );
        }
    }
    assert_eq!(scaled.len(), 3, "{:?}", scaled.keys());
}
