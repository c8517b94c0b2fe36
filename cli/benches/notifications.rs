//! How long a fact takes to become a message on embedded defaults, as `codeflix up` runs it:
//! from a subscription's acknowledgement to its welcome email in the outbox (event topic → the
//! notifier: the subscriber's contact from its mirror, the notification's own events, the
//! rendered email written by the mail transport), against the baseline of the same
//! subscription in the customer's own read model (event topic → billing projection → query API
//! `GET /me/subscription`), in the same run.
//!
//! Two cases:
//! - a customer whose contact the notifier's mirror holds already (they saved their profile
//!   first);
//! - a first subscription that registers the account in the same request, so the notifier
//!   waits, retrying, until the contact reaches its mirror through the state feed and Connect.
//!
//! Prints a Markdown table and asserts nothing.
//!
//! `cargo bench -p codeflix --bench notifications` (`CHANGES`).

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use codeflix_testkit::load::knob;
use codeflix_testkit::site::{Site, interrupt};
use codeflix_testkit::sqlite::SqliteFile;
use serde_json::json;

/// How often both sides are looked at.
const POLL: Duration = Duration::from_millis(1);

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    sorted[at].as_secs_f64() * 1000.0
}

fn token(site: &Site, args: &[&str]) -> String {
    let mut all = vec!["token"];
    all.extend_from_slice(args);
    let output = site.run(&all);
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Whether an email to `address` is in `outbox` (the file transport's `.eml` files).
fn mailed(outbox: &Path, address: &str) -> bool {
    let needle = format!("<{address}>");
    std::fs::read_dir(outbox)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| std::fs::read_to_string(entry.path()).is_ok_and(|text| text.contains(&needle)))
}

/// (read model, email) delays of `changes` first subscriptions, one at a time; `known`: each
/// customer saves their profile first and their contact is in the mirror before they subscribe.
#[allow(clippy::too_many_arguments)]
async fn measure(
    site: &Site,
    client: &reqwest::Client,
    mirror: &SqliteFile,
    plan: &str,
    label: &str,
    changes: usize,
    known: bool,
) -> (Vec<Duration>, Vec<Duration>) {
    let outbox = site.path("notifications/outbox");
    let mut projection = Vec::with_capacity(changes);
    let mut email = Vec::with_capacity(changes);
    for n in 0..changes {
        let subject = format!("{label}-{n}");
        let address = format!("{subject}@example.com");
        let customer = token(
            site,
            &["--sub", &subject, "--email", &address, "--role", "viewer"],
        );
        if known {
            let saved = client
                .put(format!("{}/me", site.api()))
                .bearer_auth(&customer)
                .json(&json!({"display_name": subject}))
                .send()
                .await
                .unwrap();
            assert!(saved.status().is_success());
            while mirror
                .rows(
                    "SELECT email FROM contacts WHERE subject = ?1",
                    vec![subject.clone()],
                )
                .await
                .is_empty()
            {
                tokio::time::sleep(POLL).await;
            }
        }
        let started = client
            .post(format!("{}/subscriptions", site.api()))
            .bearer_auth(&customer)
            .json(&json!({"plan_id": plan, "payment_method": "card_4242424242424242"}))
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), reqwest::StatusCode::CREATED);
        let acknowledged = Instant::now();
        let read_model = async {
            let url = format!("{}/me/subscription", site.query());
            loop {
                let answer = client
                    .get(&url)
                    .bearer_auth(&customer)
                    .send()
                    .await
                    .unwrap();
                if answer.status() == reqwest::StatusCode::OK {
                    return acknowledged.elapsed();
                }
                tokio::time::sleep(POLL).await;
            }
        };
        let delivered = async {
            while !mailed(&outbox, &address) {
                tokio::time::sleep(POLL).await;
            }
            acknowledged.elapsed()
        };
        let (p, e) = tokio::join!(read_model, delivered);
        projection.push(p);
        email.push(e);
    }
    projection.sort();
    email.sort();
    (projection, email)
}

#[tokio::main]
async fn main() {
    let changes = knob("CHANGES", 100);
    let binary = env!("CARGO_BIN_EXE_codeflix");
    let mut site = Site::new(binary);
    site.log_filter(None);
    let up = site.start_up();
    let client = reqwest::Client::new();
    let admin = token(&site, &["--role", "billing-plans"]);
    let plan = client
        .post(format!("{}/plans", site.api()))
        .bearer_auth(&admin)
        .json(
            &json!({"name": "Bench", "amount_minor": 2990, "currency": "BRL",
                      "billing_period": "MONTHLY"}),
        )
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mirror = SqliteFile::open(&site.path("notifications/mirror.db")).await;

    // Warm up: the sinks' first records create their tables.
    measure(&site, &client, &mirror, &plan, "warm", 10, true).await;
    let known = measure(&site, &client, &mirror, &plan, "known", changes, true).await;
    let first = measure(&site, &client, &mirror, &plan, "first", changes, false).await;
    interrupt(up);

    println!(
        "| customer | subscriptions | read model p50 | p99 | welcome email p50 | p99 | email ÷ read model (p50) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, (projection, email)) in [
        ("contact already mirrored", &known),
        ("registered by the subscription", &first),
    ] {
        let (p50, p99) = (
            percentile_ms(projection, 0.5),
            percentile_ms(projection, 0.99),
        );
        let (e50, e99) = (percentile_ms(email, 0.5), percentile_ms(email, 0.99));
        println!(
            "| {name} | {} | {p50:.1} ms | {p99:.1} ms | {e50:.1} ms | {e99:.1} ms | {:.2} |",
            email.len(),
            e50 / p50
        );
    }
}
