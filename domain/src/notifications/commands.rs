use super::{ProviderMessageId, Recipient, TemplateData, TemplateName, WorkerName};
use crate::macros::command_enum;
use crate::{Reason, Timestamp};

#[derive(Debug, Clone, PartialEq)]
pub struct RequestNotification {
    pub template: TemplateName,
    pub recipient: Recipient,
    pub data: TemplateData,
}

/// A notifier claims the next delivery attempt until `lease_until` (the time it allows itself to
/// hear from the provider); refused while another's claim holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StartNotificationAttempt {
    pub worker: WorkerName,
    pub now: Timestamp,
    pub lease_until: Timestamp,
}

/// The provider accepted the message.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkNotificationSent {
    pub provider_message_id: ProviderMessageId,
    pub sent_at: Timestamp,
}

/// A delivery attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkNotificationFailed {
    pub reason: Reason,
    pub retryable: bool,
    pub failed_at: Timestamp,
}

command_enum! {
    /// Everything the notifier can ask of a notification.
    pub enum NotificationCommand {
        RequestNotification,
        StartNotificationAttempt,
        MarkNotificationSent,
        MarkNotificationFailed,
    }
}
