//! Delivery through the real event log (embedded broker and registry) to a real SMTP server:
//! a message is sent once however often its fact comes back, a refused address is given up at
//! once, and a busy or absent server is retried until it takes the message.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use codeflix_domain::EventId;
use codeflix_domain::notifications::{Channel, DeliveryStatus, Notification, TemplateName};
use codeflix_notifier::deliver::{
    Deliverer, Outcome, Request, Retry, UNSUBSCRIBE_KEY, notification_id,
};
use codeflix_notifier::{Mailer, Templates};
use codeflix_testkit::Stack;
use codeflix_testkit::smtp::{SmtpSink, python_with_aiosmtpd};
use uuid::Uuid;

const UNSUBSCRIBE: &str = "http://127.0.0.1:8080/unsubscribe?token=v1.YW5h.account.c2ln";

fn request(fact: u128, to: &str) -> Request {
    let event = EventId(Uuid::from_u128(fact));
    Request {
        id: notification_id(event, "video-ready", Channel::Email),
        kind: TemplateName::parse("video-ready").unwrap(),
        channel: Channel::Email,
        recipient: to.to_owned(),
        data: BTreeMap::from([
            ("name".to_owned(), "Ana".to_owned()),
            ("locale".to_owned(), "pt-BR".to_owned()),
            ("title".to_owned(), "Bars".to_owned()),
            ("slot".to_owned(), "video".to_owned()),
            ("video_id".to_owned(), "v1".to_owned()),
            (
                "video_url".to_owned(),
                "http://127.0.0.1:8080/admin/videos/v1".to_owned(),
            ),
            (
                "console_url".to_owned(),
                "http://127.0.0.1:8080/admin".to_owned(),
            ),
            (UNSUBSCRIBE_KEY.to_owned(), UNSUBSCRIBE.to_owned()),
        ]),
        correlation_id: Uuid::from_u128(fact + 1),
    }
}

fn deliverer(stack: &Stack, smtp: &str) -> Deliverer {
    let mailer = Mailer::from_url(
        smtp,
        "Codeflix <no-reply@codeflix.test>",
        Duration::from_secs(5),
        Path::new("."),
    )
    .unwrap();
    Deliverer::new(
        stack.log.clone(),
        Arc::new(Templates::new(None)),
        mailer,
        Duration::from_secs(60),
    )
}

/// (events recorded, status, attempts) of the notification.
async fn recorded(stack: &Stack, request: &Request) -> (u64, Option<DeliveryStatus>, u32) {
    let loaded = stack.log.load::<Notification>(&request.id).await.unwrap();
    (
        loaded.version().get(),
        loaded.state().status(),
        loaded.state().attempts(),
    )
}

#[tokio::test]
async fn a_fact_met_again_here_or_by_another_notifier_sends_one_email() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let stack = Stack::start().await;
    let sink = SmtpSink::start(&python, &[], 0);
    let request = request(1, "ana@example.com");
    let first = deliverer(&stack, &sink.url());
    assert!(matches!(
        first.deliver(&request).await.unwrap(),
        Outcome::Sent(_)
    ));
    // Redelivered to the same notifier, then to a second one (a restart, a rebalance).
    assert_eq!(first.deliver(&request).await.unwrap(), Outcome::AlreadySent);
    let second = deliverer(&stack, &sink.url());
    assert_eq!(
        second.deliver(&request).await.unwrap(),
        Outcome::AlreadySent
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let headers = &messages[0]["headers"];
    assert_eq!(headers["subject"], "Seu vídeo \"Bars\" está pronto");
    assert_eq!(
        headers["message-id"],
        format!("<{}@notifications.codeflix>", request.id)
    );
    // The recorded request's link becomes the one-click unsubscribe header.
    assert_eq!(headers["list-unsubscribe"], format!("<{UNSUBSCRIBE}>"));
    // Requested, attempt claimed, sent.
    assert_eq!(
        recorded(&stack, &request).await,
        (3, Some(DeliveryStatus::Sent), 1)
    );
}

