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
    /// The locale the message is written in (one its templates have): amounts and days are
    /// formatted for it.
    pub locale: String,
    /// The link that opts the recipient out of this message's category; none for critical
    /// messages, which cannot be opted out of.
    pub unsubscribe_url: Option<String>,
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
        ("locale".to_owned(), context.locale.clone()),
    ]);
    if let Some(url) = &context.unsubscribe_url {
        vars.insert("unsubscribe_url".to_owned(), url.clone());
    }
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
        subscription_variables(
            subscription,
            &Format::for_locale(&context.locale),
            &mut vars,
        );
    }
    vars
}

/// What each subscription fact says: amounts and days (UTC) as the locale writes them
/// (`R$29.90`, `December 8, 2026` in English; `R$ 29,90`, `08/12/2026` in Portuguese), and an
/// empty text where the fact has no value (a start without a trial).
fn subscription_variables(
    event: &SubscriptionEvent,
    format: &Format,
    vars: &mut BTreeMap<String, String>,
) {
    let amount = |minor, currency: &str| format.amount(minor, currency);
    let day = |at| format.day(at);
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

/// How a locale writes amounts and days. Portuguese as Brazil does; every other locale as
/// English (messages fall back to English templates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    English,
    Portuguese,
}

impl Format {
    fn for_locale(locale: &str) -> Format {
        match locale.split('-').next() {
            Some(language) if language.eq_ignore_ascii_case("pt") => Format::Portuguese,
            _ => Format::English,
        }
    }

    /// `2990`, `BRL` → `R$29.90` / `R$ 29,90`; `1500`, `JPY` → `¥1,500` / `¥ 1.500`; an
    /// unknown currency by its code (`CHF 29.90`). Minor units as ISO 4217 has them.
    fn amount(self, minor: i64, currency: &str) -> String {
        let code = currency.to_ascii_uppercase();
        let decimals: u32 = match code.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        };
        let (group, point) = match self {
            Format::English => (',', '.'),
            Format::Portuguese => ('.', ','),
        };
        let unit = 10_u64.pow(decimals);
        let whole = minor.unsigned_abs() / unit;
        let fraction = minor.unsigned_abs() % unit;
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(group);
            }
            grouped.push(digit);
        }
        if decimals > 0 {
            grouped.push(point);
            grouped.push_str(&format!("{fraction:0width$}", width = decimals as usize));
        }
        let sign = if minor < 0 { "-" } else { "" };
        let symbol = match (code.as_str(), self) {
            ("BRL", _) => "R$",
            ("USD", Format::English) => "$",
            ("USD", Format::Portuguese) => "US$",
            ("EUR", _) => "€",
            ("GBP", _) => "£",
            ("JPY", _) => "¥",
            _ => return format!("{sign}{code} {grouped}"),
        };
        match self {
            Format::English => format!("{sign}{symbol}{grouped}"),
            Format::Portuguese => format!("{sign}{symbol} {grouped}"),
        }
    }

    /// The UTC day of `at`: `December 8, 2026` / `08/12/2026`.
    fn day(self, at: Timestamp) -> String {
        let at = at.to_datetime();
        match self {
            Format::English => at.format("%B %-d, %Y").to_string(),
            Format::Portuguese => at.format("%d/%m/%Y").to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_days_as_each_locale_writes_them() {
        let en = Format::for_locale("en");
        let pt = Format::for_locale("pt-BR");
        assert_eq!(Format::for_locale("fr"), Format::English);
        assert_eq!(en.amount(2990, "BRL"), "R$29.90");
        assert_eq!(pt.amount(2990, "BRL"), "R$ 29,90");
        assert_eq!(en.amount(123_456_789, "USD"), "$1,234,567.89");
        assert_eq!(pt.amount(123_456_789, "USD"), "US$ 1.234.567,89");
        assert_eq!(en.amount(1500, "jpy"), "¥1,500");
        assert_eq!(en.amount(12_345, "KWD"), "KWD 12.345");
        assert_eq!(pt.amount(-5, "CHF"), "-CHF 0,05");
        assert_eq!(en.amount(0, "EUR"), "€0.00");
        let at: Timestamp = "2026-12-08T23:30:00Z".parse().unwrap();
        assert_eq!(en.day(at), "December 8, 2026");
        assert_eq!(pt.day(at), "08/12/2026");
    }
}
