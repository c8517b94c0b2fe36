//! The documents the projections keep: one per aggregate, at the version of the last event
//! applied to it. Every store keeps these same documents (and indexes them its own way), so a
//! rebuild into any store gives the same answers.

use codeflix_domain::Timestamp;
use codeflix_domain::subscriptions::subscription::{SubscriptionStatus, Timeline};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Which kind of aggregate a document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Category,
    Genre,
    CastMember,
    Video,
    Plan,
    Subscription,
    Account,
    Notification,
    Encoding,
}

impl DocKind {
    pub const ALL: [DocKind; 9] = [
        DocKind::Category,
        DocKind::Genre,
        DocKind::CastMember,
        DocKind::Video,
        DocKind::Plan,
        DocKind::Subscription,
        DocKind::Account,
        DocKind::Notification,
        DocKind::Encoding,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DocKind::Category => "category",
            DocKind::Genre => "genre",
            DocKind::CastMember => "cast_member",
            DocKind::Video => "video",
            DocKind::Plan => "plan",
            DocKind::Subscription => "subscription",
            DocKind::Account => "account",
            DocKind::Notification => "notification",
            DocKind::Encoding => "encoding",
        }
    }
}

/// Identifies a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocKey {
    pub kind: DocKind,
    pub id: Uuid,
}

/// A category as the catalog shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CategoryView {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    #[serde(default)]
    pub deleted: bool,
    /// The category's version: the number of events applied to it.
    pub version: u64,
    /// RFC 3339, microseconds, UTC.
    pub created_at: String,
    pub updated_at: String,
}

/// A genre and the categories it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GenreView {
    pub id: Uuid,
    pub name: String,
    pub active: bool,
    #[serde(default)]
    pub deleted: bool,
    pub categories: Vec<Uuid>,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// A cast member: an actor or a director.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CastMemberView {
    pub id: Uuid,
    pub name: String,
    /// `ACTOR` or `DIRECTOR`.
    pub kind: String,
    #[serde(default)]
    pub deleted: bool,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// A file in one of a video's slots and how far its processing got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MediaView {
    /// `VIDEO`, `TRAILER`, `BANNER`, `THUMBNAIL` or `THUMBNAIL_HALF`.
    pub slot: String,
    pub media_id: Uuid,
    /// `PENDING`, `PROCESSING`, `COMPLETED` or `ERROR`.
    pub status: String,
    /// SHA-256 of the uploaded file, lowercase hex.
    pub checksum: String,
    pub size_bytes: u64,
    pub content_type: String,
    pub raw_location: String,
    /// Where the processed media is (for videos: the HLS/DASH manifests' folder).
    pub encoded_location: Option<String>,
    /// Why processing failed.
    pub error: Option<String>,
}

/// A video with every id it refers to; names are joined by whoever reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VideoView {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub launch_year: u16,
    pub duration_minutes: u32,
    /// `ER`, `L`, `10`, `12`, `14`, `16` or `18`.
    pub rating: String,
    pub opened: bool,
    pub published: bool,
    #[serde(default)]
    pub deleted: bool,
    pub categories: Vec<Uuid>,
    pub genres: Vec<Uuid>,
    pub cast_members: Vec<Uuid>,
    /// One entry per filled slot, in slot order.
    pub media: Vec<MediaView>,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl VideoView {
    /// Whether viewers see it: published and not deleted.
    pub fn visible(&self) -> bool {
        self.published && !self.deleted
    }
}

/// A plan customers subscribe to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PlanView {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// The price of a period for new subscriptions, in minor units of `currency`.
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// `MONTHLY` or `YEARLY`.
    pub billing_period: String,
    /// Free days before the first charge.
    pub trial_days: u16,
    /// Whether new subscriptions are taken.
    pub active: bool,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// A payment made or tried for a subscription: a receipt, or a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PaymentView {
    /// RFC 3339.
    pub at: String,
    /// `PAID` or `FAILED`.
    pub outcome: String,
    pub amount_minor: i64,
    pub currency: String,
    /// The payment provider's id of the charge.
    pub charge_id: Option<String>,
    /// The period paid for.
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// Why it failed.
    pub reason: Option<String>,
}

/// One event of an aggregate's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    pub version: u64,
    /// The event's type, e.g. `SubscriptionRenewed`.
    pub event: String,
    /// When it happened (RFC 3339).
    pub at: String,
    /// Who caused it: a token's subject, or the service that reacted.
    pub actor: String,
}

