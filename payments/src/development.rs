//! The development payment provider: no money moves, nothing leaves the machine.
//!
//! Payment methods are tokens of the form `card_<number>` for the test card numbers the big
//! providers' test modes use (Stripe's `4242 4242 4242 4242` approves, `4000 0000 0000 0002`
//! declines, …). Which number approves, declines (and with which code) or makes the provider
//! unavailable is a list of [`CardRule`]s, first match wins, configurable. Every charge is kept in
//! a ledger (an SQLite file), by idempotency key, so that a key seen before — by this process or
//! another one on the machine — answers the charge made then, and tests can count what was
//! charged.

use std::path::Path;
use std::time::Duration;

use codeflix_domain::Timestamp;
use libsql::{Connection, TransactionBehavior, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Charge, ChargeRecord, MethodSummary, Outcome, PaymentError, PaymentProvider};

/// What a card number matching a rule's pattern does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RuleOutcome {
    Approve,
    Decline {
        code: String,
        message: String,
    },
    /// The provider does not answer (to try outages): nothing is recorded.
    Unavailable,
}

/// Card numbers matching `pattern` (digits, optionally ending in `*` for any rest) do
/// `outcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRule {
    pub pattern: String,
    #[serde(flatten)]
    pub outcome: RuleOutcome,
}

impl CardRule {
    fn matches(&self, number: &str) -> bool {
        match self.pattern.strip_suffix('*') {
            Some(prefix) => number.starts_with(prefix),
            None => number == self.pattern,
        }
    }

    fn decline(pattern: &str, code: &str, message: &str) -> CardRule {
        CardRule {
            pattern: pattern.to_owned(),
            outcome: RuleOutcome::Decline {
                code: code.to_owned(),
                message: message.to_owned(),
            },
        }
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS charges (
    idempotency_key TEXT PRIMARY KEY,
    charge_id TEXT NOT NULL UNIQUE,
    customer TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    description TEXT NOT NULL,
    declined_code TEXT,
    declined_message TEXT,
    created_at_us INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS charges_by_customer ON charges (customer, seq);
";

/// The development provider: approves and declines test cards by rule, keeps a ledger.
#[derive(Clone)]
pub struct DevelopmentPayments {
    conn: Connection,
    rules: std::sync::Arc<Vec<CardRule>>,
}

impl std::fmt::Debug for DevelopmentPayments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevelopmentPayments")
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

/// A charge as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub idempotency_key: String,
    pub customer: String,
    pub payment_method: String,
    pub record: ChargeRecord,
}

fn unavailable(e: impl std::error::Error + Send + Sync + 'static) -> PaymentError {
    PaymentError::Unavailable(Box::new(e))
}

/// The card number in a development token, if it is one: `card_` and 12 to 19 digits that pass
/// the Luhn check.
fn card_number(token: &str) -> Option<&str> {
    let number = token.strip_prefix(DevelopmentPayments::TOKEN_PREFIX)?;
    let digits: Vec<u32> = number
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    if !(12..=19).contains(&digits.len()) {
        return None;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match (i % 2, d * 2) {
            (1, doubled) if doubled > 9 => doubled - 9,
            (1, doubled) => doubled,
            _ => d,
        })
        .sum();
    sum.is_multiple_of(10).then_some(number)
}

fn brand(number: &str) -> &'static str {
    match number.as_bytes() {
        [b'4', ..] => "visa",
        [b'5', b'1'..=b'5', ..] | [b'2', ..] => "mastercard",
        [b'3', b'4' | b'7', ..] => "amex",
        [b'6', ..] => "discover",
        _ => "card",
    }
}

impl DevelopmentPayments {
    /// What its payment method tokens start with.
    pub const TOKEN_PREFIX: &'static str = "card_";

    /// The rules of Stripe's test mode, for the cards its documentation lists.
    pub fn default_rules() -> Vec<CardRule> {
        let approve = |pattern: &str| CardRule {
            pattern: pattern.to_owned(),
            outcome: RuleOutcome::Approve,
        };
        vec![
            approve("4242424242424242"),
            approve("4000056655665556"),
            approve("5555555555554444"),
            approve("2223003122003222"),
            approve("378282246310005"),
            approve("6011111111111117"),
            CardRule::decline(
                "4000000000000002",
                "card_declined",
                "Your card was declined.",
            ),
            CardRule::decline(
                "4000000000009995",
                "insufficient_funds",
                "Your card has insufficient funds.",
            ),
            CardRule::decline("4000000000009987", "lost_card", "Your card was declined."),
            CardRule::decline("4000000000000069", "expired_card", "Your card has expired."),
            CardRule::decline(
                "4000000000000127",
                "incorrect_cvc",
                "Your card's security code is incorrect.",
            ),
            // Stripe: attaches fine, every charge fails — a renewal that will be declined.
            CardRule::decline(
                "4000000000000341",
                "card_declined",
                "Your card was declined.",
            ),
            CardRule {
                pattern: "4000000000000119".to_owned(),
                outcome: RuleOutcome::Unavailable,
            },
        ]
    }

