//! `codeflix notifier`: reads the event topics the rules name (and its redrive topic) in its own
//! consumer group, remembers who uploaded which media, and for every fact a rule names sends the
//! message through [`Deliverer`], once.
//!
//! The consumers' rules hold: a record that cannot apply (it does not decode) goes to
//! `<prefix>.projector.notifier.dlq` at once; a delivery that fails for now (the SMTP server is
//! down or busy, the event log failed, another notifier holds the attempt) is retried with
//! backoff, and one that lasts [`ATTEMPTS`] attempts (about four minutes) is dead-lettered so
//! that it cannot hold every later fact back. `codeflix dlq redrive --projection notifier`
//! sends them back; the notification's own events make a redriven fact send at most once.
//! Positions are committed once a second, after the facts before them are handled.
//!
//! Facts older than `max_fact_age` when first read (a notifier deployed on an existing log) are
//! remembered but not announced. A customer whose contact is not in the mirror is looked for
//! every few milliseconds, then waited for (retried) until the fact is [`CONTACT_GRACE`] old,
//! then skipped and counted (an admin without one is skipped at once).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use codeflix_consumer::react::{Failure, Reactor};
use codeflix_consumer::{ConsumerError, Membership, dlq};
use codeflix_domain::accounts::{AccountId, OptOutCategory, UnsubscribeKey};
use codeflix_domain::catalog::video::VideoEvent;
use codeflix_domain::notifications::{Channel, TemplateName};
use codeflix_domain::subscriptions::subscription::SubscriptionEvent;
use codeflix_domain::{AnyEvent, Envelope};
use codeflix_eventlog::EventLog;
use codeflix_eventlog::reader::RawRecord;
use codeflix_eventlog::topics::event_topic;
use rdkafka::consumer::StreamConsumer;

use crate::deliver::{Deliverer, Outcome, Request, notification_id};
use crate::facts::{self, Context};
use crate::metrics::NotifierMetrics;
use crate::rules::{Audience, Rule, Rules};
use crate::store::{Contact, Memory, Mirror};
use crate::templates::FALLBACK_LOCALE;

/// Names the notifier's consumer group (`codeflix-notifier`), dead-letter and redrive topics.
pub const NAME: &str = "notifier";

/// Attempts at a fact whose failure is transient before it is dead-lettered.
pub const ATTEMPTS: u32 = 12;

/// How long a subscription fact waits for its customer's contact to reach the mirror: an account
/// registered by the same request as the fact (a first subscription) arrives through its state
/// feed and Kafka Connect a little after the fact itself.
pub const CONTACT_GRACE: Duration = Duration::from_secs(30);

/// How long one attempt at a subscription fact looks for its customer's contact, and how often,
/// before the consumer's backoff takes over.
const CONTACT_LOOK: Duration = Duration::from_secs(5);
const CONTACT_POLL: Duration = Duration::from_millis(10);

/// What the notifier is given.
#[derive(Debug, Clone)]
pub struct Notifier {
    pub rules: Rules,
    pub deliverer: Deliverer,
    pub memory: Memory,
    pub mirror: Mirror,
    /// Where the admin console is, for links in messages to admins.
    pub console_url: String,
    /// Where customers manage their subscription, for links in messages to them.
    pub account_url: String,
    /// Facts older than this when read are not announced.
    pub max_fact_age: Duration,
    /// How messages that may be opted out of link to their unsubscribe page; none: without.
    pub unsubscribe: Option<UnsubscribeLinks>,
    pub metrics: NotifierMetrics,
}

/// Writes unsubscribe links: `<url>?token=<signed token>` (see
/// [`codeflix_domain::accounts::UnsubscribeKey`]).
#[derive(Debug, Clone)]
pub struct UnsubscribeLinks {
    pub key: UnsubscribeKey,
    /// The command API's `/unsubscribe` as recipients reach it.
    pub url: String,
}

