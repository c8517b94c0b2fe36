use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::accounts::AccountId;
use crate::subscriptions::plan::{PlanTerms, TrialDays};
use crate::subscriptions::{Currency, Money, PaymentMethod};
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

/// A start on a plan with `trial_days`, its first payment approved when there is no trial.
fn start(trial_days: i64, plan: Reference<PlanId>) -> StartSubscription {
    let started_at = at("2026-01-31T12:00:00Z");
    StartSubscription {
        account_id: AccountId::parse("user-1").unwrap(),
        plan,
        terms: terms(trial_days),
        started_at,
        payment_method: card(),
        payment: (trial_days == 0).then_some(FirstPayment::Approved {
            paid_at: started_at,
            charge_id: Some("ch_1".into()),
        }),
    }
}

fn card() -> PaymentMethod {
    PaymentMethod::parse("card_4242424242424242").unwrap()
}

fn declined_start() -> StartSubscription {
    StartSubscription {
        payment: Some(FirstPayment::Declined {
            failed_at: at("2026-01-31T12:00:00Z"),
            reason: Reason::parse("card declined").unwrap(),
        }),
        ..start(0, Reference::active(plan()))
    }
}

fn started_incomplete() -> SubscriptionEvent {
    SubscriptionStarted {
        account_id: "user-1".into(),
        plan_id: plan(),
        amount_minor: 2990,
        currency: "BRL".into(),
        billing_period: BillingPeriod::Monthly,
        status: SubscriptionStatus::Incomplete,
        started_at: at("2026-01-31T12:00:00Z"),
        trial_ends_at: None,
        due_date: at("2026-02-01T11:00:00Z"),
        payment_failure: Some("card declined".into()),
        payment_method: Some(card().into_string()),
        charge_id: None,
    }
    .into()
}

fn started_trialing() -> SubscriptionEvent {
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
        payment_failure: None,
        payment_method: Some(card().into_string()),
        charge_id: None,
    }
    .into()
}

fn failure(when: &str) -> RecordPaymentFailure {
    RecordPaymentFailure {
        failed_at: at(when),
        reason: Reason::parse("card declined").unwrap(),
    }
}

fn retry_failed(attempt: u32, when: &str, next: Option<&str>) -> SubscriptionEvent {
    SubscriptionPaymentRetryFailed {
        attempt,
        failed_at: at(when),
        reason: "card declined".into(),
        next_attempt_at: next.map(at),
    }
    .into()
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
        payment_failure: None,
        payment_method: Some(card().into_string()),
        charge_id: Some("ch_1".into()),
    }
    .into()
}

