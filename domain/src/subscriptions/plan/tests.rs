use proptest::prelude::*;

use super::*;
use crate::testing::{AggregateSpec, check_history};

type Spec = AggregateSpec<Plan>;

fn terms(amount: i64, period: BillingPeriod) -> PlanTerms {
    PlanTerms {
        price: Money::new(amount, Currency::parse("BRL").unwrap()).unwrap(),
        billing_period: period,
        trial_days: TrialDays::parse(7).unwrap(),
    }
}

fn created() -> PlanEvent {
    PlanCreated {
        name: "Basic".into(),
        description: None,
        amount_minor: 2990,
        currency: "BRL".into(),
        billing_period: BillingPeriod::Monthly,
        trial_days: 7,
        active: true,
    }
    .into()
}

#[test]
fn create_a_plan() {
    let plan = Spec::given(vec![])
        .when(CreatePlan {
            name: PlanName::parse("Basic").unwrap(),
            description: None,
            terms: terms(2990, BillingPeriod::Monthly),
            active: true,
        })
        .then_expect(vec![created()]);
    assert_eq!(plan.terms(), Some(terms(2990, BillingPeriod::Monthly)));
    assert_eq!(plan.reference_status(), ReferenceStatus::Active);
}

#[test]
fn creating_twice_is_rejected_and_unknown_plans_refuse_updates() {
    Spec::given(vec![created()])
        .when(CreatePlan {
            name: PlanName::parse("Basic").unwrap(),
            description: None,
            terms: terms(1, BillingPeriod::Monthly),
            active: true,
        })
        .then_reject(PlanError::AlreadyExists);
    Spec::given(vec![])
        .when(ActivatePlan)
        .then_reject(PlanError::NotFound);
}

#[test]
fn a_price_change_is_an_update() {
    Spec::given(vec![created()])
        .when(UpdatePlan {
            name: PlanName::parse("Basic").unwrap(),
            description: Some(PlanDescription::parse("HD").unwrap()),
            terms: terms(3490, BillingPeriod::Monthly),
        })
        .then_expect(vec![
            PlanUpdated {
                name: "Basic".into(),
                description: Some("HD".into()),
                amount_minor: 3490,
                currency: "BRL".into(),
                trial_days: 7,
            }
            .into(),
        ]);
    Spec::given(vec![created()])
        .when(UpdatePlan {
            name: PlanName::parse("Basic").unwrap(),
            description: None,
            terms: terms(2990, BillingPeriod::Monthly),
        })
        .then_expect_nothing();
}

#[test]
fn the_billing_period_cannot_change() {
    Spec::given(vec![created()])
        .when(UpdatePlan {
            name: PlanName::parse("Basic").unwrap(),
            description: None,
            terms: terms(2990, BillingPeriod::Yearly),
        })
        .then_reject(PlanError::BillingPeriodChange {
            from: BillingPeriod::Monthly,
            to: BillingPeriod::Yearly,
        });
}

#[test]
fn deactivate_and_activate() {
    let plan = Spec::given(vec![created()])
        .when(DeactivatePlan)
        .then_expect(vec![PlanDeactivated.into()]);
    assert_eq!(plan.reference_status(), ReferenceStatus::Inactive);
    Spec::given(vec![created(), PlanDeactivated.into()])
        .when(ActivatePlan)
        .then_expect(vec![PlanActivated.into()]);
    Spec::given(vec![created()])
        .when(ActivatePlan)
        .then_expect_nothing();
}

#[test]
fn trial_is_at_most_90_days() {
    assert!(TrialDays::parse(90).is_ok());
    assert_eq!(
        TrialDays::parse(91).unwrap_err().to_string(),
        "trial_days is 91, it must be between 0 and 90"
    );
}

fn command() -> impl Strategy<Value = PlanCommand> {
    let period = prop_oneof![Just(BillingPeriod::Monthly), Just(BillingPeriod::Yearly)];
    let terms = (0i64..3, period).prop_map(|(a, p)| terms(a * 1000, p));
    let name = Just(PlanName::parse("Basic").unwrap());
    prop_oneof![
        (name.clone(), terms.clone(), any::<bool>()).prop_map(|(name, terms, active)| CreatePlan {
            name,
            description: None,
            terms,
            active
        }
        .into()),
        (name, terms).prop_map(|(name, terms)| UpdatePlan {
            name,
            description: None,
            terms
        }
        .into()),
        Just(ActivatePlan.into()),
        Just(DeactivatePlan.into()),
    ]
}

proptest! {
    #[test]
    fn any_history_replays_to_the_same_state(commands in prop::collection::vec(command(), 0..20)) {
        check_history::<Plan>(commands).map_err(TestCaseError::fail)?;
    }
}
