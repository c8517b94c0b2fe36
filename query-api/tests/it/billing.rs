//! Plans, the signed-in customer's subscriptions and the admins' billing views, read from what
//! the real billing projection built.

use std::time::Duration;

use codeflix_domain::accounts::{
    AccountId, DisplayName, Email, Locale, OptOutCategory, Phone, RegisterAccount, SetOptOuts,
};
use codeflix_domain::subscriptions::plan::{
    CreatePlan, DeactivatePlan, Plan, PlanId, PlanName, PlanTerms, TrialDays,
};
use codeflix_domain::subscriptions::subscription::{
    CancelSubscription, FirstPayment, StartSubscription, Subscription, SubscriptionId,
};
use codeflix_domain::subscriptions::{BillingPeriod, Currency, Money, PaymentMethod};
use codeflix_domain::{Reference, Timestamp};
use codeflix_testkit::QueryApi;
use reqwest::StatusCode;
use uuid::Uuid;

fn terms(trial_days: i64) -> PlanTerms {
    PlanTerms {
        price: Money::new(2990, Currency::parse("BRL").unwrap()).unwrap(),
        billing_period: BillingPeriod::Monthly,
        trial_days: TrialDays::parse(trial_days).unwrap(),
    }
}

async fn plan(api: &QueryApi, name: &str, active: bool) -> PlanId {
    let id = PlanId::new(Uuid::new_v4());
    api.stack
        .run::<Plan>(
            &id,
            CreatePlan {
                name: PlanName::parse(name).unwrap(),
                description: None,
                terms: terms(0),
                active: true,
            },
        )
        .await;
    if !active {
        api.stack.run::<Plan>(&id, DeactivatePlan).await;
    }
    id
}