    /// Opens (creating if needed) the ledger at `path`; `rules` decide charges, first match
    /// wins, and a number no rule matches is declined.
    pub async fn open(
        path: &Path,
        rules: Vec<CardRule>,
    ) -> Result<DevelopmentPayments, PaymentError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(unavailable)?;
        }
        let path = path.to_owned();
        let conn = blocking(move || async move {
            let db = libsql::Builder::new_local(&path)
                .build()
                .await
                .map_err(unavailable)?;
            let conn = db.connect().map_err(unavailable)?;
            conn.busy_timeout(Duration::from_secs(30))
                .map_err(unavailable)?;
            conn.query("PRAGMA journal_mode=WAL", ())
                .await
                .map_err(unavailable)?;
            conn.execute_batch(SCHEMA).await.map_err(unavailable)?;
            Ok(conn)
        })
        .await?;
        Ok(DevelopmentPayments {
            conn,
            rules: std::sync::Arc::new(rules),
        })
    }

    fn decide(&self, payment_method: &str) -> RuleOutcome {
        let Some(number) = card_number(payment_method) else {
            return RuleOutcome::Decline {
                code: "invalid_payment_method".into(),
                message: "This payment method cannot be charged.".into(),
            };
        };
        self.rules
            .iter()
            .find(|rule| rule.matches(number))
            .map_or_else(
                || RuleOutcome::Decline {
                    code: "card_declined".into(),
                    message: "Your card was declined (not a test card of the development \
                              payment provider)."
                        .into(),
                },
                |rule| rule.outcome.clone(),
            )
    }

    /// Every charge in the ledger, oldest first; `customer` narrows it to one customer's.
    pub async fn ledger(&self, customer: Option<&str>) -> Result<Vec<LedgerEntry>, PaymentError> {
        let conn = self.conn.clone();
        let customer = customer.map(str::to_owned);
        blocking(move || async move {
            let mut rows = match customer {
                Some(customer) => conn
                    .query(
                        &format!("{SELECT} WHERE customer = ?1 ORDER BY seq"),
                        [customer],
                    )
                    .await
                    .map_err(unavailable)?,
                None => conn
                    .query(&format!("{SELECT} ORDER BY seq"), ())
                    .await
                    .map_err(unavailable)?,
            };
            let mut entries = Vec::new();
            while let Some(row) = rows.next().await.map_err(unavailable)? {
                entries.push(entry(&row)?);
            }
            Ok(entries)
        })
        .await
    }
}

const SELECT: &str = "SELECT idempotency_key, customer, payment_method, charge_id, amount_minor, \
                      currency, declined_code, declined_message, created_at_us FROM charges";

fn entry(row: &libsql::Row) -> Result<LedgerEntry, PaymentError> {
    let text = |i| row.get::<String>(i).map_err(unavailable);
    let optional = |i| row.get::<Option<String>>(i).map_err(unavailable);
    let outcome = match (optional(6)?, optional(7)?) {
        (Some(code), message) => Outcome::Declined {
            code,
            message: message.unwrap_or_default(),
        },
        (None, _) => Outcome::Approved,
    };
    let created_at = Timestamp::from_unix_micros(row.get::<i64>(8).map_err(unavailable)?)
        .map_err(unavailable)?;
    Ok(LedgerEntry {
        idempotency_key: text(0)?,
        customer: text(1)?,
        payment_method: text(2)?,
        record: ChargeRecord {
            charge_id: text(3)?,
            outcome,
            created_at,
            amount_minor: row.get::<i64>(4).map_err(unavailable)?,
            currency: text(5)?,
        },
    })
}

/// Runs `work` on the blocking pool: SQLite's calls block.
async fn blocking<T, F, Fut>(work: F) -> Result<T, PaymentError>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, PaymentError>>,
{
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(work()))
        .await
        .map_err(unavailable)?
}

/// The charge id a key gets: stable, so that the ledger and the events agree on it.
fn charge_id(key: &str) -> String {
    const NAMESPACE: Uuid = Uuid::from_u128(0x8c2e_61d4_5b0a_4f37_a9c1_3e7d_52f0_b618);
    format!(
        "ch_dev_{}",
        Uuid::new_v5(&NAMESPACE, key.as_bytes()).simple()
    )
}

