//! The customers' walkthrough through `codeflix up`, as the README runs it: a viewer signs up
//! and signs in with `codeflix signin` and the development issuer's pages (authorization code
//! with PKCE, the pages driven as a browser would), subscribes, watches a subscription-only video, cancels, keeps watching until
//! the paid period ends, and is refused once the scheduler — `codeflix up` started again with the
//! scheduler's clock a month ahead, the README's demonstration knob — expires the subscription.

use std::time::{Duration, Instant};

use std::io::{BufRead, BufReader};

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::playback::{clip, create_video, media_reaches, upload};
use crate::support::{Site, wait_for_port};
use crate::up::{interrupt, start, token};

/// A browser: it reads pages and their forms, keeps the sign-in cookie, and stops at redirects.
struct Browser {
    http: Client,
    /// The issuer's origin (forms post to paths).
    origin: String,
}

/// A page's form: where it posts and its hidden fields.
struct Form {
    action: String,
    hidden: Vec<(String, String)>,
    cookie: String,
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].replace("&amp;", "&"))
}

impl Browser {
    fn new(site: &Site) -> Browser {
        Browser {
            http: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            origin: site.api(),
        }
    }

    /// Opens `url` (an authorization request) and reads its form.
    fn open(&self, url: &str) -> Form {
        let answer = self.http.get(url).send().unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{url}");
        let cookie = answer.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let html = answer.text().unwrap();
        let form_tag = html.split("<form").nth(1).expect("a form");
        Form {
            action: attribute(form_tag, "action").expect("an action"),
            hidden: html
                .split("<input")
                .skip(1)
                .filter(|tag| tag.contains("type=\"hidden\""))
                .map(|tag| {
                    (
                        attribute(tag, "name").unwrap(),
                        attribute(tag, "value").unwrap(),
                    )
                })
                .collect(),
            cookie,
        }
    }

    /// Fills and sends `form`; answers where it redirects to.
    fn submit(&self, form: &Form, fields: &[(&str, &str)]) -> String {
        let mut body: Vec<(&str, &str)> = form
            .hidden
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        body.extend_from_slice(fields);
        let answer = self
            .http
            .post(format!("{}{}", self.origin, form.action))
            .header("cookie", &form.cookie)
            .form(&body)
            .send()
            .unwrap();
        assert_eq!(answer.status(), StatusCode::FOUND, "{:?}", answer.text());
        answer.headers()["location"].to_str().unwrap().to_owned()
    }
}

/// `codeflix signin` with `args`, completed in the browser with `fields`: the token it prints.
fn signin(site: &Site, browser: &Browser, args: &[&str], fields: &[(&str, &str)]) -> String {
    let mut command = site.command(&[&["signin"], args].concat());
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let page = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "signin printed no page"
        );
        if let Some(at) = line.find("http") {
            break line[at..].trim().to_owned();
        }
    };
    let form = browser.open(&page);
    let back = browser.submit(&form, fields);
    assert!(back.starts_with("http://127.0.0.1:"), "{back}");
    // The browser follows the redirect to the terminal's loopback port.
    let landed = browser.http.get(&back).send().unwrap();
    assert_eq!(landed.status(), StatusCode::OK);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Polls `url` with `token` until it answers `status` (entitlements follow the events).
