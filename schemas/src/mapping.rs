//! The one mapping between domain events and their Avro records.
//!
//! Every event struct is listed with its fields in schema order; enums list their symbols. The
//! `events!` table at the bottom is matched exhaustively against `AnyEvent`, so a domain event
//! without a mapping does not compile, and `tests/roundtrip.rs` checks every schema file has an
//! event and every event a schema.

use apache_avro::types::Value;
use codeflix_domain::accounts::*;
use codeflix_domain::catalog::cast_member::*;
use codeflix_domain::catalog::category::*;
use codeflix_domain::catalog::genre::*;
use codeflix_domain::catalog::video::*;
use codeflix_domain::encoding::*;
use codeflix_domain::notifications::*;
use codeflix_domain::subscriptions::BillingPeriod;
use codeflix_domain::subscriptions::plan::*;
use codeflix_domain::subscriptions::subscription::*;
use codeflix_domain::{AggregateType, AnyEvent, EventId, EventMetadata, Version};

use crate::wire::{Fields, Record, Wire, WireError, record, symbols, uuid_ids};

uuid_ids!(
    CategoryId,
    GenreId,
    CastMemberId,
    VideoId,
    MediaId,
    EncodingJobId,
    PlanId,
    SubscriptionId,
    NotificationId,
);

symbols!(CastMemberType {
    CastMemberType::Actor => "ACTOR",
    CastMemberType::Director => "DIRECTOR",
});

symbols!(Rating {
    Rating::Er => "ER",
    Rating::L => "L",
    Rating::Age10 => "AGE_10",
    Rating::Age12 => "AGE_12",
    Rating::Age14 => "AGE_14",
    Rating::Age16 => "AGE_16",
    Rating::Age18 => "AGE_18",
});

symbols!(MediaSlot {
    MediaSlot::Video => "VIDEO",
    MediaSlot::Trailer => "TRAILER",
    MediaSlot::Banner => "BANNER",
    MediaSlot::Thumbnail => "THUMBNAIL",
    MediaSlot::ThumbnailHalf => "THUMBNAIL_HALF",
});

symbols!(BillingPeriod {
    BillingPeriod::Monthly => "MONTHLY",
    BillingPeriod::Yearly => "YEARLY",
});

symbols!(SubscriptionStatus {
    SubscriptionStatus::Trialing => "TRIALING",
    SubscriptionStatus::Active => "ACTIVE",
    SubscriptionStatus::PastDue => "PAST_DUE",
    SubscriptionStatus::Canceled => "CANCELED",
    SubscriptionStatus::Expired => "EXPIRED",
    SubscriptionStatus::Incomplete => "INCOMPLETE",
});

symbols!(Channel {
    Channel::Email => "EMAIL",
    Channel::Sms => "SMS",
});

