use proptest::prelude::*;

use super::*;
use crate::testing::{AggregateSpec, check_history};

type Spec = AggregateSpec<CastMember>;

fn name(s: &str) -> CastMemberName {
    CastMemberName::parse(s).unwrap()
}

fn created() -> CastMemberEvent {
    CastMemberCreated {
        name: "Ana".into(),
        kind: CastMemberType::Actor,
    }
    .into()
}

#[test]
fn create_update_delete() {
    Spec::given(vec![])
        .when(CreateCastMember {
            name: name("Ana"),
            kind: CastMemberType::Actor,
        })
        .then_expect(vec![created()]);
    Spec::given(vec![created()])
        .when(UpdateCastMember {
            name: name("Ana"),
            kind: CastMemberType::Director,
        })
        .then_expect(vec![
            CastMemberUpdated {
                name: "Ana".into(),
                kind: CastMemberType::Director,
            }
            .into(),
        ]);
    let deleted = Spec::given(vec![created()])
        .when(DeleteCastMember)
        .then_expect(vec![CastMemberDeleted.into()]);
    assert_eq!(deleted.reference_status(), ReferenceStatus::Missing);
}

#[test]
fn creating_twice_is_rejected() {
    Spec::given(vec![created()])
        .when(CreateCastMember {
            name: name("Bo"),
            kind: CastMemberType::Director,
        })
        .then_reject(CastMemberError::AlreadyExists);
}

#[test]
fn unknown_and_deleted_cast_members_refuse_updates() {
    Spec::given(vec![])
        .when(UpdateCastMember {
            name: name("Ana"),
            kind: CastMemberType::Actor,
        })
        .then_reject(CastMemberError::NotFound);
    Spec::given(vec![created(), CastMemberDeleted.into()])
        .when(UpdateCastMember {
            name: name("Ana"),
            kind: CastMemberType::Actor,
        })
        .then_reject(CastMemberError::Deleted);
    Spec::given(vec![created(), CastMemberDeleted.into()])
        .when(DeleteCastMember)
        .then_expect_nothing();
}

#[test]
fn an_update_that_changes_nothing_emits_nothing() {
    Spec::given(vec![created()])
        .when(UpdateCastMember {
            name: name("Ana"),
            kind: CastMemberType::Actor,
        })
        .then_expect_nothing();
}

#[test]
fn the_type_is_actor_or_director() {
    assert_eq!("ACTOR".parse(), Ok(CastMemberType::Actor));
    assert_eq!("DIRECTOR".parse(), Ok(CastMemberType::Director));
    let error = "PRODUCER".parse::<CastMemberType>().unwrap_err();
    assert_eq!(error.to_string(), "type must be ACTOR or DIRECTOR");
}

fn command() -> impl Strategy<Value = CastMemberCommand> {
    let name = prop_oneof![Just("Ana"), Just("Bo")].prop_map(|s| CastMemberName::parse(s).unwrap());
    let kind = prop_oneof![Just(CastMemberType::Actor), Just(CastMemberType::Director)];
    prop_oneof![
        (name.clone(), kind.clone())
            .prop_map(|(name, kind)| CreateCastMember { name, kind }.into()),
        (name, kind).prop_map(|(name, kind)| UpdateCastMember { name, kind }.into()),
        Just(DeleteCastMember.into()),
    ]
}

proptest! {
    #[test]
    fn any_history_replays_to_the_same_state(commands in prop::collection::vec(command(), 0..20)) {
        check_history::<CastMember>(commands).map_err(TestCaseError::fail)?;
    }
}
