use super::{ProviderMessageId, Recipient, TemplateData, TemplateName};
use crate::macros::command_enum;
use crate::{Reason, Timestamp};

#[derive(Debug, Clone, PartialEq)]
pub struct RequestNotification {
    pub template: TemplateName,
    pub recipient: Recipient,
    pub data: TemplateData,
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
        MarkNotificationSent,
        MarkNotificationFailed,
    }
}