#[tokio::test]
async fn two_notifiers_on_one_fact_at_the_same_instant_send_one_email() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let stack = Stack::start().await;
    let sink = SmtpSink::start(&python, &[], 0);
    let (one, two) = (
        deliverer(&stack, &sink.url()),
        deliverer(&stack, &sink.url()),
    );
    for fact in 10..20 {
        let request = request(fact, "ana@example.com");
        let (a, b) = tokio::join!(one.deliver(&request), two.deliver(&request));
        let sent = [&a, &b]
            .iter()
            .filter(|o| matches!(o, Ok(Outcome::Sent(_))))
            .count();
        assert_eq!(sent, 1, "{a:?} {b:?}");
        // The other came back later (as the consumer retries) and found it sent.
        for outcome in [a, b] {
            match outcome {
                Ok(Outcome::Sent(_)) => {}
                Ok(Outcome::AlreadySent) | Err(Retry::InProgress(_)) => {
                    assert_eq!(two.deliver(&request).await.unwrap(), Outcome::AlreadySent);
                }
                other => panic!("{other:?}"),
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 10);
}

#[tokio::test]
async fn a_refused_address_is_given_up_at_once_and_never_retried() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let stack = Stack::start().await;
    let sink = SmtpSink::start(&python, &["gone@example.com"], 0);
    let deliverer = deliverer(&stack, &sink.url());
    let request = request(2, "gone@example.com");
    match deliverer.deliver(&request).await.unwrap() {
        Outcome::GaveUp(reason) => assert!(
            reason.contains("550") || reason.contains("no such user"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        deliverer.deliver(&request).await.unwrap(),
        Outcome::GaveUp(_)
    ));
    assert_eq!(
        recorded(&stack, &request).await,
        (3, Some(DeliveryStatus::Failed { retryable: false }), 1)
    );
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_busy_then_absent_server_is_retried_and_the_message_sent_once_when_it_returns() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let stack = Stack::start().await;
    let mut sink = SmtpSink::start(&python, &[], 1);
    let deliverer = deliverer(&stack, &sink.url());
    let request = request(3, "ana@example.com");
    match deliverer.deliver(&request).await {
        Err(Retry::Provider { attempt: 1, reason }) => assert!(
            reason.contains("451") || reason.contains("try again"),
            "{reason}"
        ),
        other => panic!("busy: {other:?}"),
    }
    sink.stop();
    assert!(matches!(
        deliverer.deliver(&request).await,
        Err(Retry::Provider { attempt: 2, .. })
    ));
    sink.resume(0);
    assert!(matches!(
        deliverer.deliver(&request).await.unwrap(),
        Outcome::Sent(_)
    ));
    assert_eq!(
        deliverer.deliver(&request).await.unwrap(),
        Outcome::AlreadySent
    );
    assert_eq!(sink.wait_for(1, Duration::from_secs(10)).len(), 1);
    // Requested, then three attempts, each claimed: two failed (retryable), the third sent.
    assert_eq!(
        recorded(&stack, &request).await,
        (7, Some(DeliveryStatus::Sent), 3)
    );
}

/// A loopback SMS provider: answers each POST with the next of `answers` (then 200), keeping
/// every JSON body.
async fn sms_provider(
    answers: Vec<u16>,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    use axum::Json;
    use axum::http::StatusCode;
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let answers = std::sync::Arc::new(std::sync::Mutex::new(answers));
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |Json(body): Json<serde_json::Value>| {
            let kept = kept.clone();
            let answers = answers.clone();
            async move {
                let code = {
                    let mut answers = answers.lock().unwrap();
                    if answers.is_empty() {
                        200
                    } else {
                        answers.remove(0)
                    }
                };
                if code == 200 {
                    kept.lock().unwrap().push(body);
                }
                (
                    StatusCode::from_u16(code).unwrap(),
                    Json(serde_json::json!({"id": format!("sms-{code}")})),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test]
async fn an_sms_reaches_the_provider_webhook_once_a_busy_one_is_retried_a_refusal_is_final() {
    use codeflix_notifier::sms::SmsWebhook;
    let stack = Stack::start().await;
    let (url, received) = sms_provider(vec![503]).await;
    let deliverer = Deliverer::new(
        stack.log.clone(),
        Arc::new(Templates::new(None)),
        Mailer::from_url(
            "file:outbox",
            "a@b.test",
            Duration::from_secs(5),
            &stack.path("."),
        )
        .unwrap(),
        Duration::from_secs(60),
    )
    .with_sms(SmsWebhook::new(&url, Duration::from_secs(5)).unwrap());
    let mut request = request(30, "+5511912345678");
    request.channel = Channel::Sms;
    request.id = notification_id(EventId(Uuid::from_u128(30)), "video-ready", Channel::Sms);
    request.recipient = "+5511912345678".to_owned();
    assert!(matches!(
        deliverer.deliver(&request).await,
        Err(Retry::Provider { attempt: 1, .. })
    ));
    assert_eq!(
        deliverer.deliver(&request).await.unwrap(),
        Outcome::Sent("sms-200".to_owned())
    );
    assert_eq!(
        deliverer.deliver(&request).await.unwrap(),
        Outcome::AlreadySent
    );
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["to"], "+5511912345678");
    assert_eq!(
        got[0]["text"],
        "Codeflix: \"Bars\" is encoded and ready to publish."
    );
    assert_eq!(got[0]["message_id"], request.id.to_string());

    // A provider that refuses the number (4xx) is not asked again.
    let (url, received) = sms_provider(vec![400]).await;
    let deliverer = Deliverer::new(
        stack.log.clone(),
        Arc::new(Templates::new(None)),
        Mailer::from_url(
            "file:outbox",
            "a@b.test",
            Duration::from_secs(5),
            &stack.path("."),
        )
        .unwrap(),
        Duration::from_secs(60),
    )
    .with_sms(SmsWebhook::new(&url, Duration::from_secs(5)).unwrap());
    let mut refused = request.clone();
    refused.id = notification_id(EventId(Uuid::from_u128(31)), "video-ready", Channel::Sms);
    assert!(matches!(
        deliverer.deliver(&refused).await.unwrap(),
        Outcome::GaveUp(_)
    ));
    assert!(matches!(
        deliverer.deliver(&refused).await.unwrap(),
        Outcome::GaveUp(_)
    ));
    assert!(received.lock().unwrap().is_empty());
}
