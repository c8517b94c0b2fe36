//! The scheduler against the embedded broker, its view built by the real billing projection,
//! its charges in the development provider's ledger; the clock set by hand, never slept through.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use codeflix_domain::accounts::AccountId;
use codeflix_domain::subscriptions::plan::{PlanId, PlanTerms, TrialDays};
use codeflix_domain::subscriptions::subscription::{
    CancelSubscription, ChangePaymentMethod, FirstPayment, StartSubscription, Subscription,
    SubscriptionId,
};
use codeflix_domain::subscriptions::{BillingPeriod, Currency, Money, PaymentMethod};
use codeflix_domain::{AggregateType, AnyEvent, DomainEvent, Reference, Timestamp};
use codeflix_eventlog::reader::{decode_all, read_snapshot};
use codeflix_eventlog::topics::event_topic;
use codeflix_payments::{Charge, DevelopmentPayments, PaymentProvider};
use codeflix_projectors::ProjectionSpec;
use codeflix_readmodel::store::sqlite::SqliteCatalog;
use codeflix_scheduler::{ManualClock, Pass, Scheduler, SchedulerMetrics};
use codeflix_testkit::{Running, Stack, caught_up};
use uuid::Uuid;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

struct Billing {
    stack: Stack,
    store: Arc<SqliteCatalog>,
    payments: DevelopmentPayments,
    clock: ManualClock,
    _projection: Running,
}

impl Billing {
    async fn start() -> Billing {
        let stack = Stack::start().await;
        let store = Arc::new(
            SqliteCatalog::open(&stack.path("views/billing.db"))
                .await
                .unwrap(),
        );
        let projection = stack.project(ProjectionSpec::billing(), store.clone());
        let payments = DevelopmentPayments::open(
            &stack.path("payments.db"),
            DevelopmentPayments::default_rules(),
        )
        .await
        .unwrap();
        Billing {
            stack,
            store,
            payments,
            clock: ManualClock::new(at("2026-01-31T12:00:00Z")),
            _projection: projection,
        }
    }

    fn scheduler(&self, log: Arc<codeflix_eventlog::EventLog>) -> Scheduler {
        Scheduler::new(
            log,
            self.store.clone(),
            Arc::new(self.payments.clone()),
            Arc::new(self.clock.clone()),
            SchedulerMetrics::default(),
        )
    }

    /// Subscribes `account` on 2026-01-31T12:00Z to a 29.90 BRL monthly plan with
    /// `trial_days`, paying with `card` (paid at once when there is no trial).
    async fn subscribe(&self, account: &str, trial_days: i64, card: &str) -> Uuid {
        let id = Uuid::new_v4();
        let started_at = at("2026-01-31T12:00:00Z");
        self.stack
            .run::<Subscription>(
                &SubscriptionId::new(id),
                StartSubscription {
                    account_id: AccountId::parse(account).unwrap(),
                    plan: Reference::active(PlanId::new(Uuid::from_u128(7))),
                    terms: PlanTerms {
                        price: Money::new(2990, Currency::parse("BRL").unwrap()).unwrap(),
                        billing_period: BillingPeriod::Monthly,
                        trial_days: TrialDays::parse(trial_days).unwrap(),
                    },
                    started_at,
                    payment_method: PaymentMethod::parse(&format!("card_{card}")).unwrap(),
                    payment: (trial_days == 0).then_some(FirstPayment::Approved {
                        paid_at: started_at,
                        charge_id: None,
                    }),
                },
            )
            .await;
        id
    }

    async fn change_card(&self, id: Uuid, card: &str, when: &str) {
        self.stack
            .run::<Subscription>(
                &SubscriptionId::new(id),
                ChangePaymentMethod {
                    payment_method: PaymentMethod::parse(&format!("card_{card}")).unwrap(),
                    at: at(when),
                },
            )
            .await;
    }

    /// Sets the clock to `when` and passes once, over a view that has caught up.
    async fn pass_at(&self, scheduler: &Scheduler, when: &str) -> Pass {
        self.clock.set(at(when));
        caught_up(
            &self.stack.config(),
            self.store.as_ref(),
            &ProjectionSpec::billing().topics(&self.stack.config().topics.prefix),
        )
        .await;
        scheduler.pass().await.unwrap()
    }

