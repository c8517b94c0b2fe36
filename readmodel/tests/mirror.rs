//! The entitlements mirror as a JDBC sink leaves it: in SQLite always, in PostgreSQL when
//! `CODEFLIX_TEST_POSTGRES_URL` is set (`.ci/run` starts Debian's PostgreSQL and sets it). The
//! test writes the table as the sink's dialect would (SQLite: numbers and booleans as INTEGER;
//! PostgreSQL: BOOLEAN, INT, BIGINT) and reads it through the adapter.

#![allow(clippy::unwrap_used)]

use codeflix_domain::Timestamp;
use codeflix_readmodel::mirror::{
    EntitlementReads, PostgresEntitlements, SqliteEntitlements, open_entitlements,
};

/// (subscription, account, status, period end, ends_at, trial_noticed, renewals, attempts)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    i64,
    i64,
);

const ROWS: [Row; 3] = [
    (
        "s-1",
        "ana",
        "ACTIVE",
        "2027-01-01T00:00:00.000000Z",
        None,
        false,
        2,
        0,
    ),
    (
        "s-2",
        "ana",
        "CANCELED",
        "2026-06-01T00:00:00.000000Z",
        Some("2026-06-01T00:00:00.000000Z"),
        true,
        0,
        0,
    ),
    (
        "s-3",
        "bo",
        "EXPIRED",
        "2026-01-01T00:00:00.000000Z",
        None,
        false,
        0,
        4,
    ),
];

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The contract: an account's rows only, every column read, what they grant when.
async fn contract(mirror: &dyn EntitlementReads) {
    let mut ana = mirror.of_account("ana").await.unwrap();
    ana.sort_by(|a, b| a.subscription_id.cmp(&b.subscription_id));
    assert_eq!(ana.len(), 2, "{ana:?}");
    assert_eq!(ana[0].status, "ACTIVE");
    assert_eq!((ana[0].renewals, ana[0].version), (2, 7));
    assert_eq!(ana[1].started_at, "2025-02-01T00:00:00.000000Z");
    assert_eq!(
        ana[1].ends_at.as_deref(),
        Some("2026-06-01T00:00:00.000000Z")
    );
    assert!(ana[1].trial_noticed);
    assert!(ana[0].grants_access_at(at("2026-12-06T00:00:00Z")));
    assert!(ana[1].grants_access_at(at("2026-05-31T23:59:59Z")));
    assert!(!ana[1].grants_access_at(at("2026-06-01T00:00:00Z")));
    let bo = mirror.of_account("bo").await.unwrap();
    assert_eq!(bo.len(), 1);
    assert_eq!(bo[0].attempts, 4);
    assert!(!bo[0].grants_access_at(at("2025-01-01T00:00:00Z")));
    assert!(mirror.of_account("nobody").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_mirror_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("playback/entitlements.db");
    let mirror = SqliteEntitlements::open(&path).await.unwrap();
    assert!(
        mirror.of_account("ana").await.unwrap().is_empty(),
        "no table before the sink's first record"
    );
    let db = libsql::Builder::new_local(&path).build().await.unwrap();
    let conn = db.connect().unwrap();
    conn.execute_batch(
        "CREATE TABLE entitlements (subscription_id TEXT PRIMARY KEY, account_id TEXT, \
         status TEXT, current_period_end TEXT, trial_ends_at TEXT, trial_noticed INTEGER, \
         renewals INTEGER, attempts INTEGER, next_attempt_at TEXT, ends_at TEXT, \
         access_ends_at TEXT, version INTEGER, updated_at TEXT, started_at TEXT)",
    )
    .await
    .unwrap();
    for (id, account, status, end, ends_at, noticed, renewals, attempts) in ROWS {
        conn.execute(
            "INSERT INTO entitlements VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7, NULL, ?8, ?8, 7, \
             '2026-01-01T00:00:00.000000Z', '2025-0' || ?9 || '-01T00:00:00.000000Z')",
            libsql::params![
                id,
                account,
                status,
                end,
                i64::from(noticed),
                renewals,
                attempts,
                ends_at,
                &id[2..]
            ],
        )
        .await
        .unwrap();
    }
    contract(&mirror).await;
    // The JDBC URL form the connector files use, relative to the data directory.
    let by_url = open_entitlements("jdbc:sqlite:playback/entitlements.db", dir.path())
        .await
        .unwrap();
    contract(by_url.as_ref()).await;
    assert!(
        open_entitlements("jdbc:oracle:thin:@x", dir.path())
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_mirror_keeps_the_contract() {
    let Ok(url) = std::env::var("CODEFLIX_TEST_POSTGRES_URL") else {
        println!("skipped: set CODEFLIX_TEST_POSTGRES_URL (.ci/run starts a PostgreSQL)");
        return;
    };
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(
            "DROP TABLE IF EXISTS entitlements; \
             CREATE TABLE entitlements (subscription_id TEXT PRIMARY KEY, account_id TEXT, \
             status TEXT, current_period_end TEXT, trial_ends_at TEXT, trial_noticed BOOLEAN, \
             renewals INT, attempts INT, next_attempt_at TEXT, ends_at TEXT, \
             access_ends_at TEXT, version BIGINT, updated_at TEXT, started_at TEXT)",
        )
        .await
        .unwrap();
    let mirror = PostgresEntitlements::open(&url).await.unwrap();
    for (id, account, status, end, ends_at, noticed, renewals, attempts) in ROWS {
        client
            .execute(
                "INSERT INTO entitlements VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, NULL, $8, \
                 $8, 7, '2026-01-01T00:00:00.000000Z', '2025-0' || $9 || '-01T00:00:00.000000Z')",
                &[
                    &id,
                    &account,
                    &status,
                    &end,
                    &noticed,
                    &i32::try_from(renewals).unwrap(),
                    &i32::try_from(attempts).unwrap(),
                    &ends_at,
                    &&id[2..],
                ],
            )
            .await
            .unwrap();
    }
    contract(&mirror).await;
    // The JDBC form the connector files use: credentials as parameters.
    if let Some((credentials, rest)) = url
        .strip_prefix("postgresql://")
        .and_then(|rest| rest.split_once('@'))
        && let Some((user, password)) = credentials.split_once(':')
    {
        let jdbc = format!("jdbc:postgresql://{rest}?user={user}&password={password}");
        let by_url = open_entitlements(&jdbc, std::path::Path::new("."))
            .await
            .unwrap();
        contract(by_url.as_ref()).await;
    }
    // The database drops the adapter's connection (as a restart does): the read that finds it
    // lost fails, and the next connects again.
    let ended = client
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert!(ended >= 1, "the adapter's connection was open");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let after: Vec<bool> = [
        mirror.of_account("ana").await.is_ok(),
        mirror.of_account("ana").await.is_ok(),
    ]
    .into();
    assert!(
        after[1],
        "read again after the connection was lost: {after:?}"
    );
    contract(&mirror).await;
    client
        .batch_execute("DROP TABLE entitlements")
        .await
        .unwrap();
    assert!(
        mirror.of_account("ana").await.unwrap().is_empty(),
        "no table: nothing yet"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_mirror_that_does_not_answer_fails_reads_not_the_start() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mirror = open_entitlements(
        &format!("jdbc:postgresql://127.0.0.1:{port}/playback?user=u&password=p"),
        std::path::Path::new("."),
    )
    .await
    .unwrap();
    assert!(mirror.of_account("ana").await.is_err());
    assert!(
        open_entitlements(
            "postgresql://127.0.0.1:5432/x?sslmode=sometimes",
            std::path::Path::new(".")
        )
        .await
        .is_err(),
        "a URL that does not parse is refused at the start"
    );
}
