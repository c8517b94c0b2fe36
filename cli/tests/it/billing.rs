//! The billing scheduler as operators run it: two `codeflix scheduler` processes over the same
//! log, one SIGKILLed in the middle of a pass and started again. Every renewal is charged once
//! (counted in the development provider's ledger) and appended once (counted in Kafka).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use codeflix_payments::{DevelopmentPayments, Outcome};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::support::{Site, free_port, kill, wait_for_port};

const CUSTOMERS: usize = 60;

/// The subscription events in Kafka, by type.
fn event_counts(site: &Site) -> BTreeMap<String, usize> {
    let dump = site.run(&["events", "dump", "--type", "subscriptions.subscription"]);
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let mut counts = BTreeMap::new();
    for line in String::from_utf8(dump.stdout).unwrap().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let schema = record["type"].as_str().unwrap();
        *counts
            .entry(schema.rsplit('.').next().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

#[test]
fn two_schedulers_and_a_killed_one_charge_and_renew_each_subscription_once() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let http = Client::new();
    let _broker = site.start_broker();
    let _registry = site.start_registry();
    let _api = site.spawn("command-api", &["command-api"]);
    let _projectors = site.spawn("projectors", &["projectors"]);
    wait_for_port(site.api_port);
    let admin = crate::up::token(&site);

    let plan = http
        .post(format!("{}/plans", site.api()))
        .bearer_auth(&admin)
        .json(
            &json!({"name": "Premium", "amount_minor": 2990, "currency": "BRL",
                      "billing_period": "MONTHLY"}),
        )
        .send()
        .unwrap();
    assert_eq!(plan.status(), StatusCode::CREATED);
    let plan = plan.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for n in 0..CUSTOMERS {
        let customer = site.run(&[
            "token",
            "--sub",
            &format!("customer-{n}"),
            "--role",
            "viewer",
        ]);
        let customer = String::from_utf8(customer.stdout)
            .unwrap()
            .trim()
            .to_owned();
        let started = http
            .post(format!("{}/subscriptions", site.api()))
            .bearer_auth(&customer)
            .json(&json!({"plan_id": plan, "payment_method": "card_4242424242424242"}))
            .send()
            .unwrap();
        assert_eq!(started.status(), StatusCode::CREATED);
    }

    // A month and a bit later, as the schedulers see it. The first is killed as soon as its
    // first renewal is in Kafka, in the middle of its pass; then it starts again beside a second.
    let ahead = [
        ("CODEFLIX__SCHEDULER__CLOCK_OFFSET", "32d"),
        ("CODEFLIX__SCHEDULER__EVERY", "200ms"),
    ];
    let mut first = site.spawn_with("scheduler-1", &ahead, &["scheduler"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let renewed_at_kill = loop {
        let renewed = event_counts(&site)
            .get("SubscriptionRenewed")
            .copied()
            .unwrap_or(0);
        if renewed > 0 {
            kill(&mut first);
            break event_counts(&site)
                .get("SubscriptionRenewed")
                .copied()
                .unwrap_or(0);
        }
        assert!(
            Instant::now() < deadline,
            "the first scheduler renewed nothing"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // On a loaded machine the pass may outrun the polling; the counts below hold either way.
    println!("killed the first scheduler with {renewed_at_kill} of {CUSTOMERS} renewals appended");
    let second_listen = format!("127.0.0.1:{}", free_port());
    let _first_again = site.spawn_with("scheduler-1", &ahead, &["scheduler"]);
    let _second = site.spawn_with(
        "scheduler-2",
        &[
            ahead[0],
            ahead[1],
            ("CODEFLIX__SCHEDULER__LISTEN", &second_listen),
        ],
        &["scheduler"],
    );

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let counts = event_counts(&site);
        if counts.get("SubscriptionRenewed") == Some(&CUSTOMERS) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not every subscription renewed: {counts:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // Passes go on; nothing more is due for a month.
    std::thread::sleep(Duration::from_secs(2));
    let counts = event_counts(&site);
    assert_eq!(
        counts.get("SubscriptionStarted"),
        Some(&CUSTOMERS),
        "{counts:?}"
    );
    assert_eq!(
        counts.get("SubscriptionRenewed"),
        Some(&CUSTOMERS),
        "{counts:?}"
    );
    assert_eq!(counts.len(), 2, "nothing else happened: {counts:?}");

    let ledger = tokio::runtime::Runtime::new().unwrap().block_on(async {
        DevelopmentPayments::open(
            &site.path("payments/development.db"),
            DevelopmentPayments::default_rules(),
        )
        .await
        .unwrap()
        .ledger(None)
        .await
        .unwrap()
    });
    let mut per_customer: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in &ledger {
        assert_eq!(entry.record.outcome, Outcome::Approved);
        *per_customer.entry(entry.customer.as_str()).or_default() += 1;
    }
    assert_eq!(per_customer.len(), CUSTOMERS);
    assert!(
        per_customer.values().all(|&charges| charges == 2),
        "the first period and one renewal each: {per_customer:?}"
    );
    let verified = site.run(&["events", "verify"]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}
