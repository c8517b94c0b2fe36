//! The billing scheduler: what time makes due to a subscription, done once.
//!
//! A pass reads the subscriptions the subscriptions context's view shows due (sorted by when,
//! [`SortKey::Due`]), then, for each, loads the aggregate from the event log — the view may lag;
//! the aggregate decides — and takes the steps its [`Timeline`] says are due: the trial's
//! notice, the charge of the next period (renewal, or a retry while past due) through the
//! payment port, expiry.
//!
//! Everything a step does is named by the subscription, the step and the instant it fell due:
//! the command id (so the event log appends it once), and for a charge the idempotency key
//! (`subscription/<id>/period/<n>/attempt/<k>`, so the provider charges it once). Two
//! schedulers, a restart between charging and appending, or a pass over a stale view therefore
//! change nothing twice. A provider that does not answer is asked again on the next pass; a
//! decline is recorded as the domain's payment failure (past due, retried on schedule).
//!
//! [`SortKey::Due`]: codeflix_readmodel::store::SortKey::Due
//! [`Timeline`]: codeflix_domain::subscriptions::subscription::Timeline

mod metrics;

pub use metrics::SchedulerMetrics;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use codeflix_domain::subscriptions::subscription::{
    Due, ExpireSubscription, NoteTrialEnding, RecordPaymentFailure, RenewSubscription, Step,
    Subscription, SubscriptionCommand, SubscriptionId,
};
use codeflix_domain::{CommandContext, ExpectedVersion, Reason, Timestamp};
use codeflix_eventlog::{EventLog, ExecuteError};
use codeflix_payments::{Charge, Outcome, PaymentError, PaymentProvider};
use codeflix_readmodel::store::{Audience, CatalogReads, ListQuery, SortKey, StoreError};
use codeflix_readmodel::views::{Doc, DocKind};
use uuid::Uuid;

/// What the scheduler reads the time from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The system's clock, `offset` ahead (zero outside demonstrations).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock {
    pub offset: Duration,
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let now = codeflix_eventlog::now();
        let micros = i64::try_from(self.offset.as_micros()).unwrap_or(i64::MAX);
        Timestamp::from_unix_micros(now.unix_micros().saturating_add(micros)).unwrap_or(now)
    }
}