fn answers(
    http: &Client,
    url: &str,
    token: Option<&str>,
    status: StatusCode,
) -> reqwest::blocking::Response {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut request = http.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().unwrap();
        if answer.status() == status {
            return answer;
        }
        assert!(
            Instant::now() < deadline,
            "{url} still answers {} ({}), not {status}",
            answer.status(),
            answer.text().unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn publish(http: &Client, site: &Site, token: &str, video: &str) {
    let published = http
        .post(format!("{}/videos/{video}/publish", site.api()))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(published.status(), StatusCode::OK);
}

#[test]
fn a_viewer_signs_up_subscribes_watches_cancels_and_loses_access_at_the_period_end() {
    let site = Site::as_in_readme(env!("CARGO_BIN_EXE_codeflix"));
    let http = Client::new();
    let up = start(&site);
    wait_for_port(site.query_port);
    let admin = token(&site);

    let plan = http
        .post(format!("{}/plans", site.api()))
        .bearer_auth(&admin)
        .json(
            &json!({"name": "Premium", "amount_minor": 2990, "currency": "BRL",
                      "billing_period": "MONTHLY"}),
        )
        .send()
        .unwrap();
    assert_eq!(plan.status(), StatusCode::CREATED);
    let plan = plan.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let gated = create_video(&http, &site, &admin, "For subscribers", false);
    let opened = create_video(&http, &site, &admin, "For everyone", true);
    let bytes = clip(&site);
    upload(&http, &site, &admin, &gated, bytes.clone());
    upload(&http, &site, &admin, &opened, bytes);
    media_reaches(&http, &site, &admin, &gated, "COMPLETED");
    media_reaches(&http, &site, &admin, &opened, "COMPLETED");
    publish(&http, &site, &admin, &gated);
    publish(&http, &site, &admin, &opened);
    let playlist =
        |video: &str| format!("{}/videos/{video}/stream/video/master.m3u8", site.query());

    // Sign up, then sign in again, from the terminal and a browser, as the README does.
    let browser = Browser::new(&site);
    let password = "a long walk to the sea";
    signin(
        &site,
        &browser,
        &["--register"],
        &[
            ("email", "ana@example.com"),
            ("name", "Ana"),
            ("password", password),
            ("password_confirmation", password),
        ],
    );
    let viewer = signin(
        &site,
        &browser,
        &[],
        &[("email", "ana@example.com"), ("password", password)],
    );

    // Everyone watches the opened video; the other one wants a subscriber.
    answers(&http, &playlist(&opened), None, StatusCode::OK);
    let anonymous = answers(&http, &playlist(&gated), None, StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let refused = answers(
        &http,
        &playlist(&gated),
        Some(&viewer),
        StatusCode::FORBIDDEN,
    )
    .json::<Value>()
    .unwrap();
    assert_eq!(
        refused["type"],
        "urn:codeflix:problem:subscription-required"
    );
    assert!(
        refused["detail"].as_str().unwrap().contains("subscribe"),
        "{refused}"
    );

    let subscribed = http
        .post(format!("{}/subscriptions", site.api()))
        .bearer_auth(&viewer)
        .header("idempotency-key", "ana-subscribes")
        .json(&json!({"plan_id": plan, "payment_method": "card_4242424242424242"}))
        .send()
        .unwrap();
    assert_eq!(subscribed.status(), StatusCode::CREATED);
    let subscribed = subscribed.json::<Value>().unwrap();
    assert_eq!(subscribed["status"], "ACTIVE", "{subscribed}");
    let subscription = subscribed["id"].as_str().unwrap().to_owned();
    let watched = answers(&http, &playlist(&gated), Some(&viewer), StatusCode::OK);
    assert_eq!(watched.headers()["cache-control"], "private, max-age=60");
    assert_eq!(watched.headers()["vary"], "Authorization");

    let mine = http
        .get(format!("{}/me/subscription", site.query()))
        .bearer_auth(&viewer)
        .header(
            "codeflix-consistency-token",
            subscribed["consistency_token"].as_str().unwrap(),
        )
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap();
    assert_eq!(mine["status"], "ACTIVE", "{mine}");
    assert_eq!(mine["access"]["granted"], true, "{mine}");
    assert_eq!(mine["plan_name"], "Premium");
    assert_eq!(mine["payments"][0]["outcome"], "PAID");
    let me = http
        .get(format!("{}/me", site.query()))
        .bearer_auth(&viewer)
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap();
    assert_eq!(me["account"]["email"], "ana@example.com", "{me}");

    let canceled = http
        .post(format!(
            "{}/subscriptions/{subscription}/cancel",
            site.api()
        ))
        .bearer_auth(&viewer)
        .send()
        .unwrap();
    assert_eq!(canceled.status(), StatusCode::OK);
    let token = canceled.json::<Value>().unwrap()["consistency_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mine = http
        .get(format!("{}/me/subscription", site.query()))
        .bearer_auth(&viewer)
        .header("codeflix-consistency-token", &token)
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap();
    assert_eq!(mine["status"], "CANCELED", "{mine}");
    assert_eq!(
        mine["access"]["granted"], true,
        "paid until the period ends: {mine}"
    );
    answers(&http, &playlist(&gated), Some(&viewer), StatusCode::OK);

    // A month later, as the scheduler sees it (the README's demonstration: `codeflix up` again
    // with the scheduler's clock ahead): the canceled subscription expires.
    interrupt(up);
    let up = site.spawn_with(
        "up",
        &[
            ("CODEFLIX__SCHEDULER__CLOCK_OFFSET", "32d"),
            ("CODEFLIX__SCHEDULER__EVERY", "1s"),
        ],
        &["up"],
    );
    wait_for_port(site.query_port);
    answers(
        &http,
        &playlist(&gated),
        Some(&viewer),
        StatusCode::FORBIDDEN,
    );
    // The subscriptions context's own view follows on its own projection.
    let deadline = Instant::now() + Duration::from_secs(30);
    let expired = loop {
        let mine = http
            .get(format!("{}/me/subscription", site.query()))
            .bearer_auth(&viewer)
            .send()
            .unwrap()
            .json::<Value>()
            .unwrap();
        if mine["status"] == "EXPIRED" || Instant::now() > deadline {
            break mine;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(expired["status"], "EXPIRED", "{expired}");
    assert_eq!(expired["access"]["granted"], false);
    answers(&http, &playlist(&opened), Some(&viewer), StatusCode::OK);

    // The lifecycle is in Kafka, decoded through the registry.
    let dump = site.run(&["events", "dump", "--type", "subscriptions.subscription"]);
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let types: Vec<String> = String::from_utf8(dump.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let event = serde_json::from_str::<Value>(line).unwrap();
            let schema = event["type"].as_str().unwrap();
            schema.rsplit('.').next().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        types,
        [
            "SubscriptionStarted",
            "SubscriptionCanceled",
            "SubscriptionExpired"
        ]
    );
    // … and a third-party client reads them through the registry like every other event.
    if let Some(python) = crate::python::python() {
        let output = std::process::Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/python/read_events.py"
            ))
            .args(["--bootstrap", &format!("127.0.0.1:{}", site.broker_port)])
            .args([
                "--registry",
                &format!("http://127.0.0.1:{}", site.registry_port),
            ])
            .args([
                "--topic",
                "codeflix.subscriptions.subscription.events",
                "--expect",
                "3",
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "python: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let read: Vec<Value> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let started = &read[0]["value"];
        assert_eq!(started["status"], "ACTIVE", "{started}");
        assert_eq!(started["account_id"].as_str(), me["subject"].as_str());
        assert_eq!(started["payment_method"], "card_4242424242424242");
        assert_eq!(
            read[2]["headers"]["ce_type"],
            "codeflix.subscriptions.subscription.SubscriptionExpired"
        );
    }

    // The customer heard of each step by email, once (the notifier's outbox on embedded
    // defaults), after a second `up` read every fact again.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut mails = loop {
        let mails = outbox(&site);
        if mails.len() >= 3 || Instant::now() > deadline {
            break mails;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    mails.sort();
    assert_eq!(
        mails,
        [
            "Ana <ana@example.com>: Welcome to Codeflix",
            "Ana <ana@example.com>: Your Codeflix access has ended",
            "Ana <ana@example.com>: Your subscription is canceled",
        ]
    );
    interrupt(up);
}

/// `To: Subject` of every email in the notifier's outbox.
fn outbox(site: &Site) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(site.path("notifications/outbox")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap();
            let header = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .unwrap_or_default()
                    .to_owned()
            };
            format!("{}: {}", header("To: "), header("Subject: "))
        })
        .collect()
}

/// `codeflix users add` for `email` with `roles`, the password on standard input.
fn add_user(site: &Site, email: &str, roles: &[&str], password: &str) -> std::process::Output {
    let mut args = vec![
        "users",
        "add",
        "--email",
        email,
        "--name",
        "Root",
        "--password-stdin",
    ];
    for role in roles {
        args.extend(["--role", role]);
    }
    let mut child = site
        .command(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{password}").unwrap();
    }
    child.wait_with_output().unwrap()
}

#[test]
fn an_admin_added_with_the_cli_signs_in_with_their_roles() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let http = Client::new();
    let up = start(&site);
    let password = "an admin's long passphrase";
    let added = add_user(&site, "root@example.com", &["catalog-admin"], password);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let browser = Browser::new(&site);
    let token = signin(
        &site,
        &browser,
        &[],
        &[("email", "root@example.com"), ("password", password)],
    );
    let created = http
        .post(format!("{}/categories", site.api()))
        .bearer_auth(&token)
        .json(&json!({"name": "Signed in"}))
        .send()
        .unwrap();
    assert_eq!(
        created.status(),
        StatusCode::CREATED,
        "the role is in the token"
    );
    // The same email twice is refused, with a reason.
    let again = add_user(&site, "root@example.com", &[], "another long passphrase");
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("exists"), "{stderr}");
    interrupt(up);
}