// --- catalog.category
record!(CategoryCreated {
    name,
    description,
    active
});
record!(CategoryUpdated { name, description });
record!(CategoryActivated {});
record!(CategoryDeactivated {});
record!(CategoryDeleted {});
// --- catalog.genre
record!(GenreCreated {
    name,
    active,
    categories
});
record!(GenreUpdated { name, categories });
record!(GenreActivated {});
record!(GenreDeactivated {});
record!(GenreDeleted {});
// --- catalog.cast_member
record!(CastMemberCreated { name, kind => "type" });
record!(CastMemberUpdated { name, kind => "type" });
record!(CastMemberDeleted {});
// --- catalog.video
record!(VideoCreated {
    title,
    description,
    launch_year,
    duration_minutes,
    rating,
    opened,
    categories,
    genres,
    cast_members,
});
record!(VideoUpdated {
    title,
    description,
    launch_year,
    duration_minutes,
    rating,
    opened,
});
record!(VideoCategoryAttached { category_id });
record!(VideoCategoryDetached { category_id });
record!(VideoGenreAttached { genre_id });
record!(VideoGenreDetached { genre_id });
record!(VideoCastMemberAttached { cast_member_id });
record!(VideoCastMemberDetached { cast_member_id });
record!(VideoUploaded {
    media_id,
    slot,
    checksum,
    size_bytes,
    content_type,
    raw_location,
});
record!(MediaProcessingStarted { media_id, slot });
record!(MediaProcessingCompleted {
    media_id,
    slot,
    encoded_location,
});
record!(MediaProcessingFailed {
    media_id,
    slot,
    reason,
});
record!(VideoPublished {});
record!(VideoUnpublished {});
record!(VideoDeleted {});
// --- encoding.job
record!(Rendition {
    name,
    width,
    height,
    bandwidth_bps,
    codecs,
    playlist_location,
});
record!(EncodingRequested {
    video_id,
    media_id,
    slot,
    source_location,
    checksum,
});
record!(EncodingStarted { attempt, worker });
record!(EncodingProgressed { attempt, percent });
record!(EncodingFinished {
    attempt,
    renditions,
    hls_manifest_location,
    dash_manifest_location,
    duration_ms,
});
record!(EncodingFailed {
    attempt,
    reason,
    retryable,
});
// --- subscriptions.plan
record!(PlanCreated {
    name,
    description,
    amount_minor,
    currency,
    billing_period,
    trial_days,
    active,
});
record!(PlanUpdated {
    name,
    description,
    amount_minor,
    currency,
    trial_days,
});
record!(PlanActivated {});
record!(PlanDeactivated {});
// --- subscriptions.subscription
record!(SubscriptionStarted {
    account_id,
    plan_id,
    amount_minor,
    currency,
    billing_period,
    status,
    started_at,
    trial_ends_at,
    due_date,
    payment_failure,
    payment_method,
    charge_id,
});
record!(SubscriptionActivated {
    paid_at,
    amount_minor,
    currency,
    period_start,
    period_end,
    charge_id,
});
record!(SubscriptionRenewed {
    renewal,
    paid_at,
    amount_minor,
    currency,
    period_start,
    period_end,
    charge_id,
});
record!(SubscriptionPastDue {
    failed_at,
    reason,
    attempt,
    next_attempt_at,
});
record!(SubscriptionPaymentRetryFailed {
    attempt,
    failed_at,
    reason,
    next_attempt_at,
});
record!(SubscriptionCanceled {
    canceled_at,
    ends_at,
    reason,
});
record!(SubscriptionUncanceled {
    uncanceled_at,
    status,
});
record!(SubscriptionTrialEnding {
    noted_at,
    trial_ends_at,
});
record!(SubscriptionExpired { expired_at });
record!(SubscriptionPaymentMethodChanged {
    payment_method,
    changed_at,
});
// --- accounts.account
record!(AccountRegistered {
    email,
    display_name,
    roles,
    phone,
    locale,
});
record!(AccountProfileUpdated {
    email,
    display_name,
    phone,
    locale,
});
record!(AccountRolesChanged { roles });
record!(AccountOptOutsChanged { opted_out });
// --- notifications.notification
record!(NotificationRequested {
    template,
    channel,
    recipient,
    data,
});
record!(NotificationAttemptStarted {
    attempt,
    worker,
    lease_until,
});
record!(NotificationSent {
    attempt,
    provider_message_id,
    sent_at,
});
record!(NotificationFailed {
    attempt,
    reason,
    retryable,
    failed_at,
});

/// A record nested in another (renditions in `EncodingFinished`).
impl Wire for Rendition {
    fn to_value(&self) -> Result<Value, WireError> {
        let mut fields = Vec::new();
        self.write(&mut fields)?;
        Ok(Value::Record(fields))
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        Rendition::read(&mut Fields::new(value)?)
    }
}

impl Wire for EventId {
    fn to_value(&self) -> Result<Value, WireError> {
        self.0.to_value()
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        uuid::Uuid::from_value(value).map(EventId)
    }
}

