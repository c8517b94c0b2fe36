//! The notifications bounded context: an email or SMS from request to delivery or failure.

mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;
mod values;

use std::collections::BTreeMap;

pub use commands::*;
pub use error::NotificationError;
pub use events::*;
pub use values::{Channel, PhoneNumber, Recipient, TemplateData, TemplateName};

use crate::macros::{bounded_text, uuid_id};
use crate::{Aggregate, AggregateType, InvariantViolation, Timestamp};

uuid_id!(
    /// Identifies a notification.
    NotificationId
);

bounded_text!(
    /// Names a notifier process (host, pid and a random part), the holder of an attempt.
    WorkerName, field = "worker", max = 255, multiline = false
);

bounded_text!(
    /// The id the email or SMS provider gave a delivered message.
    ProviderMessageId, field = "provider_message_id", max = 255, multiline = false
);

/// Where a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Requested,
    /// Attempt `attempts()` is claimed by a notifier until `until`.
    Attempting {
        until: Timestamp,
    },
    Sent,
    /// The last attempt failed; `retryable` says whether another may succeed.
    Failed {
        retryable: bool,
    },
}

/// The notification aggregate; [`Default`] is one not requested yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notification {
    state: Option<NotificationState>,
}

#[derive(Debug, Clone, PartialEq)]
struct NotificationState {
    channel: Channel,
    recipient: String,
    template: String,
    data: BTreeMap<String, String>,
    status: DeliveryStatus,
    attempts: u32,
    /// Who holds the current attempt.
    worker: Option<String>,
    provider_message_id: Option<String>,
}

impl Notification {
    pub fn status(&self) -> Option<DeliveryStatus> {
        self.state.as_ref().map(|s| s.status)
    }

    pub fn attempts(&self) -> u32 {
        self.state.as_ref().map_or(0, |s| s.attempts)
    }

    pub fn channel(&self) -> Option<Channel> {
        self.state.as_ref().map(|s| s.channel)
    }

    /// The address or number, as requested.
    pub fn recipient(&self) -> Option<&str> {
        self.state.as_ref().map(|s| s.recipient.as_str())
    }

    pub fn template(&self) -> Option<&str> {
        self.state.as_ref().map(|s| s.template.as_str())
    }

    /// The values its template is rendered with, as requested.
    pub fn data(&self) -> Option<&BTreeMap<String, String>> {
        self.state.as_ref().map(|s| &s.data)
    }

    /// The notifier holding the current attempt, while it is [`DeliveryStatus::Attempting`].
    pub fn worker(&self) -> Option<&str> {
        self.state.as_ref().and_then(|s| s.worker.as_deref())
    }

    /// What the provider called the delivered message.
    pub fn provider_message_id(&self) -> Option<&str> {
        self.state
            .as_ref()
            .and_then(|s| s.provider_message_id.as_deref())
    }
}

impl Aggregate for Notification {
    const TYPE: AggregateType = AggregateType::Notification;
    type Id = NotificationId;
    type Command = NotificationCommand;
    type Event = NotificationEvent;
    type Error = NotificationError;

