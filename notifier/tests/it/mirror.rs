//! The notifier reads contacts and titles from its mirror as the JDBC sink writes it: SQLite on
//! embedded defaults, PostgreSQL when `CODEFLIX_TEST_POSTGRES_URL` is set (`.ci/run` starts one).
//! A table the sink has not created yet reads as empty.

use codeflix_notifier::store::{Contact, Mirror};

const CONTACTS: &str = "CREATE TABLE contacts (subject TEXT PRIMARY KEY, email TEXT, \
                        display_name TEXT, version BIGINT, updated_at TEXT)";
const TITLES: &str = "CREATE TABLE video_titles (video_id TEXT PRIMARY KEY, title TEXT, \
                      version BIGINT, published BOOLEAN)";

/// What the sink adds (`auto.evolve`) once records carry phones, locales and opt-outs.
const EVOLVED: [&str; 4] = [
    "ALTER TABLE contacts ADD COLUMN phone TEXT",
    "ALTER TABLE contacts ADD COLUMN locale TEXT",
    "ALTER TABLE contacts ADD COLUMN opted_out TEXT DEFAULT ''",
    "INSERT INTO contacts VALUES ('bia', 'bia@example.com', 'Bia', 2, 'x', '+5511912345678', \
     'pt-BR', 'account,marketing')",
];

fn ana() -> Contact {
    Contact {
        subject: "ana".to_owned(),
        email: "ana@example.com".to_owned(),
        name: "Ana Souza".to_owned(),
        phone: None,
        locale: None,
        opted_out: Default::default(),
    }
}

/// A table the sink created before contacts had phones, locales and opt-outs reads as none of
/// them.
async fn reads_the_contract(mirror: &Mirror) {
    assert_eq!(mirror.contact("ana").await.unwrap(), Some(ana()));
    assert_eq!(mirror.contact("nobody").await.unwrap(), None);
    assert_eq!(
        mirror.title("v1").await.unwrap().as_deref(),
        Some("Bars & Tone")
    );
    assert_eq!(mirror.title("v2").await.unwrap(), None);
}

/// Once the table has the new columns, they are read; a row written before has them empty.
async fn reads_the_evolved_contract(mirror: &Mirror) {
    assert_eq!(mirror.contact("ana").await.unwrap(), Some(ana()));
    let bia = mirror.contact("bia").await.unwrap().unwrap();
    assert_eq!(bia.phone.as_deref(), Some("+5511912345678"));
    assert_eq!(bia.locale.as_deref(), Some("pt-BR"));
    assert!(bia.opted_out_of("account") && bia.opted_out_of("marketing"));
    assert!(!bia.opted_out_of("critical"));
}

#[tokio::test]
async fn the_sqlite_mirror_is_read_as_the_sink_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open("jdbc:sqlite:notifications/mirror.db", dir.path())
        .await
        .unwrap();
    // Before the sink's first record: nothing, not an error.
    assert_eq!(mirror.contact("ana").await.unwrap(), None);
    let db = libsql::Builder::new_local(dir.path().join("notifications/mirror.db"))
        .build()
        .await
        .unwrap();
    let conn = db.connect().unwrap();
    conn.execute(CONTACTS, ()).await.unwrap();
    conn.execute(TITLES, ()).await.unwrap();
    conn.execute(
        "INSERT INTO contacts VALUES ('ana', 'ana@example.com', 'Ana Souza', 1, 'x')",
        (),
    )
    .await
    .unwrap();
    conn.execute(
        "INSERT INTO video_titles VALUES ('v1', 'Bars & Tone', 1, 0)",
        (),
    )
    .await
    .unwrap();
    reads_the_contract(&mirror).await;
    for statement in EVOLVED {
        conn.execute(statement, ()).await.unwrap();
    }
    reads_the_evolved_contract(&mirror).await;
    assert!(
        Mirror::open("jdbc:oracle:thin:@x", dir.path())
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_mirror_is_read_as_the_sink_writes_it() {
    let Ok(url) = std::env::var("CODEFLIX_TEST_POSTGRES_URL") else {
        println!("skipped: set CODEFLIX_TEST_POSTGRES_URL (.ci/run starts a PostgreSQL)");
        return;
    };
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    // A schema of its own, so that other tests' tables are left alone.
    let schema = format!("notifier_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let ours = format!("jdbc:{url}{sep}options=-csearch_path%3D{schema}");
    let mirror = Mirror::open(&ours, std::path::Path::new("."))
        .await
        .unwrap();
    assert_eq!(mirror.contact("ana").await.unwrap(), None);
    client
        .batch_execute(&format!(
            "SET search_path TO {schema}; {CONTACTS}; {TITLES}; \
             INSERT INTO contacts VALUES ('ana', 'ana@example.com', 'Ana Souza', 1, 'x'); \
             INSERT INTO video_titles VALUES ('v1', 'Bars & Tone', 1, false)"
        ))
        .await
        .unwrap();
    reads_the_contract(&mirror).await;
    client
        .batch_execute(&format!(
            "SET search_path TO {schema}; {}",
            EVOLVED.join("; ")
        ))
        .await
        .unwrap();
    reads_the_evolved_contract(&mirror).await;
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}