impl Wire for AggregateType {
    fn to_value(&self) -> Result<Value, WireError> {
        Ok(Value::String(self.as_str().to_owned()))
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        String::from_value(value)?
            .parse()
            .map_err(|e: codeflix_domain::UnknownAggregateType| WireError::new(e.to_string()))
    }
}

impl Wire for Version {
    fn to_value(&self) -> Result<Value, WireError> {
        self.get().to_value()
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        u64::from_value(value).map(Version::new)
    }
}

record!(EventMetadata {
    event_id,
    aggregate_type,
    aggregate_id,
    aggregate_version,
    occurred_at,
    correlation_id,
    causation_id,
    actor,
});

impl Wire for EventMetadata {
    fn to_value(&self) -> Result<Value, WireError> {
        let mut fields = Vec::new();
        self.write(&mut fields)?;
        Ok(Value::Record(fields))
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        EventMetadata::read(&mut Fields::new(value)?)
    }
}

/// Lists every event of every aggregate: the two functions below match on it exhaustively.
macro_rules! events {
    ($($variant:ident($enum:ident) { $($event:ident),* $(,)? }),* $(,)?) => {
        /// Appends the payload fields of `event` to a record being built.
        pub(crate) fn write_payload(
            event: &AnyEvent,
            out: &mut Vec<(String, Value)>,
        ) -> Result<(), WireError> {
            match event {
                $($(AnyEvent::$variant($enum::$event(e)) => e.write(out),)*)*
            }
        }

        /// Reads the payload of the event named `event_type` of `aggregate_type`.
        pub(crate) fn read_payload(
            aggregate_type: AggregateType,
            event_type: &str,
            fields: &mut Fields,
        ) -> Result<Option<AnyEvent>, WireError> {
            Ok(Some(match (aggregate_type, event_type) {
                $($((AggregateType::$variant, stringify!($event)) => {
                    AnyEvent::$variant($enum::$event($event::read(fields)?))
                })*)*
                _ => return Ok(None),
            }))
        }
    };
}

events! {
    Category(CategoryEvent) {
        CategoryCreated, CategoryUpdated, CategoryActivated, CategoryDeactivated, CategoryDeleted,
    },
    Genre(GenreEvent) {
        GenreCreated, GenreUpdated, GenreActivated, GenreDeactivated, GenreDeleted,
    },
    CastMember(CastMemberEvent) { CastMemberCreated, CastMemberUpdated, CastMemberDeleted },
    Video(VideoEvent) {
        VideoCreated, VideoUpdated,
        VideoCategoryAttached, VideoCategoryDetached,
        VideoGenreAttached, VideoGenreDetached,
        VideoCastMemberAttached, VideoCastMemberDetached,
        VideoUploaded, MediaProcessingStarted, MediaProcessingCompleted, MediaProcessingFailed,
        VideoPublished, VideoUnpublished, VideoDeleted,
    },
    EncodingJob(EncodingJobEvent) {
        EncodingRequested, EncodingStarted, EncodingProgressed, EncodingFinished, EncodingFailed,
    },
    Plan(PlanEvent) { PlanCreated, PlanUpdated, PlanActivated, PlanDeactivated },
    Subscription(SubscriptionEvent) {
        SubscriptionStarted, SubscriptionActivated, SubscriptionRenewed, SubscriptionPastDue,
        SubscriptionPaymentRetryFailed, SubscriptionCanceled, SubscriptionUncanceled,
        SubscriptionTrialEnding, SubscriptionExpired, SubscriptionPaymentMethodChanged,
    },
    Account(AccountEvent) {
        AccountRegistered, AccountProfileUpdated, AccountRolesChanged, AccountOptOutsChanged
    },
    Notification(NotificationEvent) { NotificationRequested, NotificationAttemptStarted, NotificationSent, NotificationFailed },
}
