//! The contract every [`CatalogReads`] adapter keeps, run against each of them: the embedded store
//! always, ScyllaDB when `CODEFLIX_TEST_SCYLLA_URL` is set.
//!
//! [`run`] takes an empty store. Lists are checked against a reference answer computed in memory
//! from [`ListQuery::admits`] and [`SortKey::value`] over a generated catalog, for every sort, both
//! directions, several filters and page sizes.

use uuid::Uuid;

use super::{Audience, CatalogReads, Changes, DocStore, Link, ListQuery, SortKey, VideoFilter};
use crate::Position;
use crate::views::{
    CastMemberView, CategoryView, Doc, DocKey, DocKind, EncodingView, MediaView, PlanView,
    SubscriptionView, VideoView, account_doc_id,
};

/// A small deterministic generator, so that a failure names a reproducible catalog.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn id(n: u64) -> Uuid {
    Uuid::from_u64_pair(0x00c0_ffee, n)
}

fn at(n: u64) -> String {
    format!("2026-01-{:02}T00:00:{:02}.000000Z", 1 + n % 28, n % 60)
}

fn category(n: u64, active: bool) -> Doc {
    Doc::Category(CategoryView {
        id: id(n),
        name: format!("Category {}", n % 7),
        description: Some(format!("about {n}")),
        active,
        deleted: false,
        version: 1,
        created_at: at(n),
        updated_at: at(n),
    })
}

