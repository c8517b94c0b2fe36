//! What every event carries besides its payload, and the closed set of aggregate types.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::aggregate::{Aggregate, Decision, Version};
use crate::time::Timestamp;
use crate::{accounts, catalog, encoding, notifications, subscriptions};

/// A domain event: a fact, named in the past tense.
pub trait DomainEvent: Into<AnyEvent> + TryFrom<AnyEvent, Error = WrongAggregate> {
    /// Every event type of this enum, in declaration order.
    const EVENT_TYPES: &'static [&'static str];

    /// The event type, e.g. `"VideoUploaded"`; unique across all bounded contexts.
    fn event_type(&self) -> &'static str;
}

/// Every kind of aggregate Codeflix has; names the aggregate in envelopes and topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AggregateType {
    Category,
    Genre,
    CastMember,
    Video,
    EncodingJob,
    Plan,
    Subscription,
    Account,
    Notification,
}

impl AggregateType {
    pub const ALL: [AggregateType; 9] = [
        AggregateType::Category,
        AggregateType::Genre,
        AggregateType::CastMember,
        AggregateType::Video,
        AggregateType::EncodingJob,
        AggregateType::Plan,
        AggregateType::Subscription,
        AggregateType::Account,
        AggregateType::Notification,
    ];

    /// `context.aggregate`, e.g. `catalog.video`: stable, used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            AggregateType::Category => "catalog.category",
            AggregateType::Genre => "catalog.genre",
            AggregateType::CastMember => "catalog.cast_member",
            AggregateType::Video => "catalog.video",
            AggregateType::EncodingJob => "encoding.job",
            AggregateType::Plan => "subscriptions.plan",
            AggregateType::Subscription => "subscriptions.subscription",
            AggregateType::Account => "accounts.account",
            AggregateType::Notification => "notifications.notification",
        }
    }

    /// The bounded context the aggregate belongs to.
    pub fn context(self) -> &'static str {
        let name = self.as_str();
        name.split_once('.').map_or(name, |(context, _)| context)
    }
}