/// A customer's subscription: its terms, where it is in its lifecycle, what was paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionView {
    pub id: Uuid,
    /// The identity provider's subject of the account.
    pub account_id: String,
    pub plan_id: Uuid,
    /// `TRIALING`, `ACTIVE`, `PAST_DUE`, `CANCELED`, `EXPIRED` or `INCOMPLETE`.
    pub status: String,
    /// What each period costs: the plan's price when the subscription started.
    pub amount_minor: i64,
    pub currency: String,
    pub billing_period: String,
    /// The payment provider's token renewals are charged to.
    pub payment_method: Option<String>,
    pub started_at: String,
    pub trial_ends_at: Option<String>,
    /// The end of the period paid for or of the trial; for INCOMPLETE, the deadline to pay.
    pub current_period_end: String,
    /// Whether the trial's end was noted.
    pub trial_noticed: bool,
    /// Periods paid after the first.
    pub renewals: u32,
    /// Failed attempts at the payment due, while PAST_DUE.
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub canceled_at: Option<String>,
    /// When a canceled subscription's access ends.
    pub ends_at: Option<String>,
    pub cancel_reason: Option<String>,
    pub expired_at: Option<String>,
    /// When access ends unless something is paid or taken back.
    pub access_ends_at: Option<String>,
    /// When the scheduler has something to do next (charge, notice, expiry); none once
    /// expired.
    pub next_due_at: Option<String>,
    /// Receipts and failed payments, oldest first.
    pub payments: Vec<PaymentView>,
    /// Every event of the subscription, oldest first: its timeline.
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// The instants of a view, read back.
fn instant(text: &str) -> Option<Timestamp> {
    text.parse().ok()
}

/// The domain's timeline of a subscription kept as text (a view, a mirrored row); none when a
/// field does not parse.
pub fn timeline_of(
    status: &str,
    due_date: &str,
    trial_ends_at: Option<&str>,
    trial_noticed: bool,
    (renewals, attempts): (u32, u32),
    next_attempt_at: Option<&str>,
    ends_at: Option<&str>,
) -> Option<Timeline> {
    let optional = |text: Option<&str>| match text {
        Some(text) => instant(text).map(Some),
        None => Some(None),
    };
    Some(Timeline {
        status: SubscriptionStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == status)?,
        due_date: instant(due_date)?,
        trial_ends_at: optional(trial_ends_at)?,
        trial_noticed,
        renewals,
        attempts,
        next_attempt_at: optional(next_attempt_at)?,
        ends_at: optional(ends_at)?,
    })
}

impl SubscriptionView {
    /// The domain's timeline of this subscription, to ask what it grants and what is due.
    pub fn timeline(&self) -> Option<Timeline> {
        timeline_of(
            &self.status,
            &self.current_period_end,
            self.trial_ends_at.as_deref(),
            self.trial_noticed,
            (self.renewals, self.attempts),
            self.next_attempt_at.as_deref(),
            self.ends_at.as_deref(),
        )
    }

    /// Whether the subscription lets its account watch at `now`.
    pub fn grants_access_at(&self, now: Timestamp) -> bool {
        self.timeline().is_some_and(|t| t.grants_access_at(now))
    }
}

/// A customer's or an admin's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccountView {
    /// [`account_doc_id`] of the subject.
    pub id: Uuid,
    /// The identity provider's subject (`sub`).
    pub subject: String,
    pub email: String,
    pub display_name: String,
    /// Roles, sorted.
    pub roles: Vec<String>,
    /// E.164, for SMS.
    #[serde(default)]
    pub phone: Option<String>,
    /// The language of messages (BCP 47); none: the default.
    #[serde(default)]
    pub locale: Option<String>,
    /// The message categories opted out of (`account`, `marketing`), sorted.
    #[serde(default)]
    pub opted_out: Vec<String>,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// The id of an account's document: accounts are keyed by the identity provider's subject,
/// any text, and documents by UUID.
pub fn account_doc_id(subject: &str) -> Uuid {
    const NAMESPACE: Uuid = Uuid::from_u128(0x3b9f_0c1e_77a4_4d2b_8e65_f1a0_92c3_d417);
    Uuid::new_v5(&NAMESPACE, subject.as_bytes())
}

/// An email or SMS and how its delivery went: the notifications context's delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    /// The message (`video-ready`, `subscription-welcome`, …).
    pub kind: String,
    /// `EMAIL` or `SMS`.
    pub channel: String,
    /// The address or number it went to.
    pub recipient: String,
    /// The account it was for, when the notifier knew it.
    pub account: Option<String>,
    /// `REQUESTED`, `ATTEMPTING`, `SENT` or `FAILED`.
    pub status: String,
    /// For `FAILED`: whether another attempt will be made.
    pub retryable: Option<bool>,
    pub attempts: u32,
    /// What the provider called the delivered message.
    pub provider_message_id: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub requested_at: String,
    pub sent_at: Option<String>,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// An encoding job: how far the encoder got with one upload of a video or trailer (its id is