#[async_trait::async_trait]
impl PaymentProvider for DevelopmentPayments {
    async fn charge(&self, charge: &Charge) -> Result<ChargeRecord, PaymentError> {
        let decided = self.decide(&charge.payment_method);
        let conn = self.conn.clone();
        let charge = charge.clone();
        blocking(move || async move {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .await
                .map_err(unavailable)?;
            let mut rows = tx
                .query(
                    &format!("{SELECT} WHERE idempotency_key = ?1"),
                    [charge.idempotency_key.as_str()],
                )
                .await
                .map_err(unavailable)?;
            if let Some(row) = rows.next().await.map_err(unavailable)? {
                let seen = entry(&row)?;
                drop(rows);
                tx.rollback().await.map_err(unavailable)?;
                let same = seen.customer == charge.customer
                    && seen.payment_method == charge.payment_method
                    && seen.record.amount_minor == charge.amount_minor
                    && seen.record.currency == charge.currency;
                return if same {
                    Ok(seen.record)
                } else {
                    Err(PaymentError::KeyReused {
                        key: charge.idempotency_key,
                    })
                };
            }
            drop(rows);
            let (code, message) = match decided {
                RuleOutcome::Approve => (None, None),
                RuleOutcome::Decline { code, message } => (Some(code), Some(message)),
                RuleOutcome::Unavailable => {
                    tx.rollback().await.map_err(unavailable)?;
                    return Err(PaymentError::Unavailable(
                        "the development provider's rules make this card's charges fail \
                         (an outage, on purpose)"
                            .into(),
                    ));
                }
            };
            let record = ChargeRecord {
                charge_id: charge_id(&charge.idempotency_key),
                outcome: match (&code, &message) {
                    (Some(code), message) => Outcome::Declined {
                        code: code.clone(),
                        message: message.clone().unwrap_or_default(),
                    },
                    (None, _) => Outcome::Approved,
                },
                created_at: charge.requested_at,
                amount_minor: charge.amount_minor,
                currency: charge.currency.clone(),
            };
            let optional = |v: Option<String>| v.map_or(Value::Null, Value::Text);
            tx.execute(
                "INSERT INTO charges (idempotency_key, charge_id, customer, payment_method,
                     amount_minor, currency, description, declined_code, declined_message,
                     created_at_us, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
                     (SELECT coalesce(max(seq), 0) + 1 FROM charges))",
                vec![
                    Value::Text(charge.idempotency_key),
                    Value::Text(record.charge_id.clone()),
                    Value::Text(charge.customer),
                    Value::Text(charge.payment_method),
                    Value::Integer(charge.amount_minor),
                    Value::Text(charge.currency),
                    Value::Text(charge.description),
                    optional(code),
                    optional(message),
                    Value::Integer(charge.requested_at.unix_micros()),
                ],
            )
            .await
            .map_err(unavailable)?;
            tx.commit().await.map_err(unavailable)?;
            Ok(record)
        })
        .await
    }

    fn describe_method(&self, token: &str) -> Result<MethodSummary, PaymentError> {
        let number = card_number(token).ok_or_else(|| {
            PaymentError::UnknownMethod(format!(
                "must be a development card token: {}<test card number>, e.g. \
                 {}4242424242424242",
                Self::TOKEN_PREFIX,
                Self::TOKEN_PREFIX
            ))
        })?;
        Ok(MethodSummary {
            brand: brand(number).to_owned(),
            last4: number[number.len() - 4..].to_owned(),
        })
    }

    fn name(&self) -> &'static str {
        "development"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_hold_luhn_valid_test_numbers() {
        assert_eq!(
            card_number("card_4242424242424242"),
            Some("4242424242424242")
        );
        assert_eq!(card_number("card_378282246310005"), Some("378282246310005"));
        assert_eq!(card_number("card_4242424242424241"), None, "Luhn");
        assert_eq!(card_number("4242424242424242"), None, "prefix");
        assert_eq!(card_number("card_42424242"), None, "length");
        assert_eq!(card_number("card_4242 4242 4242 4242"), None);
    }

    #[test]
    fn brands_follow_the_first_digits() {
        assert_eq!(brand("4242424242424242"), "visa");
        assert_eq!(brand("5555555555554444"), "mastercard");
        assert_eq!(brand("2223003122003222"), "mastercard");
        assert_eq!(brand("378282246310005"), "amex");
        assert_eq!(brand("6011111111111117"), "discover");
    }

    #[test]
    fn patterns_match_whole_numbers_or_prefixes() {
        let exact = CardRule::decline("4000000000000002", "x", "y");
        assert!(exact.matches("4000000000000002"));
        assert!(!exact.matches("40000000000000021"));
        let prefix = CardRule::decline("4000*", "x", "y");
        assert!(prefix.matches("4000000000000002"));
        assert!(!prefix.matches("4242424242424242"));
    }
}
