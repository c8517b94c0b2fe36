use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::accounts::AccountId;
use crate::subscriptions::plan::{PlanTerms, TrialDays};
use crate::subscriptions::{Currency, Money};
use crate::testing::{AggregateSpec, check_history};
use crate::{Reason, Reference};

type Spec = AggregateSpec<Subscription>;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}
fn plan() -> PlanId {
    PlanId::new(Uuid::from_u128(7))
}

fn terms(trial_days: i64) -> PlanTerms {
    PlanTerms {
        price: Money::new(2990, Currency::parse("BRL").unwrap()).unwrap(),
        billing_period: BillingPeriod::Monthly,
        trial_days: TrialDays::parse(trial_days).unwrap(),
    }
}

fn start(trial_days: i64, plan: Reference<PlanId>) -> StartSubscription {
    StartSubscription {
        account_id: AccountId::parse("user-1").unwrap(),
        plan,
        terms: terms(trial_days),
        started_at: at("2026-01-31T12:00:00Z"),
    }
}

fn started_active() -> SubscriptionEvent {
    SubscriptionStarted {
        account_id: "user-1".into(),
        plan_id: plan(),
        amount_minor: 2990,
        currency: "BRL".into(),
        billing_period: BillingPeriod::Monthly,
        status: SubscriptionStatus::Active,
        started_at: at("2026-01-31T12:00:00Z"),
        trial_ends_at: None,
        due_date: at("2026-02-28T12:00:00Z"),
    }
    .into()
}

fn past_due() -> SubscriptionEvent {
    SubscriptionPastDue {
        failed_at: at("2026-02-28T12:00:00Z"),
        reason: "card declined".into(),
    }
    .into()
}

fn canceled(ends_at: &str) -> SubscriptionEvent {
    SubscriptionCanceled {
        canceled_at: at("2026-02-10T00:00:00Z"),
        ends_at: at(ends_at),
        reason: None,
    }
    .into()
}

fn cancel(when: &str) -> CancelSubscription {
    CancelSubscription {
        canceled_at: at(when),
        reason: None,
    }
}

#[test]
fn start_without_trial_is_active_with_the_first_period_paid() {
    let subscription = Spec::given(vec![])
        .when(start(0, Reference::active(plan())))
        .then_expect(vec![started_active()]);
    assert_eq!(subscription.status(), Some(SubscriptionStatus::Active));
}

#[test]
fn start_with_a_trial_is_trialing_until_the_trial_ends() {
    Spec::given(vec![])
        .when(start(7, Reference::active(plan())))
        .then_expect(vec![
            SubscriptionStarted {
                account_id: "user-1".into(),
                plan_id: plan(),
                amount_minor: 2990,
                currency: "BRL".into(),
                billing_period: BillingPeriod::Monthly,
                status: SubscriptionStatus::Trialing,
                started_at: at("2026-01-31T12:00:00Z"),
                trial_ends_at: Some(at("2026-02-07T12:00:00Z")),
                due_date: at("2026-02-07T12:00:00Z"),
            }
            .into(),
        ]);
}

#[test]
fn start_needs_an_existing_active_plan_and_happens_once() {
    Spec::given(vec![])
        .when(start(0, Reference::missing(plan())))
        .then_reject(SubscriptionError::UnknownPlan(plan()));
    Spec::given(vec![])
        .when(start(0, Reference::inactive(plan())))
        .then_reject(SubscriptionError::InactivePlan(plan()));
    Spec::given(vec![started_active()])
        .when(start(0, Reference::active(plan())))
        .then_reject(SubscriptionError::AlreadyExists);
    Spec::given(vec![])
        .when(RenewSubscription {
            paid_at: at("2026-01-01T00:00:00Z"),
        })
        .then_reject(SubscriptionError::NotFound);
}

#[test]
fn renewal_moves_the_due_date_one_period_on() {
    let subscription = Spec::given(vec![started_active()])
        .when(RenewSubscription {
            paid_at: at("2026-02-28T11:00:00Z"),
        })
        .then_expect(vec![
            SubscriptionRenewed {
                renewal: 1,
                paid_at: at("2026-02-28T11:00:00Z"),
                amount_minor: 2990,
                currency: "BRL".into(),
                period_start: at("2026-02-28T12:00:00Z"),
                period_end: at("2026-03-28T12:00:00Z"),
            }
            .into(),
        ]);
    assert_eq!(subscription.renewals(), 1);
    assert_eq!(subscription.due_date(), Some(at("2026-03-28T12:00:00Z")));
}

#[test]
fn a_payment_failure_makes_it_past_due_and_a_renewal_recovers_it() {
    Spec::given(vec![started_active()])
        .when(RecordPaymentFailure {
            failed_at: at("2026-02-28T12:00:00Z"),
            reason: Reason::parse("card declined").unwrap(),
        })
        .then_expect(vec![past_due()]);
    let recovered = Spec::given(vec![started_active(), past_due()])
        .when(RenewSubscription {
            paid_at: at("2026-03-01T00:00:00Z"),
        })
        .then_expect(vec![
            SubscriptionRenewed {
                renewal: 1,
                paid_at: at("2026-03-01T00:00:00Z"),
                amount_minor: 2990,
                currency: "BRL".into(),
                period_start: at("2026-02-28T12:00:00Z"),
                period_end: at("2026-03-28T12:00:00Z"),
            }
            .into(),
        ]);
    assert_eq!(recovered.status(), Some(SubscriptionStatus::Active));
    Spec::given(vec![started_active(), past_due()])
        .when(RecordPaymentFailure {
            failed_at: at("2026-03-01T12:00:00Z"),
            reason: Reason::parse("again").unwrap(),
        })
        .then_expect_nothing();
}

