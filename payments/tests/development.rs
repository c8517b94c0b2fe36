//! The development provider against its ledger file, as the command API and schedulers share it.

#![allow(clippy::unwrap_used)]

use codeflix_domain::Timestamp;
use codeflix_payments::{
    CardRule, Charge, DevelopmentPayments, Outcome, PaymentError, PaymentProvider, RuleOutcome,
};

fn charge(key: &str, card: &str) -> Charge {
    Charge {
        idempotency_key: key.to_owned(),
        customer: "ana".to_owned(),
        payment_method: format!("card_{card}"),
        amount_minor: 2990,
        currency: "BRL".to_owned(),
        description: "Codeflix Premium".to_owned(),
        requested_at: "2026-03-01T12:00:00Z".parse::<Timestamp>().unwrap(),
    }
}

async fn provider(dir: &tempfile::TempDir) -> DevelopmentPayments {
    DevelopmentPayments::open(
        &dir.path().join("payments.db"),
        DevelopmentPayments::default_rules(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_key_seen_before_answers_the_charge_made_then() {
    let dir = tempfile::tempdir().unwrap();
    let payments = provider(&dir).await;
    let first = payments
        .charge(&charge("sub-1/1/1", "4242424242424242"))
        .await
        .unwrap();
    assert_eq!(first.outcome, Outcome::Approved);
    assert!(
        first.charge_id.starts_with("ch_dev_"),
        "{}",
        first.charge_id
    );
    let again = payments
        .charge(&charge("sub-1/1/1", "4242424242424242"))
        .await
        .unwrap();
    assert_eq!(again, first);
    // Another process opening the same ledger sees it too.
    let other = provider(&dir).await;
    assert_eq!(
        other
            .charge(&charge("sub-1/1/1", "4242424242424242"))
            .await
            .unwrap(),
        first
    );
    assert_eq!(payments.ledger(None).await.unwrap().len(), 1);
    // The key with another amount is refused, not charged.
    let mut more = charge("sub-1/1/1", "4242424242424242");
    more.amount_minor = 9990;
    assert!(matches!(
        payments.charge(&more).await,
        Err(PaymentError::KeyReused { .. })
    ));
    assert_eq!(payments.ledger(Some("ana")).await.unwrap().len(), 1);
}

#[tokio::test]
async fn test_cards_decline_by_rule() {
    let dir = tempfile::tempdir().unwrap();
    let payments = provider(&dir).await;
    let declined = payments
        .charge(&charge("k1", "4000000000009995"))
        .await
        .unwrap();
    assert_eq!(
        declined.outcome,
        Outcome::Declined {
            code: "insufficient_funds".into(),
            message: "Your card has insufficient funds.".into()
        }
    );
    // A Luhn-valid number no rule names is declined.
    let unknown = payments
        .charge(&charge("k2", "4111111111111111"))
        .await
        .unwrap();
    assert!(
        matches!(&unknown.outcome, Outcome::Declined { code, .. } if code == "card_declined"),
        "{unknown:?}"
    );
    // An outage answers nothing and records nothing: the same key may be tried again.
    assert!(matches!(
        payments.charge(&charge("k3", "4000000000000119")).await,
        Err(PaymentError::Unavailable(_))
    ));
    let keys: Vec<String> = payments
        .ledger(None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.idempotency_key)
        .collect();
    assert_eq!(keys, ["k1", "k2"]);
}

#[tokio::test]
async fn rules_are_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let payments = DevelopmentPayments::open(
        &dir.path().join("payments.db"),
        vec![
            CardRule {
                pattern: "4242*".into(),
                outcome: RuleOutcome::Decline {
                    code: "do_not_honor".into(),
                    message: "Declined by the bank.".into(),
                },
            },
            CardRule {
                pattern: "*".into(),
                outcome: RuleOutcome::Approve,
            },
        ],
    )
    .await
    .unwrap();
    let visa = payments
        .charge(&charge("a", "4242424242424242"))
        .await
        .unwrap();
    assert!(matches!(visa.outcome, Outcome::Declined { ref code, .. } if code == "do_not_honor"));
    let other = payments
        .charge(&charge("b", "4000000000000002"))
        .await
        .unwrap();
    assert_eq!(other.outcome, Outcome::Approved);
}

#[tokio::test]
async fn racing_processes_charge_a_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let payments = provider(&dir).await;
        tasks.push(tokio::spawn(async move {
            payments
                .charge(&charge("sub-9/2/1", "4242424242424242"))
                .await
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap().charge_id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(provider(&dir).await.ledger(None).await.unwrap().len(), 1);
}

#[tokio::test]
async fn methods_are_described_without_their_number() {
    let dir = tempfile::tempdir().unwrap();
    let payments = provider(&dir).await;
    let visa = payments.describe_method("card_4242424242424242").unwrap();
    assert_eq!((visa.brand.as_str(), visa.last4.as_str()), ("visa", "4242"));
    let refused = payments.describe_method("pm_1Nq2xY").unwrap_err();
    assert!(
        refused.to_string().contains("card_4242424242424242"),
        "{refused}"
    );
}
