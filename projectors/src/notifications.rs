//! The notifications context's delivery log: one document per notification, from its request
//! through its attempts to delivery or failure.

use codeflix_domain::notifications::{Channel, NotificationEvent};
use codeflix_readmodel::views::NotificationView;
use uuid::Uuid;

use crate::project::NEVER_CREATED;

/// The key of `NotificationRequested`'s data that names the recipient's account (the notifier's
/// `deliver::ACCOUNT_KEY`).
pub const ACCOUNT_KEY: &str = "recipient_account";

pub(crate) fn notification_created(
    id: Uuid,
    event: &NotificationEvent,
    at: &str,
) -> Result<NotificationView, String> {
    let NotificationEvent::NotificationRequested(e) = event else {
        return Err(NEVER_CREATED.to_owned());
    };
    Ok(NotificationView {
        id,
        kind: e.template.clone(),
        channel: match e.channel {
            Channel::Email => "EMAIL",
            Channel::Sms => "SMS",
        }
        .to_owned(),
        recipient: e.recipient.clone(),
        account: e.data.get(ACCOUNT_KEY).cloned(),
        status: "REQUESTED".to_owned(),
        retryable: None,
        attempts: 0,
        provider_message_id: None,
        last_error: None,
        requested_at: at.to_owned(),
        sent_at: None,
        version: 0,
        created_at: at.to_owned(),
        updated_at: at.to_owned(),
    })
}

pub(crate) fn notification(
    mut doc: NotificationView,
    event: &NotificationEvent,
) -> NotificationView {
    match event {
        NotificationEvent::NotificationRequested(_) => {}
        NotificationEvent::NotificationAttemptStarted(e) => {
            doc.status = "ATTEMPTING".to_owned();
            doc.attempts = e.attempt;
            doc.retryable = None;
        }
        NotificationEvent::NotificationSent(e) => {
            doc.status = "SENT".to_owned();
            doc.attempts = e.attempt;
            doc.retryable = None;
            doc.provider_message_id = Some(e.provider_message_id.clone());
            doc.sent_at = Some(crate::project::instant(e.sent_at));
        }
        NotificationEvent::NotificationFailed(e) => {
            doc.status = "FAILED".to_owned();
            doc.attempts = e.attempt;
            doc.retryable = Some(e.retryable);
            doc.last_error = Some(e.reason.clone());
        }
    }
    doc
}