/// the upload's media id), for the admins' live progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EncodingView {
    /// The media id of the upload.
    pub id: Uuid,
    pub video_id: Uuid,
    /// `VIDEO` or `TRAILER`.
    pub slot: String,
    /// `REQUESTED`, `RUNNING`, `FINISHED` or `FAILED`.
    pub status: String,
    /// The attempt running or last run, from 1; 0 before the first.
    pub attempt: u32,
    /// How far the attempt got, 0 to 100.
    pub percent: u8,
    /// The worker running or that ran the attempt.
    pub worker: Option<String>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// After a failure: whether another attempt may succeed (a re-drive of the encoder's dead
    /// letter gives one), or not (the file is not a video).
    #[serde(default)]
    pub retryable: Option<bool>,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// Any document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Doc {
    Category(CategoryView),
    Genre(GenreView),
    CastMember(CastMemberView),
    Video(VideoView),
    Plan(PlanView),
    /// Boxed: by far the largest document (its payments grow with it).
    Subscription(Box<SubscriptionView>),
    Account(AccountView),
    Notification(NotificationView),
    Encoding(EncodingView),
}

impl Doc {
    pub fn key(&self) -> DocKey {
        let (kind, id) = match self {
            Doc::Category(d) => (DocKind::Category, d.id),
            Doc::Genre(d) => (DocKind::Genre, d.id),
            Doc::CastMember(d) => (DocKind::CastMember, d.id),
            Doc::Video(d) => (DocKind::Video, d.id),
            Doc::Plan(d) => (DocKind::Plan, d.id),
            Doc::Subscription(d) => (DocKind::Subscription, d.id),
            Doc::Account(d) => (DocKind::Account, d.id),
            Doc::Notification(d) => (DocKind::Notification, d.id),
            Doc::Encoding(d) => (DocKind::Encoding, d.id),
        };
        DocKey { kind, id }
    }

    pub fn version(&self) -> u64 {
        match self {
            Doc::Category(d) => d.version,
            Doc::Genre(d) => d.version,
            Doc::CastMember(d) => d.version,
            Doc::Video(d) => d.version,
            Doc::Plan(d) => d.version,
            Doc::Subscription(d) => d.version,
            Doc::Account(d) => d.version,
            Doc::Notification(d) => d.version,
            Doc::Encoding(d) => d.version,
        }
    }

    pub fn deleted(&self) -> bool {
        match self {
            Doc::Category(d) => d.deleted,
            Doc::Genre(d) => d.deleted,
            Doc::CastMember(d) => d.deleted,
            Doc::Video(d) => d.deleted,
            Doc::Plan(_)
            | Doc::Subscription(_)
            | Doc::Account(_)
            | Doc::Notification(_)
            | Doc::Encoding(_) => false,
        }
    }

    /// The name documents are listed by (videos: the title; subscriptions: the account;
    /// accounts: the email).
    pub fn name(&self) -> &str {
        match self {
            Doc::Category(d) => &d.name,
            Doc::Genre(d) => &d.name,
            Doc::CastMember(d) => &d.name,
            Doc::Video(d) => &d.title,
            Doc::Plan(d) => &d.name,
            Doc::Subscription(d) => &d.account_id,
            Doc::Account(d) => &d.email,
            Doc::Notification(d) => &d.recipient,
            Doc::Encoding(d) => &d.slot,
        }
    }

    /// Whether viewers see it: active categories, genres and plans, every cast member,
    /// published videos; never deleted ones. Subscriptions and accounts are only ever shown to
    /// their owner and to admins, never in viewers' lists.
    pub fn visible(&self) -> bool {
        !self.deleted()
            && match self {
                Doc::Category(d) => d.active,
                Doc::Genre(d) => d.active,
                Doc::CastMember(_) => true,
                Doc::Video(d) => d.visible(),
                Doc::Plan(d) => d.active,
                Doc::Subscription(_)
                | Doc::Account(_)
                | Doc::Notification(_)
                | Doc::Encoding(_) => false,
            }
    }

    pub fn created_at(&self) -> &str {
        match self {
            Doc::Category(d) => &d.created_at,
            Doc::Genre(d) => &d.created_at,
            Doc::CastMember(d) => &d.created_at,
            Doc::Video(d) => &d.created_at,
            Doc::Plan(d) => &d.created_at,
            // When it started, which is what "newest" means for a subscription (the same as when
            // its first event happened, unless the start was recorded late).
            Doc::Subscription(d) => &d.started_at,
            Doc::Account(d) => &d.created_at,
            Doc::Notification(d) => &d.created_at,
            Doc::Encoding(d) => &d.created_at,
        }
    }
}
