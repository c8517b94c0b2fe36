use proptest::prelude::*;

use super::*;
use crate::testing::{AggregateSpec, check_history};

type Spec = AggregateSpec<Category>;

fn name(s: &str) -> CategoryName {
    CategoryName::parse(s).unwrap()
}

fn created() -> CategoryEvent {
    CategoryCreated {
        name: "Movies".into(),
        description: Some("Feature films".into()),
        active: true,
    }
    .into()
}

#[test]
fn create_a_category() {
    Spec::given(vec![])
        .when(CreateCategory {
            name: name(" Movies "),
            description: Some(CategoryDescription::parse("Feature films").unwrap()),
            active: true,
        })
        .then_expect(vec![created()]);
}

#[test]
fn creating_twice_is_rejected() {
    Spec::given(vec![created()])
        .when(CreateCategory {
            name: name("Movies"),
            description: None,
            active: true,
        })
        .then_reject(CategoryError::AlreadyExists);
}

#[test]
fn update_changes_name_and_description() {
    Spec::given(vec![created()])
        .when(UpdateCategory {
            name: name("Films"),
            description: None,
        })
        .then_expect(vec![
            CategoryUpdated {
                name: "Films".into(),
                description: None,
            }
            .into(),
        ]);
}

#[test]
fn update_with_the_same_values_changes_nothing() {
    Spec::given(vec![created()])
        .when(UpdateCategory {
            name: name("Movies"),
            description: Some(CategoryDescription::parse("Feature films").unwrap()),
        })
        .then_expect_nothing();
}

#[test]
fn commands_on_an_unknown_category_are_rejected() {
    Spec::given(vec![])
        .when(ActivateCategory)
        .then_reject(CategoryError::NotFound);
    Spec::given(vec![])
        .when(DeleteCategory)
        .then_reject(CategoryError::NotFound);
}

#[test]
fn deactivate_then_activate() {
    let inactive = Spec::given(vec![created()])
        .when(DeactivateCategory)
        .then_expect(vec![CategoryDeactivated.into()]);
    assert!(!inactive.is_active());
    assert_eq!(
        inactive.reference_status(),
        crate::ReferenceStatus::Inactive
    );
    Spec::given(vec![created(), CategoryDeactivated.into()])
        .when(ActivateCategory)
        .then_expect(vec![CategoryActivated.into()]);
}

#[test]
fn activating_an_active_category_changes_nothing() {
    Spec::given(vec![created()])
        .when(ActivateCategory)
        .then_expect_nothing();
    Spec::given(vec![created(), CategoryDeactivated.into()])
        .when(DeactivateCategory)
        .then_expect_nothing();
}

#[test]
fn delete_is_soft_and_idempotent() {
    let deleted = Spec::given(vec![created()])
        .when(DeleteCategory)
        .then_expect(vec![CategoryDeleted.into()]);
    assert!(!deleted.exists());
    assert_eq!(deleted.name(), Some("Movies"));
    assert_eq!(deleted.reference_status(), crate::ReferenceStatus::Missing);
    Spec::given(vec![created(), CategoryDeleted.into()])
        .when(DeleteCategory)
        .then_expect_nothing();
}

#[test]
fn a_deleted_category_refuses_changes() {
    let history = || vec![created(), CategoryDeleted.into()];
    Spec::given(history())
        .when(ActivateCategory)
        .then_reject(CategoryError::Deleted);
    Spec::given(history())
        .when(UpdateCategory {
            name: name("X"),
            description: None,
        })
        .then_reject(CategoryError::Deleted);
}

#[test]
fn name_and_description_limits() {
    assert!(CategoryName::parse(&"n".repeat(255)).is_ok());
    assert_eq!(
        CategoryName::parse(&"n".repeat(256)),
        Err(crate::TextError::TooLong {
            field: "name",
            len: 256,
            max: 255
        })
    );
    assert!(CategoryDescription::parse(&"d".repeat(4000)).is_ok());
    assert!(CategoryDescription::parse(&"d".repeat(4001)).is_err());
}

pub(crate) fn command() -> impl Strategy<Value = CategoryCommand> {
    let name = prop_oneof![Just("Movies"), Just("Series"), Just("Docs")]
        .prop_map(|s| CategoryName::parse(s).unwrap());
    let description = proptest::option::of(
        prop_oneof![Just("a"), Just("b")].prop_map(|s| CategoryDescription::parse(s).unwrap()),
    );
    prop_oneof![
        (name.clone(), description.clone(), any::<bool>()).prop_map(
            |(name, description, active)| {
                CreateCategory {
                    name,
                    description,
                    active,
                }
                .into()
            }
        ),
        (name, description)
            .prop_map(|(name, description)| UpdateCategory { name, description }.into()),
        Just(ActivateCategory.into()),
        Just(DeactivateCategory.into()),
        Just(DeleteCategory.into()),
    ]
}

proptest! {
    #[test]
    fn any_history_replays_to_the_same_state(commands in prop::collection::vec(command(), 0..20)) {
        check_history::<Category>(commands).map_err(TestCaseError::fail)?;
    }
}
