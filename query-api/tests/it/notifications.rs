//! The delivery log, read from what the real notifications projection built from notification
//! events: customers see their own, admins with `accounts-admin` all of them, filtered.

use std::collections::BTreeMap;
use std::time::Duration;

use codeflix_domain::Reason;
use codeflix_domain::Timestamp;
use codeflix_domain::notifications::{
    Channel, MarkNotificationFailed, MarkNotificationSent, Notification, NotificationId,
    ProviderMessageId, Recipient, RequestNotification, StartNotificationAttempt, TemplateData,
    TemplateName, WorkerName,
};
use codeflix_testkit::QueryApi;
use reqwest::StatusCode;
use uuid::Uuid;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A notification of `kind` to `account`, delivered (`sent`) or refused for good.
async fn notification(api: &QueryApi, kind: &str, account: &str, sent: bool) -> NotificationId {
    let id = NotificationId::new(Uuid::new_v4());
    api.stack
        .run::<Notification>(
            &id,
            RequestNotification {
                template: TemplateName::parse(kind).unwrap(),
                recipient: Recipient::parse(Channel::Email, &format!("{account}@example.com"))
                    .unwrap(),
                data: TemplateData::parse(BTreeMap::from([
                    ("name".to_owned(), account.to_owned()),
                    ("recipient_account".to_owned(), account.to_owned()),
                ]))
                .unwrap(),
            },
        )
        .await;
    api.stack
        .run::<Notification>(
            &id,
            StartNotificationAttempt {
                worker: WorkerName::parse("notifier-1").unwrap(),
                now: at("2026-12-06T10:00:00Z"),
                lease_until: at("2026-12-06T10:01:05Z"),
            },
        )
        .await;
    if sent {
        api.stack
            .run::<Notification>(
                &id,
                MarkNotificationSent {
                    provider_message_id: ProviderMessageId::parse("250 queued as 1").unwrap(),
                    sent_at: at("2026-12-06T10:00:01Z"),
                },
            )
            .await;
    } else {
        api.stack
            .run::<Notification>(
                &id,
                MarkNotificationFailed {
                    reason: Reason::parse("550 no such user").unwrap(),
                    retryable: false,
                    failed_at: at("2026-12-06T10:00:01Z"),
                },
            )
            .await;
    }
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_see_their_notifications_and_admins_the_whole_log_filtered() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    let welcome = notification(&api, "subscription-welcome", "ana", true).await;
    let refused = notification(&api, "subscription-welcome", "bob", false).await;
    let ready = notification(&api, "video-ready", "ana", true).await;
    api.notifications_caught_up().await;

    let ana = codeflix_testkit::customer_token(&api.issuer, "ana", "ana@example.com");
    let (status, _) = api.get("/me/notifications").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, mine) = api.get_as("/me/notifications", Some(&ana)).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let ids: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{mine}");
    assert!(
        ids.contains(&welcome.to_string().as_str()) && ids.contains(&ready.to_string().as_str())
    );
    let first = &mine["items"][0];
    assert_eq!(first["status"], "SENT", "{first}");
    assert_eq!(first["channel"], "EMAIL");
    assert_eq!(first["recipient"], "ana@example.com");
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["provider_message_id"], "250 queued as 1");

    // Admins: the whole log, by status, channel and kind; customers may not.
    let (status, _) = api.get_as("/admin/notifications", Some(&ana)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = api.token(&["accounts-admin"]);
    let (status, all) = api.get_as("/admin/notifications", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["items"].as_array().unwrap().len(), 3, "{all}");
    let (_, failed) = api
        .get_as(
            "/admin/notifications?status=FAILED&channel=EMAIL",
            Some(&admin),
        )
        .await;
    let failed = failed["items"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["id"], refused.to_string());
    assert_eq!(failed[0]["retryable"], false);
    assert_eq!(failed[0]["last_error"], "550 no such user");
    let (_, welcomes) = api
        .get_as(
            "/admin/notifications?kind=subscription-welcome&account=ana",
            Some(&admin),
        )
        .await;
    assert_eq!(welcomes["items"].as_array().unwrap().len(), 1, "{welcomes}");
    let (_, sms) = api
        .get_as("/admin/notifications?channel=SMS", Some(&admin))
        .await;
    assert!(sms["items"].as_array().unwrap().is_empty());

    // Bad filters are named.
    let (status, problem) = api
        .get_as(
            "/admin/notifications?status=LOST&kind=Bad%20Kind",
            Some(&admin),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"status") && fields.contains(&"kind"),
        "{problem}"
    );
}
