//! The subscriptions bounded context: plans with their price, and the subscriptions customers
//! hold on them (trial, renewals, payment failures, cancellation, expiry).

pub mod plan;
pub mod subscription;
mod values;

pub use values::{BillingPeriod, Currency, Money, MoneyError, PaymentMethod};
