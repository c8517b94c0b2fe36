//! The schema files and the domain name the same events, and the files are well-formed.

use std::collections::BTreeSet;

use codeflix_domain::{AggregateType, AnyEvent};
use codeflix_schemas::{SchemaSet, event_fullname};

fn domain_event_names() -> BTreeSet<String> {
    AggregateType::ALL
        .into_iter()
        .flat_map(|t| {
            AnyEvent::event_types_of(t)
                .iter()
                .map(move |e| event_fullname(t, e))
        })
        .collect()
}

#[test]
fn every_domain_event_has_a_schema_and_every_event_schema_an_event() {
    let schemas: BTreeSet<String> = SchemaSet::embedded()
        .events()
        .map(|s| s.fullname.clone())
        .collect();
    let domain = domain_event_names();
    let without_schema: Vec<_> = domain.difference(&schemas).collect();
    let without_event: Vec<_> = schemas.difference(&domain).collect();
    assert!(
        without_schema.is_empty(),
        "events without a schema: {without_schema:?}"
    );
    assert!(
        without_event.is_empty(),
        "schemas without an event: {without_event:?}"
    );
    assert_eq!(schemas.len(), 55, "55 event types");
}

#[test]
fn the_missions_named_events_exist() {
    let domain = domain_event_names();
    for name in [
        "codeflix.catalog.video.VideoUploaded",
        "codeflix.encoding.job.EncodingFinished",
        "codeflix.subscriptions.subscription.SubscriptionStarted",
    ] {
        assert!(domain.contains(name), "{name} is missing");
    }
}

#[test]
fn every_event_schema_starts_with_the_envelope_and_documents_every_field() {
    let set = SchemaSet::embedded();
    let metadata = set
        .get("codeflix.common.EventMetadata")
        .expect("envelope schema");
    for schema in set.iter() {
        let json: serde_json::Value = serde_json::from_str(&schema.json).unwrap();
        assert!(
            json.get("doc")
                .and_then(|d| d.as_str())
                .is_some_and(|d| !d.is_empty()),
            "{} has no doc",
            schema.fullname
        );
        for field in json
            .get("fields")
            .and_then(|f| f.as_array())
            .into_iter()
            .flatten()
        {
            assert!(
                field.get("doc").is_some(),
                "{}.{} has no doc",
                schema.fullname,
                field["name"]
            );
        }
    }
    for event in set.events() {
        assert!(
            event
                .json
                .contains(&metadata.json[1..metadata.json.len() - 1]),
            "{} does not inline the envelope as declared",
            event.fullname
        );
    }
}

#[test]
fn the_schema_files_on_disk_are_the_embedded_ones() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("avro");
    let mut on_disk = BTreeSet::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                on_disk.insert(
                    path.strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let embedded: BTreeSet<String> = SchemaSet::embedded()
        .iter()
        .map(|s| s.path.clone())
        .collect();
    assert_eq!(on_disk, embedded);
}
