//! The JDBC sink on the embedded broker and registry: Avro records with string keys into SQLite,
//! upserted, deleted by tombstones, transformed; bad records dead-lettered or failing the task.

use apache_avro::Schema as Avro;
use apache_avro::types::Value as AvroValue;
use codeflix_connect::record::Raw;
use codeflix_testkit::Stack;
use serde_json::{Value as Json, json};

use crate::support::{
    Connect, Message, cells, create_topic, framed, produce, read_all, register, rows, wait_until,
};

const TOPIC: &str = "codeflix.subscriptions.subscription.state";

const SCHEMA: &str = r#"{
    "type": "record", "name": "SubscriptionState", "namespace": "codeflix.subscriptions",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "plan", "type": "string"},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["ACTIVE", "CANCELLED"]}},
        {"name": "price_minor", "type": "long"},
        {"name": "card", "type": ["null", "string"], "default": null},
        {"name": "renews_at", "type": {"type": "long", "logicalType": "timestamp-millis"}}
    ]
}"#;

struct Feed {
    id: u32,
    schema: Avro,
}

impl Feed {
    async fn on(stack: &Stack) -> Feed {
        create_topic(&stack.config(), TOPIC, 3).await;
        Feed {
            id: register(
                stack.embedded.registry_url(),
                &format!("{TOPIC}-value"),
                SCHEMA,
            )
            .await,
            schema: Avro::parse_str(SCHEMA).unwrap(),
        }
    }

    /// A subscription's state, keyed by its id.
    fn state(&self, id: &str, status: u32, price: i64) -> Message {
        let symbols = ["ACTIVE", "CANCELLED"];
        let value = AvroValue::Record(vec![
            ("id".into(), AvroValue::String(id.into())),
            ("plan".into(), AvroValue::String("plan-basic".into())),
            (
                "status".into(),
                AvroValue::Enum(status, symbols[status as usize].into()),
            ),
            ("price_minor".into(), AvroValue::Long(price)),
            (
                "card".into(),
                AvroValue::Union(1, Box::new(AvroValue::String("card_4242".into()))),
            ),
            (
                "renews_at".into(),
                AvroValue::TimestampMillis(1_790_000_000_000),
            ),
        ]);
        Message {
            key: Some(id.as_bytes().to_vec()),
            value: Some(framed(self.id, &self.schema, value)),
            headers: vec![("ce_type".into(), Some(b"SubscriptionState".to_vec()))],
            ..Message::default()
        }
    }

    fn tombstone(id: &str) -> Message {
        Message {
            key: Some(id.as_bytes().to_vec()),
            ..Message::default()
        }
    }
}

/// The copy every test here makes: upserted by key, tombstones deleting, the topic routed to a
/// table name, the card left out.
fn sink(extra: &[(&str, &str)]) -> Json {
    let mut config = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": TOPIC,
        "connection.url": "jdbc:sqlite:playback/subscriptions.db",
        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "pk.fields": "id",
        "delete.enabled": "true",
        "auto.create": "true",
        "max.retries": "0",
        "transforms": "route,private",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "codeflix\\.([a-z]+)\\.([a-z]+)\\.state",
        "transforms.route.replacement": "$1_$2",
        "transforms.private.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
        "transforms.private.exclude": "card",
    });
    for (key, value) in extra {
        config[*key] = json!(value);
    }
    config
}

