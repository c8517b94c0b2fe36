//! Every event type survives encoding to Avro binary and decoding back, unchanged.

use std::collections::BTreeSet;

use apache_avro::Schema;
use apache_avro::types::Value;
use codeflix_domain::catalog::category::{CategoryCreated, CategoryEvent};
use codeflix_domain::catalog::video::{Rating, VideoCreated, VideoEvent};
use codeflix_domain::{
    AggregateType, AnyEvent, Envelope, EventId, EventMetadata, Timestamp, Version,
};
use codeflix_schemas::{
    CodecError, SchemaSet, decode_datum, decode_value, encode_datum, encode_value,
};
use proptest::prelude::*;

use crate::samples::{self, metadata_for};

fn envelope(event: AnyEvent, version: u64) -> Envelope<AnyEvent> {
    Envelope {
        metadata: metadata_for(&event, version),
        event,
    }
}

fn roundtrip(envelope: &Envelope<AnyEvent>) -> Envelope<AnyEvent> {
    let set = SchemaSet::embedded();
    let (schema, bytes) = encode_datum(set, envelope).unwrap_or_else(|e| panic!("encode: {e}"));
    decode_datum(&schema.schema, None, &bytes).unwrap_or_else(|e| panic!("decode: {e}"))
}

#[test]
fn every_event_type_round_trips_through_avro_binary() {
    let samples = samples::all();
    for (i, event) in samples.iter().enumerate() {
        let original = envelope(event.clone(), i as u64 + 1);
        assert_eq!(roundtrip(&original), original, "{}", event.event_type());
    }
    let covered: BTreeSet<(AggregateType, &str)> = samples
        .iter()
        .map(|e| (e.aggregate_type(), e.event_type()))
        .collect();
    let all: BTreeSet<(AggregateType, &str)> = AggregateType::ALL
        .into_iter()
        .flat_map(|t| AnyEvent::event_types_of(t).iter().map(move |e| (t, *e)))
        .collect();
    let missing: Vec<_> = all.difference(&covered).collect();
    assert!(missing.is_empty(), "no round-trip sample for {missing:?}");
}

#[test]
fn the_binary_is_readable_with_the_plain_schema_json() {
    // What a third-party consumer does: parse the registry's schema text, read the datum.
    let set = SchemaSet::embedded();
    let original = envelope(samples::all().remove(0), 1);
    let (schema, bytes) = encode_datum(set, &original).unwrap();
    let reparsed = Schema::parse_str(&schema.json).unwrap();
    assert_eq!(decode_datum(&reparsed, None, &bytes).unwrap(), original);
}

#[test]
fn an_event_written_before_a_field_was_added_reads_with_its_default() {
    // The writer's version of CategoryCreated had no description yet.
    let old = r#"{"type":"record","name":"CategoryCreated","namespace":"codeflix.catalog.category",
        "fields":[
          {"name":"metadata","type":REPLACE},
          {"name":"name","type":"string"},
          {"name":"active","type":"boolean"}]}"#;
    let set = SchemaSet::embedded();
    let metadata = &set.get("codeflix.common.EventMetadata").unwrap().json;
    let writer = Schema::parse_str(&old.replace("REPLACE", metadata)).unwrap();
    let current = &set
        .get("codeflix.catalog.category.CategoryCreated")
        .unwrap()
        .schema;
    let event: AnyEvent = CategoryEvent::from(CategoryCreated {
        name: "Docs".into(),
        description: None,
        active: true,
    })
    .into();
    let original = envelope(event, 1);
    let (_, value) = encode_value(set, &original).unwrap();
    let Value::Record(fields) = value else {
        panic!("a record")
    };
    let without: Vec<_> = fields
        .into_iter()
        .filter(|(n, _)| n != "description")
        .collect();
    let bytes = apache_avro::writer::datum::GenericDatumWriter::builder(&writer)
        .build()
        .unwrap()
        .write_value_to_vec(Value::Record(without))
        .unwrap();
    assert_eq!(
        decode_datum(&writer, Some(current), &bytes).unwrap(),
        original
    );
}

#[test]
fn metadata_of_another_aggregate_is_refused() {
    let mut wrong = envelope(samples::all().remove(0), 1);
    wrong.metadata.aggregate_type = AggregateType::Video;
    assert!(matches!(
        encode_value(SchemaSet::embedded(), &wrong),
        Err(CodecError::AggregateMismatch { .. })
    ));
}

#[test]
fn unknown_symbols_and_names_are_decoding_errors_not_panics() {
    let set = SchemaSet::embedded();
    let event: AnyEvent = VideoEvent::from(VideoCreated {
        title: "t".into(),
        description: "d".into(),
        launch_year: 2000,
        duration_minutes: 1,
        rating: Rating::L,
        opened: false,
        categories: vec![],
        genres: vec![],
        cast_members: vec![],
    })
    .into();
    let (schema, value) = encode_value(set, &envelope(event, 1)).unwrap();
    let Value::Record(mut fields) = value else {
        panic!("a record")
    };
    for (name, value) in &mut fields {
        if name == "rating" {
            *value = Value::Enum(0, "AGE_99".into());
        }
    }
    let error = decode_value(&schema.fullname, Value::Record(fields.clone())).unwrap_err();
    assert!(error.to_string().contains("rating"), "{error}");
    let error = decode_value(
        "codeflix.catalog.video.VideoVanished",
        Value::Record(fields),
    )
    .unwrap_err();
    assert!(matches!(error, CodecError::NotAnEvent(_)), "{error}");
}

fn text() -> impl Strategy<Value = String> {
    // Any Unicode, including the empty string, NUL and astral-plane characters.
    ".{0,40}"
}

proptest! {
    #[test]
    fn arbitrary_metadata_and_text_round_trip(
        event_id in any::<u128>(),
        version in 1u64..=i64::MAX as u64,
        micros in -62_135_596_800_000_000i64..253_402_300_799_000_000,
        actor in text(),
        title in text(),
        description in text(),
        year in any::<u16>(),
        minutes in any::<u32>().prop_map(|m| m % (i32::MAX as u32)),
        opened in any::<bool>(),
    ) {
        let event: AnyEvent = VideoEvent::from(VideoCreated {
            title,
            description,
            launch_year: year,
            duration_minutes: minutes,
            rating: Rating::Age18,
            opened,
            categories: vec![],
            genres: vec![],
            cast_members: vec![],
        })
        .into();
        let original = Envelope {
            metadata: EventMetadata {
                event_id: EventId(uuid::Uuid::from_u128(event_id)),
                aggregate_type: AggregateType::Video,
                aggregate_id: uuid::Uuid::from_u128(event_id ^ 1).to_string(),
                aggregate_version: Version::new(version),
                occurred_at: Timestamp::from_unix_micros(micros).unwrap(),
                correlation_id: uuid::Uuid::from_u128(event_id ^ 2),
                causation_id: uuid::Uuid::from_u128(event_id ^ 3),
                actor,
            },
            event,
        };
        prop_assert_eq!(roundtrip(&original), original);
    }
}
