//! Viewers browse, get and search what admins published; bad parameters are 400; consistency
//! tokens give read-your-writes.

use std::time::Duration;

use codeflix_domain::catalog::category::{
    Category, CategoryId, CategoryName, CreateCategory, DeactivateCategory,
};
use codeflix_domain::catalog::video::{
    Checksum, ContentType, FailMediaProcessing, MediaId, MediaSlot, StorageLocation, UpdateVideo,
    UploadMedia, Video,
};
use codeflix_domain::encoding::{
    EncodingJob, EncodingJobId, Percent, ReportEncodingProgress, RequestEncoding, StartEncoding,
    WorkerName,
};
use codeflix_domain::{CommandContext, ExpectedVersion, Reason, Timestamp};
use codeflix_testkit::QueryApi;
use codeflix_testkit::sample::details;
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_browse_get_and_search_what_admins_published() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    let c = &api.catalog;

    let (status, page) = api.get("/videos").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the published video: {page}");
    let video = &items[0];
    assert_eq!(video["id"], c.published.to_string());
    assert_eq!(video["title"], "The Lighthouse Keeper");
    assert_eq!(names(&video["categories"]), vec!["Dramas"]);
    assert_eq!(names(&video["genres"]), vec!["Thriller"]);
    assert_eq!(names(&video["cast_members"]), vec!["Ada Actor"]);
    assert_eq!(video["cast_members"][0]["kind"], "ACTOR");
    assert_eq!(video["playable"], true);
    assert_eq!(video["media"][0]["status"], "COMPLETED");
    assert!(
        video["media"][0].get("raw_location").is_none(),
        "no storage locations for viewers"
    );
    assert!(page["next_cursor"].is_null());

    let (status, got) = api.get(&format!("/videos/{}", c.published)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, *video);
    let (status, problem) = api.get(&format!("/videos/{}", c.draft)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "drafts are not shown: {problem}"
    );
    assert_eq!(problem["type"], "urn:codeflix:problem:not-found");

    for (path, count) in [
        (format!("/videos?category={}", c.drama), 1),
        (format!("/videos?category={}", c.comedy), 0),
        (format!("/videos?genre={}", c.genre), 1),
        (format!("/videos?cast_member={}", c.actor), 1),
        ("/videos?year=2019&rating=14".to_owned(), 1),
        ("/videos?year=2018".to_owned(), 0),
        ("/videos?rating=L".to_owned(), 0),
    ] {
        let (status, page) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        assert_eq!(page["items"].as_array().unwrap().len(), count, "{path}");
    }

    let (_, found) = api.get("/search?q=lighthouse").await;
    assert_eq!(found["total"], 1, "{found}");
    let hit = &found["items"][0];
    assert_eq!(hit["video"]["id"], c.published.to_string());
    assert!(
        hit["highlights"]["title"]
            .as_str()
            .unwrap()
            .contains("<b>Lighthouse</b>"),
        "{hit}"
    );
    assert_eq!(found["facets"]["categories"][0]["name"], "Dramas");
    assert_eq!(found["facets"]["categories"][0]["count"], 1);
    assert_eq!(found["facets"]["launch_years"][0]["year"], 2019);
    let (_, typo) = api.get("/search?q=lighthuose").await;
    assert_eq!(typo["total"], 1, "typos are tolerated: {typo}");
    let (_, none) = api.get("/search?q=submarine").await;
    assert_eq!(none["total"], 0);

    let (_, categories) = api.get("/categories").await;
    assert_eq!(names(&categories["items"]), vec!["Comedy", "Dramas"]);
    let (_, first) = api.get("/categories?limit=1").await;
    assert_eq!(names(&first["items"]), vec!["Comedy"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = api
        .get(&format!("/categories?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(names(&second["items"]), vec!["Dramas"]);
    assert!(second["next_cursor"].is_null());
    let (_, genres) = api.get("/genres").await;
    assert_eq!(names(&genres["items"][0]["categories"]), vec!["Dramas"]);
    let (_, cast) = api.get("/cast-members").await;
    assert_eq!(names(&cast["items"]), vec!["Ada Actor"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_works_offline() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    codeflix_testkit::assert_docs_offline(&api.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_a_route_does_not_take_is_405_in_problem_details() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    let answer = api
        .http
        .delete(format!("{}/videos", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers()["content-type"], "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_carry_etags_and_answer_304() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    let first = api
        .http
        .get(format!("{}/videos", api.url))
        .send()
        .await
        .unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = api
        .http
        .get(format!("{}/videos", api.url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    let other = api
        .http
        .get(format!("{}/videos", api.url))
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_400_listing_every_broken_rule() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    let (status, problem) = api
        .get("/videos?limit=0&year=abc&rating=X&category=nope&sort=up&cursor=%21")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["type"], "urn:codeflix:problem:bad-parameters");
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        vec!["category", "cursor", "limit", "rating", "sort", "year"]
    );
    let (status, problem) = api.get("/search?limit=500&offset=-1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");
    let (status, _) = api.get("/videos/not-a-uuid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, problem) = api.get("/videos?consistency_token=nonsense").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consistency_token_reads_its_own_write_or_says_it_cannot_yet() {
    let api = QueryApi::start(Duration::from_millis(1500)).await;
    let ctx = CommandContext {
        command_id: Uuid::new_v4(),
        correlation_id: Uuid::new_v4(),
        actor: "admin-1".into(),
        now: Timestamp::from_unix_micros(1_790_000_000_000_000).unwrap(),
    };
    let appended = api
        .stack
        .log
        .execute::<Video>(
            &ctx,
            &api.catalog.published,
            ExpectedVersion::Any,
            UpdateVideo {
                details: details("The Lighthouse Keeper, Restored", "Now in colour."),
            }
            .into(),
        )
        .await
        .unwrap();
    let last = appended.positions.last().unwrap();
    let token = format!("{}:{}:{}", last.topic, last.partition, last.offset);
    let response = api
        .http
        .get(format!("{}/videos/{}", api.url, api.catalog.published))
        .header("codeflix-consistency-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let video: Value = response.json().await.unwrap();
    assert_eq!(video["title"], "The Lighthouse Keeper, Restored");
    let (status, found) = api
        .get(&format!("/search?q=restored&consistency_token={token}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["total"], 1, "the search index has it too: {found}");

    let future = format!("{}:{}:{}", last.topic, last.partition, last.offset + 1000);
    let started = std::time::Instant::now();
    let (status, problem) = api
        .get(&format!("/videos?consistency_token={future}"))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["type"], "urn:codeflix:problem:not-yet-consistent");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "it waited the bound"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_see_drafts_and_media_details_with_the_videos_role() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    let (status, problem) = api.get_as("/admin/videos", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    let categories_only = api.token(&["catalog-categories"]);
    let (status, problem) = api.get_as("/admin/videos", Some(&categories_only)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["type"], "urn:codeflix:problem:forbidden");

    let token = api.token(&["catalog-videos"]);
    let (status, page) = api.get_as("/admin/videos", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Lighthouse Draft", "The Lighthouse Keeper"]);
    assert_eq!(page["items"][0]["published"], false);
    assert_eq!(names(&page["items"][0]["categories"]), vec!["Comedy"]);
    let published = &page["items"][1];
    assert_eq!(published["published"], true);
    assert_eq!(published["media_details"][0]["status"], "COMPLETED");
    assert_eq!(
        published["media_details"][0]["encoded_location"],
        "encoded/keeper/master.m3u8"
    );
    let (status, draft) = api
        .get_as(
            &format!("/admin/videos/{}", api.catalog.draft),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    assert_eq!(draft["title"], "Lighthouse Draft");
    let (status, _) = api
        .get_as(&format!("/admin/videos/{}", Uuid::new_v4()), Some(&token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let admin = api.token(&["catalog-admin"]);
    let (status, _) = api.get_as("/admin/videos?rating=14", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "catalog-admin may too");

    // By the start of the title, drafts included.
    let (_, found) = api
        .get_as("/admin/videos?q=LIGHTHOUSE%20d", Some(&token))
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["items"][0]["title"], "Lighthouse Draft");
    let (_, found) = api
        .get_as("/admin/videos?q=the%20light&sort=title", Some(&token))
        .await;
    assert_eq!(found["items"][0]["title"], "The Lighthouse Keeper");
    // In title order whatever the sort.
    let (_, found) = api
        .get_as("/admin/videos?q=l&sort=-created_at", Some(&token))
        .await;
    assert_eq!(found["items"][0]["title"], "Lighthouse Draft");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_list_the_videos_whose_encoding_failed() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    let token = api.token(&["catalog-videos"]);
    let titles = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, completed) = api
        .get_as("/admin/videos?media_status=COMPLETED", Some(&token))
        .await;
    assert_eq!(titles(&completed), ["The Lighthouse Keeper"]);
    let (_, failed) = api
        .get_as("/admin/videos?media_status=ERROR", Some(&token))
        .await;
    assert_eq!(titles(&failed), Vec::<String>::new());

    // The draft's upload fails to encode.
    let media = MediaId::new(Uuid::new_v4());
    let draft = &api.catalog.draft;
    api.stack
        .run::<Video>(
            draft,
            UploadMedia {
                media_id: media,
                slot: MediaSlot::Trailer,
                checksum: Checksum::parse(&"b".repeat(64)).unwrap(),
                size_bytes: 99,
                content_type: ContentType::parse("video/mp4").unwrap(),
                raw_location: StorageLocation::parse("raw/draft.mp4").unwrap(),
            },
        )
        .await;
    let (_, pending) = eventually_listed(&api, &token, "PENDING").await;
    assert_eq!(titles(&pending), ["Lighthouse Draft"]);

    // The encoder's job reports progress: admins see it with the video.
    let job = EncodingJobId::new(media.as_uuid());
    api.stack
        .run::<EncodingJob>(
            &job,
            RequestEncoding {
                video_id: *draft,
                media_id: media,
                slot: MediaSlot::Trailer,
                source_location: StorageLocation::parse("raw/draft.mp4").unwrap(),
                checksum: Checksum::parse(&"b".repeat(64)).unwrap(),
            },
        )
        .await;
    let worker = WorkerName::parse("worker-a").unwrap();
    api.stack
        .run::<EncodingJob>(&job, StartEncoding { worker })
        .await;
    let percent = Percent::parse(30).unwrap();
    api.stack
        .run::<EncodingJob>(&job, ReportEncodingProgress { percent })
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let encoding = loop {
        let (_, video) = api
            .get_as(&format!("/admin/videos/{draft}"), Some(&token))
            .await;
        if video["encodings"][0]["percent"] == 30 {
            break video["encodings"][0].clone();
        }
        assert!(std::time::Instant::now() < deadline, "{video}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(encoding["status"], "RUNNING");
    assert_eq!(encoding["attempt"], 1);
    assert_eq!(encoding["id"], media.as_uuid().to_string());
    let (_, listed) = api
        .get_as("/admin/videos?media_status=PENDING", Some(&token))
        .await;
    assert_eq!(listed["items"][0]["encodings"][0]["percent"], 30);
    api.stack
        .run::<Video>(
            draft,
            FailMediaProcessing {
                slot: MediaSlot::Trailer,
                media_id: media,
                reason: Reason::parse("ffmpeg: moov atom not found").unwrap(),
            },
        )
        .await;
    let (_, failed) = eventually_listed(&api, &token, "ERROR").await;
    assert_eq!(titles(&failed), ["Lighthouse Draft"]);
    assert_eq!(failed["items"][0]["media_details"][0]["status"], "ERROR");
    let (_, pending) = api
        .get_as("/admin/videos?media_status=PENDING", Some(&token))
        .await;
    assert_eq!(titles(&pending), Vec::<String>::new(), "no longer pending");

    let (status, problem) = api
        .get_as("/admin/videos?media_status=FAILED", Some(&token))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "media_status");
    // Viewers' lists take no such filter (unknown parameters are ignored): no draft shows.
    let (status, viewers) = api.get("/videos?media_status=ERROR").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(titles(&viewers), ["The Lighthouse Keeper"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_list_inactive_categories_and_find_items_by_name() {
    let api = QueryApi::start(Duration::from_secs(5)).await;
    let admin = api.token(&[
        "catalog-categories",
        "catalog-genres",
        "catalog-cast-members",
    ]);
    let names_of = |page: &Value| -> Vec<(String, Value)> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_owned(), c["active"].clone()))
            .collect()
    };
    api.stack
        .run::<Category>(&api.catalog.comedy, DeactivateCategory)
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let listed = loop {
        let (status, page) = api.get_as("/admin/categories", Some(&admin)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        if page["items"][0]["active"] == false {
            break page;
        }
        assert!(std::time::Instant::now() < deadline, "{page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        names_of(&listed),
        [
            ("Comedy".to_owned(), Value::Bool(false)),
            ("Dramas".to_owned(), Value::Bool(true))
        ]
    );
    assert!(listed["items"][1]["created_at"].is_string());
    // Viewers see the active one only.
    let (_, public) = api.get("/categories").await;
    assert_eq!(public["items"].as_array().unwrap().len(), 1);

    // By the start of the name, whatever the case; Z–A without it.
    let (_, found) = api.get_as("/admin/categories?q=%20dRa", Some(&admin)).await;
    assert_eq!(names_of(&found), [("Dramas".to_owned(), Value::Bool(true))]);
    assert!(found["next_cursor"].is_null());
    // A page of one: the next holds the other "d", and after it there is no next page.
    api.stack
        .run::<Category>(
            &CategoryId::new(Uuid::new_v4()),
            CreateCategory {
                name: CategoryName::parse("Documentary").unwrap(),
                description: None,
                active: true,
            },
        )
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let first = loop {
        let (_, page) = api
            .get_as("/admin/categories?q=d&limit=1", Some(&admin))
            .await;
        if page["next_cursor"].is_string() {
            break page;
        }
        assert!(std::time::Instant::now() < deadline, "{page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(first["items"][0]["name"], "Documentary");
    let (_, second) = api
        .get_as(
            &format!(
                "/admin/categories?q=d&limit=1&cursor={}",
                first["next_cursor"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(
        names_of(&second),
        [("Dramas".to_owned(), Value::Bool(true))]
    );
    assert!(second["next_cursor"].is_null(), "{second}");
    let (_, none) = api.get_as("/admin/categories?q=x", Some(&admin)).await;
    assert_eq!(none["items"], Value::Array(Vec::new()));
    let (_, backwards) = api
        .get_as("/admin/categories?sort=-name&limit=1", Some(&admin))
        .await;
    assert_eq!(backwards["items"][0]["name"], "Dramas");
    let cursor = backwards["next_cursor"].as_str().unwrap();
    let (_, next) = api
        .get_as(
            &format!("/admin/categories?sort=-name&limit=1&cursor={cursor}"),
            Some(&admin),
        )
        .await;
    assert_eq!(next["items"][0]["name"], "Documentary");
    // With q, A–Z whatever the sort.
    let (_, found) = api
        .get_as("/admin/categories?q=d&sort=-name", Some(&admin))
        .await;
    let found: Vec<String> = names_of(&found).into_iter().map(|(n, _)| n).collect();
    assert_eq!(found, ["Documentary", "Dramas"]);

    let (_, genres) = api.get_as("/admin/genres?q=thr", Some(&admin)).await;
    assert_eq!(genres["items"][0]["name"], "Thriller");
    assert_eq!(genres["items"][0]["active"], true);
    assert_eq!(genres["items"][0]["categories"][0]["name"], "Dramas");
    let (_, cast) = api.get_as("/admin/cast-members?q=ada", Some(&admin)).await;
    assert_eq!(cast["items"][0]["name"], "Ada Actor");
    assert_eq!(cast["items"][0]["kind"], "ACTOR");

    let videos_only = api.token(&["catalog-videos"]);
    for path in ["/admin/categories", "/admin/genres", "/admin/cast-members"] {
        let (status, _) = api.get_as(path, Some(&videos_only)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        let (status, _) = api.get_as(path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

/// The admins' list of videos with media in `status`, once it lists any (projection is
/// asynchronous).
async fn eventually_listed(api: &QueryApi, token: &str, status: &str) -> (StatusCode, Value) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let answer = api
            .get_as(&format!("/admin/videos?media_status={status}"), Some(token))
            .await;
        if answer.0 != StatusCode::OK || !answer.1["items"].as_array().unwrap().is_empty() {
            return answer;
        }
        assert!(std::time::Instant::now() < deadline, "nothing is {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
