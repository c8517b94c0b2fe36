//! Decoding through the registry: an event written with exactly this binary's schema comes back
//! as written (resolving it would change nothing, and is skipped); one written with an older
//! schema is resolved to this binary's, its missing fields filled with their defaults.

use apache_avro::Schema;
use apache_avro::types::Value;
use codeflix_domain::AggregateType;
use codeflix_eventlog::codec::RegistryCodec;
use codeflix_eventlog::reader::read_snapshot;
use codeflix_eventlog::topics::event_topic;
use codeflix_schemas::{NamedSchema, SchemaSet};

use crate::support::Cluster;

fn field<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    match value {
        Value::Record(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_writers_event_is_resolved_and_one_with_our_schema_is_left_as_written() {
    let cluster = Cluster::start().await;
    let (_log, _) = cluster.log_with_category().await;
    let topic = event_topic("codeflix", AggregateType::Category);
    let raw = read_snapshot(&cluster.config(), std::slice::from_ref(&topic))
        .await
        .unwrap();
    let bytes = raw[0].value.clone().unwrap();
    let codec = RegistryCodec::new(cluster.stack.registry_url()).unwrap();
    let (name, ours) = codec.decode_resolved(&bytes).await.unwrap();
    assert_eq!(name, "codeflix.catalog.category.CategoryCreated");
    let schema = SchemaSet::embedded().get(&name).unwrap();
    assert_eq!(ours.clone().resolve(&schema.schema).unwrap(), ours);
    assert!(field(&ours, "description").is_some());
    // Twice: the second answer comes from what the codec learned about the schema id.
    assert_eq!(codec.decode_resolved(&bytes).await.unwrap().1, ours);

    // An older writer's schema: the same event without its optional description.
    let mut json: serde_json::Value = serde_json::from_str(&schema.json).unwrap();
    json["fields"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["name"] != "description");
    let older = NamedSchema {
        fullname: name.clone(),
        path: schema.path.clone(),
        json: json.to_string(),
        schema: Schema::parse_str(&json.to_string()).unwrap(),
    };
    let Value::Record(mut fields) = ours.clone() else {
        panic!("a record: {ours:?}");
    };
    fields.retain(|(n, _)| n != "description");
    let written = codec
        .encode_record(&format!("{topic}-older"), &older, Value::Record(fields))
        .await
        .unwrap();
    let (again, resolved) = codec.decode_resolved(&written).await.unwrap();
    assert_eq!(again, name);
    assert_eq!(
        field(&resolved, "description"),
        Some(&Value::Union(0, Box::new(Value::Null))),
        "filled with its default: {resolved:?}"
    );
    assert_eq!(field(&resolved, "name"), field(&ours, "name"));
}
