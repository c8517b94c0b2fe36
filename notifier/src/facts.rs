//! What a message says about the fact that triggered it: the variables its templates get.
//! Every template is rendered in the tests with the variables this module gives for each fact
//! its rule names, with undefined variables an error.

use std::collections::BTreeMap;

use codeflix_domain::catalog::video::VideoEvent;
use codeflix_domain::subscriptions::subscription::SubscriptionEvent;
use codeflix_domain::{AnyEvent, Timestamp};

/// What the notifier knows besides the event when it writes to someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The recipient's display name (from the accounts context's contacts).
    pub name: String,
    /// The video's title (from the catalog's titles), for video facts.
    pub title: Option<String>,
    /// Where the admin console is, for links in messages to admins.
    pub console_url: String,
    /// Where viewers manage their subscription, for links in messages to customers.
    pub account_url: String,
}

/// The variables of a message about `event`, aggregate `aggregate_id`.
pub fn variables(
    aggregate_id: &str,
    event: &AnyEvent,
    context: &Context,
) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::from([
        ("name".to_owned(), context.name.clone()),
        ("console_url".to_owned(), context.console_url.clone()),
    ]);
    if let AnyEvent::Video(video) = event {
        vars.insert("video_id".to_owned(), aggregate_id.to_owned());
        vars.insert(
            "title".to_owned(),
            context
                .title
                .clone()
                .unwrap_or_else(|| "your video".to_owned()),
        );
        vars.insert(
            "video_url".to_owned(),
            format!(
                "{}/videos/{aggregate_id}",
                context.console_url.trim_end_matches('/')
            ),
        );
        match video {
            VideoEvent::MediaProcessingCompleted(done) => {
                vars.insert("slot".to_owned(), done.slot.as_str().to_lowercase());
            }
            VideoEvent::MediaProcessingFailed(failed) => {
                vars.insert("slot".to_owned(), failed.slot.as_str().to_lowercase());
                vars.insert("reason".to_owned(), failed.reason.clone());
            }
            _ => {}
        }
    }
    if let AnyEvent::Subscription(subscription) = event {
        vars.insert("subscription_id".to_owned(), aggregate_id.to_owned());
        vars.insert("account_url".to_owned(), context.account_url.clone());
        subscription_variables(subscription, &mut vars);
    }
    vars
}

/// What each subscription fact says: amounts as `BRL 29.90`, days as `2026-12-06` (UTC), and
/// an empty text where the fact has no value (a start without a trial).
fn subscription_variables(event: &SubscriptionEvent, vars: &mut BTreeMap<String, String>) {
    let mut set = |name: &str, value: String| {
        vars.insert(name.to_owned(), value);
    };
    match event {
        SubscriptionEvent::SubscriptionStarted(e) => {
            set("amount", amount(e.amount_minor, &e.currency));
            set("period", e.billing_period.as_str().to_lowercase());
            set("status", e.status.as_str().to_lowercase());
            set(
                "trial_ends_on",
                e.trial_ends_at.map(day).unwrap_or_default(),
            );
            set("due_on", day(e.due_date));
        }
        SubscriptionEvent::SubscriptionRenewed(e) => {
            set("amount", amount(e.amount_minor, &e.currency));
            set("paid_on", day(e.paid_at));
            set("period_start_on", day(e.period_start));
            set("period_end_on", day(e.period_end));
        }
        SubscriptionEvent::SubscriptionPastDue(e) => {
            set("reason", e.reason.clone());
            set("attempt", e.attempt.to_string());
            set(
                "next_attempt_on",
                e.next_attempt_at.map(day).unwrap_or_default(),
            );
        }
        SubscriptionEvent::SubscriptionPaymentRetryFailed(e) => {
            set("reason", e.reason.clone());
            set("attempt", e.attempt.to_string());
            set(
                "next_attempt_on",
                e.next_attempt_at.map(day).unwrap_or_default(),
            );
        }
        SubscriptionEvent::SubscriptionCanceled(e) => {
            set("ends_on", day(e.ends_at));
            set("reason", e.reason.clone().unwrap_or_default());
        }
        SubscriptionEvent::SubscriptionTrialEnding(e) => {
            set("trial_ends_on", day(e.trial_ends_at));
        }
        SubscriptionEvent::SubscriptionExpired(e) => {
            set("expired_on", day(e.expired_at));
        }
        _ => {}
    }
}

/// `2990`, `BRL` → `BRL 29.90` (currencies with two decimals).
fn amount(minor: i64, currency: &str) -> String {
    format!("{currency} {}.{:02}", minor / 100, (minor % 100).abs())
}

/// The UTC day of `at`, `2026-12-06`.
fn day(at: Timestamp) -> String {
    at.to_datetime().format("%Y-%m-%d").to_string()
}