/// Subscribes `account` to `plan`, started `days_ago` days ago, paid.
async fn subscribe(api: &QueryApi, account: &str, plan: PlanId, days_ago: u32) -> SubscriptionId {
    let id = SubscriptionId::new(Uuid::new_v4());
    let now = Timestamp::from_unix_micros(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64,
    )
    .unwrap();
    let started_at = now.checked_sub_days(days_ago).unwrap();
    api.stack
        .run::<Subscription>(
            &id,
            StartSubscription {
                account_id: AccountId::parse(account).unwrap(),
                plan: Reference::active(plan),
                terms: terms(0),
                started_at,
                payment_method: PaymentMethod::parse("card_4242424242424242").unwrap(),
                payment: Some(FirstPayment::Approved {
                    paid_at: started_at,
                    charge_id: Some(format!("ch_{account}")),
                }),
            },
        )
        .await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_see_active_plans_and_admins_every_plan() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    plan(&api, "Basic", true).await;
    plan(&api, "Retired", false).await;
    api.billing_caught_up().await;
    let (status, page) = api.get("/plans").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Basic"], "{page}");
    assert_eq!(page["items"][0]["amount_minor"], 2990);

    let (status, _) = api.get("/admin/plans").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api
        .get_as("/admin/plans", Some(&api.token(&["catalog-videos"])))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, all) = api
        .get_as("/admin/plans", Some(&api.token(&["billing-plans"])))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["items"].as_array().unwrap().len(), 2, "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_reads_their_own_account_and_subscriptions_only() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    let basic = plan(&api, "Basic", true).await;
    let old = subscribe(&api, "ana", basic, 60).await;
    api.stack
        .run::<Subscription>(
            &old,
            CancelSubscription {
                canceled_at: Timestamp::from_unix_micros(0).unwrap(),
                reason: None,
            },
        )
        .await;
    let current = subscribe(&api, "ana", basic, 3).await;
    subscribe(&api, "bo", basic, 3).await;
    api.stack
        .run::<codeflix_domain::accounts::Account>(
            &AccountId::parse("ana").unwrap(),
            RegisterAccount {
                email: Email::parse("ana@example.com").unwrap(),
                display_name: DisplayName::parse("Ana").unwrap(),
                roles: Default::default(),
                phone: Some(Phone::parse("+5511912345678").unwrap()),
                locale: Some(Locale::parse("pt-BR").unwrap()),
            },
        )
        .await;
    api.stack
        .run::<codeflix_domain::accounts::Account>(
            &AccountId::parse("ana").unwrap(),
            SetOptOuts {
                opted_out: [OptOutCategory::Marketing].into(),
            },
        )
        .await;
    api.billing_caught_up().await;
    let ana = codeflix_testkit::customer_token(&api.issuer, "ana", "ana@example.com");

    let (status, _) = api.get("/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, me) = api.get_as("/me", Some(&ana)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["subject"], "ana");
    assert_eq!(me["account"]["email"], "ana@example.com", "{me}");
    assert_eq!(me["account"]["phone"], "+5511912345678", "{me}");
    assert_eq!(me["account"]["locale"], "pt-BR", "{me}");
    assert_eq!(
        me["account"]["opted_out"],
        serde_json::json!(["marketing"]),
        "{me}"
    );

    let (status, mine) = api.get_as("/me/subscriptions", Some(&ana)).await;
    assert_eq!(status, StatusCode::OK);
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "only ana's: {mine}");
    assert_eq!(items[0]["id"], current.to_string(), "newest first");
    assert_eq!(items[0]["plan_name"], "Basic");
    assert_eq!(items[0]["access"]["granted"], true);
    assert_eq!(items[1]["status"], "CANCELED");
    assert_eq!(items[1]["access"]["granted"], false, "it ended long ago");
    assert_eq!(items[0]["history"][0]["event"], "SubscriptionStarted");

    let (status, one) = api.get_as("/me/subscription", Some(&ana)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["id"], current.to_string());
    let stranger = codeflix_testkit::customer_token(&api.issuer, "cy", "cy@example.com");
    let (status, none) = api.get_as("/me/subscription", Some(&stranger)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{none}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_filter_subscriptions_and_find_accounts_by_email() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    let basic = plan(&api, "Basic", true).await;
    let premium = plan(&api, "Premium", true).await;
    let mut premium_ids = Vec::new();
    for n in 0..5 {
        subscribe(&api, &format!("b{n}"), basic, 1).await;
        premium_ids.push(subscribe(&api, &format!("p{n}"), premium, 1).await);
    }
    api.stack
        .run::<Subscription>(
            &premium_ids[0],
            CancelSubscription {
                canceled_at: Timestamp::from_unix_micros(0).unwrap(),
                reason: None,
            },
        )
        .await;
    for (subject, email) in [
        ("a1", "ana@example.com"),
        ("a2", "anabel@example.com"),
        ("b1", "bo@example.com"),
    ] {
        api.stack
            .run::<codeflix_domain::accounts::Account>(
                &AccountId::parse(subject).unwrap(),
                RegisterAccount {
                    email: Email::parse(email).unwrap(),
                    display_name: DisplayName::parse(subject).unwrap(),
                    roles: Default::default(),
                    phone: None,
                    locale: None,
                },
            )
            .await;
    }
    api.billing_caught_up().await;
    let billing = api.token(&["billing-subscriptions"]);

    let (status, page) = api
        .get_as(
            &format!("/admin/subscriptions?plan={premium}&status=ACTIVE&limit=2"),
            Some(&billing),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut seen: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, next) = api
        .get_as(
            &format!("/admin/subscriptions?plan={premium}&status=ACTIVE&limit=2&cursor={cursor}"),
            Some(&billing),
        )
        .await;
    seen.extend(
        next["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned()),
    );
    let mut wanted: Vec<String> = premium_ids[1..].iter().map(ToString::to_string).collect();
    seen.sort();
    wanted.sort();
    assert_eq!(
        seen, wanted,
        "the active premium subscriptions, over two pages"
    );

    let (status, one) = api
        .get_as(
            &format!("/admin/subscriptions/{}", premium_ids[0]),
            Some(&billing),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["status"], "CANCELED");
    let events: Vec<&str> = one["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["SubscriptionStarted", "SubscriptionCanceled"]);

    let (status, bad) = api
        .get_as("/admin/subscriptions?status=LAPSED&plan=x", Some(&billing))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["status", "plan"], "{bad}");

    let (status, found) = api.get_as("/admin/accounts?q=ANA", Some(&billing)).await;
    assert_eq!(status, StatusCode::OK);
    let emails: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["ana@example.com", "anabel@example.com"], "{found}");
    let (status, _) = api
        .get_as("/admin/accounts", Some(&api.token(&["billing-plans"])))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
