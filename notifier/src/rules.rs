//! Which fact sends which message: `notifications/rules.toml`, configuration in the repository
//! (an operator may point `notifier.rules` at another file), checked when it is loaded.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use codeflix_domain::notifications::{Channel, TemplateName};
use codeflix_domain::{AggregateType, AnyEvent};
use serde::Deserialize;

/// The rules this binary was built with.
pub const DEFAULT_RULES: &str = include_str!("../../notifications/rules.toml");

/// Who receives a message, resolved from the fact that triggers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    /// The admin who uploaded the media a video event is about (the actor of its upload).
    Uploader,
    /// The customer whose subscription a subscription event is about.
    Subscriber,
}

impl Audience {
    pub const ALL: [Audience; 2] = [Audience::Uploader, Audience::Subscriber];

    pub const fn as_str(self) -> &'static str {
        match self {
            Audience::Uploader => "uploader",
            Audience::Subscriber => "subscriber",
        }
    }

    /// The facts this audience can be found from: `aggregate type.event type`.
    pub fn facts(self) -> &'static [&'static str] {
        match self {
            Audience::Uploader => &[
                "catalog.video.MediaProcessingCompleted",
                "catalog.video.MediaProcessingFailed",
            ],
            Audience::Subscriber => &[
                "subscriptions.subscription.SubscriptionStarted",
                "subscriptions.subscription.SubscriptionRenewed",
                "subscriptions.subscription.SubscriptionPastDue",
                "subscriptions.subscription.SubscriptionPaymentRetryFailed",
                "subscriptions.subscription.SubscriptionCanceled",
                "subscriptions.subscription.SubscriptionTrialEnding",
                "subscriptions.subscription.SubscriptionExpired",
            ],
        }
    }
}

impl FromStr for Audience {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Audience::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Audience::ALL.iter().map(|a| a.as_str()).collect();
                format!("unknown audience {s:?} (known: {})", known.join(", "))
            })
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a customer's opt-out applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Billing and security: sent whatever the recipient opted out of.
    Critical,
    /// About the recipient's own account or work (a video they uploaded).
    Account,
    /// News and offers.
    Marketing,
}

impl Category {
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Critical => "critical",
            Category::Account => "account",
            Category::Marketing => "marketing",
        }
    }

    /// The opt-out that stops it; none for critical messages.
    pub const fn opt_out(self) -> Option<codeflix_domain::accounts::OptOutCategory> {
        match self {
            Category::Critical => None,
            Category::Account => Some(codeflix_domain::accounts::OptOutCategory::Account),
            Category::Marketing => Some(codeflix_domain::accounts::OptOutCategory::Marketing),
        }
    }
}

/// One message: what triggers it, who gets it, on which channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Names the message and its templates (`templates/<kind>/…`).
    pub kind: TemplateName,
    pub aggregate: AggregateType,
    pub event_type: &'static str,
    pub audience: Audience,
    pub category: Category,
    pub channels: Vec<Channel>,
}

impl Rule {
    /// `aggregate type.event type`, as `on` names it.
    pub fn fact(&self) -> String {
        format!("{}.{}", self.aggregate, self.event_type)
    }

    /// Whether `event` triggers this rule.
    pub fn matches(&self, event: &AnyEvent) -> bool {
        event.aggregate_type() == self.aggregate && event.event_type() == self.event_type
    }
}

/// Every rule, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    rules: Vec<Rule>,
}

/// Why a rules file was refused; every problem, each naming its message and key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the notification rules are invalid: {}", .problems.join("; "))]
pub struct RulesError {
    pub problems: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    message: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    kind: String,
    on: String,
    to: String,
    category: Category,
    channels: Vec<String>,
}

impl Rules {
    /// Parses and checks a rules file.
    pub fn parse(text: &str) -> Result<Rules, RulesError> {
        let file: File = toml::from_str(text).map_err(|e| RulesError {
            problems: vec![e.to_string()],
        })?;
        let mut problems = Vec::new();
        let mut rules = Vec::new();
        let mut seen = BTreeSet::new();
        for (n, raw) in file.message.into_iter().enumerate() {
            let at = format!("message {} ({:?})", n + 1, raw.kind);
            match parse_rule(raw, &mut seen) {
                Ok(rule) => rules.push(rule),
                Err(found) => problems.extend(found.into_iter().map(|p| format!("{at}: {p}"))),
            }
        }
        if problems.is_empty() {
            Ok(Rules { rules })
        } else {
            Err(RulesError { problems })
        }
    }

    /// The rules this binary was built with.
    pub fn builtin() -> Rules {
        Rules::parse(DEFAULT_RULES).expect("notifications/rules.toml is checked by the tests")
    }

    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter()
    }

    /// The rules `event` triggers.
    pub fn triggered_by<'a>(&'a self, event: &'a AnyEvent) -> impl Iterator<Item = &'a Rule> {
        self.rules.iter().filter(move |r| r.matches(event))
    }

    /// The aggregate types whose events trigger something.
    pub fn aggregates(&self) -> BTreeSet<AggregateType> {
        self.rules.iter().map(|r| r.aggregate).collect()
    }
}

fn parse_rule(raw: RawRule, seen: &mut BTreeSet<String>) -> Result<Rule, Vec<String>> {
    let mut problems = Vec::new();
    let kind = TemplateName::parse(&raw.kind)
        .map_err(|e| problems.push(format!("kind: {e}")))
        .ok();
    if !seen.insert(raw.kind.clone()) {
        problems.push("kind: another message has this kind".to_owned());
    }
    let fact = parse_fact(&raw.on)
        .map_err(|e| problems.push(format!("on: {e}")))
        .ok();
    let audience = raw
        .to
        .parse::<Audience>()
        .map_err(|e| problems.push(format!("to: {e}")))
        .ok();
    if let (Some((aggregate, event_type)), Some(audience)) = (fact, audience)
        && !audience
            .facts()
            .contains(&format!("{aggregate}.{event_type}").as_str())
    {
        problems.push(format!(
            "to: the {audience} of {} cannot be found (it is known for: {})",
            raw.on,
            audience.facts().join(", ")
        ));
    }
    let mut channels = Vec::new();
    for name in &raw.channels {
        match Channel::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(name))
        {
            Some(c) if channels.contains(&c) => problems.push(format!("channels: {name} twice")),
            Some(c) => channels.push(c),
            None => problems.push(format!("channels: unknown channel {name:?} (email, sms)")),
        }
    }
    if raw.channels.is_empty() {
        problems.push("channels: at least one".to_owned());
    }
    match (kind, fact, audience) {
        (Some(kind), Some((aggregate, event_type)), Some(audience)) if problems.is_empty() => {
            Ok(Rule {
                kind,
                aggregate,
                event_type,
                audience,
                category: raw.category,
                channels,
            })
        }
        _ => Err(problems),
    }
}

/// `catalog.video.MediaProcessingCompleted` → the aggregate type and the event type.
fn parse_fact(on: &str) -> Result<(AggregateType, &'static str), String> {
    let (aggregate, event) = on
        .rsplit_once('.')
        .ok_or_else(|| format!("{on:?} is not <aggregate type>.<event type>"))?;
    let aggregate: AggregateType = aggregate
        .parse()
        .map_err(|_| format!("unknown aggregate type {aggregate:?}"))?;
    AnyEvent::event_types_of(aggregate)
        .iter()
        .find(|t| **t == event)
        .map(|t| (aggregate, *t))
        .ok_or_else(|| format!("{aggregate} has no event {event:?}"))
}
