//! Every role recovers by itself from faults of what it depends on, and its probes say the
//! truth meanwhile. The recovery times are printed (docs/faults.md has the table).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::support::{Site, kill, wait_for_port};
use crate::up::token;

/// Polls `check` every 100 ms until it answers, for at most `limit`; how long it took.
fn within<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> (T, Duration) {
    let started = Instant::now();
    loop {
        if let Some(found) = check() {
            return (found, started.elapsed());
        }
        assert!(started.elapsed() < limit, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn status(http: &Client, url: &str) -> Option<StatusCode> {
    http.get(url).send().ok().map(|r| r.status())
}

/// Creates a category, retrying while the command API answers 503; its id.
fn create_category(http: &Client, site: &Site, token: &str, name: &str) -> (String, Duration) {
    create(http, site, token, "/categories", name)
}

/// Creates something named `name` at `path`, retrying while the command API cannot; its id.
fn create(http: &Client, site: &Site, token: &str, path: &str, name: &str) -> (String, Duration) {
    within(Duration::from_secs(60), "a command accepted", || {
        let answer = http
            .post(format!("{}{path}", site.api()))
            .bearer_auth(token)
            .header("idempotency-key", format!("create-{name}"))
            .json(&json!({ "name": name }))
            .send()
            .ok()?;
        (answer.status() == StatusCode::CREATED)
            .then(|| answer.json::<Value>().ok())
            .flatten()
            .and_then(|body| body["id"].as_str().map(str::to_owned))
    })
}

#[test]
fn projectors_encoder_and_relay_recover_from_a_broker_restart_by_themselves() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let http = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut broker = site.start_broker();
    let _registry = site.start_registry();
    let _api = site.spawn("command-api", &["command-api"]);
    let _projectors = site.spawn("projectors", &["projectors"]);
    let _encoder = site.spawn("encoder", &["encoder"]);
    let _query = site.spawn("query-api", &["query-api"]);
    for port in [
        site.api_port,
        site.projectors_port,
        site.encoder_port,
        site.query_port,
    ] {
        wait_for_port(port);
    }
    let token = token(&site);
    let projectors_ready = format!("http://127.0.0.1:{}/readyz", site.projectors_port);
    let encoder_ready = format!("http://127.0.0.1:{}/readyz", site.encoder_port);
    let listed = |name: &str| listed(&http, &site, "/categories", name);
    create_category(&http, &site, &token, "Before");
    within(
        Duration::from_secs(60),
        "the first category projected",
        || listed("Before"),
    );
    for url in [&projectors_ready, &encoder_ready] {
        assert_eq!(status(&http, url), Some(StatusCode::OK), "{url}");
    }

    // The broker dies and comes back on the same storage after a few seconds.
    kill(&mut broker);
    std::thread::sleep(Duration::from_secs(3));
    let restarted = Instant::now();
    broker = site.start_broker();

    create_category(&http, &site, &token, "After");
    let accepted = restarted.elapsed();
    within(
        Duration::from_secs(90),
        "the category written after the restart projected",
        || listed("After"),
    );
    let projected = restarted.elapsed();
    for url in [&projectors_ready, &encoder_ready] {
        within(Duration::from_secs(60), "ready again", || {
            (status(&http, url) == Some(StatusCode::OK)).then_some(())
        });
    }
    println!(
        "broker restart: after the broker was back, a command was accepted in {accepted:?} \
         and projected in {projected:?}; every role ready in {:?}",
        restarted.elapsed()
    );
    // The roles logged the outage to files: plain text, no terminal colour codes.
    let log = std::fs::read_to_string(site.path("projectors.log")).unwrap();
    assert!(
        log.contains("going on"),
        "the projectors logged the outage: {log}"
    );
    assert!(!log.contains('\u{1b}'), "colour codes in a log file: {log}");
    kill(&mut broker);
}

/// Whether the query API lists something named `name` at `path`.
fn listed(http: &Client, site: &Site, path: &str, name: &str) -> Option<()> {
    let body: Value = http
        .get(format!("{}{path}", site.query()))
        .send()
        .ok()?
        .json()
        .ok()?;
    body["items"]
        .as_array()?
        .iter()
        .any(|item| item["name"] == name)
        .then_some(())
}

#[test]
fn every_role_killed_and_the_registry_down_recover_by_themselves() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let http = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let _broker = site.start_broker();
    let mut registry = site.start_registry();
    let roles = [
        ("command-api", site.api_port),
        ("projectors", site.projectors_port),
        ("encoder", site.encoder_port),
        ("query-api", site.query_port),
    ];
    let mut processes: Vec<_> = roles
        .iter()
        .map(|(role, _)| site.spawn(role, &[role]))
        .collect();
    for (_, port) in roles {
        wait_for_port(port);
    }
    let token = token(&site);
    let ready = |port: u16| {
        (status(&http, &format!("http://127.0.0.1:{port}/readyz")) == Some(StatusCode::OK))
            .then_some(())
    };
    create_category(&http, &site, &token, "Before");
    within(
        Duration::from_secs(60),
        "the first category projected",
        || listed(&http, &site, "/categories", "Before"),
    );

    // The registry dies while a command writes an event type not registered yet.
    kill(&mut registry);
    let refused = http
        .post(format!("{}/genres", site.api()))
        .bearer_auth(&token)
        .header("idempotency-key", "create-Drama")
        .json(&json!({ "name": "Drama" }))
        .send()
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    std::thread::sleep(Duration::from_secs(5));
    let back = Instant::now();
    registry = site.start_registry();
    create(&http, &site, &token, "/genres", "Drama");
    let accepted = back.elapsed();
    within(Duration::from_secs(60), "the genre projected", || {
        listed(&http, &site, "/genres", "Drama")
    });
    println!(
        "registry down 5 s: the command was accepted {accepted:?} and projected {:?} after it was back",
        back.elapsed()
    );

    // Each role in turn, killed with SIGKILL and started again.
    for (index, (role, port)) in roles.iter().enumerate() {
        kill(&mut processes[index]);
        let restarted = Instant::now();
        processes[index] = site.spawn(role, &[role]);
        let (_, took) = within(Duration::from_secs(90), "ready after a restart", || {
            ready(*port)
        });
        let name = format!("After {role}");
        create_category(&http, &site, &token, &name);
        within(Duration::from_secs(60), "projected after a restart", || {
            listed(&http, &site, "/categories", &name)
        });
        println!(
            "{role} killed: ready {took:?} after it started again, a new category projected {:?} after",
            restarted.elapsed()
        );
    }
    for (_, port) in roles {
        assert!(ready(port).is_some(), "port {port} not ready at the end");
    }
    kill(&mut registry);
}

/// `codeflix registry` serves through the APIs' accept loop: a client that never finishes its
/// headers is cut off after the header timeout (10 s) instead of holding a descriptor for good.
#[test]
fn the_registry_role_cuts_off_a_client_that_never_finishes_its_headers() {
    use std::io::{Read, Write};
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let mut registry = site.start_registry();
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", site.registry_port)).unwrap();
    slow.write_all(b"GET /subjects HTTP/1.1\r\nHost: localhost\r\nX-Slow: a")
        .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 256];
    let closed = matches!(slow.read(&mut buffer), Ok(0) | Err(_));
    assert!(closed, "the connection is still open");
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(15),
        "cut off after {took:?}, not after the header timeout"
    );
    println!("registry: a slowloris client was cut off after {took:?}");
    kill(&mut registry);
}