/// The payment due 2026-02-28T12:00 failed; retried a day later.
fn past_due() -> SubscriptionEvent {
    SubscriptionPastDue {
        failed_at: at("2026-02-28T12:00:00Z"),
        reason: "card declined".into(),
        attempt: 1,
        next_attempt_at: Some(at("2026-03-01T12:00:00Z")),
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
        .then_expect(vec![started_trialing()]);
}

#[test]
fn a_trial_is_not_charged_at_the_start_and_a_plan_without_one_is() {
    Spec::given(vec![])
        .when(StartSubscription {
            payment: None,
            ..start(0, Reference::active(plan()))
        })
        .then_reject(SubscriptionError::PaymentRequired);
    Spec::given(vec![])
        .when(StartSubscription {
            payment: Some(FirstPayment::Approved {
                paid_at: at("2026-01-31T12:00:00Z"),
                charge_id: None,
            }),
            ..start(7, Reference::active(plan()))
        })
        .then_reject(SubscriptionError::PaymentNotDue);
}

#[test]
fn a_declined_first_payment_starts_it_incomplete_without_access() {
    let incomplete = Spec::given(vec![])
        .when(declined_start())
        .then_expect(vec![started_incomplete()]);
    assert!(!incomplete.grants_access_at(at("2026-01-31T13:00:00Z")));
    assert_eq!(
        incomplete.access_ends_at(),
        Some(at("2026-02-01T11:00:00Z"))
    );
    // Another declined attempt leaves it as it is.
    Spec::given(vec![started_incomplete()])
        .when(failure("2026-01-31T14:00:00Z"))
        .then_expect_nothing();
}

#[test]
fn paying_an_incomplete_subscription_starts_its_periods_at_the_payment() {
    let active = Spec::given(vec![started_incomplete()])
        .when(RenewSubscription {
            paid_at: at("2026-01-31T18:00:00Z"),
            charge_id: None,
        })
        .then_expect(vec![
            SubscriptionActivated {
                paid_at: at("2026-01-31T18:00:00Z"),
                amount_minor: 2990,
                currency: "BRL".into(),
                period_start: at("2026-01-31T18:00:00Z"),
                period_end: at("2026-02-28T18:00:00Z"),
                charge_id: None,
            }
            .into(),
        ]);
    assert_eq!(active.status(), Some(SubscriptionStatus::Active));
    assert!(active.grants_access_at(at("2026-02-01T00:00:00Z")));
    assert_eq!(active.renewals(), 0);
}

#[test]
fn an_unpaid_incomplete_subscription_expires_after_23_hours() {
    Spec::given(vec![started_incomplete()])
        .when(ExpireSubscription {
            at: at("2026-02-01T10:59:59Z"),
        })
        .then_reject(SubscriptionError::TooEarlyToExpire {
            until: at("2026-02-01T11:00:00Z"),
        });
    Spec::given(vec![started_incomplete()])
        .when(ExpireSubscription {
            at: at("2026-02-01T11:00:00Z"),
        })
        .then_expect(vec![
            SubscriptionExpired {
                expired_at: at("2026-02-01T11:00:00Z"),
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
            charge_id: None,
        })
        .then_reject(SubscriptionError::NotFound);
}

#[test]
fn renewals_count_whole_months_from_the_billing_anchor() {
    let subscription = Spec::given(vec![started_active()])
        .when(RenewSubscription {
            paid_at: at("2026-02-28T11:00:00Z"),
            charge_id: None,
        })
        .then_expect(vec![
            SubscriptionRenewed {
                renewal: 1,
                paid_at: at("2026-02-28T11:00:00Z"),
                amount_minor: 2990,
                currency: "BRL".into(),
                period_start: at("2026-02-28T12:00:00Z"),
                // From the anchor, Jan 31: not Feb 28 + 1 month.
                period_end: at("2026-03-31T12:00:00Z"),
                charge_id: None,
            }
            .into(),
        ]);
    assert_eq!(subscription.renewals(), 1);
    assert_eq!(subscription.due_date(), Some(at("2026-03-31T12:00:00Z")));
}

#[test]
fn a_trial_renews_from_its_end() {
    Spec::given(vec![started_trialing()])
        .when(RenewSubscription {
            paid_at: at("2026-02-07T12:00:00Z"),
            charge_id: None,
        })
        .then_expect(vec![
            SubscriptionRenewed {
                renewal: 1,
                paid_at: at("2026-02-07T12:00:00Z"),
                amount_minor: 2990,
                currency: "BRL".into(),
                period_start: at("2026-02-07T12:00:00Z"),
                period_end: at("2026-03-07T12:00:00Z"),
                charge_id: None,
            }
            .into(),
        ]);
}

#[test]
fn a_payment_failure_makes_it_past_due_and_a_renewal_recovers_it() {
    Spec::given(vec![started_active()])
        .when(failure("2026-02-28T12:00:00Z"))
        .then_expect(vec![past_due()]);
    let recovered = Spec::given(vec![started_active(), past_due()])
        .when(RenewSubscription {
            paid_at: at("2026-03-01T00:00:00Z"),
            charge_id: None,
        })
        .then_expect(vec![
            SubscriptionRenewed {
                renewal: 1,
                paid_at: at("2026-03-01T00:00:00Z"),
                amount_minor: 2990,
                currency: "BRL".into(),
                // The late payment pays the period that was due.
                period_start: at("2026-02-28T12:00:00Z"),
                period_end: at("2026-03-31T12:00:00Z"),
                charge_id: None,
            }
            .into(),
        ]);
    assert_eq!(recovered.status(), Some(SubscriptionStatus::Active));
    assert_eq!(recovered.next_attempt_at(), None);
}

#[test]
fn a_past_due_payment_is_retried_at_one_three_and_five_days_then_waits_for_expiry() {
    let second = retry_failed(2, "2026-03-01T12:00:00Z", Some("2026-03-03T12:00:00Z"));
    let third = retry_failed(3, "2026-03-03T12:00:00Z", Some("2026-03-05T12:00:00Z"));
    let fourth = retry_failed(4, "2026-03-05T12:00:00Z", None);
    Spec::given(vec![started_active(), past_due()])
        .when(failure("2026-03-01T11:59:59Z"))
        .then_reject(SubscriptionError::TooEarlyToRetry {
            until: at("2026-03-01T12:00:00Z"),
        });
    Spec::given(vec![started_active(), past_due()])
        .when(failure("2026-03-01T12:00:00Z"))
        .then_expect(vec![second.clone()]);
    Spec::given(vec![started_active(), past_due(), second.clone()])
        .when(failure("2026-03-03T12:00:00Z"))
        .then_expect(vec![third.clone()]);
    let history = vec![started_active(), past_due(), second, third, fourth];
    let last = Spec::given(history[..4].to_vec())
        .when(failure("2026-03-05T12:00:00Z"))
        .then_expect(vec![history[4].clone()]);
    assert_eq!(last.next_attempt_at(), None);
    // Access lasts through the grace period, then the subscription may expire.
    assert!(last.grants_access_at(at("2026-03-07T11:59:59Z")));
    assert!(!last.grants_access_at(at("2026-03-07T12:00:00Z")));
    Spec::given(history.clone())
        .when(failure("2026-03-06T12:00:00Z"))
        .then_reject(SubscriptionError::NoAttemptsLeft);
    // A retry that succeeds after all recovers it.
    let recovered = Spec::given(history)
        .when(RenewSubscription {
            paid_at: at("2026-03-06T00:00:00Z"),
            charge_id: None,
        })
        .then_events();
    assert!(matches!(
        recovered[..],
        [SubscriptionEvent::SubscriptionRenewed(
            SubscriptionRenewed { renewal: 1, .. }
        )]
    ));
}

#[test]
fn a_trial_whose_charge_fails_goes_past_due_from_its_end() {
    Spec::given(vec![started_trialing()])
        .when(failure("2026-02-07T12:00:00Z"))
        .then_expect(vec![
            SubscriptionPastDue {
                failed_at: at("2026-02-07T12:00:00Z"),
                reason: "card declined".into(),
                attempt: 1,
                next_attempt_at: Some(at("2026-02-08T12:00:00Z")),
            }
            .into(),
        ]);
}

#[test]
fn the_end_of_a_trial_is_noted_once_from_three_days_before() {
    Spec::given(vec![started_trialing()])
        .when(NoteTrialEnding {
            at: at("2026-02-04T11:59:59Z"),
        })
        .then_reject(SubscriptionError::TooEarlyForTrialNotice {
            from: at("2026-02-04T12:00:00Z"),
            trial_ends_at: at("2026-02-07T12:00:00Z"),
        });
    let noted: SubscriptionEvent = SubscriptionTrialEnding {
        noted_at: at("2026-02-04T12:00:00Z"),
        trial_ends_at: at("2026-02-07T12:00:00Z"),
    }
    .into();
    Spec::given(vec![started_trialing()])
        .when(NoteTrialEnding {
            at: at("2026-02-04T12:00:00Z"),
        })
        .then_expect(vec![noted.clone()]);
    Spec::given(vec![started_trialing(), noted])
        .when(NoteTrialEnding {
            at: at("2026-02-05T12:00:00Z"),
        })
        .then_expect_nothing();
    Spec::given(vec![started_active()])
        .when(NoteTrialEnding {
            at: at("2026-02-05T12:00:00Z"),
        })
        .then_reject(SubscriptionError::NotTrialing);
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
fn a_cancellation_is_taken_back_while_access_lasts() {
    let canceled_history = || vec![started_active(), canceled("2026-02-28T12:00:00Z")];
    let resumed = Spec::given(canceled_history())
        .when(UncancelSubscription {
            at: at("2026-02-20T00:00:00Z"),
        })
        .then_expect(vec![
            SubscriptionUncanceled {
                uncanceled_at: at("2026-02-20T00:00:00Z"),
                status: SubscriptionStatus::Active,
            }
            .into(),
        ]);
    assert_eq!(resumed.status(), Some(SubscriptionStatus::Active));
    assert_eq!(resumed.access_ends_at(), None);
    Spec::given(canceled_history())
        .when(UncancelSubscription {
            at: at("2026-02-28T12:00:00Z"),
        })
        .then_reject(SubscriptionError::AccessEnded {
            ended_at: at("2026-02-28T12:00:00Z"),
        });
    // A trial canceled and taken back is a trial again.
    let trial_canceled: SubscriptionEvent = SubscriptionCanceled {
        canceled_at: at("2026-02-03T00:00:00Z"),
        ends_at: at("2026-02-07T12:00:00Z"),
        reason: None,
    }
    .into();
    let trial = Spec::given(vec![started_trialing(), trial_canceled])
        .when(UncancelSubscription {
            at: at("2026-02-05T00:00:00Z"),
        })
        .then_events();
    assert!(matches!(
        trial[..],
        [SubscriptionEvent::SubscriptionUncanceled(
            SubscriptionUncanceled {
                status: SubscriptionStatus::Trialing,
                ..
            }
        )]
    ));
    Spec::given(vec![started_active()])
        .when(UncancelSubscription {
            at: at("2026-02-05T00:00:00Z"),
        })
        .then_expect_nothing();
}

#[test]
fn access_follows_the_status_and_its_dates() {
    let canceled = Spec::given(vec![started_active()])
        .when(cancel("2026-02-10T00:00:00Z"))
        .then_events();
    let mut subscription = Subscription::default();
    for event in [started_active()].iter().chain(&canceled) {
        subscription.apply(event);
    }
    assert!(subscription.grants_access_at(at("2026-02-28T11:59:59Z")));
    assert!(!subscription.grants_access_at(at("2026-02-28T12:00:00Z")));
    assert!(!Subscription::default().grants_access_at(at("2026-02-01T00:00:00Z")));
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
            charge_id: None,
        })
        .then_reject(SubscriptionError::InvalidTransition {
            from: SubscriptionStatus::Canceled,
            to: SubscriptionStatus::Active,
        });
    Spec::given(history())
        .when(failure("2026-02-28T12:00:00Z"))
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
        (0i64..10, status, day.clone(), any::<bool>()).prop_map(
            |(trial, status, started_at, approved)| {
                let payment = (trial == 0).then(|| {
                    if approved {
                        FirstPayment::Approved {
                            paid_at: started_at,
                            charge_id: None,
                        }
                    } else {
                        FirstPayment::Declined {
                            failed_at: started_at,
                            reason: Reason::parse("declined").unwrap(),
                        }
                    }
                });
                StartSubscription {
                    started_at,
                    payment,
                    ..start(trial, Reference { id: plan(), status })
                }
                .into()
            }
        ),
        day.clone().prop_map(|paid_at| RenewSubscription {
            paid_at,
            charge_id: None
        }
        .into()),
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
        day.clone()
            .prop_map(|at| UncancelSubscription { at }.into()),
        day.clone().prop_map(|at| NoteTrialEnding { at }.into()),
        day.clone().prop_map(|at| ExpireSubscription { at }.into()),
        (
            day,
            prop_oneof![Just("card_4242424242424242"), Just("card_4000000000000341")]
        )
            .prop_map(|(at, token)| ChangePaymentMethod {
                payment_method: PaymentMethod::parse(token).unwrap(),
                at,
            }
            .into()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_history_replays_to_the_same_state(commands in prop::collection::vec(command(), 0..30)) {
        check_history::<Subscription>(commands).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn renewals_are_charged_to_the_payment_method_changed_last() {
    let changed: SubscriptionEvent = SubscriptionPaymentMethodChanged {
        payment_method: "card_4000000000000341".into(),
        changed_at: at("2026-02-10T00:00:00Z"),
    }
    .into();
    let subscription = Spec::given(vec![started_active()])
        .when(ChangePaymentMethod {
            payment_method: PaymentMethod::parse("card_4000000000000341").unwrap(),
            at: at("2026-02-10T00:00:00Z"),
        })
        .then_expect(vec![changed.clone()]);
    assert_eq!(subscription.payment_method(), Some("card_4000000000000341"));
    // The same method again changes nothing.
    Spec::given(vec![started_active(), changed])
        .when(ChangePaymentMethod {
            payment_method: PaymentMethod::parse("card_4000000000000341").unwrap(),
            at: at("2026-02-11T00:00:00Z"),
        })
        .then_expect_nothing();
    // An incomplete or past-due subscription changes its method to pay what is due.
    Spec::given(vec![started_incomplete()])
        .when(ChangePaymentMethod {
            payment_method: card(),
            at: at("2026-01-31T13:00:00Z"),
        })
        .then_expect_nothing();
    Spec::given(vec![
        started_incomplete(),
        SubscriptionExpired {
            expired_at: at("2026-02-01T11:00:00Z"),
        }
        .into(),
    ])
    .when(ChangePaymentMethod {
        payment_method: PaymentMethod::parse("card_4000000000000077").unwrap(),
        at: at("2026-02-02T00:00:00Z"),
    })
    .then_reject(SubscriptionError::Expired);
}

#[test]
fn payment_methods_are_tokens_not_text() {
    assert!(PaymentMethod::parse("pm_1Nq2xY").is_ok());
    for bad in ["", "  ", "card 4242", "carte\u{e9}", &"x".repeat(256)] {
        assert!(PaymentMethod::parse(bad).is_err(), "{bad:?} accepted");
    }
}

/// The timeline after `history`.
fn timeline(history: Vec<SubscriptionEvent>) -> Timeline {
    let mut subscription = Subscription::default();
    for event in &history {
        subscription.apply(event);
    }
    subscription.timeline().unwrap()
}

#[test]
fn what_is_due_next_follows_the_lifecycle() {
    let due = |history, step, when: &str| {
        assert_eq!(
            timeline(history).next_due(),
            Some(Due { step, at: at(when) })
        );
    };
    // A trial's end is noted three days before, then the first period is charged.
    due(
        vec![started_trialing()],
        Step::NoteTrialEnding,
        "2026-02-04T12:00:00Z",
    );
    let noted: SubscriptionEvent = SubscriptionTrialEnding {
        noted_at: at("2026-02-04T12:00:00Z"),
        trial_ends_at: at("2026-02-07T12:00:00Z"),
    }
    .into();
    due(
        vec![started_trialing(), noted],
        Step::Charge {
            renewal: 1,
            attempt: 1,
        },
        "2026-02-07T12:00:00Z",
    );
    due(
        vec![started_active()],
        Step::Charge {
            renewal: 1,
            attempt: 1,
        },
        "2026-02-28T12:00:00Z",
    );
    // Past due: retries at +1, +3 and +5 days, then expiry after the 7-day grace.
    due(
        vec![started_active(), past_due()],
        Step::Charge {
            renewal: 1,
            attempt: 2,
        },
        "2026-03-01T12:00:00Z",
    );
    due(
        vec![
            started_active(),
            past_due(),
            retry_failed(2, "2026-03-01T12:00:00Z", Some("2026-03-03T12:00:00Z")),
            retry_failed(3, "2026-03-03T12:00:00Z", Some("2026-03-05T12:00:00Z")),
            retry_failed(4, "2026-03-05T12:00:00Z", None),
        ],
        Step::Expire,
        "2026-03-07T12:00:00Z",
    );
    due(
        vec![started_active(), canceled("2026-02-28T12:00:00Z")],
        Step::Expire,
        "2026-02-28T12:00:00Z",
    );
    due(
        vec![started_incomplete()],
        Step::Expire,
        "2026-02-01T11:00:00Z",
    );
    let expired: SubscriptionEvent = SubscriptionExpired {
        expired_at: at("2026-02-01T11:00:00Z"),
    }
    .into();
    assert_eq!(
        timeline(vec![started_incomplete(), expired]).next_due(),
        None
    );
}

/// Whatever the history, the step due next is one the aggregate accepts once it is due (a
/// charge: either outcome), and none is accepted before: the scheduler never waits on a step
/// the domain refuses, nor acts early.
fn check_due_steps(commands: Vec<SubscriptionCommand>) -> Result<(), String> {
    let mut subscription = Subscription::default();
    for command in commands {
        if let Ok(events) = subscription.handle(command) {
            for event in &events {
                subscription.apply(event);
            }
        }
    }
    let Some(due) = subscription.timeline().and_then(|t| t.next_due()) else {
        return Ok(());
    };
    let reason = || Reason::parse("declined").unwrap();
    let commands_at = |when: Timestamp| -> Vec<SubscriptionCommand> {
        match due.step {
            Step::NoteTrialEnding => vec![NoteTrialEnding { at: when }.into()],
            Step::Charge { .. } => vec![
                RenewSubscription {
                    paid_at: when,
                    charge_id: None,
                }
                .into(),
                RecordPaymentFailure {
                    failed_at: when,
                    reason: reason(),
                }
                .into(),
            ],
            Step::Expire => vec![ExpireSubscription { at: when }.into()],
        }
    };
    for command in commands_at(due.at) {
        match subscription.handle(command.clone()) {
            Ok(events) if !events.is_empty() => {}
            other => return Err(format!("{due:?}: {command:?} gave {other:?}")),
        }
    }
    if let Some(early) = Timestamp::from_unix_micros(due.at.unix_micros() - 1).ok()
        && !matches!(due.step, Step::Charge { .. })
        && subscription.handle(commands_at(early)[0].clone()).is_ok()
    {
        return Err(format!("{due:?} accepted a microsecond early"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_step_due_next_is_accepted_when_due(commands in prop::collection::vec(command(), 0..30)) {
        check_due_steps(commands).map_err(TestCaseError::fail)?;
    }
}
