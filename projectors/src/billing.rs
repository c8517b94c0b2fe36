//! How plan, subscription and account events change their documents: pure functions, no I/O.
//!
//! A subscription's document keeps the fields of the domain's [`Timeline`], updated the way the
//! aggregate's `apply` updates them, so that the view answers what the aggregate would: who may
//! watch at an instant, and what the scheduler is to do next (a property test in this module
//! holds the two together).
//!
//! [`Timeline`]: codeflix_domain::subscriptions::subscription::Timeline

use codeflix_domain::Timestamp;
use codeflix_domain::accounts::AccountEvent;
use codeflix_domain::subscriptions::plan::PlanEvent;
use codeflix_domain::subscriptions::subscription::{SubscriptionEvent, SubscriptionStatus};
use codeflix_readmodel::views::{AccountView, PaymentView, PlanView, SubscriptionView};
use uuid::Uuid;

use crate::project::{NEVER_CREATED, instant};

pub(crate) fn plan_created(id: Uuid, event: &PlanEvent, at: &str) -> Result<PlanView, String> {
    let PlanEvent::PlanCreated(e) = event else {
        return Err(NEVER_CREATED.to_owned());
    };
    Ok(PlanView {
        id,
        name: e.name.clone(),
        description: e.description.clone(),
        amount_minor: e.amount_minor,
        currency: e.currency.clone(),
        billing_period: e.billing_period.as_str().to_owned(),
        trial_days: e.trial_days,
        active: e.active,
        version: 0,
        created_at: at.to_owned(),
        updated_at: at.to_owned(),
    })
}

pub(crate) fn plan(mut doc: PlanView, event: &PlanEvent) -> PlanView {
    match event {
        PlanEvent::PlanCreated(_) => {}
        PlanEvent::PlanUpdated(e) => {
            doc.name.clone_from(&e.name);
            doc.description.clone_from(&e.description);
            doc.amount_minor = e.amount_minor;
            doc.currency.clone_from(&e.currency);
            doc.trial_days = e.trial_days;
        }
        PlanEvent::PlanActivated(_) => doc.active = true,
        PlanEvent::PlanDeactivated(_) => doc.active = false,
    }
    doc
}

pub(crate) fn subscription_created(
    id: Uuid,
    event: &SubscriptionEvent,
    at: &str,
) -> Result<SubscriptionView, String> {
    let SubscriptionEvent::SubscriptionStarted(e) = event else {
        return Err(NEVER_CREATED.to_owned());
    };
    let mut payments = Vec::new();
    match (e.status, &e.payment_failure) {
        (SubscriptionStatus::Active, _) => payments.push(paid(
            e.started_at,
            (e.amount_minor, &e.currency),
            e.charge_id.as_ref(),
            (e.started_at, e.due_date),
        )),
        (SubscriptionStatus::Incomplete, Some(reason)) => payments.push(PaymentView {
            at: instant(e.started_at),
            outcome: "FAILED".to_owned(),
            amount_minor: e.amount_minor,
            currency: e.currency.clone(),
            charge_id: e.charge_id.clone(),
            period_start: None,
            period_end: None,
            reason: Some(reason.clone()),
        }),
        _ => {}
    }
    let mut doc = SubscriptionView {
        id,
        account_id: e.account_id.clone(),
        plan_id: e.plan_id.as_uuid(),
        status: e.status.as_str().to_owned(),
        amount_minor: e.amount_minor,
        currency: e.currency.clone(),
        billing_period: e.billing_period.as_str().to_owned(),
        payment_method: e.payment_method.clone(),
        started_at: instant(e.started_at),
        trial_ends_at: e.trial_ends_at.map(instant),
        current_period_end: instant(e.due_date),
        trial_noticed: false,
        renewals: 0,
        attempts: 0,
        next_attempt_at: None,
        canceled_at: None,
        ends_at: None,
        cancel_reason: None,
        expired_at: None,
        access_ends_at: None,
        next_due_at: None,
        payments,
        history: Vec::new(),
        version: 0,
        created_at: at.to_owned(),
        updated_at: at.to_owned(),
    };
    derive(&mut doc);
    Ok(doc)
}

/// The fields derived from the timeline: when access ends, when something is due next.
fn derive(doc: &mut SubscriptionView) {
    let timeline = doc.timeline();
    doc.access_ends_at = timeline.and_then(|t| t.access_ends_at()).map(instant);
    doc.next_due_at = timeline
        .and_then(|t| t.next_due())
        .map(|due| instant(due.at));
}

/// A receipt: `price` paid at `at` for the `period` (start, end).
fn paid(
    at: Timestamp,
    (amount_minor, currency): (i64, &str),
    charge_id: Option<&String>,
    (start, end): (Timestamp, Timestamp),
) -> PaymentView {
    PaymentView {
        at: instant(at),
        outcome: "PAID".to_owned(),
        amount_minor,
        currency: currency.to_owned(),
        charge_id: charge_id.cloned(),
        period_start: Some(instant(start)),
        period_end: Some(instant(end)),
        reason: None,
    }
}

