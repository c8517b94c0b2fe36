//! One or more sample events of every event type, with optional fields both set and unset.

use std::collections::BTreeMap;

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
use codeflix_domain::{AnyEvent, EventId, EventMetadata, Timestamp, Version};
use uuid::Uuid;

pub(crate) fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(crate) fn metadata_for(event: &AnyEvent, version: u64) -> EventMetadata {
    EventMetadata {
        event_id: EventId(id(1000 + version as u128)),
        aggregate_type: event.aggregate_type(),
        aggregate_id: id(1).to_string(),
        aggregate_version: Version::new(version),
        occurred_at: Timestamp::from_unix_micros(1_790_000_000_123_456).unwrap(),
        correlation_id: id(2),
        causation_id: id(3),
        actor: "admin-1".into(),
    }
}

fn rendition(name: &str, height: u32) -> Rendition {
    Rendition {
        name: name.into(),
        width: height * 16 / 9,
        height,
        bandwidth_bps: 5_000_000,
        codecs: "avc1.640028,mp4a.40.2".into(),
        playlist_location: format!("hls/{name}/index.m3u8"),
    }
}

pub(crate) fn all() -> Vec<AnyEvent> {
    let video: Vec<VideoEvent> = vec![
        VideoCreated {
            title: "Cidade de Deus".into(),
            description: "Rio, anos 70.\nDois meninos.".into(),
            launch_year: 2002,
            duration_minutes: 130,
            rating: Rating::Age16,
            opened: false,
            categories: vec![CategoryId::new(id(10)), CategoryId::new(id(11))],
            genres: vec![GenreId::new(id(20))],
            cast_members: vec![],
        }
        .into(),
        VideoUpdated {
            title: "Cidade de Deus".into(),
            description: "…".into(),
            launch_year: 2002,
            duration_minutes: 130,
            rating: Rating::Er,
            opened: true,
        }
        .into(),
        VideoCategoryAttached {
            category_id: CategoryId::new(id(12)),
        }
        .into(),
        VideoCategoryDetached {
            category_id: CategoryId::new(id(12)),
        }
        .into(),
        VideoGenreAttached {
            genre_id: GenreId::new(id(21)),
        }
        .into(),
        VideoGenreDetached {
            genre_id: GenreId::new(id(21)),
        }
        .into(),
        VideoCastMemberAttached {
            cast_member_id: CastMemberId::new(id(30)),
        }
        .into(),
        VideoCastMemberDetached {
            cast_member_id: CastMemberId::new(id(30)),
        }
        .into(),
        VideoUploaded {
            media_id: MediaId::new(id(40)),
            slot: MediaSlot::ThumbnailHalf,
            checksum: "ab".repeat(32),
            size_bytes: 50 * 1024 * 1024 * 1024,
            content_type: "image/webp".into(),
            raw_location: "s3://codeflix/raw/40".into(),
        }
        .into(),
        MediaProcessingStarted {
            media_id: MediaId::new(id(40)),
            slot: MediaSlot::Video,
        }
        .into(),
        MediaProcessingCompleted {
            media_id: MediaId::new(id(40)),
            slot: MediaSlot::Trailer,
            encoded_location: "hls/40/master.m3u8".into(),
        }
        .into(),
        MediaProcessingFailed {
            media_id: MediaId::new(id(40)),
            slot: MediaSlot::Video,
            reason: "moov atom not found".into(),
        }
        .into(),
        VideoPublished.into(),
        VideoUnpublished.into(),
        VideoDeleted.into(),
    ];
    let mut events: Vec<AnyEvent> = vec![
        CategoryEvent::from(CategoryCreated {
            name: "Filmes".into(),
            description: Some("Longas".into()),
            active: true,
        })
        .into(),
        CategoryEvent::from(CategoryCreated {
            name: "Séries".into(),
            description: None,
            active: false,
        })
        .into(),
        CategoryEvent::from(CategoryUpdated {
            name: "Films".into(),
            description: None,
        })
        .into(),
        CategoryEvent::from(CategoryActivated).into(),
        CategoryEvent::from(CategoryDeactivated).into(),
        CategoryEvent::from(CategoryDeleted).into(),
        GenreEvent::from(GenreCreated {
            name: "Drama".into(),
            active: true,
            categories: vec![CategoryId::new(id(10))],
        })
        .into(),
        GenreEvent::from(GenreUpdated {
            name: "Drama".into(),
            categories: vec![],
        })
        .into(),
        GenreEvent::from(GenreActivated).into(),
        GenreEvent::from(GenreDeactivated).into(),
        GenreEvent::from(GenreDeleted).into(),
        CastMemberEvent::from(CastMemberCreated {
            name: "Fernanda Montenegro".into(),
            kind: CastMemberType::Actor,
        })
        .into(),
        CastMemberEvent::from(CastMemberUpdated {
            name: "Fernando Meirelles".into(),
            kind: CastMemberType::Director,
        })
        .into(),
        CastMemberEvent::from(CastMemberDeleted).into(),
        EncodingJobEvent::from(EncodingRequested {
            video_id: VideoId::new(id(1)),
            media_id: MediaId::new(id(40)),
            slot: MediaSlot::Video,
            source_location: "raw/40".into(),
            checksum: "cd".repeat(32),
        })
        .into(),
        EncodingJobEvent::from(EncodingStarted {
            attempt: 2,
            worker: "encoder-7".into(),
        })
        .into(),
        EncodingJobEvent::from(EncodingProgressed {
            attempt: 2,
            percent: 100,
        })
        .into(),
        EncodingJobEvent::from(EncodingFinished {
            attempt: 2,
            renditions: vec![rendition("1080p", 1080), rendition("360p", 360)],
            hls_manifest_location: "hls/40/master.m3u8".into(),
            dash_manifest_location: "dash/40/manifest.mpd".into(),
            duration_ms: 7_200_000,
        })
        .into(),
        EncodingJobEvent::from(EncodingFailed {
            attempt: 1,
            reason: "killed".into(),
            retryable: true,
        })
        .into(),
        PlanEvent::from(PlanCreated {
            name: "Premium".into(),
            description: Some("4K".into()),
            amount_minor: 5590,
            currency: "BRL".into(),
            billing_period: BillingPeriod::Yearly,
            trial_days: 30,
            active: true,
        })
        .into(),
        PlanEvent::from(PlanUpdated {
            name: "Premium".into(),
            description: None,
            amount_minor: 0,
            currency: "USD".into(),
            trial_days: 0,
        })
        .into(),
        PlanEvent::from(PlanActivated).into(),
        PlanEvent::from(PlanDeactivated).into(),
        SubscriptionEvent::from(SubscriptionStarted {
            account_id: "f:abc:ana".into(),
            plan_id: PlanId::new(id(50)),
            amount_minor: 2990,
            currency: "BRL".into(),
            billing_period: BillingPeriod::Monthly,
            status: SubscriptionStatus::Trialing,
            started_at: at("2026-11-01T00:00:00Z"),
            trial_ends_at: Some(at("2026-11-08T00:00:00Z")),
            due_date: at("2026-11-08T00:00:00Z"),
            payment_failure: None,
            payment_method: Some("card_4242424242424242".into()),
            charge_id: None,
        })
        .into(),
        SubscriptionEvent::from(SubscriptionPaymentMethodChanged {
            payment_method: "card_4000000000000341".into(),
            changed_at: at("2026-11-04T00:00:00Z"),
        })
        .into(),
        SubscriptionEvent::from(SubscriptionTrialEnding {
            noted_at: at("2026-11-05T00:00:00Z"),
            trial_ends_at: at("2026-11-08T00:00:00Z"),
        })
        .into(),
        SubscriptionEvent::from(SubscriptionStarted {
            account_id: "f:abc:cy".into(),
            plan_id: PlanId::new(id(50)),
            amount_minor: 2990,
            currency: "BRL".into(),
            billing_period: BillingPeriod::Monthly,
            status: SubscriptionStatus::Incomplete,
            started_at: at("2026-11-01T00:00:00Z"),
            trial_ends_at: None,
            due_date: at("2026-11-01T23:00:00Z"),
            payment_failure: Some("card declined".into()),
            payment_method: None,
            charge_id: None,
        })
        .into(),
        SubscriptionEvent::from(SubscriptionActivated {
            paid_at: at("2026-11-01T02:00:00Z"),
            amount_minor: 2990,
            currency: "BRL".into(),
            period_start: at("2026-11-01T02:00:00Z"),
            period_end: at("2026-12-01T02:00:00Z"),
            charge_id: Some("ch_3Nq".into()),
        })
        .into(),
        SubscriptionEvent::from(SubscriptionStarted {
            account_id: "f:abc:bo".into(),
            plan_id: PlanId::new(id(50)),
            amount_minor: 2990,
            currency: "BRL".into(),
            billing_period: BillingPeriod::Monthly,
            status: SubscriptionStatus::Active,
            started_at: at("2026-11-01T00:00:00Z"),
            trial_ends_at: None,
            due_date: at("2026-12-01T00:00:00Z"),
            payment_failure: None,
            payment_method: Some("pm_1Nq2xY".into()),
            charge_id: Some("ch_3Np".into()),
        })
        .into(),
        SubscriptionEvent::from(SubscriptionRenewed {
            renewal: 3,
            paid_at: at("2026-12-01T00:00:01.5Z"),
            amount_minor: 2990,
            currency: "BRL".into(),
            period_start: at("2026-12-01T00:00:00Z"),
            period_end: at("2027-01-01T00:00:00Z"),
            charge_id: Some("ch_3Nq".into()),
        })
        .into(),
        SubscriptionEvent::from(SubscriptionPastDue {
            failed_at: at("2027-01-01T00:00:00Z"),
            reason: "insufficient funds".into(),
            attempt: 1,
            next_attempt_at: Some(at("2027-01-02T00:00:00Z")),
        })
        .into(),
        SubscriptionEvent::from(SubscriptionPaymentRetryFailed {
            attempt: 2,
            failed_at: at("2027-01-02T00:00:00Z"),
            reason: "insufficient funds".into(),
            next_attempt_at: Some(at("2027-01-04T00:00:00Z")),
        })
        .into(),
        SubscriptionEvent::from(SubscriptionPaymentRetryFailed {
            attempt: 4,
            failed_at: at("2027-01-06T00:00:00Z"),
            reason: "insufficient funds".into(),
            next_attempt_at: None,
        })
        .into(),
        SubscriptionEvent::from(SubscriptionCanceled {
            canceled_at: at("2027-01-02T00:00:00Z"),
            ends_at: at("2027-01-02T00:00:00Z"),
            reason: Some("too expensive".into()),
        })
        .into(),
        SubscriptionEvent::from(SubscriptionCanceled {
            canceled_at: at("2027-01-02T00:00:00Z"),
            ends_at: at("2027-02-01T00:00:00Z"),
            reason: None,
        })
        .into(),
        SubscriptionEvent::from(SubscriptionUncanceled {
            uncanceled_at: at("2027-01-10T00:00:00Z"),
            status: SubscriptionStatus::Active,
        })
        .into(),
        SubscriptionEvent::from(SubscriptionExpired {
            expired_at: at("2027-02-01T00:00:00Z"),
        })
        .into(),
        AccountEvent::from(AccountRegistered {
            email: "ana@example.com".into(),
            display_name: "Ana".into(),
            roles: vec!["catalog-admin".into(), "viewer".into()],
            phone: None,
            locale: Some("en".into()),
        })
        .into(),
        AccountEvent::from(AccountProfileUpdated {
            email: "ana@codeflix.example".into(),
            display_name: "Ana Souza".into(),
            phone: Some("+5511912345678".into()),
            locale: Some("pt-BR".into()),
        })
        .into(),
        AccountEvent::from(AccountRolesChanged { roles: vec![] }).into(),
        AccountEvent::from(AccountOptOutsChanged {
            opted_out: vec!["account".into(), "marketing".into()],
        })
        .into(),
        NotificationEvent::from(NotificationRequested {
            template: "subscription.started".into(),
            channel: Channel::Email,
            recipient: "ana@example.com".into(),
            data: BTreeMap::from([
                ("plan".into(), "Premium".into()),
                ("price".into(), "R$ 55,90".into()),
            ]),
        })
        .into(),
        NotificationEvent::from(NotificationRequested {
            template: "otp".into(),
            channel: Channel::Sms,
            recipient: "+5511912345678".into(),
            data: BTreeMap::new(),
        })
        .into(),
        NotificationEvent::from(NotificationAttemptStarted {
            attempt: 1,
            worker: "notifier-host-1:4242:9f2c".into(),
            lease_until: at("2026-11-22T10:01:00Z"),
        })
        .into(),
        NotificationEvent::from(NotificationSent {
            attempt: 1,
            provider_message_id: "ses-123".into(),
            sent_at: at("2026-11-22T10:00:00Z"),
        })
        .into(),
        NotificationEvent::from(NotificationFailed {
            attempt: 2,
            reason: "mailbox full".into(),
            retryable: false,
            failed_at: at("2026-11-22T10:00:00Z"),
        })
        .into(),
    ];
    events.extend(video.into_iter().map(AnyEvent::from));
    events
}
