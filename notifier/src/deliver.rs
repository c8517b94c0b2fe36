//! One message, once: the notification's id derives from the triggering event and the message
//! kind; every step is a command on the notification aggregate with an id derived from that id
//! (and the attempt), so a fact met again — redelivered, replayed, or seen by a second notifier
//! — finds what was done and does not send again. The message is rendered from what the
//! request recorded, so a retry sends the same words.
//!
//! Before sending, a notifier claims the attempt (`NotificationAttemptStarted`, appended at the
//! version it loaded, with a lease): of two notifiers on one fact at the same instant (during a
//! rebalance), one sends and the other comes back later and finds it sent.
//!
//! The window left: a process that dies after the server accepted the email and before
//! `NotificationSent` is stored sends it again, once its lease has run out, when the fact comes
//! back; the email carries the same `Message-ID` both times, which receiving systems use to drop
//! the copy.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use codeflix_domain::notifications::{
    Channel, DeliveryStatus, MarkNotificationFailed, MarkNotificationSent, Notification,
    NotificationCommand, NotificationError, NotificationId, ProviderMessageId, Recipient,
    RequestNotification, StartNotificationAttempt, TemplateData, TemplateName, WorkerName,
};
use codeflix_domain::{CommandContext, EventId, ExpectedVersion, Reason, Report, Timestamp};
use codeflix_eventlog::{EventLog, ExecuteError};
use uuid::Uuid;

use crate::email::{Email, Mailer, SendError};
use crate::sms::{Sms, SmsWebhook};
use crate::templates::Templates;

/// Namespace of notification ids (from event ids and kinds) and of their command ids.
const IDS: Uuid = Uuid::from_u128(0x0c7e_55a1_93d2_4f6b_8e0a_5b21_d4c3_7f90);

/// The key of a request's data that names the recipient's account (the delivery log's
/// projection lists each customer's notifications by it).
pub const ACCOUNT_KEY: &str = "recipient_account";

/// The key of a request's data that holds the recipient's unsubscribe link (messages that may
/// be opted out of), sent as `List-Unsubscribe` too.
pub const UNSUBSCRIBE_KEY: &str = "unsubscribe_url";

/// The notifier's name as the actor of what it records.
pub const ACTOR: &str = "notifier";

/// The notification a fact causes for one message kind and channel.
pub fn notification_id(event_id: EventId, kind: &str, channel: Channel) -> NotificationId {
    let name = format!("{}:{kind}:{}", event_id.0, channel.as_str());
    NotificationId::new(Uuid::new_v5(&IDS, name.as_bytes()))
}

/// What to send to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: NotificationId,
    pub kind: TemplateName,
    pub channel: Channel,
    /// The address or the phone number.
    pub recipient: String,
    /// The template's variables, `name` and `locale` among them.
    pub data: BTreeMap<String, String>,
    /// The triggering fact's correlation id, carried on.
    pub correlation_id: Uuid,
}

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Sent now, with the provider's id.
    Sent(String),
    /// Sent before (a fact met again): nothing was sent now.
    AlreadySent,
    /// Failed for good now or before (a refused address, a broken template); not retried.
    GaveUp(String),
}

/// Why a delivery should be tried again later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Retry {
    /// The provider failed for now; the failed attempt is recorded.
    #[error("attempt {attempt} failed: {reason}")]
    Provider { attempt: u32, reason: String },
    /// The event log failed; nothing may have been recorded.
    #[error("the event log: {0}")]
    EventLog(String),
    /// Another notifier is making an attempt (or just made one).
    #[error("in progress elsewhere: {0}")]
    InProgress(String),
}

/// Sends through the channels' providers, recording each step on the notification.
#[derive(Debug, Clone)]
pub struct Deliverer {
    log: Arc<EventLog>,
    templates: Arc<Templates>,
    mailer: Mailer,
    /// Where SMS go, when configured.
    sms: Option<SmsWebhook>,
    /// This process, as the holder of the attempts it makes.
    worker: WorkerName,
    /// How long an attempt is this process's alone: longer than the provider may take to answer.
    lease: Duration,
}

