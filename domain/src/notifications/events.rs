use std::collections::BTreeMap;

use super::Channel;
use crate::Timestamp;
use crate::macros::event_enum;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRequested {
    pub template: String,
    pub channel: Channel,
    /// An email address for EMAIL, an E.164 number for SMS.
    pub recipient: String,
    pub data: BTreeMap<String, String>,
}

/// Delivery attempt `attempt` (1-based) was claimed by `worker`, which alone may make it until
/// `lease_until`; after that another may start the next attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationAttemptStarted {
    pub attempt: u32,
    pub worker: String,
    pub lease_until: Timestamp,
}

/// Delivery attempt `attempt` (1-based) succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSent {
    pub attempt: u32,
    pub provider_message_id: String,
    pub sent_at: Timestamp,
}

/// Delivery attempt `attempt` (1-based) failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationFailed {
    pub attempt: u32,
    pub reason: String,
    pub retryable: bool,
    pub failed_at: Timestamp,
}

event_enum! {
    /// Everything that can happen to a notification.
    pub enum NotificationEvent {
        NotificationRequested,
        NotificationAttemptStarted,
        NotificationSent,
        NotificationFailed,
    }
}
