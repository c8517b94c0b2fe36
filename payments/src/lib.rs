//! Charging customers: the [`PaymentProvider`] port the subscriptions context charges through,
//! and [`DevelopmentPayments`], the provider `codeflix up` runs on embedded defaults.
//!
//! A charge carries an idempotency key that its caller derives from what it pays for (a
//! subscription and its renewal number and attempt, or the request that asked): a provider
//! answers a key it has seen with the charge it made then, so a retried renewal — after a
//! crash, a redelivery or a second scheduler — never charges twice. A decline is an answer, not
//! an error; [`PaymentError`] is for when there is no answer (the provider unreachable) or the
//! request is wrong.
//!
//! A real provider (Stripe, Adyen, …) is another adapter of the same port; its webhooks would
//! turn into the same subscription commands the scheduler sends, without touching the domain.

mod development;

pub use development::{CardRule, DevelopmentPayments, RuleOutcome};

use codeflix_domain::Timestamp;

/// A request to charge a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The same key always names the same charge: a provider makes it at most once.
    pub idempotency_key: String,
    /// The account charged (the identity provider's subject).
    pub customer: String,
    /// The provider's token of the payment method.
    pub payment_method: String,
    /// In minor units of `currency`; positive.
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// What the customer's statement says.
    pub description: String,
    /// When the caller asks (its clock).
    pub requested_at: Timestamp,
}

/// What came of a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Approved,
    /// Declined: `code` is the provider's (`card_declined`, `insufficient_funds`, …),
    /// `message` one a customer can read.
    Declined {
        code: String,
        message: String,
    },
}

/// A charge as the provider made it, the first time its key was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRecord {
    /// The provider's id of the charge, for receipts.
    pub charge_id: String,
    pub outcome: Outcome,
    /// When the provider made it.
    pub created_at: Timestamp,
    pub amount_minor: i64,
    pub currency: String,
}

/// A payment method as a customer may be shown it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSummary {
    /// `visa`, `mastercard`, … or `card`.
    pub brand: String,
    pub last4: String,
}

/// No answer from the provider, or a request it refuses to consider.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The provider could not be reached or failed: try again later with the same key.
    #[error("the payment provider is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The key was used before for another charge (another amount, method or customer).
    #[error("idempotency key {key} was used for another charge")]
    KeyReused { key: String },
    /// The payment method is not one this provider knows.
    #[error("{0}")]
    UnknownMethod(String),
}

/// Charges customers.
#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    /// Charges `charge` once per idempotency key: a key seen before answers the charge made
    /// then.
    async fn charge(&self, charge: &Charge) -> Result<ChargeRecord, PaymentError>;

    /// Whether `token` names a payment method this provider can charge, and how to show it.
    fn describe_method(&self, token: &str) -> Result<MethodSummary, PaymentError>;

    /// The provider's name, for logs and probes.
    fn name(&self) -> &'static str;
}