impl Deliverer {
    /// `lease`: how long this process holds an attempt; at least the provider's timeout.
    pub fn new(
        log: Arc<EventLog>,
        templates: Arc<Templates>,
        mailer: Mailer,
        lease: Duration,
    ) -> Deliverer {
        let name = format!(
            "{}:{}:{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "notifier".to_owned()),
            std::process::id(),
            &Uuid::new_v4().simple().to_string()[..8]
        );
        Deliverer {
            log,
            templates,
            mailer,
            sms: None,
            worker: WorkerName::parse(&fit(&name, 255)).expect("a worker name fits"),
            lease,
        }
    }

    /// The templates it renders.
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// SMS through `webhook`.
    #[must_use]
    pub fn with_sms(mut self, webhook: SmsWebhook) -> Deliverer {
        self.sms = Some(webhook);
        self
    }

    /// Requests the notification if nobody has, then sends it unless it was sent or given up.
    pub async fn deliver(&self, request: &Request) -> Result<Outcome, Retry> {
        let recipient = Recipient::parse(request.channel, &request.recipient);
        let data = TemplateData::parse(request.data.clone());
        let (recipient, data) = match (recipient, data) {
            (Ok(r), Ok(d)) => (r, d),
            (Err(e), _) | (_, Err(e)) => {
                // Nothing to record it on: the request itself cannot be made.
                return Ok(Outcome::GaveUp(format!("the request: {e}")));
            }
        };
        let requested = RequestNotification {
            template: request.kind.clone(),
            recipient,
            data,
        };
        match self.execute(request, "request", requested.into()).await {
            Ok(()) | Err(ExecuteError::Rejected(NotificationError::AlreadyRequested)) => {}
            Err(e) => return Err(Retry::EventLog(Report(&e).to_string())),
        }
        let loaded = self
            .log
            .load::<Notification>(&request.id)
            .await
            .map_err(|e| Retry::EventLog(Report(&e).to_string()))?;
        match loaded.state().status() {
            Some(DeliveryStatus::Sent) => return Ok(Outcome::AlreadySent),
            Some(DeliveryStatus::Failed { retryable: false }) => {
                return Ok(Outcome::GaveUp("given up before".to_owned()));
            }
            _ => {}
        }
        // Claim the attempt at the version loaded: of two notifiers on one fact, one appends
        // and the other finds the version moved (or the claim held) and comes back later.
        let now = codeflix_eventlog::now();
        let claim = StartNotificationAttempt {
            worker: self.worker.clone(),
            now,
            lease_until: later(now, self.lease),
        };
        let ctx = self.context(Uuid::new_v4(), request);
        match self
            .log
            .execute::<Notification>(
                &ctx,
                &request.id,
                ExpectedVersion::Exactly(loaded.version()),
                claim.into(),
            )
            .await
        {
            Ok(_) => {}
            Err(ExecuteError::Conflict { .. }) => {
                return Err(Retry::InProgress(
                    "another notifier moved it first".to_owned(),
                ));
            }
            Err(ExecuteError::Rejected(NotificationError::AttemptInProgress {
                worker,
                until,
                ..
            })) => {
                return Err(Retry::InProgress(format!(
                    "{worker} holds it until {until}"
                )));
            }
            Err(ExecuteError::Rejected(NotificationError::AlreadySent)) => {
                return Ok(Outcome::AlreadySent);
            }
            Err(ExecuteError::Rejected(NotificationError::GaveUp)) => {
                return Ok(Outcome::GaveUp("given up before".to_owned()));
            }
            Err(e) => return Err(Retry::EventLog(Report(&e).to_string())),
        }
        let loaded = self
            .log
            .load::<Notification>(&request.id)
            .await
            .map_err(|e| Retry::EventLog(Report(&e).to_string()))?;
        let notification = loaded.state();
        let attempt = notification.attempts();
        match self.send(&request.id, notification).await {
            Ok(provider_id) => {
                let sent = MarkNotificationSent {
                    provider_message_id: ProviderMessageId::parse(&fit(&provider_id, 255))
                        .unwrap_or_else(|_| {
                            ProviderMessageId::parse(&request.id.to_string())
                                .expect("a UUID is a provider id")
                        }),
                    sent_at: codeflix_eventlog::now(),
                };
                match self.execute(request, "sent", sent.into()).await {
                    Ok(()) | Err(ExecuteError::Rejected(NotificationError::AlreadySent)) => {
                        Ok(Outcome::Sent(provider_id))
                    }
                    Err(e) => Err(Retry::EventLog(Report(&e).to_string())),
                }
            }
            Err(SendError::Permanent(reason)) => {
                self.failed(request, attempt, &reason, false).await?;
                Ok(Outcome::GaveUp(reason))
            }
            Err(SendError::Transient(reason)) => {
                self.failed(request, attempt, &reason, true).await?;
                Err(Retry::Provider { attempt, reason })
            }
        }
    }

