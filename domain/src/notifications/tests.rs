use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::testing::{AggregateSpec, check_history};
use crate::{Reason, Timestamp};

type Spec = AggregateSpec<Notification>;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn requested() -> NotificationEvent {
    NotificationRequested {
        template: "subscription.started".into(),
        channel: Channel::Email,
        recipient: "ana@example.com".into(),
        data: BTreeMap::from([("plan".into(), "Basic".into())]),
    }
    .into()
}

fn sent(attempt: u32, id: &str) -> NotificationEvent {
    NotificationSent {
        attempt,
        provider_message_id: id.into(),
        sent_at: at("2026-11-22T10:00:00Z"),
    }
    .into()
}

fn failed(attempt: u32, retryable: bool) -> NotificationEvent {
    NotificationFailed {
        attempt,
        reason: "smtp 451".into(),
        retryable,
        failed_at: at("2026-11-22T10:00:00Z"),
    }
    .into()
}

fn attempt_started(attempt: u32, worker: &str, until: &str) -> NotificationEvent {
    NotificationAttemptStarted {
        attempt,
        worker: worker.into(),
        lease_until: at(until),
    }
    .into()
}

fn start(worker: &str, now: &str, until: &str) -> StartNotificationAttempt {
    StartNotificationAttempt {
        worker: WorkerName::parse(worker).unwrap(),
        now: at(now),
        lease_until: at(until),
    }
}

fn mark_sent(id: &str) -> MarkNotificationSent {
    MarkNotificationSent {
        provider_message_id: ProviderMessageId::parse(id).unwrap(),
        sent_at: at("2026-11-22T10:00:00Z"),
    }
}

fn mark_failed(retryable: bool) -> MarkNotificationFailed {
    MarkNotificationFailed {
        reason: Reason::parse("smtp 451").unwrap(),
        retryable,
        failed_at: at("2026-11-22T10:00:00Z"),
    }
}

#[test]
fn request_an_email() {
    Spec::given(vec![])
        .when(RequestNotification {
            template: TemplateName::parse("subscription.started").unwrap(),
            recipient: Recipient::parse(Channel::Email, "ana@example.com").unwrap(),
            data: TemplateData::parse(BTreeMap::from([("plan".into(), "Basic".into())])).unwrap(),
        })
        .then_expect(vec![requested()]);
    Spec::given(vec![requested()])
        .when(RequestNotification {
            template: TemplateName::parse("x").unwrap(),
            recipient: Recipient::parse(Channel::Sms, "+5511912345678").unwrap(),
            data: TemplateData::default(),
        })
        .then_reject(NotificationError::AlreadyRequested);
}