/// A clock tests set by hand.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    pub fn new(at: Timestamp) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(at)))
    }

    pub fn set(&self, at: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What stops a pass (a step's own failure only skips its subscription until the next pass).
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error("reading the subscriptions view")]
    View(#[source] StoreError),
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    /// Subscriptions the view showed due.
    pub due: usize,
    /// Steps that appended something.
    pub done: usize,
    /// Steps another scheduler (or an earlier pass) had done already.
    pub replayed: usize,
    /// Subscriptions left for the next pass: the provider did not answer, the event log failed,
    /// or the domain refused.
    pub failed: usize,
}

/// Renews, retries, notes and expires subscriptions as time makes them due.
#[derive(Debug, Clone)]
pub struct Scheduler {
    log: Arc<EventLog>,
    view: Arc<dyn CatalogReads>,
    payments: Arc<dyn PaymentProvider>,
    clock: Arc<dyn Clock>,
    metrics: SchedulerMetrics,
    /// Names the scheduler in the events' actor.
    name: String,
}

/// Subscriptions read from the view at once.
const PAGE: usize = 100;

/// Steps taken on one subscription in one pass, at most (a trial's notice, then its charge, …).
const STEPS_PER_PASS: usize = 8;

/// The namespace of the command ids the scheduler derives.
const COMMANDS: Uuid = Uuid::from_u128(0x1f6e_93a2_0c47_4b85_b3d9_6a02_e7c1_58f4);

enum Taken {
    Done,
    Replayed,
    /// Nothing more to do now.
    Idle,
    Failed,
}

impl Scheduler {
    pub fn new(
        log: Arc<EventLog>,
        view: Arc<dyn CatalogReads>,
        payments: Arc<dyn PaymentProvider>,
        clock: Arc<dyn Clock>,
        metrics: SchedulerMetrics,
    ) -> Scheduler {
        Scheduler {
            log,
            view,
            payments,
            clock,
            metrics,
            name: "billing-scheduler".to_owned(),
        }
    }

    /// Passes over what is due every `every` until `shutdown`. A pass that cannot read the
    /// view ends the loop with its error (its supervisor starts it again and reports it down
    /// meanwhile); a step that fails only waits for the next pass.
    pub async fn run(
        &self,
        every: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), SchedulerError> {
        tokio::pin!(shutdown);
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                _ = ticks.tick() => {
                    let pass = self.pass().await?;
                    if pass.due > 0 {
                        tracing::info!(?pass, "billing pass");
                    }
                }
            }
        }
    }

    /// One pass: every subscription the view shows due now, earliest first.
    pub async fn pass(&self) -> Result<Pass, SchedulerError> {
        let now = self.clock.now();
        let horizon = instant(now);
        let mut query = ListQuery {
            audience: Audience::Admins,
            sort: SortKey::Due,
            limit: PAGE,
            ..ListQuery::new(DocKind::Subscription)
        };
        let mut pass = Pass::default();
        'pages: loop {
            let page = self.view.list(&query).await.map_err(SchedulerError::View)?;
            for doc in &page.docs {
                let Doc::Subscription(view) = doc else {
                    continue;
                };
                match &view.next_due_at {
                    Some(due) if *due <= horizon => {}
                    // Sorted by when: nothing after this one is due either.
                    _ => break 'pages,
                }
                pass.due += 1;
                self.settle(view.id, now, &mut pass).await;
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        self.metrics.passed(pass.due, now.unix_micros() / 1_000_000);
        Ok(pass)
    }

    /// Takes every step due on subscription `id` at `now`, one after the other.
    async fn settle(&self, id: Uuid, now: Timestamp, pass: &mut Pass) {
        for _ in 0..STEPS_PER_PASS {
            match self.step(id, now).await {
                Taken::Done => pass.done += 1,
                Taken::Replayed => pass.replayed += 1,
                Taken::Idle => return,
                Taken::Failed => {
                    pass.failed += 1;
                    return;
                }
            }
        }
    }

    /// The step due next on the subscription as the event log has it, if it is due at `now`.
    async fn step(&self, id: Uuid, now: Timestamp) -> Taken {
        let subscription_id = SubscriptionId::new(id);
        let loaded = match self.log.load::<Subscription>(&subscription_id).await {
            Ok(loaded) => loaded,
            Err(error) => {
                tracing::warn!(subscription = %id, error = %codeflix_domain::Report(&error), "loading a subscription");
                return Taken::Failed;
            }
        };
        let Some(due) = loaded.state().timeline().and_then(|t| t.next_due()) else {
            return Taken::Idle;
        };
        if due.at > now {
            return Taken::Idle;
        }
        let label = label(due.step);
        let command: SubscriptionCommand = match due.step {
            Step::NoteTrialEnding => NoteTrialEnding { at: now }.into(),
            Step::Expire => ExpireSubscription { at: now }.into(),
            Step::Charge { renewal, attempt } => {
                match self.charge(id, loaded.state(), renewal, attempt, now).await {
                    Ok(command) => command,
                    Err(()) => {
                        self.metrics.step(label, "unavailable");
                        return Taken::Failed;
                    }
                }
            }
        };
        let declined = matches!(command, SubscriptionCommand::RecordPaymentFailure(_));
        let ctx = CommandContext {
            command_id: command_id(id, due),
            correlation_id: command_id(id, due),
            actor: self.name.clone(),
            now,
        };
        let result = self
            .log
            .execute::<Subscription>(
                &ctx,
                &subscription_id,
                ExpectedVersion::Exactly(loaded.version()),
                command,
            )
            .await;
        match result {
            Ok(appended) if appended.replayed => {
                self.metrics.step(label, "replayed");
                Taken::Replayed
            }
            Ok(appended) if appended.event_ids.is_empty() => {
                self.metrics.step(label, "skipped");
                Taken::Idle
            }
            Ok(_) => {
                self.metrics
                    .step(label, if declined { "declined" } else { "done" });
                Taken::Done
            }
            // Changed since it was loaded (the customer paid, canceled, …): decide again.
            Err(ExecuteError::Conflict { .. }) => Taken::Replayed,
            Err(ExecuteError::Rejected(error)) => {
                tracing::warn!(subscription = %id, step = label, %error, "the domain refused a due step");
                self.metrics.step(label, "refused");
                Taken::Failed
            }
            Err(error) => {
                tracing::warn!(subscription = %id, step = label, error = %codeflix_domain::Report(&error), "appending a due step");
                self.metrics.step(label, "unavailable");
                Taken::Failed
            }
        }
    }

    /// Charges period `renewal + 1` (attempt `attempt`); the command that records what came of
    /// it, or `Err` when the provider did not answer (asked again on the next pass).
    async fn charge(
        &self,
        id: Uuid,
        subscription: &Subscription,
        renewal: u32,
        attempt: u32,
        now: Timestamp,
    ) -> Result<SubscriptionCommand, ()> {
        let failure = |reason: &str| -> SubscriptionCommand {
            RecordPaymentFailure {
                failed_at: now,
                reason: Reason::parse(reason)
                    .or_else(|_| Reason::parse("the payment failed"))
                    .expect("a fixed, valid reason"),
            }
            .into()
        };
        let (Some(method), Some((amount_minor, currency)), Some(account)) = (
            subscription.payment_method(),
            subscription.price(),
            subscription.account_id(),
        ) else {
            return Ok(failure("the subscription has no payment method"));
        };
        if amount_minor == 0 {
            return Ok(RenewSubscription {
                paid_at: now,
                charge_id: None,
            }
            .into());
        }
        let charge = Charge {
            idempotency_key: format!("subscription/{id}/period/{}/attempt/{attempt}", renewal + 1),
            customer: account.to_owned(),
            payment_method: method.to_owned(),
            amount_minor,
            currency: currency.to_owned(),
            description: "Codeflix subscription".to_owned(),
            requested_at: now,
        };
        match self.payments.charge(&charge).await {
            Ok(record) => Ok(match record.outcome {
                Outcome::Approved => RenewSubscription {
                    paid_at: record.created_at,
                    charge_id: Some(record.charge_id),
                }
                .into(),
                Outcome::Declined { code, message } => failure(&format!("{message} ({code})")),
            }),
            Err(PaymentError::KeyReused { key }) => {
                tracing::error!(subscription = %id, key, "a charge's key was used for another charge");
                Err(())
            }
            Err(error) => {
                tracing::warn!(subscription = %id, provider = self.payments.name(), error = %codeflix_domain::Report(&error), "charging a renewal");
                Err(())
            }
        }
    }
}

fn label(step: Step) -> &'static str {
    match step {
        Step::NoteTrialEnding => "trial_notice",
        Step::Charge { .. } => "charge",
        Step::Expire => "expire",
    }
}

/// The command id of `due` on subscription `id`: the same for every scheduler, every pass.
fn command_id(id: Uuid, due: Due) -> Uuid {
    let name = format!("{id}/{}/{}", due.step.name(), due.at.unix_micros());
    Uuid::new_v5(&COMMANDS, name.as_bytes())
}

/// The view's form of an instant, which sorts like the instant.
fn instant(at: Timestamp) -> String {
    at.to_rfc3339_micros()
}