#[test]
fn cancel_keeps_access_until_the_paid_period_ends() {
    Spec::given(vec![started_active()])
        .when(cancel("2026-02-10T00:00:00Z"))
        .then_expect(vec![canceled("2026-02-28T12:00:00Z")]);
    Spec::given(vec![started_active(), canceled("2026-02-28T12:00:00Z")])
        .when(cancel("2026-02-11T00:00:00Z"))
        .then_expect_nothing();
}

#[test]
fn cancel_while_past_due_ends_access_at_once() {
    Spec::given(vec![started_active(), past_due()])
        .when(cancel("2026-03-02T00:00:00Z"))
        .then_expect(vec![
            SubscriptionCanceled {
                canceled_at: at("2026-03-02T00:00:00Z"),
                ends_at: at("2026-03-02T00:00:00Z"),
                reason: None,
            }
            .into(),
        ]);
}

#[test]
fn a_canceled_subscription_cannot_renew_or_fail_payments() {
    let history = || vec![started_active(), canceled("2026-02-28T12:00:00Z")];
    Spec::given(history())
        .when(RenewSubscription {
            paid_at: at("2026-02-28T12:00:00Z"),
        })
        .then_reject(SubscriptionError::InvalidTransition {
            from: SubscriptionStatus::Canceled,
            to: SubscriptionStatus::Active,
        });
    Spec::given(history())
        .when(RecordPaymentFailure {
            failed_at: at("2026-02-28T12:00:00Z"),
            reason: Reason::parse("x").unwrap(),
        })
        .then_reject(SubscriptionError::InvalidTransition {
            from: SubscriptionStatus::Canceled,
            to: SubscriptionStatus::PastDue,
        });
}

#[test]
fn expiry_waits_for_the_end_of_access() {
    let history = || vec![started_active(), canceled("2026-02-28T12:00:00Z")];
    Spec::given(history())
        .when(ExpireSubscription {
            at: at("2026-02-20T00:00:00Z"),
        })
        .then_reject(SubscriptionError::TooEarlyToExpire {
            until: at("2026-02-28T12:00:00Z"),
        });
    Spec::given(history())
        .when(ExpireSubscription {
            at: at("2026-02-28T12:00:00Z"),
        })
        .then_expect(vec![
            SubscriptionExpired {
                expired_at: at("2026-02-28T12:00:00Z"),
            }
            .into(),
        ]);
}

#[test]
fn a_past_due_subscription_expires_after_the_grace_period() {
    // Due 2026-02-28T12:00, plus 7 days of grace.
    Spec::given(vec![started_active(), past_due()])
        .when(ExpireSubscription {
            at: at("2026-03-07T11:59:59Z"),
        })
        .then_reject(SubscriptionError::TooEarlyToExpire {
            until: at("2026-03-07T12:00:00Z"),
        });
    Spec::given(vec![started_active(), past_due()])
        .when(ExpireSubscription {
            at: at("2026-03-07T12:00:00Z"),
        })
        .then_expect(vec![
            SubscriptionExpired {
                expired_at: at("2026-03-07T12:00:00Z"),
            }
            .into(),
        ]);
}

#[test]
fn an_active_subscription_does_not_expire_and_an_expired_one_stays_so() {
    Spec::given(vec![started_active()])
        .when(ExpireSubscription {
            at: at("2027-01-01T00:00:00Z"),
        })
        .then_reject(SubscriptionError::InvalidTransition {
            from: SubscriptionStatus::Active,
            to: SubscriptionStatus::Expired,
        });
    let expired: SubscriptionEvent = SubscriptionExpired {
        expired_at: at("2026-03-01T00:00:00Z"),
    }
    .into();
    let history = || {
        vec![
            started_active(),
            canceled("2026-02-28T12:00:00Z"),
            expired.clone(),
        ]
    };
    Spec::given(history())
        .when(ExpireSubscription {
            at: at("2026-03-02T00:00:00Z"),
        })
        .then_expect_nothing();
    Spec::given(history())
        .when(cancel("2026-03-02T00:00:00Z"))
        .then_reject(SubscriptionError::InvalidTransition {
            from: SubscriptionStatus::Expired,
            to: SubscriptionStatus::Canceled,
        });
}

fn command() -> impl Strategy<Value = SubscriptionCommand> {
    let day = (0u32..120).prop_map(|d| at("2026-01-01T00:00:00Z").checked_add_days(d).unwrap());
    let status = prop_oneof![
        4 => Just(crate::ReferenceStatus::Active),
        1 => Just(crate::ReferenceStatus::Inactive),
    ];
    prop_oneof![
        (0i64..10, status, day.clone()).prop_map(|(trial, status, started_at)| StartSubscription {
            started_at,
            ..start(trial, Reference { id: plan(), status })
        }
        .into()),
        day.clone()
            .prop_map(|paid_at| RenewSubscription { paid_at }.into()),
        day.clone().prop_map(|failed_at| RecordPaymentFailure {
            failed_at,
            reason: Reason::parse("x").unwrap()
        }
        .into()),
        day.clone().prop_map(|canceled_at| CancelSubscription {
            canceled_at,
            reason: None
        }
        .into()),
        day.prop_map(|at| ExpireSubscription { at }.into()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_history_replays_to_the_same_state(commands in prop::collection::vec(command(), 0..30)) {
        check_history::<Subscription>(commands).map_err(TestCaseError::fail)?;
    }
}
