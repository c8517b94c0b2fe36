//! Operations over real HTTP: a consumer's dead letters, written to its real dead-letter topic
//! on the embedded broker, listed a page at a time and sent back to its redrive topic.

use codeflix_consumer::dlq;
use codeflix_eventlog::reader::{RawRecord, read_snapshot};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use codeflix_testkit::CommandApi as Api;

fn upload(key: &str, offset: i64) -> RawRecord {
    RawRecord {
        topic: "codeflix.catalog.video.events".to_owned(),
        partition: 0,
        offset,
        timestamp_ms: Some(1_765_000_000_000),
        key: Some(key.as_bytes().to_vec()),
        value: Some(b"not avro".to_vec()),
        headers: vec![
            ("ce_type".to_owned(), "VideoUploaded".to_owned()),
            ("ce_id".to_owned(), format!("event-{offset}")),
        ],
    }
}

/// The `member` of every item of `items`, as text.
fn each<'a>(items: &'a Value, member: &str) -> Vec<&'a str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[member].as_str().unwrap())
        .collect()
}

async fn redrive(api: &Api, token: &str, consumer: &str) -> codeflix_testkit::Answer {
    let path = format!("/admin/dead-letters/{consumer}/redrive");
    api.send(Method::POST, &path, Some(token), &[], None).await
}

async fn get(api: &Api, token: &str, path: &str) -> (StatusCode, Value) {
    let answer = api.send(Method::GET, path, Some(token), &[], None).await;
    (answer.status, answer.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_list_a_consumers_dead_letters_and_send_them_back() {
    let api = Api::start().await;
    let ops = api.token(&["operations"]);

    // No consumer has run: no dead-letter topic yet, and nothing to show.
    let (status, consumers) = get(&api, &ops, "/admin/dead-letters").await;
    assert_eq!(status, StatusCode::OK, "{consumers}");
    assert_eq!(each(&consumers["items"], "name"), ["catalog", "encoder"]);
    assert_eq!(consumers["items"][1]["dead_letters"], 0);
    assert!(
        consumers["items"][1]["description"]
            .as_str()
            .unwrap()
            .contains("encoding failed")
    );

    // The encoder gives up on three uploads, two of one video.
    let config = api.config();
    dlq::consumed_topics(
        config,
        "encoder",
        "codeflix.catalog.video.events".to_owned(),
    )
    .await
    .unwrap();
    let sender = dlq::Sender::new(config, "encoder").unwrap();
    let letters = [("video-1", 4), ("video-2", 5), ("video-1", 9)]
        .map(|(key, offset)| {
            dlq::DeadLetter::new(
                upload(key, offset),
                format!("encoding failed 3 times: ffmpeg crashed at {offset}"),
            )
        })
        .to_vec();
    sender.send("encoder", letters).await.unwrap();

    let (_, consumers) = get(&api, &ops, "/admin/dead-letters").await;
    let encoder = &consumers["items"][1];
    assert_eq!(
        (
            encoder["dead_letters"].as_u64(),
            encoder["waiting"].as_u64()
        ),
        (Some(3), Some(3))
    );
    assert_eq!(consumers["items"][0]["dead_letters"], 0);

    // Two pages of two.
    let (status, first) = get(&api, &ops, "/admin/dead-letters/encoder?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (first["total"].as_u64(), first["waiting"].as_u64()),
        (Some(3), Some(3))
    );
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = get(
        &api,
        &ops,
        &format!("/admin/dead-letters/encoder?limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second["next_cursor"].is_null(), "{second}");
    let mut offsets: Vec<i64> = items
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|l| l["offset"].as_i64().unwrap())
        .collect();
    offsets.sort_unstable();
    assert_eq!(offsets, [4, 5, 9]);
    let letter = items
        .iter()
        .chain(second["items"].as_array().unwrap())
        .find(|l| l["offset"] == 5)
        .unwrap();
    assert_eq!(letter["key"], "video-2");
    assert_eq!(letter["topic"], "codeflix.catalog.video.events");
    assert_eq!(letter["event_type"], "VideoUploaded");
    assert_eq!(letter["event_id"], "event-5");
    assert_eq!(
        letter["reason"],
        "encoding failed 3 times: ffmpeg crashed at 5"
    );
    assert_eq!(letter["redriven"], false);
    assert!(letter["dead_lettered_at"].as_str().is_some(), "{letter}");

    // One video's letters.
    let (_, mine) = get(&api, &ops, "/admin/dead-letters/encoder?key=video-1").await;
    assert_eq!(mine["matching"], 2);
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["key"] == "video-1")
    );

    // Sent back: once. The redrive topic holds each letter, the listing says so.
    let redriven = redrive(&api, &ops, "encoder").await;
    assert_eq!(redriven.status, StatusCode::OK, "{:?}", redriven.body);
    assert_eq!(redriven.body["redriven"], 3);
    let again = redrive(&api, &ops, "encoder").await;
    assert_eq!(again.body["redriven"], 0);
    let copies = read_snapshot(
        config,
        &[dlq::redrive_topic(&config.topics.prefix, "encoder")],
    )
    .await
    .unwrap();
    let mut keys: Vec<&[u8]> = copies.iter().filter_map(|r| r.key.as_deref()).collect();
    keys.sort_unstable();
    assert_eq!(keys, [&b"video-1"[..], b"video-1", b"video-2"]);
    let (_, after) = get(&api, &ops, "/admin/dead-letters/encoder").await;
    assert_eq!(
        (after["total"].as_u64(), after["waiting"].as_u64()),
        (Some(3), Some(0))
    );
    assert!(
        after["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["redriven"] == true)
    );
    let (_, waiting) = get(&api, &ops, "/admin/dead-letters/encoder?status=waiting").await;
    assert_eq!(waiting["items"], Value::Array(Vec::new()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_refuse_unknown_consumers_bad_parameters_and_other_roles() {
    let api = Api::start().await;
    let ops = api.token(&["operations"]);

    let (status, missing) = get(&api, &ops, "/admin/dead-letters/nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        missing["detail"]
            .as_str()
            .unwrap()
            .contains("catalog, encoder"),
        "{missing}"
    );
    let redrive = redrive(&api, &ops, "nobody").await;
    assert_eq!(redrive.status, StatusCode::NOT_FOUND);

    let (status, bad) = get(&api, &ops, "/admin/dead-letters/encoder?limit=0&status=old").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(each(&bad["errors"], "field"), ["limit", "status"]);

    let videos = api.token(&["catalog-videos"]);
    let (status, refused) = get(&api, &videos, "/admin/dead-letters").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused["detail"].as_str().unwrap().contains("operations"));
    let (status, _) = get(&api, &api.admin(), "/admin/dead-letters/catalog").await;
    assert_eq!(status, StatusCode::OK, "a catalog admin may do everything");
}