fn failed(doc: &SubscriptionView, at: String, reason: &str) -> PaymentView {
    PaymentView {
        at,
        outcome: "FAILED".to_owned(),
        amount_minor: doc.amount_minor,
        currency: doc.currency.clone(),
        charge_id: None,
        period_start: None,
        period_end: None,
        reason: Some(reason.to_owned()),
    }
}

pub(crate) fn subscription(
    mut doc: SubscriptionView,
    event: &SubscriptionEvent,
) -> SubscriptionView {
    let status = |s: SubscriptionStatus| s.as_str().to_owned();
    match event {
        SubscriptionEvent::SubscriptionStarted(_) => {}
        SubscriptionEvent::SubscriptionActivated(e) => {
            doc.status = status(SubscriptionStatus::Active);
            doc.current_period_end = instant(e.period_end);
            doc.payments.push(paid(
                e.paid_at,
                (e.amount_minor, &e.currency),
                e.charge_id.as_ref(),
                (e.period_start, e.period_end),
            ));
        }
        SubscriptionEvent::SubscriptionRenewed(e) => {
            doc.status = status(SubscriptionStatus::Active);
            doc.renewals = e.renewal;
            doc.current_period_end = instant(e.period_end);
            doc.attempts = 0;
            doc.next_attempt_at = None;
            doc.payments.push(paid(
                e.paid_at,
                (e.amount_minor, &e.currency),
                e.charge_id.as_ref(),
                (e.period_start, e.period_end),
            ));
        }
        SubscriptionEvent::SubscriptionPastDue(e) => {
            doc.status = status(SubscriptionStatus::PastDue);
            doc.attempts = e.attempt;
            doc.next_attempt_at = e.next_attempt_at.map(instant);
            let payment = failed(&doc, instant(e.failed_at), &e.reason);
            doc.payments.push(payment);
        }
        SubscriptionEvent::SubscriptionPaymentRetryFailed(e) => {
            doc.attempts = e.attempt;
            doc.next_attempt_at = e.next_attempt_at.map(instant);
            let payment = failed(&doc, instant(e.failed_at), &e.reason);
            doc.payments.push(payment);
        }
        SubscriptionEvent::SubscriptionCanceled(e) => {
            doc.status = status(SubscriptionStatus::Canceled);
            doc.canceled_at = Some(instant(e.canceled_at));
            doc.ends_at = Some(instant(e.ends_at));
            doc.cancel_reason.clone_from(&e.reason);
        }
        SubscriptionEvent::SubscriptionUncanceled(e) => {
            doc.status = status(e.status);
            doc.canceled_at = None;
            doc.ends_at = None;
            doc.cancel_reason = None;
        }
        SubscriptionEvent::SubscriptionTrialEnding(_) => doc.trial_noticed = true,
        SubscriptionEvent::SubscriptionExpired(e) => {
            doc.status = status(SubscriptionStatus::Expired);
            doc.expired_at = Some(instant(e.expired_at));
        }
        SubscriptionEvent::SubscriptionPaymentMethodChanged(e) => {
            doc.payment_method = Some(e.payment_method.clone());
        }
    }
    derive(&mut doc);
    doc
}

pub(crate) fn account_created(
    id: Uuid,
    subject: &str,
    event: &AccountEvent,
    at: &str,
) -> Result<AccountView, String> {
    let AccountEvent::AccountRegistered(e) = event else {
        return Err(NEVER_CREATED.to_owned());
    };
    Ok(AccountView {
        id,
        subject: subject.to_owned(),
        email: e.email.clone(),
        display_name: e.display_name.clone(),
        roles: e.roles.clone(),
        phone: e.phone.clone(),
        locale: e.locale.clone(),
        opted_out: Vec::new(),
        version: 0,
        created_at: at.to_owned(),
        updated_at: at.to_owned(),
    })
}

pub(crate) fn account(mut doc: AccountView, event: &AccountEvent) -> AccountView {
    match event {
        AccountEvent::AccountRegistered(_) => {}
        AccountEvent::AccountProfileUpdated(e) => {
            doc.email.clone_from(&e.email);
            doc.display_name.clone_from(&e.display_name);
            doc.phone.clone_from(&e.phone);
            doc.locale.clone_from(&e.locale);
        }
        AccountEvent::AccountRolesChanged(e) => doc.roles.clone_from(&e.roles),
        AccountEvent::AccountOptOutsChanged(e) => doc.opted_out.clone_from(&e.opted_out),
    }
    doc
}

