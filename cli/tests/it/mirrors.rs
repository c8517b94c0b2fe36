//! Data crossing bounded contexts as `codeflix up` runs it, on embedded defaults: the state
//! feeds, and the connector files of `connectors/` on the embedded Connect runtime, carry a
//! video's title and a customer's contact into the notifications side's store and a
//! subscription into the playback side's; a record the sink cannot read goes to the
//! connector's dead-letter topic with Connect's headers, and the connector carries on; an event
//! a feed cannot read is dead-lettered where `codeflix dlq` lists it.

use std::time::{Duration, Instant};

use codeflix_testkit::sqlite::SqliteFile;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::playback::create_video;
use crate::support::{Site, wait_for_port};
use crate::up::{interrupt, start, token};

type Rows = Vec<Vec<Option<String>>>;

/// Waits (a minute at the most) until `sql` over `file` selects rows `done` accepts.
fn until(
    runtime: &tokio::runtime::Runtime,
    file: &SqliteFile,
    sql: &str,
    param: &str,
    done: impl Fn(&Rows) -> bool,
) -> Rows {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = runtime.block_on(file.rows(sql, vec![param.to_owned()]));
        if done(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "{sql} ({param}): {rows:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn text(value: &str) -> Option<String> {
    Some(value.to_owned())
}

#[test]
fn changes_reach_the_other_contexts_mirrors_and_a_poison_record_is_set_aside() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let up = start(&site);
    wait_for_port(site.connect_port);
    let http = Client::new();
    let admin = token(&site);
    let viewer = site.run(&[
        "token",
        "--sub",
        "ana",
        "--email",
        "ana@example.com",
        "--name",
        "Ana",
        "--role",
        "viewer",
    ]);
    assert!(viewer.status.success());
    let viewer = String::from_utf8(viewer.stdout).unwrap().trim().to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let notifications = runtime.block_on(SqliteFile::open(&site.path("notifications/mirror.db")));
    let playback = runtime.block_on(SqliteFile::open(&site.path("playback/entitlements.db")));

    // Catalog → notifications: a video's title, then its new title.
    let video = create_video(&http, &site, &admin, "Bars and Tone", false);
    let titles = "SELECT title, version, published FROM video_titles WHERE video_id = ?1";
    until(&runtime, &notifications, titles, &video, |rows| {
        *rows == [vec![text("Bars and Tone"), text("1"), text("0")]]
    });
    let renamed = http
        .put(format!("{}/videos/{video}", site.api()))
        .bearer_auth(&admin)
        .header("if-match", "\"1\"")
        .json(
            &json!({"title": "Bars and Tone (restored)", "description": "Bars and a tone.",
                      "launch_year": 2024, "duration": 1, "rating": "L", "opened": false}),
        )
        .send()
        .unwrap();
    assert_eq!(
        renamed.status(),
        StatusCode::OK,
        "{}",
        renamed.text().unwrap()
    );
    until(&runtime, &notifications, titles, &video, |rows| {
        *rows == [vec![text("Bars and Tone (restored)"), text("2"), text("0")]]
    });

    // Accounts → notifications, subscriptions → playback: a customer subscribes.
    let plan = http
        .post(format!("{}/plans", site.api()))
        .bearer_auth(&admin)
        .json(
            &json!({"name": "Premium", "amount_minor": 2990, "currency": "BRL",
                      "billing_period": "MONTHLY"}),
        )
        .send()
        .unwrap();
    assert_eq!(plan.status(), StatusCode::CREATED);
    let plan = plan.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let subscribed = http
        .post(format!("{}/subscriptions", site.api()))
        .bearer_auth(&viewer)
        .header("idempotency-key", "ana-subscribes")
        .json(&json!({"plan_id": plan, "payment_method": "card_4242424242424242"}))
        .send()
        .unwrap();
    assert_eq!(subscribed.status(), StatusCode::CREATED);
    let subscription = subscribed.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    until(
        &runtime,
        &notifications,
        "SELECT email, display_name FROM contacts WHERE subject = ?1",
        "ana",
        |rows| *rows == [vec![text("ana@example.com"), text("Ana")]],
    );
    let entitlements =
        "SELECT account_id, status, ends_at FROM entitlements WHERE subscription_id = ?1";
    until(&runtime, &playback, entitlements, &subscription, |rows| {
        *rows == [vec![text("ana"), text("ACTIVE"), None]]
    });

    // A record the sink cannot read (not Avro) on the subscriptions' feed, then a cancellation:
    // the record goes to the dead-letter topic, the cancellation still reaches playback.
    let bootstrap = format!("127.0.0.1:{}", site.broker_port);
    let feed = "codeflix.subscriptions.subscription.state";
    runtime.block_on(async {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .unwrap();
        producer
            .send(
                FutureRecord::to(feed).key("poison").payload("not avro"),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)
            .unwrap();
        // And one the feed itself cannot read, on the subscriptions' event topic.
        producer
            .send(
                FutureRecord::to("codeflix.subscriptions.subscription.events")
                    .key("poison-event")
                    .payload("not avro"),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)
            .unwrap();
    });
    let canceled = http
        .post(format!(
            "{}/subscriptions/{subscription}/cancel",
            site.api()
        ))
        .bearer_auth(&viewer)
        .send()
        .unwrap();
    assert_eq!(canceled.status(), StatusCode::OK);
    let rows = until(&runtime, &playback, entitlements, &subscription, |rows| {
        rows.len() == 1 && rows[0][2].is_some()
    });
    assert_eq!(
        rows[0][1],
        text("CANCELED"),
        "access lasts to ends_at: {rows:?}"
    );

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "mirrors-test")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer
        .subscribe(&["codeflix.connect.playback-entitlements.dlq"])
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let letter = loop {
        assert!(Instant::now() < deadline, "no dead letter");
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(500)) {
            break message.detach();
        }
    };
    assert_eq!(letter.key(), Some(&b"poison"[..]));
    assert_eq!(letter.payload(), Some(&b"not avro"[..]));
    let header = |name: &str| {
        letter.headers().and_then(|headers| {
            headers
                .iter()
                .find(|h| h.key == name)
                .and_then(|h| h.value)
                .map(|v| String::from_utf8_lossy(v).into_owned())
        })
    };
    assert_eq!(header("__connect.errors.topic").as_deref(), Some(feed));
    assert_eq!(
        header("__connect.errors.connector.name").as_deref(),
        Some("playback-entitlements")
    );
    assert!(
        header("__connect.errors.exception.class.name").is_some(),
        "{:?}",
        letter.headers()
    );
    let status: Value = http
        .get(format!(
            "http://127.0.0.1:{}/connectors/playback-entitlements/status",
            site.connect_port
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    // The feed set its poison event aside where `codeflix dlq` finds it.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = site.run(&["dlq", "list", "--projection", "feed-subscription-state"]);
        assert!(listed.status.success(), "{listed:?}");
        let letters: Vec<Value> = String::from_utf8(listed.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        if let Some(letter) = letters.iter().find(|l| l["key"] == "poison-event") {
            assert_eq!(
                letter["topic"],
                "codeflix.subscriptions.subscription.events"
            );
            assert_eq!(letter["redriven"], false, "{letter}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no dead letter of the feed: {letters:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Closed while the broker runs (closing waits for it otherwise).
    drop(consumer);
    interrupt(up);
}