    fn handle(
        &self,
        command: NotificationCommand,
    ) -> Result<Vec<NotificationEvent>, NotificationError> {
        let (command, s) = match (command, &self.state) {
            (NotificationCommand::RequestNotification(_), Some(_)) => {
                return Err(NotificationError::AlreadyRequested);
            }
            (NotificationCommand::RequestNotification(r), None) => {
                return Ok(vec![
                    NotificationRequested {
                        template: r.template.into_string(),
                        channel: r.recipient.channel(),
                        recipient: r.recipient.to_string(),
                        data: r.data.into_map(),
                    }
                    .into(),
                ]);
            }
            (_, None) => return Err(NotificationError::NotFound),
            (command, Some(s)) => (command, s),
        };
        match s.status {
            DeliveryStatus::Sent => {
                return match command {
                    NotificationCommand::MarkNotificationSent(sent)
                        if s.provider_message_id.as_deref()
                            == Some(sent.provider_message_id.as_str()) =>
                    {
                        Ok(vec![])
                    }
                    _ => Err(NotificationError::AlreadySent),
                };
            }
            DeliveryStatus::Failed { retryable: false } => return Err(NotificationError::GaveUp),
            DeliveryStatus::Requested
            | DeliveryStatus::Failed { retryable: true }
            | DeliveryStatus::Attempting { .. } => {}
        }
        // An outcome belongs to the attempt in progress; without a claim (a provider's callback,
        // an older notifier) it is the next attempt's.
        let claimed = matches!(s.status, DeliveryStatus::Attempting { .. });
        let attempt = if claimed { s.attempts } else { s.attempts + 1 };
        let event = match command {
            NotificationCommand::RequestNotification(_) => unreachable!("handled above"),
            NotificationCommand::StartNotificationAttempt(start) => {
                if let DeliveryStatus::Attempting { until } = s.status
                    && start.now < until
                {
                    return Err(NotificationError::AttemptInProgress {
                        attempt: s.attempts,
                        worker: s.worker.clone().unwrap_or_default(),
                        until,
                    });
                }
                NotificationAttemptStarted {
                    attempt: s.attempts + 1,
                    worker: start.worker.into_string(),
                    lease_until: start.lease_until,
                }
                .into()
            }
            NotificationCommand::MarkNotificationSent(sent) => NotificationSent {
                attempt,
                provider_message_id: sent.provider_message_id.into_string(),
                sent_at: sent.sent_at,
            }
            .into(),
            NotificationCommand::MarkNotificationFailed(failed) => NotificationFailed {
                attempt,
                reason: failed.reason.into_string(),
                retryable: failed.retryable,
                failed_at: failed.failed_at,
            }
            .into(),
        };
        Ok(vec![event])
    }

    fn apply(&mut self, event: &NotificationEvent) {
        if let NotificationEvent::NotificationRequested(e) = event {
            self.state = Some(NotificationState {
                channel: e.channel,
                recipient: e.recipient.clone(),
                template: e.template.clone(),
                data: e.data.clone(),
                status: DeliveryStatus::Requested,
                attempts: 0,
                worker: None,
                provider_message_id: None,
            });
            return;
        }
        let Some(s) = &mut self.state else { return };
        match event {
            NotificationEvent::NotificationRequested(_) => {}
            NotificationEvent::NotificationAttemptStarted(e) => {
                s.status = DeliveryStatus::Attempting {
                    until: e.lease_until,
                };
                s.attempts = e.attempt;
                s.worker = Some(e.worker.clone());
            }
            NotificationEvent::NotificationSent(e) => {
                s.status = DeliveryStatus::Sent;
                s.attempts = e.attempt;
                s.worker = None;
                s.provider_message_id = Some(e.provider_message_id.clone());
            }
            NotificationEvent::NotificationFailed(e) => {
                s.status = DeliveryStatus::Failed {
                    retryable: e.retryable,
                };
                s.attempts = e.attempt;
                s.worker = None;
            }
        }
    }

    fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let Some(s) = &self.state else { return Ok(()) };
        InvariantViolation::ensure(Recipient::parse(s.channel, &s.recipient).is_ok(), || {
            format!("recipient {:?} does not fit {}", s.recipient, s.channel)
        })?;
        InvariantViolation::ensure(TemplateName::parse(&s.template).is_ok(), || {
            format!("template {:?} is invalid", s.template)
        })?;
        InvariantViolation::ensure(
            (s.status == DeliveryStatus::Sent) == s.provider_message_id.is_some(),
            || {
                format!(
                    "{:?} with provider id {:?}",
                    s.status, s.provider_message_id
                )
            },
        )?;
        InvariantViolation::ensure(
            (s.status == DeliveryStatus::Requested) == (s.attempts == 0),
            || format!("{:?} after {} attempts", s.status, s.attempts),
        )
    }
}
