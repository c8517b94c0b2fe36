use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::testing::{AggregateSpec, check_history};

type Spec = AggregateSpec<Account>;

fn roles(names: &[&str]) -> BTreeSet<Role> {
    names.iter().map(|r| Role::parse(r).unwrap()).collect()
}

fn registered() -> AccountEvent {
    AccountRegistered {
        email: "ana@example.com".into(),
        display_name: "Ana".into(),
        roles: vec!["catalog-admin".into()],
    }
    .into()
}

fn register() -> RegisterAccount {
    RegisterAccount {
        email: Email::parse("ana@example.com").unwrap(),
        display_name: DisplayName::parse("Ana").unwrap(),
        roles: roles(&["catalog-admin"]),
    }
}

#[test]
fn register_an_account() {
    Spec::given(vec![])
        .when(register())
        .then_expect(vec![registered()]);
    Spec::given(vec![registered()])
        .when(register())
        .then_reject(AccountError::AlreadyRegistered);
}

#[test]
fn update_the_profile() {
    Spec::given(vec![registered()])
        .when(UpdateProfile {
            email: Email::parse("ana@codeflix.example").unwrap(),
            display_name: DisplayName::parse("Ana S.").unwrap(),
        })
        .then_expect(vec![
            AccountProfileUpdated {
                email: "ana@codeflix.example".into(),
                display_name: "Ana S.".into(),
            }
            .into(),
        ]);
    Spec::given(vec![])
        .when(UpdateProfile {
            email: Email::parse("a@b.c").unwrap(),
            display_name: DisplayName::parse("A").unwrap(),
        })
        .then_reject(AccountError::NotFound);
}

#[test]
fn change_roles_sorted_and_only_when_different() {
    let account = Spec::given(vec![registered()])
        .when(ChangeRoles {
            roles: roles(&["videos", "categories"]),
        })
        .then_expect(vec![
            AccountRolesChanged {
                roles: vec!["categories".into(), "videos".into()],
            }
            .into(),
        ]);
    assert_eq!(
        account.roles().collect::<Vec<_>>(),
        ["categories", "videos"]
    );
    Spec::given(vec![registered()])
        .when(ChangeRoles {
            roles: roles(&["catalog-admin"]),
        })
        .then_expect_nothing();
}

#[test]
fn values_parse() {
    assert!(Email::parse("ana@example.com").is_ok());
    for bad in [
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "a b@example.com",
        "a@b@c.d",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad} accepted");
    }
    assert!(AccountId::parse("f:1234:ana").is_ok());
    assert!(AccountId::parse("has space").is_err());
    assert!(Role::parse("realm:catalog-admin").is_ok());
    assert!(Role::parse("drop table").is_err());
    assert!(Role::parse(&"r".repeat(65)).is_err());
}

fn command() -> impl Strategy<Value = AccountCommand> {
    let role_set = prop::collection::btree_set(
        prop_oneof![Just("a"), Just("b"), Just("c")].prop_map(|r| Role::parse(r).unwrap()),
        0..3,
    );
    let email = prop_oneof![Just("a@x.io"), Just("b@x.io")].prop_map(|e| Email::parse(e).unwrap());
    let name = Just(DisplayName::parse("Ana").unwrap());
    prop_oneof![
        (email.clone(), name.clone(), role_set.clone()).prop_map(|(email, display_name, roles)| {
            RegisterAccount {
                email,
                display_name,
                roles,
            }
            .into()
        }),
        (email, name).prop_map(|(email, display_name)| UpdateProfile {
            email,
            display_name
        }
        .into()),
        role_set.prop_map(|roles| ChangeRoles { roles }.into()),
    ]
}

proptest! {
    #[test]
    fn any_history_replays_to_the_same_state(commands in prop::collection::vec(command(), 0..20)) {
        check_history::<Account>(commands).map_err(TestCaseError::fail)?;
    }
}
