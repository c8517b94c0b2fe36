use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::testing::{AggregateSpec, check_history};

type Spec = AggregateSpec<Genre>;

fn category(n: u128) -> CategoryId {
    CategoryId::new(Uuid::from_u128(n))
}

fn name(s: &str) -> GenreName {
    GenreName::parse(s).unwrap()
}

fn created(categories: Vec<CategoryId>) -> GenreEvent {
    GenreCreated {
        name: "Drama".into(),
        active: true,
        categories,
    }
    .into()
}

#[test]
fn create_a_genre_in_active_categories_sorted_without_duplicates() {
    Spec::given(vec![])
        .when(CreateGenre {
            name: name("Drama"),
            active: true,
            categories: vec![
                Reference::active(category(2)),
                Reference::active(category(1)),
                Reference::active(category(2)),
            ],
        })
        .then_expect(vec![created(vec![category(1), category(2)])]);
}

#[test]
fn creating_twice_is_rejected() {
    Spec::given(vec![created(vec![])])
        .when(CreateGenre {
            name: name("Drama"),
            active: true,
            categories: vec![],
        })
        .then_reject(GenreError::AlreadyExists);
}

#[test]
fn a_new_genre_cannot_use_an_unknown_or_inactive_category() {
    Spec::given(vec![])
        .when(CreateGenre {
            name: name("Drama"),
            active: true,
            categories: vec![Reference::missing(category(1))],
        })
        .then_reject(GenreError::UnknownCategory(category(1)));
    Spec::given(vec![])
        .when(CreateGenre {
            name: name("Drama"),
            active: true,
            categories: vec![
                Reference::active(category(2)),
                Reference::inactive(category(1)),
            ],
        })
        .then_reject(GenreError::InactiveCategory(category(1)));
}

#[test]
fn update_replaces_name_and_categories() {
    Spec::given(vec![created(vec![category(1)])])
        .when(UpdateGenre {
            name: name("Drama & Romance"),
            categories: vec![Reference::active(category(3))],
        })
        .then_expect(vec![
            GenreUpdated {
                name: "Drama & Romance".into(),
                categories: vec![category(3)],
            }
            .into(),
        ]);
}

#[test]
fn update_may_keep_a_category_deactivated_since_but_not_add_one() {
    Spec::given(vec![created(vec![category(1)])])
        .when(UpdateGenre {
            name: name("Tragedy"),
            categories: vec![Reference::inactive(category(1))],
        })
        .then_expect(vec![
            GenreUpdated {
                name: "Tragedy".into(),
                categories: vec![category(1)],
            }
            .into(),
        ]);
    Spec::given(vec![created(vec![category(1)])])
        .when(UpdateGenre {
            name: name("Drama"),
            categories: vec![
                Reference::active(category(1)),
                Reference::inactive(category(2)),
            ],
        })
        .then_reject(GenreError::InactiveCategory(category(2)));
    Spec::given(vec![created(vec![])])
        .when(UpdateGenre {
            name: name("Drama"),
            categories: vec![Reference::missing(category(2))],
        })
        .then_reject(GenreError::UnknownCategory(category(2)));
}

#[test]
fn update_with_the_same_values_changes_nothing() {
    Spec::given(vec![created(vec![category(1)])])
        .when(UpdateGenre {
            name: name("Drama"),
            categories: vec![Reference::active(category(1))],
        })
        .then_expect_nothing();
}

#[test]
fn activation_and_deletion() {
    Spec::given(vec![created(vec![])])
        .when(DeactivateGenre)
        .then_expect(vec![GenreDeactivated.into()]);
    Spec::given(vec![created(vec![]), GenreDeactivated.into()])
        .when(ActivateGenre)
        .then_expect(vec![GenreActivated.into()]);
    Spec::given(vec![created(vec![])])
        .when(ActivateGenre)
        .then_expect_nothing();
    let deleted = Spec::given(vec![created(vec![])])
        .when(DeleteGenre)
        .then_expect(vec![GenreDeleted.into()]);
    assert_eq!(deleted.reference_status(), ReferenceStatus::Missing);
    Spec::given(vec![created(vec![]), GenreDeleted.into()])
        .when(DeleteGenre)
        .then_expect_nothing();
}

#[test]
fn unknown_and_deleted_genres_refuse_commands() {
    Spec::given(vec![])
        .when(ActivateGenre)
        .then_reject(GenreError::NotFound);
    Spec::given(vec![created(vec![]), GenreDeleted.into()])
        .when(DeactivateGenre)
        .then_reject(GenreError::Deleted);
}

fn command() -> impl Strategy<Value = GenreCommand> {
    let name =
        prop_oneof![Just("Drama"), Just("Comedy")].prop_map(|s| GenreName::parse(s).unwrap());
    let status = prop_oneof![
        Just(ReferenceStatus::Active),
        Just(ReferenceStatus::Inactive),
        Just(ReferenceStatus::Missing)
    ];
    let references = prop::collection::vec(
        (0u128..4, status).prop_map(|(n, status)| Reference {
            id: category(n),
            status,
        }),
        0..4,
    );
    prop_oneof![
        (name.clone(), any::<bool>(), references.clone()).prop_map(|(name, active, categories)| {
            CreateGenre {
                name,
                active,
                categories,
            }
            .into()
        }),
        (name, references).prop_map(|(name, categories)| UpdateGenre { name, categories }.into()),
        Just(ActivateGenre.into()),
        Just(DeactivateGenre.into()),
        Just(DeleteGenre.into()),
    ]
}

proptest! {
    #[test]
    fn any_history_replays_to_the_same_state(commands in prop::collection::vec(command(), 0..20)) {
        check_history::<Genre>(commands).map_err(TestCaseError::fail)?;
    }
}