impl UnsubscribeLinks {
    /// The link that opts `subject` out of `category`; none for a subject that is no account
    /// id.
    pub fn link(&self, subject: &str, category: OptOutCategory) -> Option<String> {
        let account = AccountId::parse(subject).ok()?;
        Some(format!(
            "{}?token={}",
            self.url,
            self.key.token(&account, category)
        ))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    #[error(transparent)]
    Consumer(#[from] ConsumerError),
    #[error(transparent)]
    EventLog(#[from] codeflix_eventlog::EventLogError),
}

impl Notifier {
    /// Runs until `shutdown` resolves.
    pub async fn run(
        &self,
        log: Arc<EventLog>,
        membership: Membership,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), NotifierError> {
        let config = log.config().clone();
        let mut topics = BTreeSet::new();
        for aggregate in self.rules.aggregates() {
            let source = event_topic(&config.topics.prefix, aggregate);
            topics.extend(dlq::consumed_topics(&config, NAME, source).await?);
        }
        let topics: Vec<String> = topics.into_iter().collect();
        let consumer: StreamConsumer =
            codeflix_consumer::consumer(&config, &format!("codeflix-{NAME}"), &topics, membership)?;
        let decoder = dlq::Decoder::new(&config.schema_registry_url)?;
        let dead_letters = dlq::Sender::new(&config, NAME)?;
        tracing::info!(?topics, "notifier reading");
        Reactor {
            name: NAME,
            what: "facts",
            attempts: ATTEMPTS,
        }
        .run(
            &consumer,
            &dead_letters,
            |raw| self.handle(&decoder, raw),
            |_, _| {},
            shutdown,
        )
        .await;
        Ok(())
    }

    /// Remembers what `raw` teaches and sends what it triggers.
    async fn handle(&self, decoder: &dlq::Decoder, raw: RawRecord) -> Result<(), Failure> {
        let envelope = decoder
            .decode_patiently(&raw, NAME)
            .await
            .map_err(Failure::Record)?;
        let meta = &envelope.metadata;
        if let AnyEvent::Video(VideoEvent::VideoUploaded(upload)) = &envelope.event {
            self.memory
                .uploaded(
                    &meta.aggregate_id,
                    &upload.media_id.to_string(),
                    &meta.actor,
                )
                .await
                .map_err(|e| Failure::Transient(e.to_string()))?;
        }
        if let AnyEvent::Subscription(SubscriptionEvent::SubscriptionStarted(started)) =
            &envelope.event
        {
            self.memory
                .subscribed(&meta.aggregate_id, &started.account_id)
                .await
                .map_err(|e| Failure::Transient(e.to_string()))?;
        }
        let age = age_of(&envelope);
        for rule in self.rules.triggered_by(&envelope.event) {
            if age > self.max_fact_age {
                for channel in &rule.channels {
                    self.metrics
                        .message(rule.kind.as_str(), channel_name(*channel), "too_old");
                }
                continue;
            }
            self.announce(rule, &envelope).await?;
        }
        Ok(())
    }

    /// Sends `rule`'s message about `envelope` on each of its channels.
    async fn announce(&self, rule: &Rule, envelope: &Envelope<AnyEvent>) -> Result<(), Failure> {
        let kind = rule.kind.as_str();
        let meta = &envelope.metadata;
        let mut contact = self.recipient(rule.audience, envelope).await?;
        // A customer registered by the same request as the fact reaches the mirror through the
        // accounts' state feed and Connect moments later: look again, often and briefly, rather
        // than leave it to the consumer's backoff, which added up to seconds.
        let looking = std::time::Instant::now();
        while contact.is_none()
            && rule.audience == Audience::Subscriber
            && age_of(envelope) < CONTACT_GRACE
            && looking.elapsed() < CONTACT_LOOK
        {
            tokio::time::sleep(CONTACT_POLL).await;
            contact = self.recipient(rule.audience, envelope).await?;
        }
        let Some(contact) = contact else {
            // Only a customer's account can be registered by the request that made the fact;
            // an admin without a contact does not hold later facts back.
            if rule.audience == Audience::Subscriber && age_of(envelope) < CONTACT_GRACE {
                return Err(Failure::Transient(
                    "the recipient's contact is not in the mirror yet".to_owned(),
                ));
            }
            for channel in &rule.channels {
                self.metrics
                    .message(kind, channel_name(*channel), "no_contact");
            }
            tracing::info!(kind, event = %meta.event_id, "no contact for this message's recipient");
            return Ok(());
        };
        // Critical messages ignore opt-outs; the others respect them.
        let category = rule.category.opt_out();
        if let Some(category) = category
            && contact.opted_out_of(category.as_str())
        {
            for channel in &rule.channels {
                self.metrics
                    .message(kind, channel_name(*channel), "opted_out");
            }
            tracing::info!(kind, event = %meta.event_id, %category, "the recipient opted out of this message");
            return Ok(());
        }
        let title = match &envelope.event {
            AnyEvent::Video(_) => self
                .mirror
                .title(&meta.aggregate_id)
                .await
                .map_err(|e| Failure::Transient(e.to_string()))?,
            _ => None,
        };
        let unsubscribe_url = category.and_then(|category| {
            self.unsubscribe
                .as_ref()
                .and_then(|links| links.link(&contact.subject, category))
        });
        for &channel in &rule.channels {
            let recipient = match (channel, &contact.phone) {
                (Channel::Email, _) => contact.email.clone(),
                (Channel::Sms, Some(phone)) => phone.clone(),
                (Channel::Sms, None) => {
                    self.metrics.message(kind, "sms", "no_contact");
                    continue;
                }
            };
            let locale = self.deliverer.templates().resolve(
                kind,
                contact.locale.as_deref().unwrap_or(FALLBACK_LOCALE),
                channel,
            );
            let context = Context {
                name: contact.name.clone(),
                title: title.clone(),
                console_url: self.console_url.clone(),
                account_url: self.account_url.clone(),
                locale,
                unsubscribe_url: unsubscribe_url.clone(),
            };
            let mut data = facts::variables(&meta.aggregate_id, &envelope.event, &context);
            // The delivery log lists each customer's notifications by this.
            data.insert(
                crate::deliver::ACCOUNT_KEY.to_owned(),
                contact.subject.clone(),
            );
            let request = Request {
                id: notification_id(meta.event_id, kind, channel),
                kind: TemplateName::parse(kind).map_err(|e| Failure::Record(e.to_string()))?,
                channel,
                recipient,
                data,
                correlation_id: meta.correlation_id,
            };
            match self.deliverer.deliver(&request).await {
                Ok(Outcome::Sent(provider)) => {
                    tracing::info!(kind, notification = %request.id, %provider, "sent");
                    self.metrics.message(kind, channel_name(channel), "sent");
                    self.metrics
                        .delivered_after(channel_name(channel), age_of(envelope).as_secs_f64());
                }
                Ok(Outcome::AlreadySent) => {
                    self.metrics
                        .message(kind, channel_name(channel), "already_sent");
                }
                Ok(Outcome::GaveUp(reason)) => {
                    tracing::warn!(kind, notification = %request.id, %reason, "not delivered, for good");
                    self.metrics.message(kind, channel_name(channel), "gave_up");
                }
                Err(retry) => {
                    self.metrics.retry(channel_name(channel));
                    return Err(Failure::Transient(retry.to_string()));
                }
            }
        }
        Ok(())
    }

    /// Who `audience` is for `envelope`, and how to reach them.
    async fn recipient(
        &self,
        audience: Audience,
        envelope: &Envelope<AnyEvent>,
    ) -> Result<Option<Contact>, Failure> {
        let transient = |e: crate::store::StoreError| Failure::Transient(e.to_string());
        let subject = match (audience, &envelope.event) {
            (Audience::Uploader, AnyEvent::Video(VideoEvent::MediaProcessingCompleted(e))) => self
                .memory
                .uploader(&e.media_id.to_string())
                .await
                .map_err(transient)?,
            (Audience::Uploader, AnyEvent::Video(VideoEvent::MediaProcessingFailed(e))) => self
                .memory
                .uploader(&e.media_id.to_string())
                .await
                .map_err(transient)?,
            (Audience::Subscriber, AnyEvent::Subscription(_)) => self
                .memory
                .subscriber(&envelope.metadata.aggregate_id)
                .await
                .map_err(transient)?,
            _ => None,
        };
        match subject {
            Some(subject) => self.mirror.contact(&subject).await.map_err(transient),
            None => Ok(None),
        }
    }
}

/// How long ago the fact happened (zero for one from the future).
fn age_of(envelope: &Envelope<AnyEvent>) -> Duration {
    let now = codeflix_eventlog::now().unix_micros();
    let then = envelope.metadata.occurred_at.unix_micros();
    Duration::from_micros(u64::try_from(now.saturating_sub(then)).unwrap_or(0))
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Sms => "sms",
    }
}