    /// The subscription's events in Kafka, by type.
    async fn history(&self, id: Uuid) -> Vec<&'static str> {
        let config = self.stack.config();
        let topic = event_topic(&config.topics.prefix, AggregateType::Subscription);
        let raw = read_snapshot(&config, &[topic]).await.unwrap();
        decode_all(self.stack.log.codec(), raw)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.envelope.metadata.aggregate_id == id.to_string())
            .filter_map(|r| match r.envelope.event {
                AnyEvent::Subscription(e) => Some(e.event_type()),
                _ => None,
            })
            .collect()
    }

    async fn charges(&self, account: &str) -> Vec<bool> {
        self.payments
            .ledger(Some(account))
            .await
            .unwrap()
            .iter()
            .map(|c| c.record.outcome == codeflix_payments::Outcome::Approved)
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trial_is_noticed_then_charged_then_canceled_and_expired_on_time() {
    let billing = Billing::start().await;
    let scheduler = billing.scheduler(billing.stack.log.clone());
    let id = billing.subscribe("ana", 7, "4242424242424242").await;

    let early = billing.pass_at(&scheduler, "2026-02-04T11:59:59Z").await;
    assert_eq!(
        early.done, 0,
        "the notice is due three days before the trial ends"
    );
    let noticed = billing.pass_at(&scheduler, "2026-02-04T12:00:00Z").await;
    assert_eq!((noticed.due, noticed.done), (1, 1), "{noticed:?}");
    assert!(billing.charges("ana").await.is_empty(), "not charged yet");

    let renewed = billing.pass_at(&scheduler, "2026-02-07T12:00:05Z").await;
    assert_eq!(renewed.done, 1, "{renewed:?}");
    assert_eq!(billing.charges("ana").await, [true]);
    let again = billing.pass_at(&scheduler, "2026-02-07T12:00:06Z").await;
    assert_eq!(again.done, 0, "nothing is due until 2026-03-07: {again:?}");

    billing
        .stack
        .run::<Subscription>(
            &SubscriptionId::new(id),
            CancelSubscription {
                canceled_at: at("2026-02-20T00:00:00Z"),
                reason: None,
            },
        )
        .await;
    let before_end = billing.pass_at(&scheduler, "2026-03-07T11:59:59Z").await;
    assert_eq!(
        before_end.done, 0,
        "access lasts to the end of the paid period"
    );
    let ended = billing.pass_at(&scheduler, "2026-03-07T12:00:00Z").await;
    assert_eq!(ended.done, 1, "{ended:?}");
    assert_eq!(
        billing.charges("ana").await,
        [true],
        "no charge after a cancellation"
    );
    assert_eq!(
        billing.history(id).await,
        [
            "SubscriptionStarted",
            "SubscriptionTrialEnding",
            "SubscriptionRenewed",
            "SubscriptionCanceled",
            "SubscriptionExpired"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_renewal_is_retried_on_schedule_and_recovers_or_expires() {
    let billing = Billing::start().await;
    let scheduler = billing.scheduler(billing.stack.log.clone());
    let recovers = billing.subscribe("bo", 0, "4242424242424242").await;
    let expires = billing.subscribe("cy", 0, "4242424242424242").await;
    for id in [recovers, expires] {
        billing
            .change_card(id, "4000000000000341", "2026-02-10T00:00:00Z")
            .await;
    }
    // Due 2026-02-28T12:00Z (a month from Jan 31, clamped): declined, past due.
    let due = billing.pass_at(&scheduler, "2026-02-28T12:00:00Z").await;
    assert_eq!(due.done, 2, "{due:?}");
    let first_retry = billing.pass_at(&scheduler, "2026-03-01T12:00:00Z").await;
    assert_eq!(first_retry.done, 2, "retried a day later: {first_retry:?}");
    let not_yet = billing.pass_at(&scheduler, "2026-03-03T11:00:00Z").await;
    assert_eq!(
        not_yet.done, 0,
        "the next retry is 3 days after the due date"
    );

    billing
        .change_card(recovers, "5555555555554444", "2026-03-02T00:00:00Z")
        .await;
    let second_retry = billing.pass_at(&scheduler, "2026-03-03T12:00:00Z").await;
    assert_eq!(second_retry.done, 2, "{second_retry:?}");
    assert_eq!(billing.charges("bo").await, [false, false, true]);
    assert_eq!(
        billing.history(recovers).await,
        [
            "SubscriptionStarted",
            "SubscriptionPaymentMethodChanged",
            "SubscriptionPastDue",
            "SubscriptionPaymentRetryFailed",
            "SubscriptionPaymentMethodChanged",
            "SubscriptionRenewed"
        ]
    );

    billing.pass_at(&scheduler, "2026-03-05T12:00:00Z").await;
    let in_grace = billing.pass_at(&scheduler, "2026-03-07T11:59:59Z").await;
    assert_eq!(
        in_grace.done, 0,
        "no attempts left; access lasts the grace period"
    );
    let expired = billing.pass_at(&scheduler, "2026-03-07T12:00:00Z").await;
    assert_eq!(expired.done, 1, "{expired:?}");
    assert_eq!(billing.charges("cy").await, [false, false, false, false]);
    assert_eq!(
        billing.history(expires).await,
        [
            "SubscriptionStarted",
            "SubscriptionPaymentMethodChanged",
            "SubscriptionPastDue",
            "SubscriptionPaymentRetryFailed",
            "SubscriptionPaymentRetryFailed",
            "SubscriptionPaymentRetryFailed",
            "SubscriptionExpired"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_and_a_crash_after_charging_charge_and_renew_once() {
    // A step that fails says why in the output of a failing run (it failed once in CI with
    // `failed: 2` and no reason to read).
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn,codeflix_scheduler=info")
        .with_test_writer()
        .try_init();
    let billing = Billing::start().await;
    let other_log = Arc::new(
        codeflix_eventlog::EventLog::connect(billing.stack.config())
            .await
            .unwrap(),
    );
    let first = billing.scheduler(billing.stack.log.clone());
    let second = billing.scheduler(other_log);
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(
            billing
                .subscribe(&format!("user-{n}"), 0, "4242424242424242")
                .await,
        );
    }
    // A scheduler charged user-0's renewal and crashed before appending it.
    billing
        .payments
        .charge(&Charge {
            idempotency_key: format!("subscription/{}/period/2/attempt/1", ids[0]),
            customer: "user-0".into(),
            payment_method: "card_4242424242424242".into(),
            amount_minor: 2990,
            currency: "BRL".into(),
            description: "Codeflix subscription".into(),
            requested_at: at("2026-02-28T12:00:00Z"),
        })
        .await
        .unwrap();

    billing.clock.set(at("2026-02-28T12:00:00Z"));
    caught_up(
        &billing.stack.config(),
        billing.store.as_ref(),
        &ProjectionSpec::billing().topics(&billing.stack.config().topics.prefix),
    )
    .await;
    let (a, b) = tokio::join!(first.pass(), second.pass());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.failed + b.failed, 0, "{a:?} {b:?}");
    assert_eq!(
        a.done + b.done,
        12,
        "each renewal appended once: {a:?} {b:?}"
    );

    for (n, id) in ids.iter().enumerate() {
        let account = format!("user-{n}");
        assert_eq!(billing.charges(&account).await, [true], "{account}");
        assert_eq!(
            billing.history(*id).await,
            ["SubscriptionStarted", "SubscriptionRenewed"],
            "{account}"
        );
    }
    let again = billing.pass_at(&first, "2026-02-28T12:01:00Z").await;
    assert_eq!(again.done, 0, "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_does_not_answer_is_asked_again_on_the_next_pass() {
    let billing = Billing::start().await;
    let scheduler = billing.scheduler(billing.stack.log.clone());
    let id = billing.subscribe("di", 0, "4242424242424242").await;
    // The development provider makes this card's charges fail as an outage does.
    billing
        .change_card(id, "4000000000000119", "2026-02-10T00:00:00Z")
        .await;
    let outage = billing.pass_at(&scheduler, "2026-02-28T12:00:00Z").await;
    assert_eq!(
        (outage.due, outage.done, outage.failed),
        (1, 0, 1),
        "{outage:?}"
    );
    let again = billing.pass_at(&scheduler, "2026-02-28T12:00:30Z").await;
    assert_eq!(again.failed, 1, "still due, asked again: {again:?}");
    assert!(billing.charges("di").await.is_empty(), "nothing recorded");
    assert_eq!(
        billing.history(id).await,
        ["SubscriptionStarted", "SubscriptionPaymentMethodChanged"],
        "no payment failure is recorded for a provider that did not answer"
    );
    billing
        .change_card(id, "4242424242424242", "2026-02-28T13:00:00Z")
        .await;
    let paid = billing.pass_at(&scheduler, "2026-02-28T13:00:01Z").await;
    assert_eq!(paid.done, 1, "{paid:?}");
    assert_eq!(billing.charges("di").await, [true]);
}