impl fmt::Display for AggregateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not one of [`AggregateType::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown aggregate type {0:?}")]
pub struct UnknownAggregateType(pub String);

impl FromStr for AggregateType {
    type Err = UnknownAggregateType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AggregateType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownAggregateType(s.to_owned()))
    }
}

/// Identifies one event across the whole log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub Uuid);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The envelope fields every event travels with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMetadata {
    pub event_id: EventId,
    pub aggregate_type: AggregateType,
    /// The aggregate's id in its textual form (a UUID, or an identity provider subject).
    pub aggregate_id: String,
    /// 1-based and contiguous per aggregate.
    pub aggregate_version: Version,
    pub occurred_at: Timestamp,
    /// Shared by everything one user action caused, across aggregates and contexts.
    pub correlation_id: Uuid,
    /// The command (or the event) that directly caused this event.
    pub causation_id: Uuid,
    /// Subject of the token that issued the command, or the name of the service that reacted.
    pub actor: String,
}

/// An event with its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<E> {
    pub metadata: EventMetadata,
    pub event: E,
}

impl<E> Envelope<E> {
    pub fn map<F>(self, f: impl FnOnce(E) -> F) -> Envelope<F> {
        Envelope {
            metadata: self.metadata,
            event: f(self.event),
        }
    }
}

/// Who issued a command, when, and as part of what: supplied by the edge that received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandContext {
    /// Unique per command; a retry of the same request reuses it (the idempotency key).
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub actor: String,
    pub now: Timestamp,
}

impl CommandContext {
    /// Wraps a decision's events in envelopes.
    ///
    /// Event ids derive from the command id and the version (UUID v5), so deciding the same command
    /// on the same version again yields the same event ids: a retried append is recognisable.
    pub fn envelop<A: Aggregate>(
        &self,
        aggregate_id: &A::Id,
        decision: Decision<A::Event>,
    ) -> Vec<Envelope<A::Event>> {
        let aggregate_id = aggregate_id.to_string();
        let base = decision.base();
        decision
            .into_events()
            .into_iter()
            .zip(1..)
            .map(|(event, offset)| {
                let version = Version::new(base.get() + offset);
                let name = format!("{}/{}/{}", A::TYPE, aggregate_id, version);
                Envelope {
                    metadata: EventMetadata {
                        event_id: EventId(Uuid::new_v5(&self.command_id, name.as_bytes())),
                        aggregate_type: A::TYPE,
                        aggregate_id: aggregate_id.clone(),
                        aggregate_version: version,
                        occurred_at: self.now,
                        correlation_id: self.correlation_id,
                        causation_id: self.command_id,
                        actor: self.actor.clone(),
                    },
                    event,
                }
            })
            .collect()
    }
}

/// Any event of any aggregate: what travels through the log.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyEvent {
    Category(catalog::category::CategoryEvent),
    Genre(catalog::genre::GenreEvent),
    CastMember(catalog::cast_member::CastMemberEvent),
    Video(catalog::video::VideoEvent),
    EncodingJob(encoding::EncodingJobEvent),
    Plan(subscriptions::plan::PlanEvent),
    Subscription(subscriptions::subscription::SubscriptionEvent),
    Account(accounts::AccountEvent),
    Notification(notifications::NotificationEvent),
}

impl AnyEvent {
    pub fn aggregate_type(&self) -> AggregateType {
        match self {
            AnyEvent::Category(_) => AggregateType::Category,
            AnyEvent::Genre(_) => AggregateType::Genre,
            AnyEvent::CastMember(_) => AggregateType::CastMember,
            AnyEvent::Video(_) => AggregateType::Video,
            AnyEvent::EncodingJob(_) => AggregateType::EncodingJob,
            AnyEvent::Plan(_) => AggregateType::Plan,
            AnyEvent::Subscription(_) => AggregateType::Subscription,
            AnyEvent::Account(_) => AggregateType::Account,
            AnyEvent::Notification(_) => AggregateType::Notification,
        }
    }

    pub fn event_type(&self) -> &'static str {
        match self {
            AnyEvent::Category(e) => e.event_type(),
            AnyEvent::Genre(e) => e.event_type(),
            AnyEvent::CastMember(e) => e.event_type(),
            AnyEvent::Video(e) => e.event_type(),
            AnyEvent::EncodingJob(e) => e.event_type(),
            AnyEvent::Plan(e) => e.event_type(),
            AnyEvent::Subscription(e) => e.event_type(),
            AnyEvent::Account(e) => e.event_type(),
            AnyEvent::Notification(e) => e.event_type(),
        }
    }

    /// The event types of one aggregate type.
    pub fn event_types_of(aggregate_type: AggregateType) -> &'static [&'static str] {
        match aggregate_type {
            AggregateType::Category => catalog::category::CategoryEvent::EVENT_TYPES,
            AggregateType::Genre => catalog::genre::GenreEvent::EVENT_TYPES,
            AggregateType::CastMember => catalog::cast_member::CastMemberEvent::EVENT_TYPES,
            AggregateType::Video => catalog::video::VideoEvent::EVENT_TYPES,
            AggregateType::EncodingJob => encoding::EncodingJobEvent::EVENT_TYPES,
            AggregateType::Plan => subscriptions::plan::PlanEvent::EVENT_TYPES,
            AggregateType::Subscription => {
                subscriptions::subscription::SubscriptionEvent::EVENT_TYPES
            }
            AggregateType::Account => accounts::AccountEvent::EVENT_TYPES,
            AggregateType::Notification => notifications::NotificationEvent::EVENT_TYPES,
        }
    }
}

/// An event of another aggregate type than the one asked for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("expected an event of {expected}, got {got}")]
pub struct WrongAggregate {
    pub expected: AggregateType,
    pub got: AggregateType,
}

macro_rules! any_event_from {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(impl From<$ty> for AnyEvent {
            fn from(event: $ty) -> Self {
                AnyEvent::$variant(event)
            }
        }

        impl TryFrom<AnyEvent> for $ty {
            type Error = WrongAggregate;

            fn try_from(event: AnyEvent) -> Result<Self, Self::Error> {
                match event {
                    AnyEvent::$variant(event) => Ok(event),
                    other => Err(WrongAggregate {
                        expected: AggregateType::$variant,
                        got: other.aggregate_type(),
                    }),
                }
            }
        })*
    };
}

any_event_from!(
    Category(catalog::category::CategoryEvent),
    Genre(catalog::genre::GenreEvent),
    CastMember(catalog::cast_member::CastMemberEvent),
    Video(catalog::video::VideoEvent),
    EncodingJob(encoding::EncodingJobEvent),
    Plan(subscriptions::plan::PlanEvent),
    Subscription(subscriptions::subscription::SubscriptionEvent),
    Account(accounts::AccountEvent),
    Notification(notifications::NotificationEvent),
);
