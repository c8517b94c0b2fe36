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
        phone: None,
        locale: None,
    }
    .into()
}

fn register() -> RegisterAccount {
    RegisterAccount {
        email: Email::parse("ana@example.com").unwrap(),
        display_name: DisplayName::parse("Ana").unwrap(),
        roles: roles(&["catalog-admin"]),
        phone: None,
        locale: None,
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
    let account = Spec::given(vec![registered()])
        .when(UpdateProfile {
            email: Email::parse("ana@codeflix.example").unwrap(),
            display_name: DisplayName::parse("Ana S.").unwrap(),
            phone: Some(Phone::parse("+5511912345678").unwrap()),
            locale: Some(Locale::parse("pt_br").unwrap()),
        })
        .then_expect(vec![
            AccountProfileUpdated {
                email: "ana@codeflix.example".into(),
                display_name: "Ana S.".into(),
                phone: Some("+5511912345678".into()),
                locale: Some("pt-BR".into()),
            }
            .into(),
        ]);
    assert_eq!(account.phone(), Some("+5511912345678"));
    assert_eq!(account.locale(), Some("pt-BR"));
    Spec::given(vec![])
        .when(UpdateProfile {
            email: Email::parse("a@b.c").unwrap(),
            display_name: DisplayName::parse("A").unwrap(),
            phone: None,
            locale: None,
        })
        .then_reject(AccountError::NotFound);
}

#[test]
fn the_same_profile_again_changes_nothing() {
    let updated = AccountProfileUpdated {
        email: "ana@example.com".into(),
        display_name: "Ana".into(),
        phone: Some("+5511912345678".into()),
        locale: Some("pt-BR".into()),
    };
    Spec::given(vec![registered(), updated.into()])
        .when(UpdateProfile {
            email: Email::parse("ana@example.com").unwrap(),
            display_name: DisplayName::parse("Ana").unwrap(),
            phone: Some(Phone::parse("+5511912345678").unwrap()),
            locale: Some(Locale::parse("pt-BR").unwrap()),
        })
        .then_expect_nothing();
    // Absent is cleared.
    Spec::given(vec![registered()])
        .when(UpdateProfile {
            email: Email::parse("ana@example.com").unwrap(),
            display_name: DisplayName::parse("Ana").unwrap(),
            phone: None,
            locale: None,
        })
        .then_expect_nothing();
}

#[test]
fn opt_outs_are_a_set_and_a_link_adds_to_it() {
    let account = Spec::given(vec![registered()])
        .when(SetOptOuts {
            opted_out: [OptOutCategory::Marketing].into(),
        })
        .then_expect(vec![
            AccountOptOutsChanged {
                opted_out: vec!["marketing".into()],
            }
            .into(),
        ]);
    assert_eq!(account.opted_out().collect::<Vec<_>>(), ["marketing"]);
    let marketing = AccountOptOutsChanged {
        opted_out: vec!["marketing".into()],
    };
    Spec::given(vec![registered(), marketing.clone().into()])
        .when(OptOut {
            category: OptOutCategory::Account,
        })
        .then_expect(vec![
            AccountOptOutsChanged {
                opted_out: vec!["account".into(), "marketing".into()],
            }
            .into(),
        ]);
    // A link followed twice changes nothing the second time.
    Spec::given(vec![registered(), marketing.clone().into()])
        .when(OptOut {
            category: OptOutCategory::Marketing,
        })
        .then_expect_nothing();
    Spec::given(vec![registered(), marketing.into()])
        .when(SetOptOuts {
            opted_out: BTreeSet::new(),
        })
        .then_expect(vec![AccountOptOutsChanged { opted_out: vec![] }.into()]);
    Spec::given(vec![])
        .when(OptOut {
            category: OptOutCategory::Account,
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
    assert_eq!(
        Phone::parse(" +5511912345678").unwrap().as_str(),
        "+5511912345678"
    );
    for bad in ["5511912345678", "+0123456789", "+12", "+55 11 91234"] {
        assert_eq!(
            Phone::parse(bad).unwrap_err().field(),
            "phone",
            "{bad} accepted"
        );
    }
    for (tag, canonical) in [
        ("en", "en"),
        ("pt-br", "pt-BR"),
        ("zh_hant_tw", "zh-Hant-TW"),
    ] {
        assert_eq!(Locale::parse(tag).unwrap().as_str(), canonical);
    }
    for bad in ["e", "english", "pt-", "pt-B", "en US", "1a"] {
        assert_eq!(
            Locale::parse(bad).unwrap_err().field(),
            "locale",
            "{bad} accepted"
        );
    }
    assert_eq!(
        OptOutCategory::parse("marketing"),
        Ok(OptOutCategory::Marketing)
    );
    assert!(OptOutCategory::parse("critical").is_err());
}

fn command() -> impl Strategy<Value = AccountCommand> {
    let role_set = prop::collection::btree_set(
        prop_oneof![Just("a"), Just("b"), Just("c")].prop_map(|r| Role::parse(r).unwrap()),
        0..3,
    );
    let email = prop_oneof![Just("a@x.io"), Just("b@x.io")].prop_map(|e| Email::parse(e).unwrap());
    let name = Just(DisplayName::parse("Ana").unwrap());
    let phone = prop::option::of(Just(Phone::parse("+5511912345678").unwrap()));
    let locale = prop::option::of(
        prop_oneof![Just("en"), Just("pt-BR")].prop_map(|l| Locale::parse(l).unwrap()),
    );
    let category = prop_oneof![
        Just(OptOutCategory::Account),
        Just(OptOutCategory::Marketing)
    ];
    prop_oneof![
        (
            email.clone(),
            name.clone(),
            role_set.clone(),
            phone.clone(),
            locale.clone()
        )
            .prop_map(|(email, display_name, roles, phone, locale)| {
                RegisterAccount {
                    email,
                    display_name,
                    roles,
                    phone,
                    locale,
                }
                .into()
            }),
        (email, name, phone, locale).prop_map(|(email, display_name, phone, locale)| {
            UpdateProfile {
                email,
                display_name,
                phone,
                locale,
            }
            .into()
        }),
        role_set.prop_map(|roles| ChangeRoles { roles }.into()),
        prop::collection::btree_set(category.clone(), 0..3)
            .prop_map(|opted_out| SetOptOuts { opted_out }.into()),
        category.prop_map(|category| OptOut { category }.into()),
    ]
}

proptest! {
    #[test]
    fn any_history_replays_to_the_same_state(commands in prop::collection::vec(command(), 0..20)) {
        check_history::<Account>(commands).map_err(TestCaseError::fail)?;
    }
}