#[cfg(test)]
mod tests {
    use codeflix_domain::accounts::AccountId;
    use codeflix_domain::subscriptions::plan::{PlanId, PlanTerms, TrialDays};
    use codeflix_domain::subscriptions::subscription::{
        CancelSubscription, ChangePaymentMethod, ExpireSubscription, FirstPayment, NoteTrialEnding,
        RecordPaymentFailure, RenewSubscription, StartSubscription, Subscription,
        SubscriptionCommand, UncancelSubscription,
    };
    use codeflix_domain::subscriptions::{BillingPeriod, Currency, Money, PaymentMethod};
    use codeflix_domain::{
        Aggregate, AggregateType, AnyEvent, Envelope, EventId, EventMetadata, Reason, Reference,
        Timestamp, Version,
    };
    use codeflix_readmodel::views::Doc;
    use proptest::prelude::*;
    use uuid::Uuid;

    use crate::project::{Step, apply, instant};

    fn day(n: u32) -> Timestamp {
        "2026-01-01T00:00:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .checked_add_days(n)
            .unwrap()
    }

    fn command() -> impl Strategy<Value = SubscriptionCommand> {
        let at = (0u32..120).prop_map(day);
        let reason = || Reason::parse("declined").unwrap();
        prop_oneof![
            (0i64..10, at.clone(), any::<bool>()).prop_map(move |(trial, started_at, paid)| {
                StartSubscription {
                    account_id: AccountId::parse("ana").unwrap(),
                    plan: Reference::active(PlanId::new(Uuid::from_u128(7))),
                    terms: PlanTerms {
                        price: Money::new(2990, Currency::parse("BRL").unwrap()).unwrap(),
                        billing_period: BillingPeriod::Monthly,
                        trial_days: TrialDays::parse(trial).unwrap(),
                    },
                    started_at,
                    payment_method: PaymentMethod::parse("card_4242424242424242").unwrap(),
                    payment: (trial == 0).then(|| match paid {
                        true => FirstPayment::Approved {
                            paid_at: started_at,
                            charge_id: Some("ch_1".into()),
                        },
                        false => FirstPayment::Declined {
                            failed_at: started_at,
                            reason: Reason::parse("declined").unwrap(),
                        },
                    }),
                }
                .into()
            }),
            at.clone().prop_map(|paid_at| RenewSubscription {
                paid_at,
                charge_id: None
            }
            .into()),
            at.clone().prop_map(move |failed_at| RecordPaymentFailure {
                failed_at,
                reason: reason(),
            }
            .into()),
            at.clone().prop_map(|canceled_at| CancelSubscription {
                canceled_at,
                reason: None
            }
            .into()),
            at.clone().prop_map(|at| UncancelSubscription { at }.into()),
            at.clone().prop_map(|at| NoteTrialEnding { at }.into()),
            at.clone().prop_map(|at| ExpireSubscription { at }.into()),
            at.prop_map(|at| ChangePaymentMethod {
                payment_method: PaymentMethod::parse("card_4000000000000341").unwrap(),
                at,
            }
            .into()),
        ]
    }

    fn envelope(version: u64, event: AnyEvent) -> Envelope<AnyEvent> {
        Envelope {
            metadata: EventMetadata {
                event_id: EventId(Uuid::new_v4()),
                aggregate_type: AggregateType::Subscription,
                aggregate_id: Uuid::from_u128(1).to_string(),
                aggregate_version: Version::new(version),
                occurred_at: day(0),
                correlation_id: Uuid::new_v4(),
                causation_id: Uuid::new_v4(),
                actor: "test".into(),
            },
            event,
        }
    }

    /// After any history the view answers what the aggregate answers: its timeline, who may
    /// watch when, what is due next.
    fn check(commands: Vec<SubscriptionCommand>) -> Result<(), String> {
        let mut subscription = Subscription::default();
        let mut doc: Option<Doc> = None;
        let mut version = 0;
        for command in commands {
            let Ok(events) = subscription.handle(command) else {
                continue;
            };
            for event in events {
                subscription.apply(&event);
                version += 1;
                match apply(
                    doc.as_ref(),
                    &envelope(version, AnyEvent::Subscription(event)),
                ) {
                    Step::Applied(next) => doc = Some(*next),
                    other => return Err(format!("version {version}: {other:?}")),
                }
            }
        }
        let view = match doc {
            Some(Doc::Subscription(view)) => view,
            None => return Ok(()),
            Some(other) => return Err(format!("not a subscription: {other:?}")),
        };
        let (from_view, from_aggregate) = (view.timeline(), subscription.timeline());
        if from_view != from_aggregate {
            return Err(format!(
                "view {from_view:?} != aggregate {from_aggregate:?}"
            ));
        }
        for n in (0..200).step_by(3) {
            if view.grants_access_at(day(n)) != subscription.grants_access_at(day(n)) {
                return Err(format!("access differs on day {n}"));
            }
        }
        let due = from_aggregate
            .and_then(|t| t.next_due())
            .map(|d| instant(d.at));
        if view.next_due_at != due {
            return Err(format!("due {:?} != {due:?}", view.next_due_at));
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_view_answers_what_the_aggregate_answers(
            commands in prop::collection::vec(command(), 0..30)
        ) {
            check(commands).map_err(TestCaseError::fail)?;
        }
    }
}
