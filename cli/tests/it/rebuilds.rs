//! Blue/green rebuilds of a projection under `codeflix up` (ADR 0027): `codeflix views rebuild`
//! builds a new generation of a view from the beginning of the log while the current one serves,
//! then switches; the running projection and query API move to it by themselves, the old
//! generation stays for `views rollback`, and `views drop` deletes a generation that does not
//! serve.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::playback::create_video;
use crate::support::{Site, query_metrics, succeeded};
use crate::up::{interrupt, start, token};

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// `codeflix <args>`'s standard output, once it succeeded.
fn ran(site: &Site, args: &[&str]) -> String {
    succeeded(&site.run(args), &args.join(" "))
}

fn create_category(http: &Client, site: &Site, token: &str, name: &str) {
    let created = http
        .post(format!("{}/categories", site.api()))
        .bearer_auth(token)
        .json(&json!({ "name": name }))
        .send()
        .unwrap();
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
}

/// The category names the query API lists.
fn listed(http: &Client, site: &Site) -> BTreeSet<String> {
    let page: Value = http
        .get(format!("{}/categories?limit=100", site.query()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "{what} within a minute");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `views export` of a generation (the serving one without `generation`): the document ids.
fn exported(site: &Site, projection: &str, generation: Option<u32>) -> BTreeSet<String> {
    let mut args = vec!["views", "export", "--projection", projection];
    let number = generation.map(|n| n.to_string());
    if let Some(n) = &number {
        args.extend(["--generation", n]);
    }
    json_lines(&ran(site, &args))
        .iter()
        .map(|doc| doc["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `views status` lines of one projection.
fn status(site: &Site, projection: &str) -> Vec<Value> {
    json_lines(&ran(site, &["views", "status"]))
        .into_iter()
        .filter(|line| line["projection"] == projection)
        .collect()
}

#[test]
fn a_rebuilt_generation_is_switched_in_rolled_back_and_dropped_while_up_serves() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let http = Client::new();
    let up = start(&site);
    let token = token(&site);
    let before: BTreeSet<String> = (1..=5).map(|n| format!("Before {n}")).collect();
    for name in &before {
        create_category(&http, &site, &token, name);
    }
    let video = create_video(&http, &site, &token, "Bars and tone", true);
    wait_until("the categories listed", || listed(&http, &site) == before);
    // The video is on a topic of its own: listed categories do not mean it is projected yet.
    wait_until("the video projected", || {
        exported(&site, "catalog", None).contains(&video)
    });
    let served = exported(&site, "catalog", None);

    // The rebuild: a new generation from the beginning of the log, switched in.
    let generation = |projection: &str| {
        let wanted = format!("codeflix_projector_generation{{projection=\"{projection}\"}} ");
        query_metrics(&http, &site)
            .lines()
            .find_map(|line| line.strip_prefix(wanted.as_str())?.parse::<u32>().ok())
    };
    assert_eq!(generation("catalog"), Some(1));
    let rebuilt = ran(&site, &["views", "rebuild", "--projection", "catalog"]);
    let summary: Value = serde_json::from_str(&rebuilt).unwrap();
    assert_eq!(summary["generation"], 2, "{summary}");
    assert_eq!(summary["serving"], 2, "{summary}");
    assert_eq!(summary["previous"], 1, "{summary}");
    assert!(summary["records_read"].as_u64().unwrap() >= 6, "{summary}");
    assert_eq!(summary["not_applied"], 0, "{summary}");
    assert!(site.path("views/catalog.g2.db").exists());
    assert_eq!(
        exported(&site, "catalog", Some(2)),
        served,
        "the same documents"
    );
    assert_eq!(exported(&site, "catalog", None), served);
    let lines = status(&site, "catalog");
    let generations: BTreeSet<(i64, bool)> = lines
        .iter()
        .map(|l| {
            (
                l["generation"].as_i64().unwrap(),
                l["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        generations,
        BTreeSet::from([(1, false), (2, true)]),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .filter(|l| l["generation"] == 2)
            .all(|l| l["lag"] == 0),
        "{lines:?}"
    );

    // The running projection moves to generation 2 within a second: what happens then reaches
    // it, and the query API reads it; generation 1 no longer changes.
    wait_until("the catalog projection on generation 2", || {
        generation("catalog") == Some(2)
    });
    create_category(&http, &site, &token, "After the switch");
    wait_until("the new category listed", || {
        listed(&http, &site).contains("After the switch")
    });
    let now = exported(&site, "catalog", Some(2));
    assert_eq!(now.len(), served.len() + 1);
    assert_eq!(
        exported(&site, "catalog", Some(1)),
        served,
        "generation 1 rests"
    );

    // A rollback serves generation 1 again, which the projection catches up from its own
    // positions.
    let back = ran(&site, &["views", "rollback", "--projection", "catalog"]);
    let back: Value = serde_json::from_str(&back).unwrap();
    assert_eq!(
        (back["serving"].as_i64(), back["previous"].as_i64()),
        (Some(1), Some(2))
    );
    wait_until("the catalog projection on generation 1", || {
        generation("catalog") == Some(1)
    });
    wait_until("generation 1 caught up", || {
        exported(&site, "catalog", Some(1)) == now
    });
    create_category(&http, &site, &token, "After the rollback");
    wait_until("the category listed from generation 1", || {
        listed(&http, &site).contains("After the rollback")
    });
    assert_eq!(
        exported(&site, "catalog", Some(2)),
        now,
        "generation 2 rests"
    );

    // The serving generation cannot be dropped; the other one can.
    let refused = site.run(&[
        "views",
        "drop",
        "--projection",
        "catalog",
        "--generation",
        "1",
    ]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("generation 1 of the catalog view serves now"),
        "{said}"
    );
    let unknown = site.run(&[
        "views",
        "switch",
        "--projection",
        "catalog",
        "--generation",
        "7",
    ]);
    assert!(!unknown.status.success());
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(said.contains("has no generation 7 (it has 1, 2)"), "{said}");
    ran(
        &site,
        &[
            "views",
            "drop",
            "--projection",
            "catalog",
            "--generation",
            "2",
        ],
    );
    assert!(!site.path("views/catalog.g2.db").exists());
    let lines = status(&site, "catalog");
    assert!(lines.iter().all(|l| l["generation"] == 1), "{lines:?}");

    // The search index rebuilds the same way (tantivy: a directory per generation), and a
    // generation built with --no-switch waits for `views switch`.
    let search_before = exported(&site, "search", None);
    assert!(search_before.contains(&video));
    let built = ran(
        &site,
        &["views", "rebuild", "--projection", "search", "--no-switch"],
    );
    let built: Value = serde_json::from_str(&built).unwrap();
    assert_eq!(
        (built["generation"].as_i64(), built["serving"].as_i64()),
        (Some(2), Some(1))
    );
    assert!(site.path("views/search.g2").is_dir());
    assert_eq!(exported(&site, "search", Some(2)), search_before);
    ran(
        &site,
        &[
            "views",
            "switch",
            "--projection",
            "search",
            "--generation",
            "2",
        ],
    );
    wait_until("the search projection on generation 2", || {
        generation("search") == Some(2)
    });
    let second = create_video(&http, &site, &token, "Tone and bars", true);
    wait_until("the new video in search generation 2", || {
        exported(&site, "search", Some(2)).contains(&second)
    });
    assert!(!exported(&site, "search", Some(1)).contains(&second));
    interrupt(up);
}