const ROWS: &str =
    "SELECT id, plan, status, price_minor, renews_at FROM subscriptions_subscription ORDER BY id";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_records_are_upserted_by_key_and_a_tombstone_deletes_the_row() {
    let stack = Stack::start().await;
    let feed = Feed::on(&stack).await;
    let connect = Connect::on(&stack).await;
    connect.create("subscriptions-copy", sink(&[])).await;
    produce(
        &stack.config(),
        TOPIC,
        &[
            feed.state("sub-1", 0, 999),
            feed.state("sub-2", 0, 499),
            feed.state("sub-1", 1, 1299),
            Feed::tombstone("sub-2"),
        ],
    )
    .await;

    let db = stack.path("connect-data/playback/subscriptions.db");
    let expected = vec![vec![
        "sub-1".to_owned(),
        "plan-basic".into(),
        "CANCELLED".into(),
        "1299".into(),
        "1790000000000".into(),
    ]];
    wait_until("the copy holds sub-1's latest state only", || async {
        (cells(&rows(&db, ROWS).await) == expected).then_some(())
    })
    .await;
    // The excluded field is no column; the key is the primary key.
    let columns = cells(
        &rows(
            &db,
            "SELECT name, pk FROM pragma_table_info('subscriptions_subscription') ORDER BY cid",
        )
        .await,
    );
    assert_eq!(
        columns,
        [
            ["id", "1"],
            ["plan", "0"],
            ["status", "0"],
            ["price_minor", "0"],
            ["renews_at", "0"]
        ]
    );
    let status = connect.status("subscriptions-copy").await;
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    assert_eq!(status["type"], "sink");
    // The consumer group is Connect's.
    let (_, topics) = connect
        .call(
            reqwest::Method::GET,
            "/connectors/subscriptions-copy/topics",
            None,
        )
        .await;
    assert_eq!(topics, json!({"subscriptions-copy": {"topics": [TOPIC]}}));
}

