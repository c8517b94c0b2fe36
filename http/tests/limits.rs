//! The listeners' limits against real TCP clients: a slowloris client is cut off, a stalled
//! body fails, and requests beyond the in-flight limit are shed with 503 while others finish.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use codeflix_http::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn limits() -> Limits {
    Limits {
        max_connections: 64,
        max_in_flight: 2,
        header_read_timeout: Duration::from_secs(1),
        body_idle_timeout: Duration::from_secs(1),
        shutdown_grace: Duration::from_secs(5),
    }
}

async fn start(limits: Limits) -> String {
    let router = Router::new()
        .route("/healthz", get(codeflix_http::healthz))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                "done"
            }),
        )
        .route(
            "/echo",
            post(|body: axum::body::Bytes| async move { body.len().to_string() }),
        )
        .route(
            "/peer",
            get(
                |axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<
                    std::net::SocketAddr,
                >| async move { peer.to_string() },
            ),
        );
    let (listener, address) = codeflix_http::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    tokio::spawn(codeflix_http::server::serve_with(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    address.to_string()
}

/// Reads until the server closes the connection or `limit` passes; what was read, and whether
/// it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&answer).into(), true),
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&answer).into(), false),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let address = start(limits()).await;
    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        .await
        .unwrap();
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(closed, "the connection is still open after 5 s");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stalls_fails_the_request() {
    let address = start(limits()).await;
    let mut stalled = TcpStream::connect(&address).await.unwrap();
    stalled
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut stalled, Duration::from_secs(5)).await;
    let status: u16 = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no answer within 5 s: {answer:?}"));
    assert!((400..500).contains(&status), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_in_flight_limit_are_shed_with_503_and_retry_after() {
    let address = start(limits()).await;
    let http = reqwest::Client::new();
    let slow = (0..6).map(|_| {
        let http = http.clone();
        let url = format!("http://{address}/slow");
        tokio::spawn(async move { http.get(url).send().await.unwrap() })
    });
    let slow: Vec<_> = slow.collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Liveness is answered whatever the load.
    let health = http
        .get(format!("http://{address}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let mut done = 0;
    let mut shed = 0;
    for answer in slow {
        let answer = answer.await.unwrap();
        match answer.status().as_u16() {
            200 => done += 1,
            503 => {
                assert_eq!(answer.headers()["retry-after"], "1");
                assert_eq!(answer.headers()["content-type"], "application/problem+json");
                shed += 1;
            }
            other => panic!("{other}"),
        }
    }
    assert_eq!((done, shed), (2, 4));
}

/// Handlers see the client's address as `axum::serve` shows it (`ConnectInfo`).
#[tokio::test]
async fn handlers_see_the_clients_address() {
    let address = start(limits()).await;
    let mut client = TcpStream::connect(&address).await.unwrap();
    let local = client.local_addr().unwrap();
    client
        .write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut client, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(&local.to_string()), "{answer}");
}