/// A generated catalog: categories, cast members and videos referring to them.
pub fn catalog(seed: u64) -> Vec<Doc> {
    let mut rng = Lcg(seed);
    let mut docs: Vec<Doc> = (0..6).map(|n| category(n, n != 5)).collect();
    docs.extend((10..14).map(|n| {
        Doc::CastMember(CastMemberView {
            id: id(n),
            name: format!("Person {n}"),
            kind: if n % 2 == 0 { "ACTOR" } else { "DIRECTOR" }.to_owned(),
            deleted: n == 13,
            version: 1 + u64::from(n == 13),
            created_at: at(n),
            updated_at: at(n),
        })
    }));
    for n in 100..160 {
        let pick = |rng: &mut Lcg, from: u64, count: u64| {
            let mut ids: Vec<Uuid> = (0..rng.next(3))
                .map(|_| id(from + rng.next(count)))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let ratings = ["ER", "L", "10", "12", "14", "16", "18"];
        docs.push(Doc::Video(VideoView {
            id: id(n),
            // Duplicate titles (and case differences) so ties are broken by id.
            title: if n % 3 == 0 {
                format!("the video {}", n % 10)
            } else {
                format!("The Video {}", n % 10)
            },
            description: format!("number {n}"),
            launch_year: 1990 + rng.next(5) as u16,
            duration_minutes: 90,
            rating: ratings[rng.next(7) as usize].to_owned(),
            opened: false,
            published: rng.next(4) != 0,
            deleted: rng.next(10) == 0,
            categories: pick(&mut rng, 0, 6),
            genres: Vec::new(),
            cast_members: pick(&mut rng, 10, 4),
            media: media(&mut rng, n),
            version: 1 + rng.next(5),
            created_at: at(rng.next(50)),
            updated_at: at(n),
        }));
    }
    docs.extend(billing(&mut rng));
    docs.extend(encodings());
    docs
}

/// Up to two files, each in any state: what the admins' `media_status` lists link on.
fn media(rng: &mut Lcg, video: u64) -> Vec<MediaView> {
    let states = ["PENDING", "PROCESSING", "COMPLETED", "ERROR"];
    ["VIDEO", "TRAILER"]
        .into_iter()
        .take(rng.next(3) as usize)
        .enumerate()
        .map(|(i, slot)| {
            let status = states[rng.next(4) as usize];
            MediaView {
                slot: slot.to_owned(),
                media_id: id(video * 10 + i as u64),
                status: status.to_owned(),
                checksum: "a".repeat(64),
                size_bytes: 1,
                content_type: "video/mp4".to_owned(),
                raw_location: format!("raw/{video}/{slot}"),
                encoded_location: None,
                error: (status == "ERROR").then(|| "ffmpeg crashed".to_owned()),
            }
        })
        .collect()
}

/// Encoding jobs: read by key only, never listed.
fn encodings() -> Vec<Doc> {
    (0..3)
        .map(|n| {
            Doc::Encoding(EncodingView {
                id: id(1000 + n),
                video_id: id(100 + n),
                slot: "VIDEO".to_owned(),
                status: ["RUNNING", "FINISHED", "FAILED"][n as usize].to_owned(),
                attempt: 1,
                percent: [40, 100, 0][n as usize],
                worker: Some("worker-a".to_owned()),
                error: (n == 2).then(|| "ffmpeg crashed".to_owned()),
                retryable: (n == 2).then_some(true),
                version: 2 + n,
                created_at: at(n),
                updated_at: at(n),
            })
        })
        .collect()
}

const STATUSES: [&str; 6] = [
    "TRIALING",
    "ACTIVE",
    "PAST_DUE",
    "CANCELED",
    "EXPIRED",
    "INCOMPLETE",
];

/// Plans, and subscriptions of a few accounts to them in every status.
fn billing(rng: &mut Lcg) -> Vec<Doc> {
    let mut docs: Vec<Doc> = (200..203)
        .map(|n| {
            Doc::Plan(PlanView {
                id: id(n),
                name: format!("Plan {n}"),
                description: None,
                amount_minor: 1990,
                currency: "BRL".to_owned(),
                billing_period: "MONTHLY".to_owned(),
                trial_days: 7,
                active: n != 202,
                version: 1,
                created_at: at(n),
                updated_at: at(n),
            })
        })
        .collect();
    for n in 300..340 {
        let status = STATUSES[rng.next(6) as usize];
        docs.push(Doc::Subscription(Box::new(SubscriptionView {
            id: id(n),
            account_id: format!("account-{}", rng.next(5)),
            plan_id: id(200 + rng.next(3)),
            status: status.to_owned(),
            amount_minor: 1990,
            currency: "BRL".to_owned(),
            billing_period: "MONTHLY".to_owned(),
            payment_method: None,
            started_at: at(n),
            trial_ends_at: None,
            current_period_end: at(n + 30),
            trial_noticed: false,
            renewals: 0,
            attempts: 0,
            next_attempt_at: None,
            canceled_at: None,
            ends_at: None,
            cancel_reason: None,
            expired_at: None,
            access_ends_at: None,
            // Ties on purpose: several are due at the same instant.
            next_due_at: (status != "EXPIRED").then(|| at(rng.next(20))),
            payments: Vec::new(),
            history: Vec::new(),
            version: 1 + rng.next(3),
            created_at: at(rng.next(50)),
            updated_at: at(n),
        })));
    }
    docs
}

fn expected(docs: &[Doc], query: &ListQuery) -> Vec<Doc> {
    let mut admitted: Vec<Doc> = docs.iter().filter(|d| query.admits(d)).cloned().collect();
    admitted.sort_by_key(|doc| (query.sort.value(doc), doc.key().id));
    if query.descending {
        admitted.reverse();
    }
    admitted
}

async fn all_pages(store: &dyn CatalogReads, query: &ListQuery) -> Vec<Doc> {
    let mut query = query.clone();
    let mut got = Vec::new();
    for _ in 0..1000 {
        let page = store.list(&query).await.expect("list");
        assert!(
            page.docs.len() <= query.limit,
            "a page is longer than its limit"
        );
        got.extend(page.docs);
        match page.next {
            Some(cursor) => query.after = Some(cursor),
            None => return got,
        }
    }
    panic!("pagination did not end");
}

/// Runs the whole contract against an empty store.
pub async fn run<S: CatalogReads + DocStore>(store: &S) {
    commits_are_idempotent_and_never_go_back(store).await;
    positions_only_move_forward(store).await;
    store
        .commit(Changes {
            docs: Vec::new(),
            positions: Vec::new(),
        })
        .await
        .expect("an empty commit");
    lists_match_the_reference(store).await;
}

async fn commits_are_idempotent_and_never_go_back<S: CatalogReads + DocStore>(store: &S) {
    let key = DocKey {
        kind: DocKind::Category,
        id: id(9_000),
    };
    let Doc::Category(v1) = category(9_000, true) else {
        unreachable!()
    };
    let v2 = CategoryView {
        name: "Renamed".to_owned(),
        version: 2,
        ..v1.clone()
    };
    let changes = |doc: CategoryView| Changes {
        docs: vec![Doc::Category(doc)],
        positions: Vec::new(),
    };
    store.commit(changes(v1.clone())).await.expect("commit v1");
    assert_eq!(
        store.load(&[key]).await.expect("load"),
        vec![Doc::Category(v1.clone())]
    );
    store.commit(changes(v2.clone())).await.expect("commit v2");
    store
        .commit(changes(v2.clone()))
        .await
        .expect("commit v2 again");
    store.commit(changes(v1)).await.expect("commit v1 again");
    assert_eq!(
        store.load(&[key]).await.expect("load"),
        vec![Doc::Category(v2.clone())],
        "an older version must never replace a newer one"
    );
    let missing = DocKey {
        kind: DocKind::Video,
        id: id(9_000),
    };
    assert_eq!(
        store.load(&[missing, key]).await.expect("load"),
        vec![Doc::Category(v2.clone())],
        "documents are keyed by kind and id"
    );
    let deleted = CategoryView {
        deleted: true,
        version: 3,
        ..v2
    };
    store
        .commit(changes(deleted.clone()))
        .await
        .expect("commit v3");
    assert_eq!(
        store.export().await.expect("export"),
        vec![Doc::Category(deleted)]
    );
}

/// Positions committed lower than the stored ones change nothing; new partitions are added.
/// Every store and index keeps this contract.
pub(crate) async fn positions_only_move_forward<S: DocStore>(store: &S) {
    let at = |partition: i32, next_offset: i64| Position {
        topic: "codeflix.catalog.video.events".to_owned(),
        partition,
        offset: next_offset,
    };
    for positions in [vec![at(0, 10), at(2, 3)], vec![at(0, 4), at(1, 7)]] {
        store
            .commit(Changes {
                docs: Vec::new(),
                positions,
            })
            .await
            .expect("commit positions");
    }
    assert_eq!(
        store.positions().await.expect("positions"),
        vec![at(0, 10), at(1, 7), at(2, 3)]
    );
}

async fn lists_match_the_reference<S: CatalogReads + DocStore>(store: &S) {
    let before = store.export().await.expect("export");
    let docs = catalog(7);
    for chunk in docs.chunks(25) {
        store
            .commit(Changes {
                docs: chunk.to_vec(),
                positions: Vec::new(),
            })
            .await
            .expect("commit the catalog");
    }
    let mut all = before;
    all.extend(docs);
    let filters = [
        VideoFilter::default(),
        VideoFilter {
            category: Some(id(2)),
            ..VideoFilter::default()
        },
        VideoFilter {
            cast_member: Some(id(11)),
            launch_year: Some(1992),
            ..VideoFilter::default()
        },
        VideoFilter {
            rating: Some("L".to_owned()),
            ..VideoFilter::default()
        },
        VideoFilter {
            genre: Some(id(3)),
            ..VideoFilter::default()
        },
    ];
    let links = [
        vec![],
        vec![Link::new("plan", id(201))],
        vec![Link::new("status", "PAST_DUE")],
        vec![
            Link::new("account", account_doc_id("account-3")),
            Link::new("status", "ACTIVE"),
        ],
        vec![Link::new("category", id(2))],
        vec![Link::new("media_status", "ERROR")],
        vec![
            Link::new("media_status", "COMPLETED"),
            Link::new("category", id(2)),
        ],
    ];
    let queries = filters
        .iter()
        .map(|f| (f.clone(), Vec::new()))
        .chain(links.iter().map(|l| (VideoFilter::default(), l.clone())));
    // Encoding jobs are read by key only: their documents come back whole.
    let jobs = encodings();
    let keys: Vec<DocKey> = jobs.iter().map(Doc::key).collect();
    let mut loaded = store.load(&keys).await.expect("load the encoding jobs");
    loaded.sort_by_key(Doc::key);
    assert_eq!(loaded, jobs);
    for (filter, links) in queries {
        for kind in DocKind::ALL.into_iter().filter(|&k| k != DocKind::Encoding) {
            for audience in [Audience::Viewers, Audience::Admins] {
                let sorts = [
                    SortKey::Name,
                    SortKey::LaunchYear,
                    SortKey::CreatedAt,
                    SortKey::Due,
                ];
                for sort in sorts {
                    for descending in [false, true] {
                        for limit in [1, 7, 100] {
                            let query = ListQuery {
                                kind,
                                audience,
                                filter: filter.clone(),
                                links: links.clone(),
                                sort,
                                descending,
                                after: None,
                                limit,
                            };
                            let want = expected(&all, &query);
                            let got = all_pages(store, &query).await;
                            assert_eq!(
                                got.iter().map(Doc::key).collect::<Vec<_>>(),
                                want.iter().map(Doc::key).collect::<Vec<_>>(),
                                "{query:?}"
                            );
                            assert_eq!(got, want, "{query:?}: documents differ");
                        }
                    }
                }
            }
        }
    }
}