#[test]
fn the_recipient_must_fit_the_channel() {
    assert!(Recipient::parse(Channel::Email, "+5511912345678").is_err());
    assert!(Recipient::parse(Channel::Sms, "ana@example.com").is_err());
    assert_eq!(
        Recipient::parse(Channel::Sms, "+5511912345678")
            .unwrap()
            .channel(),
        Channel::Sms
    );
    for bad in [
        "5511912345678",
        "+0123456789",
        "+12345",
        "+1234567890123456",
        "+55 11 9",
    ] {
        assert!(PhoneNumber::parse(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn template_names_and_data_are_bounded() {
    assert!(TemplateName::parse("video.published").is_ok());
    assert!(TemplateName::parse("Video Published").is_err());
    assert!(TemplateName::parse(".hidden").is_err());
    let too_many: BTreeMap<String, String> =
        (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
    assert!(TemplateData::parse(too_many).is_err());
    assert!(TemplateData::parse(BTreeMap::from([(" ".into(), "v".into())])).is_err());
}

#[test]
fn sent_and_failed_deliveries() {
    let n = Spec::given(vec![requested()])
        .when(mark_sent("msg-1"))
        .then_expect(vec![sent(1, "msg-1")]);
    assert_eq!(n.status(), Some(DeliveryStatus::Sent));
    Spec::given(vec![requested()])
        .when(mark_failed(true))
        .then_expect(vec![failed(1, true)]);
}

#[test]
fn a_retryable_failure_can_be_followed_by_success_or_another_failure() {
    Spec::given(vec![requested(), failed(1, true)])
        .when(mark_sent("msg-2"))
        .then_expect(vec![sent(2, "msg-2")]);
    Spec::given(vec![requested(), failed(1, true)])
        .when(mark_failed(false))
        .then_expect(vec![failed(2, false)]);
}

#[test]
fn a_final_failure_or_a_delivery_ends_the_notification() {
    Spec::given(vec![requested(), failed(1, false)])
        .when(mark_sent("msg"))
        .then_reject(NotificationError::GaveUp);
    Spec::given(vec![requested(), sent(1, "msg-1")])
        .when(mark_failed(true))
        .then_reject(NotificationError::AlreadySent);
    Spec::given(vec![requested(), sent(1, "msg-1")])
        .when(mark_sent("msg-2"))
        .then_reject(NotificationError::AlreadySent);
    // The provider's callback delivered twice changes nothing.
    Spec::given(vec![requested(), sent(1, "msg-1")])
        .when(mark_sent("msg-1"))
        .then_expect_nothing();
    Spec::given(vec![])
        .when(mark_sent("msg"))
        .then_reject(NotificationError::NotFound);
}

#[test]
fn one_notifier_at_a_time_holds_an_attempt_until_its_lease_ends() {
    let n = Spec::given(vec![requested()])
        .when(start("n1", "2026-11-22T10:00:00Z", "2026-11-22T10:01:00Z"))
        .then_expect(vec![attempt_started(1, "n1", "2026-11-22T10:01:00Z")]);
    assert_eq!(n.worker(), Some("n1"));
    assert_eq!(n.attempts(), 1);
    // Another notifier meanwhile is refused, and told who holds it until when.
    Spec::given(vec![
        requested(),
        attempt_started(1, "n1", "2026-11-22T10:01:00Z"),
    ])
    .when(start("n2", "2026-11-22T10:00:30Z", "2026-11-22T10:01:30Z"))
    .then_reject(NotificationError::AttemptInProgress {
        attempt: 1,
        worker: "n1".into(),
        until: at("2026-11-22T10:01:00Z"),
    });
    // The holder's outcome belongs to its attempt.
    Spec::given(vec![
        requested(),
        attempt_started(1, "n1", "2026-11-22T10:01:00Z"),
    ])
    .when(mark_sent("msg-1"))
    .then_expect(vec![sent(1, "msg-1")]);
    Spec::given(vec![
        requested(),
        attempt_started(1, "n1", "2026-11-22T10:01:00Z"),
    ])
    .when(mark_failed(true))
    .then_expect(vec![failed(1, true)]);
    // A lease that ran out (its holder died) lets the next attempt start.
    Spec::given(vec![
        requested(),
        attempt_started(1, "n1", "2026-11-22T10:01:00Z"),
    ])
    .when(start("n2", "2026-11-22T10:01:00Z", "2026-11-22T10:02:00Z"))
    .then_expect(vec![attempt_started(2, "n2", "2026-11-22T10:02:00Z")]);
    Spec::given(vec![requested(), failed(1, true)])
        .when(start("n2", "2026-11-22T10:05:00Z", "2026-11-22T10:06:00Z"))
        .then_expect(vec![attempt_started(2, "n2", "2026-11-22T10:06:00Z")]);
    Spec::given(vec![requested(), sent(1, "msg-1")])
        .when(start("n2", "2026-11-22T10:05:00Z", "2026-11-22T10:06:00Z"))
        .then_reject(NotificationError::AlreadySent);
    Spec::given(vec![requested(), failed(1, false)])
        .when(start("n2", "2026-11-22T10:05:00Z", "2026-11-22T10:06:00Z"))
        .then_reject(NotificationError::GaveUp);
}

fn command() -> impl Strategy<Value = NotificationCommand> {
    let recipient = prop_oneof![
        Just(Recipient::parse(Channel::Email, "a@b.io").unwrap()),
        Just(Recipient::parse(Channel::Sms, "+15551234567").unwrap()),
    ];
    prop_oneof![
        recipient.prop_map(|recipient| RequestNotification {
            template: TemplateName::parse("t").unwrap(),
            recipient,
            data: TemplateData::default(),
        }
        .into()),
        prop_oneof![Just("m1"), Just("m2")].prop_map(|id| mark_sent(id).into()),
        any::<bool>().prop_map(|r| mark_failed(r).into()),
        prop_oneof![Just("2026-11-22T10:00:00Z"), Just("2026-11-22T10:02:00Z")]
            .prop_map(|now| start("n", now, "2026-11-22T10:01:00Z").into()),
    ]
}

proptest! {
    #[test]
    fn any_history_replays_to_the_same_state(commands in prop::collection::vec(command(), 0..20)) {
        check_history::<Notification>(commands).map_err(TestCaseError::fail)?;
    }
}
