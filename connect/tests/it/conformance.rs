//! The REST conformance suite (`codeflix_connect::conformance`) against the embedded runtime,
//! and against a real Kafka Connect cluster when `CODEFLIX_TEST_CONNECT_URL` is set (with
//! `CODEFLIX_TEST_CONNECT_BOOTSTRAP`, the Kafka bootstrap servers as that worker reaches them,
//! default `kafka:9092` as in compose/, and `CODEFLIX_TEST_CONNECT_USER` /
//! `CODEFLIX_TEST_CONNECT_PASSWORD` for a worker behind Basic authentication). A cluster that
//! is set but unreachable fails the test.

use codeflix_connect::conformance::{Target, run};
use codeflix_testkit::Stack;

use crate::support::Connect;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_runtime_answers_as_kafka_connect_does() {
    let stack = Stack::start().await;
    let connect = Connect::on(&stack).await;
    run(&Target {
        url: connect.url.clone(),
        bootstrap: stack.config().bootstrap_servers,
        basic_auth: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_kafka_connect_cluster_answers_the_same() {
    let url = match std::env::var("CODEFLIX_TEST_CONNECT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!(
                "SKIPPED: set CODEFLIX_TEST_CONNECT_URL to run the REST suite against a real Kafka Connect cluster"
            );
            return;
        }
    };
    let bootstrap = std::env::var("CODEFLIX_TEST_CONNECT_BOOTSTRAP")
        .unwrap_or_else(|_| "kafka:9092".to_owned());
    let basic_auth = match (
        std::env::var("CODEFLIX_TEST_CONNECT_USER"),
        std::env::var("CODEFLIX_TEST_CONNECT_PASSWORD"),
    ) {
        (Ok(user), Ok(password)) => Some((user, password)),
        _ => None,
    };
    run(&Target {
        url,
        bootstrap,
        basic_auth,
    })
    .await;
}
