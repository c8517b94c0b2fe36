//! What the runtime keeps across restarts: configurations, target states, connectors created
//! through the REST API; and what the connector files decide.

use codeflix_testkit::Stack;
use serde_json::{Value as Json, json};

use crate::support::{Connect, wait_until};

fn sink(table: &str) -> codeflix_connect::config::Config {
    [
        (
            "connector.class",
            "io.confluent.connect.jdbc.JdbcSinkConnector",
        ),
        ("topics", "codeflix.billing.plan.state"),
        ("connection.url", "jdbc:sqlite:copies.db"),
        ("table.name.format", table),
        ("insert.mode", "upsert"),
        ("pk.mode", "record_key"),
        ("pk.fields", "id"),
        ("auto.create", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn named(name: &str, table: &str) -> (String, codeflix_connect::config::Config) {
    let mut config = sink(table);
    config.insert("name".into(), name.into());
    (name.to_owned(), config)
}

async fn state(connect: &Connect, name: &str) -> Json {
    connect.status(name).await["connector"]["state"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_and_their_states_survive_a_restart_and_a_removed_file_takes_its_connector() {
    let stack = Stack::start().await;
    let data = stack.path("connect-data");
    {
        let connect = Connect::start(stack.config(), &data).await;
        connect
            .runtime
            .apply_files(vec![named("plans", "plans"), named("prices", "prices")])
            .await
            .unwrap();
        let (status, _) = connect
            .call(reqwest::Method::PUT, "/connectors/plans/pause", None)
            .await;
        assert_eq!(status, 202);
        connect.create("by-hand", json!(sink("by_hand"))).await;
        wait_until("plans is paused", || async {
            (state(&connect, "plans").await == "PAUSED").then_some(())
        })
        .await;
        connect.runtime.shutdown().await;
    }

    let connect = Connect::start(stack.config(), &data).await;
    // Before the files are applied: everything as it was left.
    assert_eq!(
        connect
            .call(reqwest::Method::GET, "/connectors", None)
            .await
            .1,
        json!(["by-hand", "plans", "prices"])
    );
    connect
        .runtime
        .apply_files(vec![named("plans", "plans")])
        .await
        .unwrap();
    assert_eq!(
        connect
            .call(reqwest::Method::GET, "/connectors", None)
            .await
            .1,
        json!(["by-hand", "plans"]),
        "prices' file is gone, so is prices; by-hand came from the REST API and stays"
    );
    assert_eq!(
        state(&connect, "plans").await,
        "PAUSED",
        "an unchanged file keeps the state"
    );
    assert_eq!(state(&connect, "by-hand").await, "RUNNING");
    let (_, config) = connect
        .call(reqwest::Method::GET, "/connectors/by-hand/config", None)
        .await;
    assert_eq!(config["table.name.format"], "by_hand");
}