fn header<'a>(raw: &'a Raw, name: &str) -> Option<&'a str> {
    raw.headers
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.as_deref())
        .map(|v| std::str::from_utf8(v).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_record_is_dead_lettered_with_connects_headers_and_the_connector_keeps_running() {
    let stack = Stack::start().await;
    let feed = Feed::on(&stack).await;
    let connect = Connect::on(&stack).await;
    let dlq = "connect.subscriptions-copy.dlq";
    connect
        .create(
            "subscriptions-copy",
            sink(&[
                ("errors.tolerance", "all"),
                ("errors.deadletterqueue.topic.name", dlq),
                ("errors.deadletterqueue.context.headers.enable", "true"),
                ("errors.log.enable", "true"),
            ]),
        )
        .await;
    let poison = Message {
        key: Some(b"sub-9".to_vec()),
        value: Some(b"{\"not\": \"avro\"}".to_vec()),
        headers: vec![
            ("ce_id".into(), Some(b"evt-9".to_vec())),
            ("empty".into(), None),
        ],
        partition: Some(1),
        timestamp: Some(1_700_000_000_123),
    };
    produce(
        &stack.config(),
        TOPIC,
        &[
            feed.state("sub-1", 0, 999),
            poison.clone(),
            feed.state("sub-3", 0, 199),
        ],
    )
    .await;

    let db = stack.path("connect-data/playback/subscriptions.db");
    wait_until("both good records are copied", || async {
        let ids: Vec<String> =
            cells(&rows(&db, "SELECT id FROM subscriptions_subscription ORDER BY id").await)
                .into_iter()
                .map(|r| r[0].clone())
                .collect();
        (ids == ["sub-1", "sub-3"]).then_some(())
    })
    .await;
    let letters = wait_until("the poison record is dead-lettered", || async {
        let letters = read_all(&stack.config(), dlq).await;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    // The original bytes, timestamp and headers, then Connect's context.
    assert_eq!(letter.key, poison.key);
    assert_eq!(letter.value, poison.value);
    assert_eq!(letter.timestamp, poison.timestamp);
    assert_eq!(
        letter.headers[0],
        ("ce_id".to_owned(), Some(b"evt-9".to_vec()))
    );
    assert_eq!(letter.headers[1], ("empty".to_owned(), None));
    let source = read_all(&stack.config(), TOPIC)
        .await
        .into_iter()
        .find(|r| r.key.as_deref() == Some(&b"sub-9"[..]))
        .unwrap();
    assert_eq!(header(letter, "__connect.errors.topic"), Some(TOPIC));
    assert_eq!(header(letter, "__connect.errors.partition"), Some("1"));
    assert_eq!(
        header(letter, "__connect.errors.offset"),
        Some(source.offset.to_string().as_str())
    );
    assert_eq!(
        header(letter, "__connect.errors.connector.name"),
        Some("subscriptions-copy")
    );
    assert_eq!(header(letter, "__connect.errors.task.id"), Some("0"));
    assert_eq!(
        header(letter, "__connect.errors.stage"),
        Some("VALUE_CONVERTER")
    );
    assert_eq!(
        header(letter, "__connect.errors.class.name"),
        Some("io.confluent.connect.avro.AvroConverter")
    );
    assert_eq!(
        header(letter, "__connect.errors.exception.class.name"),
        Some("org.apache.kafka.connect.errors.DataException")
    );
    assert_eq!(
        header(letter, "__connect.errors.exception.message"),
        Some(
            format!("Failed to deserialize data for topic {TOPIC} to Avro: Unknown magic byte!")
                .as_str()
        )
    );
    assert!(header(letter, "__connect.errors.exception.stacktrace").is_some());

    let status = connect.status("subscriptions-copy").await;
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    assert!(connect.runtime.failed().await.is_empty());
    // Still running: a later record is copied too.
    produce(&stack.config(), TOPIC, &[feed.state("sub-4", 0, 1)]).await;
    wait_until("a record after the dead letter is copied", || async {
        (rows(
            &db,
            "SELECT id FROM subscriptions_subscription WHERE id = 'sub-4'",
        )
        .await
        .len()
            == 1)
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_tolerance_a_poison_record_fails_the_task_with_its_trace() {
    let stack = Stack::start().await;
    let feed = Feed::on(&stack).await;
    let connect = Connect::on(&stack).await;
    connect.create("subscriptions-copy", sink(&[])).await;
    produce(&stack.config(), TOPIC, &[feed.state("sub-1", 0, 999)]).await;
    let db = stack.path("connect-data/playback/subscriptions.db");
    wait_until("the good record is copied", || async {
        (rows(&db, ROWS).await.len() == 1).then_some(())
    })
    .await;
    produce(
        &stack.config(),
        TOPIC,
        &[Message {
            key: Some(b"sub-9".to_vec()),
            value: Some(b"garbage".to_vec()),
            partition: Some(0),
            ..Message::default()
        }],
    )
    .await;

    let failed = wait_until("the task fails", || async {
        let status = connect.status("subscriptions-copy").await;
        (status["tasks"][0]["state"] == "FAILED").then_some(status)
    })
    .await;
    assert_eq!(
        failed["connector"]["state"], "RUNNING",
        "Connect keeps the connector running: {failed}"
    );
    let trace = failed["tasks"][0]["trace"].as_str().unwrap();
    assert!(
        trace.starts_with(
            "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler"
        ),
        "{trace}"
    );
    assert!(
        trace.contains(
            "Caused by: org.apache.kafka.connect.errors.DataException: Failed to deserialize data"
        ),
        "{trace}"
    );
    assert_eq!(
        failed["tasks"][0]["worker_id"],
        json!(connect.url.trim_start_matches("http://"))
    );
    assert_eq!(connect.runtime.failed().await, ["subscriptions-copy"]);

    // Records after it (in its partition) are not copied: the task is dead until restarted.
    let mut later = feed.state("sub-2", 0, 1);
    later.partition = Some(0);
    produce(&stack.config(), TOPIC, &[later]).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(rows(&db, ROWS).await.len(), 1);
    // Restarting the connector alone leaves the task FAILED; with its tasks it fails again on
    // the same record.
    let (status, _) = connect
        .call(
            reqwest::Method::POST,
            "/connectors/subscriptions-copy/restart",
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        connect.status("subscriptions-copy").await["tasks"][0]["state"],
        "FAILED"
    );
    let (status, body) = connect
        .call(
            reqwest::Method::POST,
            "/connectors/subscriptions-copy/restart?includeTasks=true&onlyFailed=true",
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    wait_until(
        "the restarted task fails again on the poison record",
        || async {
            (connect.status("subscriptions-copy").await["tasks"][0]["state"] == "FAILED")
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        rows(&db, ROWS).await.len(),
        1,
        "nothing past the poison record"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_values_with_schemas_are_written_with_a_key_made_by_transforms() {
    let stack = Stack::start().await;
    let topic = "plans.json";
    create_topic(&stack.config(), topic, 1).await;
    let connect = Connect::on(&stack).await;
    connect
        .create(
            "plans-copy",
            json!({
                "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
                "topics.regex": "plans\\.js.n",
                "connection.url": "jdbc:sqlite:plans.db",
                "table.name.format": "plans",
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "true",
                "insert.mode": "upsert",
                "pk.mode": "record_key",
                "pk.fields": "plan_id",
                "auto.create": "true",
                "auto.evolve": "true",
                // The key is the value's id (ValueToKey, then ExtractField$Key); records without
                // a ce_type header are dropped (Filter, negated HasHeaderKey).
                "transforms": "unsigned,toKey,keyOnly,rename",
                "transforms.unsigned.type": "org.apache.kafka.connect.transforms.Filter",
                "transforms.unsigned.predicate": "typed",
                "transforms.unsigned.negate": "true",
                "transforms.toKey.type": "org.apache.kafka.connect.transforms.ValueToKey",
                "transforms.toKey.fields": "id",
                "transforms.keyOnly.type": "org.apache.kafka.connect.transforms.ExtractField$Key",
                "transforms.keyOnly.field": "id",
                "transforms.rename.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
                "transforms.rename.renames": "name:title",
                "transforms.rename.exclude": "id",
                "predicates": "typed",
                "predicates.typed.type": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
                "predicates.typed.name": "ce_type",
            }),
        )
        .await;
    let plan = |id: &str, name: &str, price: i64, extra: bool| {
        let mut fields = vec![
            json!({"field": "id", "type": "string", "optional": false}),
            json!({"field": "name", "type": "string", "optional": false}),
            json!({"field": "price", "type": "int64", "optional": false}),
        ];
        let mut payload = json!({"id": id, "name": name, "price": price});
        if extra {
            fields.push(json!({"field": "trial_days", "type": "int32", "optional": true}));
            payload["trial_days"] = json!(14);
        }
        let value = json!({"schema": {"type": "struct", "name": "plan", "optional": false, "fields": fields}, "payload": payload});
        Message {
            key: None,
            value: Some(serde_json::to_vec(&value).unwrap()),
            headers: vec![("ce_type".into(), Some(b"PlanState".to_vec()))],
            ..Message::default()
        }
    };
    let mut untyped = plan("p9", "Hidden", 1, false);
    untyped.headers.clear();
    produce(
        &stack.config(),
        topic,
        &[
            plan("p1", "Basic", 999, false),
            untyped,
            plan("p2", "Premium", 1999, false),
            // A new optional field: a new column (auto.evolve).
            plan("p1", "Basic+", 1099, true),
        ],
    )
    .await;
    let db = stack.path("connect-data/plans.db");
    let expected = vec![
        vec!["p1".to_owned(), "Basic+".into(), "1099".into(), "14".into()],
        vec![
            "p2".to_owned(),
            "Premium".into(),
            "1999".into(),
            "NULL".into(),
        ],
    ];
    wait_until(
        "the plans are copied with their key and renamed field",
        || async {
            (cells(
                &rows(
                    &db,
                    "SELECT plan_id, title, price, trial_days FROM plans ORDER BY plan_id",
                )
                .await,
            ) == expected)
                .then_some(())
        },
    )
    .await;
}
