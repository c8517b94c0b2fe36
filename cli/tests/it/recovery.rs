//! Every role recovers by itself from faults of what it depends on, and its probes say the
//! truth meanwhile. The recovery times are printed (docs/faults.md has the table).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    // Live, and every loop going round again: each beats within a few seconds, idle as they
    // are. A loop still starting when the broker went away (its first metadata request waits
    // for the broker) may take a little longer to reach its first round.
    for port in [site.projectors_port, site.encoder_port] {
        let url = format!("http://127.0.0.1:{port}/healthz");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let health: Value = http
                .get(&url)
                .send()
                .ok()
                .and_then(|r| r.json().ok())
                .unwrap_or_default();
            let beating = health["checks"]["tasks"].as_object().is_some_and(|tasks| {
                !tasks.is_empty()
                    && tasks.values().all(|task| {
                        task["status"] == "running"
                            && task["silent_for_seconds"].as_u64().is_some_and(|s| s <= 10)
                    })
            });
            if health["status"] == "live" && beating {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "a loop does not beat: {url}: {health}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
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

/// The names of everything the query API lists at `path`, every page.
fn names(http: &Client, site: &Site, path: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}{path}?limit=100", site.query());
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let body: Value = http.get(url).send().ok()?.json().ok()?;
        for item in body["items"].as_array()? {
            names.push(item["name"].as_str()?.to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Some(names),
        }
    }
}

/// Whether the query API lists something named `name` at `path`.
fn listed(http: &Client, site: &Site, path: &str, name: &str) -> Option<()> {
    names(http, site, path)?
        .iter()
        .any(|listed| listed == name)
        .then_some(())
}

/// What a client writing through the kills saw.
struct Written {
    /// The categories answered 201, 200 (a replay) or 202 (stored, not yet confirmed by Kafka),
    /// in order.
    acknowledged: Vec<String>,
    /// Requests that ended without an answer (the connection dropped or refused) and were sent
    /// again with the same `Idempotency-Key`.
    retried: usize,
}

/// Creates categories `Stream n` one after another until `stop`, as a careful client does: each
/// request with its own `Idempotency-Key`, sent again with the same key until it is answered
/// 201, 200 or 202, whatever happens to the command API meanwhile.
fn write_through_kills(
    api: String,
    token: String,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Written> {
    std::thread::spawn(move || {
        let http = Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let mut written = Written {
            acknowledged: Vec::new(),
            retried: 0,
        };
        for n in 0.. {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let name = format!("Stream {n}");
            loop {
                let answer = http
                    .post(format!("{api}/categories"))
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("stream-{n}"))
                    .json(&json!({ "name": name }))
                    .send();
                match answer.map(|a| a.status()) {
                    Ok(StatusCode::CREATED | StatusCode::OK | StatusCode::ACCEPTED) => break,
                    Ok(status) => assert!(
                        status.is_server_error(),
                        "{name}: {status} is not a reason to retry"
                    ),
                    Err(_) => written.retried += 1,
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            written.acknowledged.push(name);
        }
        written
    })
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

    // The registry dies for 20 s while a command writes an event type not registered yet.
    kill(&mut registry);
    let down = Instant::now();
    let refused = http
        .post(format!("{}/genres", site.api()))
        .bearer_auth(&token)
        .header("idempotency-key", "create-Drama")
        .json(&json!({ "name": "Drama" }))
        .send()
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    let (_, noticed) = within(
        Duration::from_secs(20),
        "the command API not ready while the registry is down",
        || {
            (status(&http, &format!("{}/readyz", site.api()))
                == Some(StatusCode::SERVICE_UNAVAILABLE))
            .then_some(())
        },
    );
    std::thread::sleep(Duration::from_secs(20).saturating_sub(down.elapsed()));
    let back = Instant::now();
    registry = site.start_registry();
    create(&http, &site, &token, "/genres", "Drama");
    let accepted = back.elapsed();
    within(Duration::from_secs(60), "the genre projected", || {
        listed(&http, &site, "/genres", "Drama")
    });
    let projected = back.elapsed();
    let (_, ready_again) = within(Duration::from_secs(30), "ready again", || {
        ready(site.api_port)
    });
    println!(
        "registry down 20 s: /readyz 503 within {noticed:?}; after it was back, the command \
         accepted {accepted:?}, projected {projected:?}, /readyz 200 {ready_again:?} later"
    );

    // Each role in turn, killed with SIGKILL while a client writes, and started again.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = write_through_kills(site.api(), token.clone(), stop.clone());
    for (index, (role, port)) in roles.iter().enumerate() {
        // Let writes flow before the kill, so that one is in flight when it lands.
        std::thread::sleep(Duration::from_secs(1));
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
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(
        written.acknowledged.len() >= 4,
        "{}",
        written.acknowledged.len()
    );
    // Every acknowledged category is listed, and none twice: a retry after the command API died
    // with the request in flight did not create another.
    let last = written.acknowledged.last().unwrap();
    within(Duration::from_secs(60), "the last write projected", || {
        listed(&http, &site, "/categories", last)
    });
    let listed_names = names(&http, &site, "/categories").unwrap();
    for name in &written.acknowledged {
        let copies = listed_names.iter().filter(|n| *n == name).count();
        assert_eq!(copies, 1, "{name} listed {copies} times");
    }
    println!(
        "{} categories written through the kills, {} requests sent again after no answer; \
         each listed once",
        written.acknowledged.len(),
        written.retried
    );
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
