//! The notifications context (`codeflix notifier`): the facts other contexts publish trigger
//! emails and SMS, rendered from templates in the repository, sent once per fact, each attempt
//! recorded on the notification's own events (ADR 0025).

pub mod deliver;
pub mod email;
pub mod facts;
pub mod metrics;
pub mod rules;
pub mod sms;
pub mod store;
pub mod templates;
pub mod worker;

pub use email::{Email, Mailer, SendError};
pub use metrics::NotifierMetrics;
pub use rules::{Audience, Category, Rule, Rules};
pub use templates::{RenderedEmail, Templates};
pub use worker::Notifier;
