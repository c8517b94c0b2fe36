//! Notifications as `codeflix up` runs them, to a real SMTP server on loopback (aiosmtpd): an
//! admin with a contact uploads a clip; when its encoding completes, the "video is ready" email
//! arrives — read back by Python's email package — once, and reading every fact again from the
//! beginning sends nothing new. Its one-click unsubscribe link works without signing in, and the
//! next video's email is not sent.

use std::time::{Duration, Instant};

use codeflix_testkit::smtp::{SmtpSink, python_with_aiosmtpd};
use codeflix_testkit::sqlite::SqliteFile;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::json;

use crate::operators::admin;
use crate::playback::{clip, create_video, media_reaches, upload};
use crate::python::python;
use crate::support::{Process, Site, query_metrics, wait_for_port};
use crate::up::interrupt;

fn up(site: &Site, smtp: &str) -> Process {
    let up = site.spawn_with(
        "up",
        &[
            ("CODEFLIX__NOTIFIER__EMAIL", smtp),
            (
                "CODEFLIX__NOTIFIER__FROM",
                "Codeflix <no-reply@codeflix.test>",
            ),
        ],
        &["up"],
    );
    wait_for_port(site.api_port);
    wait_for_port(site.query_port);
    up
}

/// The notifier's message counter for `outcome`, from the query API's `/metrics`.
fn messages(http: &Client, site: &Site, outcome: &str) -> u64 {
    query_metrics(http, site)
        .lines()
        .filter(|l| {
            l.starts_with("codeflix_notifier_messages_total{")
                && l.contains(&format!("outcome=\"{outcome}\""))
        })
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

#[test]
fn an_encoded_upload_mails_its_uploader_once_even_when_every_fact_is_read_again() {
    let Some(smtp_python) = python_with_aiosmtpd() else {
        return;
    };
    let sink = SmtpSink::start(&smtp_python, &[], 0);
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let http = Client::new();
    let running = up(&site, &sink.url());

    // The admin's contact, registered in the accounts context, reaches the notifier's mirror.
    let token = site.run(&[
        "token",
        "--sub",
        "admin-ana",
        "--email",
        "ana@example.com",
        "--name",
        "Ana Souza",
        "--role",
        "catalog-admin",
    ]);
    assert!(token.status.success());
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    let registered = http
        .put(format!("{}/me", site.api()))
        .bearer_auth(&token)
        .json(&json!({"display_name": "Ana Souza"}))
        .send()
        .unwrap();
    assert!(
        registered.status().is_success(),
        "{}",
        registered.text().unwrap()
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mirror = runtime.block_on(SqliteFile::open(&site.path("notifications/mirror.db")));
    let deadline = Instant::now() + Duration::from_secs(60);
    while runtime
        .block_on(mirror.rows(
            "SELECT email FROM contacts WHERE subject = ?1",
            vec!["admin-ana".to_owned()],
        ))
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "the contact never reached the mirror"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let video = create_video(&http, &site, &token, "Bars & Tone", false);
    let clip = clip(&site);
    upload(&http, &site, &token, &video, clip.clone());
    media_reaches(&http, &site, &token, &video, "COMPLETED");
    let received = sink.wait_for(1, Duration::from_secs(60));
    assert_eq!(received.len(), 1, "{received:?}");
    let email = &received[0];
    assert_eq!(email["mail_from"], "no-reply@codeflix.test");
    assert_eq!(email["rcpt_tos"][0], "ana@example.com");
    let headers = &email["headers"];
    assert_eq!(headers["subject"], "Your video \"Bars & Tone\" is ready");
    assert_eq!(headers["from"], "Codeflix <no-reply@codeflix.test>");
    assert_eq!(headers["to"], "Ana Souza <ana@example.com>");
    let message_id = headers["message-id"].as_str().unwrap();
    assert!(
        message_id.ends_with("@notifications.codeflix>"),
        "{message_id}"
    );
    assert_eq!(email["content_type"], "multipart/alternative");
    let link = format!("{}/admin/videos/{video}", site.query());
    let text = email["text"].as_str().unwrap();
    assert!(
        text.contains("Hello Ana Souza,") && text.contains(&link),
        "{text}"
    );
    let html = email["html"].as_str().unwrap().replace("&#x2f;", "/");
    assert!(html.contains("<strong>Bars &amp; Tone</strong>"), "{html}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    // The link works for the admin.
    let linked = http.get(&link).bearer_auth(&token).send().unwrap();
    assert_eq!(linked.status(), StatusCode::OK);

    // The delivery log shows it, to its recipient and to admins.
    let deadline = Instant::now() + Duration::from_secs(30);
    let log = loop {
        let log: serde_json::Value = http
            .get(format!("{}/me/notifications", site.query()))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        if log["items"][0]["status"] == "SENT" || Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let logged = &log["items"][0];
    assert_eq!(logged["status"], "SENT", "{log}");
    assert_eq!(logged["kind"], "video-ready");
    assert_eq!(logged["recipient"], "ana@example.com");
    assert_eq!(logged["account"], "admin-ana");
    assert_eq!(
        format!(
            "<{}@notifications.codeflix>",
            logged["id"].as_str().unwrap()
        ),
        message_id
    );

    // Every fact read again from the beginning (the notifier's group reset, as an operator would
    // with Kafka's tools): nothing new is sent.
    let Some(kafka_python) = python() else { return };
    let deadline = Instant::now() + Duration::from_secs(30);
    while messages(&http, &site, "sent") < 1 {
        assert!(
            Instant::now() < deadline,
            "the notifier never counted its email"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Its positions are committed within a second.
    std::thread::sleep(Duration::from_secs(2));
    let log_size = |http: &Client| {
        let admin = site.run(&["token", "--role", "accounts-admin"]);
        let admin = String::from_utf8(admin.stdout).unwrap().trim().to_owned();
        let all: serde_json::Value = http
            .get(format!("{}/admin/notifications", site.query()))
            .bearer_auth(&admin)
            .send()
            .unwrap()
            .json()
            .unwrap();
        all["items"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(log_size(&http), 1);
    interrupt(running);
    let broker = site.start_broker();
    let reset = admin(&kafka_python, &site, &["reset", "codeflix-notifier", "0"]);
    assert!(
        reset
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["committed"] == 0),
        "{reset}"
    );
    interrupt(broker);
    let running = up(&site, &sink.url());
    let deadline = Instant::now() + Duration::from_secs(60);
    while messages(&http, &site, "already_sent") < 1 {
        assert!(
            Instant::now() < deadline,
            "the notifier never read the facts again"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(sink.messages().len(), 1, "{:?}", sink.messages());
    assert_eq!(log_size(&http), 1, "one notification in the log, as before");

    // The email's one-click unsubscribe (RFC 8058), as a mail client sends it, without signing
    // in; the notifier hears of it through the accounts' state feed and its mirror.
    let unsubscribe = headers["list-unsubscribe"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>']);
    assert!(
        unsubscribe.starts_with(&format!("{}/unsubscribe?token=v1.", site.api())),
        "{unsubscribe}"
    );
    assert_eq!(
        headers["list-unsubscribe-post"],
        "List-Unsubscribe=One-Click"
    );
    assert!(text.contains(unsubscribe), "the body links it too: {text}");
    let clicked = http
        .post(unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .unwrap();
    assert_eq!(
        clicked.status(),
        StatusCode::OK,
        "{}",
        clicked.text().unwrap()
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while runtime
        .block_on(mirror.rows(
            "SELECT opted_out FROM contacts WHERE subject = ?1 AND opted_out = 'account'",
            vec!["admin-ana".to_owned()],
        ))
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "the opt-out never reached the mirror"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let second = create_video(&http, &site, &token, "Second Take", false);
    upload(&http, &site, &token, &second, clip);
    media_reaches(&http, &site, &token, &second, "COMPLETED");
    let deadline = Instant::now() + Duration::from_secs(60);
    while messages(&http, &site, "opted_out") < 1 {
        assert!(
            Instant::now() < deadline,
            "the notifier never weighed the second video's message"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(sink.messages().len(), 1, "{:?}", sink.messages());
    interrupt(running);
}
