//! The mailer against a real SMTP server on loopback (aiosmtpd): what arrives is read back by
//! Python's email package; a refused address is a permanent failure, a busy or absent server a
//! transient one.

use std::path::Path;
use std::time::Duration;

use codeflix_notifier::email::{Email, Mailer, SendError};
use codeflix_notifier::templates::RenderedEmail;
use codeflix_testkit::smtp::{SmtpSink, python_with_aiosmtpd};

fn email(to: &str) -> Email {
    Email {
        to: to.to_owned(),
        to_name: "Ana Souza".to_owned(),
        message_id: "<4b0c9d1e@notifications.codeflix>".to_owned(),
        content: RenderedEmail {
            subject: "Your video \"Bars\" is ready".to_owned(),
            text: "Hello Ana,\n\nhttp://127.0.0.1:8080/admin/videos/v1\n".to_owned(),
            html: "<p>Hello Ana, <a href=\"http://127.0.0.1:8080/admin/videos/v1\">open</a></p>"
                .to_owned(),
        },
        unsubscribe: None,
    }
}

fn mailer(url: &str) -> Mailer {
    Mailer::from_url(
        url,
        "Codeflix <no-reply@codeflix.test>",
        Duration::from_secs(5),
        Path::new("."),
    )
    .unwrap()
}

#[tokio::test]
async fn an_email_arrives_with_its_headers_and_both_parts() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let sink = SmtpSink::start(&python, &[], 0);
    let id = mailer(&sink.url())
        .send(&email("ana@example.com"))
        .await
        .unwrap();
    assert!(
        id.starts_with("250 ") && id.contains("queued as sink-1"),
        "{id}"
    );
    let messages = sink.wait_for(1, Duration::from_secs(10));
    let message = &messages[0];
    assert_eq!(message["mail_from"], "no-reply@codeflix.test");
    assert_eq!(message["rcpt_tos"][0], "ana@example.com");
    let headers = &message["headers"];
    assert_eq!(headers["subject"], "Your video \"Bars\" is ready");
    assert_eq!(headers["from"], "Codeflix <no-reply@codeflix.test>");
    assert_eq!(headers["to"], "Ana Souza <ana@example.com>");
    assert_eq!(headers["message-id"], "<4b0c9d1e@notifications.codeflix>");
    assert!(
        headers.get("list-unsubscribe").is_none(),
        "a message without a link has no List-Unsubscribe: {headers}"
    );
    assert_eq!(message["content_type"], "multipart/alternative");
    assert!(
        message["text"].as_str().unwrap().contains("Hello Ana,"),
        "{message}"
    );
    assert!(
        message["html"]
            .as_str()
            .unwrap()
            .contains("href=\"http://127.0.0.1:8080/admin/videos/v1\""),
        "{message}"
    );
}

#[tokio::test]
async fn a_message_that_may_be_opted_out_of_carries_one_click_unsubscribe_headers() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let sink = SmtpSink::start(&python, &[], 0);
    let link = "http://127.0.0.1:8080/unsubscribe?token=v1.YW5h.account.c2lnbmF0dXJl";
    let mut message = email("ana@example.com");
    message.unsubscribe = Some(link.to_owned());
    mailer(&sink.url()).send(&message).await.unwrap();
    let received = &sink.wait_for(1, Duration::from_secs(10))[0];
    // RFC 2369 and RFC 8058: the link in angle brackets, and the one-click POST marker.
    assert_eq!(received["headers"]["list-unsubscribe"], format!("<{link}>"));
    assert_eq!(
        received["headers"]["list-unsubscribe-post"],
        "List-Unsubscribe=One-Click"
    );
}

#[tokio::test]
async fn a_refused_address_is_permanent_and_a_busy_or_absent_server_transient() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let mut sink = SmtpSink::start(&python, &["nobody@example.com"], 1);
    let mailer = mailer(&sink.url());
    match mailer.send(&email("nobody@example.com")).await {
        Err(SendError::Permanent(reason)) => assert!(
            reason.contains("550") || reason.contains("no such user"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    match mailer.send(&email("ana@example.com")).await {
        Err(SendError::Transient(reason)) => assert!(
            reason.contains("try again") || reason.contains("451"),
            "{reason}"
        ),
        other => panic!("busy: {other:?}"),
    }
    sink.stop();
    assert!(matches!(
        mailer.send(&email("ana@example.com")).await,
        Err(SendError::Transient(_))
    ));
    sink.resume(0);
    mailer.send(&email("ana@example.com")).await.unwrap();
    assert_eq!(sink.wait_for(1, Duration::from_secs(10)).len(), 1);
    // A malformed address never reaches the server.
    assert!(matches!(
        mailer.send(&email("not an address")).await,
        Err(SendError::Permanent(_))
    ));
}

#[tokio::test]
async fn the_outbox_keeps_each_email_as_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::from_url(
        "file:outbox",
        "Codeflix <no-reply@codeflix.test>",
        Duration::from_secs(5),
        dir.path(),
    )
    .unwrap();
    let name = mailer.send(&email("ana@example.com")).await.unwrap();
    let text = std::fs::read_to_string(dir.path().join("outbox").join(&name)).unwrap();
    assert!(
        text.contains("Message-ID: <4b0c9d1e@notifications.codeflix>"),
        "{text}"
    );
    assert!(
        text.contains("Content-Type: multipart/alternative"),
        "{text}"
    );
    assert!(Mailer::from_url("ftp://x", "a@b.c", Duration::from_secs(1), dir.path()).is_err());
    assert!(
        Mailer::from_url(
            "file:o",
            "not an address",
            Duration::from_secs(1),
            dir.path()
        )
        .is_err()
    );
}