    /// Renders the notification as requested and hands it to its channel's provider.
    async fn send(
        &self,
        id: &NotificationId,
        notification: &Notification,
    ) -> Result<String, SendError> {
        let (Some(channel), Some(to), Some(kind), Some(data)) = (
            notification.channel(),
            notification.recipient(),
            notification.template(),
            notification.data(),
        ) else {
            return Err(SendError::Permanent("not requested".to_owned()));
        };
        let locale = data.get("locale").map_or("en", String::as_str);
        match channel {
            Channel::Email => {
                let content = self
                    .templates
                    .email(kind, locale, data)
                    .map_err(|e| SendError::Permanent(e.to_string()))?;
                self.mailer
                    .send(&Email {
                        to: to.to_owned(),
                        to_name: data.get("name").cloned().unwrap_or_default(),
                        message_id: format!("<{id}@notifications.codeflix>"),
                        content,
                        unsubscribe: data.get(UNSUBSCRIBE_KEY).cloned(),
                    })
                    .await
            }
            Channel::Sms => {
                let Some(webhook) = &self.sms else {
                    return Err(SendError::Permanent(
                        "no SMS provider is configured (notifier.sms)".to_owned(),
                    ));
                };
                let text = self
                    .templates
                    .sms(kind, locale, data)
                    .map_err(|e| SendError::Permanent(e.to_string()))?;
                webhook
                    .send(&Sms {
                        to: to.to_owned(),
                        text,
                        message_id: id.to_string(),
                    })
                    .await
            }
        }
    }

    async fn failed(
        &self,
        request: &Request,
        attempt: u32,
        reason: &str,
        retryable: bool,
    ) -> Result<(), Retry> {
        let failed = MarkNotificationFailed {
            reason: Reason::parse(&fit(reason, 1000))
                .unwrap_or_else(|_| Reason::parse("the provider refused it").expect("valid")),
            retryable,
            failed_at: codeflix_eventlog::now(),
        };
        let step = format!("failed-{attempt}");
        match self.execute(request, &step, failed.into()).await {
            Ok(()) => Ok(()),
            // Recorded by another process meanwhile: its record stands.
            Err(ExecuteError::Rejected(_)) => Ok(()),
            Err(e) => Err(Retry::EventLog(Report(&e).to_string())),
        }
    }

    fn context(&self, command_id: Uuid, request: &Request) -> CommandContext {
        CommandContext {
            command_id,
            correlation_id: request.correlation_id,
            actor: ACTOR.to_owned(),
            now: codeflix_eventlog::now(),
        }
    }

    async fn execute(
        &self,
        request: &Request,
        step: &str,
        command: NotificationCommand,
    ) -> Result<(), ExecuteError<NotificationError>> {
        let ctx = self.context(
            Uuid::new_v5(&IDS, format!("{}:{step}", request.id).as_bytes()),
            request,
        );
        self.log
            .execute::<Notification>(&ctx, &request.id, ExpectedVersion::Any, command)
            .await
            .map(|_| ())
    }
}

/// `now` plus `by` (or `now` itself at the end of time).
fn later(now: Timestamp, by: Duration) -> Timestamp {
    let micros = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
    Timestamp::from_unix_micros(now.unix_micros().saturating_add(micros)).unwrap_or(now)
}

/// `text` on one line, cut to `max` characters.
fn fit(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    line.chars().take(max).collect()
}
