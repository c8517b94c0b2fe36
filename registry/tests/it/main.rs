//! The registry over real HTTP, as clients use it.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use codeflix_registry::{Level, Registry};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Server {
    base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(db: &Path) -> Server {
        Server::with_token(db, None).await
    }

    async fn with_token(db: &Path, token: Option<&str>) -> Server {
        let registry = Registry::open(db, Level::Backward).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let token = token.map(str::to_owned);
        let task = tokio::spawn(async move {
            codeflix_registry::serve(listener, registry, token, std::future::pending())
                .await
                .unwrap();
        });
        Server { base, task }
    }

    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let client = reqwest::Client::new();
        let mut request = client
            .request(method, format!("{}{path}", self.base))
            .header("Accept", "application/vnd.schemaregistry.v1+json");
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn v1() -> String {
    json!({"type":"record","name":"Thing","namespace":"codeflix.x","fields":[{"name":"a","type":"string"}]}).to_string()
}

fn v2_optional() -> String {
    json!({"type":"record","name":"Thing","namespace":"codeflix.x","fields":[
        {"name":"a","type":"string"},{"name":"b","type":["null","long"],"default":null}]})
    .to_string()
}

fn v2_required() -> String {
    json!({"type":"record","name":"Thing","namespace":"codeflix.x","fields":[
        {"name":"a","type":"string"},{"name":"b","type":"long"}]})
    .to_string()
}

fn body(schema: &str) -> Value {
    json!({"schema": schema, "schemaType": "AVRO", "references": []})
}

const SUBJECT: &str = "codeflix.x.events-codeflix.x.Thing";

#[tokio::test]
async fn register_then_read_back_by_id_subject_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("registry.db")).await;
    let (status, registered) = server
        .post(
            &format!("/subjects/{SUBJECT}/versions?normalize=False"),
            body(&v1()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{registered}");
    let id = registered["id"].as_i64().unwrap();

    let (status, by_id) = server
        .get(&format!(
            "/schemas/ids/{id}?subject=other-value&deleted=true"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_id["schema"].as_str().unwrap(), v1());
    assert_eq!(by_id["schemaType"], "AVRO");

    let (_, subjects) = server
        .get("/subjects?deleted=false&deleted_only=false&offset=0&limit=-1")
        .await;
    assert_eq!(subjects, json!([SUBJECT]));
    let (_, versions) = server
        .get(&format!("/subjects/{SUBJECT}/versions?offset=0&limit=-1"))
        .await;
    assert_eq!(versions, json!([1]));
    let (_, latest) = server
        .get(&format!("/subjects/{SUBJECT}/versions/latest"))
        .await;
    assert_eq!(latest["id"].as_i64(), Some(id));
    assert_eq!(latest["version"], 1);
    assert_eq!(latest["subject"], SUBJECT);

    let (status, found) = server
        .post(
            &format!("/subjects/{SUBJECT}?normalize=False&deleted=False"),
            body(&v1()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["version"], 1);
    assert_eq!(found["id"].as_i64(), Some(id));
}

#[tokio::test]
async fn registering_again_returns_the_same_id_and_other_subjects_share_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("registry.db")).await;
    let path = format!("/subjects/{SUBJECT}/versions");
    let (_, first) = server.post(&path, body(&v1())).await;
    // Same schema, other formatting: same schema.
    let reformatted =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&v1()).unwrap()).unwrap();
    let (_, again) = server.post(&path, body(&reformatted)).await;
    assert_eq!(first["id"], again["id"]);
    let (_, versions) = server.get(&path).await;
    assert_eq!(versions, json!([1]));
    let (_, elsewhere) = server
        .post("/subjects/other-codeflix.x.Thing/versions", body(&v1()))
        .await;
    assert_eq!(first["id"], elsewhere["id"]);
}

#[tokio::test]
async fn an_incompatible_schema_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("registry.db")).await;
    let path = format!("/subjects/{SUBJECT}/versions");
    server.post(&path, body(&v1())).await;
    let (status, error) = server.post(&path, body(&v2_required())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["error_code"], 409);
    assert!(
        error["message"].as_str().unwrap().contains("incompatible"),
        "{error}"
    );
    let (_, versions) = server.get(&path).await;
    assert_eq!(versions, json!([1]));

    let (status, compatible) = server
        .post(
            &format!(
                "/compatibility/subjects/{SUBJECT}/versions/latest?normalize=False&verbose=False"
            ),
            body(&v2_optional()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(compatible, json!({"is_compatible": true}));
    let (_, incompatible) = server
        .post(
            &format!("/compatibility/subjects/{SUBJECT}/versions?verbose=true"),
            body(&v2_required()),
        )
        .await;
    assert_eq!(incompatible["is_compatible"], false);
    assert!(!incompatible["messages"].as_array().unwrap().is_empty());

    let (status, _) = server.post(&path, body(&v2_optional())).await;
    assert_eq!(status, StatusCode::OK);
    let (_, versions) = server.get(&path).await;
    assert_eq!(versions, json!([1, 2]));
}

#[tokio::test]
async fn compatibility_levels_are_configurable_globally_and_per_subject() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("registry.db")).await;
    assert_eq!(
        server.get("/config").await.1,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    let (status, set) = server
        .put("/config", json!({"compatibility": "BACKWARD_TRANSITIVE"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(set, json!({"compatibility": "BACKWARD_TRANSITIVE"}));
    assert_eq!(
        server.get(&format!("/config/{SUBJECT}")).await.1,
        json!({"compatibilityLevel": "BACKWARD_TRANSITIVE"})
    );
    server
        .put(
            &format!("/config/{SUBJECT}"),
            json!({"compatibility": "NONE"}),
        )
        .await;
    assert_eq!(
        server.get(&format!("/config/{SUBJECT}")).await.1["compatibilityLevel"],
        "NONE"
    );
    assert_eq!(
        server.get("/config").await.1["compatibilityLevel"],
        "BACKWARD_TRANSITIVE"
    );
    let path = format!("/subjects/{SUBJECT}/versions");
    server.post(&path, body(&v1())).await;
    let (status, _) = server.post(&path, body(&v2_required())).await;
    assert_eq!(status, StatusCode::OK, "NONE accepts anything");
    let (status, error) = server
        .put("/config", json!({"compatibility": "SIDEWAYS"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error_code"], 42203);
}

#[tokio::test]
async fn errors_carry_confluent_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("registry.db")).await;
    let (status, error) = server.get("/subjects/nope/versions").await;
    assert_eq!(
        (status, error["error_code"].as_i64()),
        (StatusCode::NOT_FOUND, Some(40401))
    );
    let (status, error) = server.get("/schemas/ids/999").await;
    assert_eq!(
        (status, error["error_code"].as_i64()),
        (StatusCode::NOT_FOUND, Some(40403))
    );
    let (status, error) = server
        .post(
            &format!("/subjects/{SUBJECT}/versions"),
            json!({"schema": "{not avro"}),
        )
        .await;
    assert_eq!(
        (status, error["error_code"].as_i64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(42201))
    );
    let (status, error) = server
        .post(
            &format!("/subjects/{SUBJECT}/versions"),
            json!({"schema": v1(), "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(
        (status, error["error_code"].as_i64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(42201))
    );
    server
        .post(&format!("/subjects/{SUBJECT}/versions"), body(&v1()))
        .await;
    let (status, error) = server.get(&format!("/subjects/{SUBJECT}/versions/0")).await;
    assert_eq!(
        (status, error["error_code"].as_i64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(42202))
    );
    let (status, error) = server.get(&format!("/subjects/{SUBJECT}/versions/7")).await;
    assert_eq!(
        (status, error["error_code"].as_i64()),
        (StatusCode::NOT_FOUND, Some(40402))
    );
    let (status, error) = server
        .post(&format!("/subjects/{SUBJECT}"), body(&v2_optional()))
        .await;
    assert_eq!(
        (status, error["error_code"].as_i64()),
        (StatusCode::NOT_FOUND, Some(40403))
    );
    // Python's associated-name strategy asks this first and falls back on an empty answer.
    assert_eq!(
        server
            .get("/associations/resources/-/t?resourceType=topic&associationType=value")
            .await
            .1,
        json!([])
    );
}

#[tokio::test]
async fn schemas_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.db");
    let id = {
        let server = Server::start(&db).await;
        server
            .put("/config", json!({"compatibility": "FULL"}))
            .await;
        server
            .post(&format!("/subjects/{SUBJECT}/versions"), body(&v1()))
            .await
            .1["id"]
            .clone()
    };
    let server = Server::start(&db).await;
    let (status, schema) = server.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(schema["schema"].as_str().unwrap(), v1());
    assert_eq!(server.get("/config").await.1["compatibilityLevel"], "FULL");
}

/// A page on another site can send a browser's "simple" cross-site POST (text/plain, no
/// preflight), and a re-pointed host name reaches a loopback registry: neither may write.
#[tokio::test]
async fn writes_need_a_registry_media_type_and_a_loopback_host() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("registry.db")).await;
    let schema = json!({"schema": r#"{"type":"record","name":"A","fields":[]}"#}).to_string();
    let client = reqwest::Client::new();
    let url = format!("{}/subjects/poisoned-value/versions", server.base);
    let plain = client
        .post(&url)
        .header("Content-Type", "text/plain")
        .body(schema.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let rebound = client
        .post(&url)
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .header("Host", "attacker.example:8081")
        .body(schema.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN);
    let (status, subjects) = server.get("/subjects").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(subjects, json!([]), "nothing was registered");
    // A client as clients are.
    let registered = client
        .post(&url)
        .header(
            "Content-Type",
            "application/vnd.schemaregistry.v1+json; charset=utf-8",
        )
        .body(schema)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::OK);
}

/// The way out of a poisoned subject: a version registered by mistake is soft-deleted (hidden,
/// its id still decodes old events), then the right schema registers; permanent deletion needs
/// a soft deletion first, as Confluent's registry does.
#[tokio::test]
async fn versions_and_subjects_are_soft_deleted_then_permanently() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("registry.db")).await;
    let path = format!("/subjects/{SUBJECT}/versions");
    let (_, first) = server.post(&path, body(&v1())).await;
    let (_, poison) = server.post(&path, body(&v2_optional())).await;
    assert_eq!(server.get(&path).await.1, json!([1, 2]));
    // The poisoned version is in the way of a schema that evolves v1 otherwise.
    let rival = json!({"type":"record","name":"Thing","namespace":"codeflix.x","fields":[
        {"name":"a","type":"string"},{"name":"b","type":["null","string"],"default":null}]})
    .to_string();
    let (status, _) = server.post(&path, body(&rival)).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, deleted) = server.delete(&format!("{path}/2")).await;
    assert_eq!((status, deleted), (StatusCode::OK, json!(2)));
    assert_eq!(server.get(&path).await.1, json!([1]));
    assert_eq!(
        server.get(&format!("{path}?deleted=true")).await.1,
        json!([1, 2])
    );
    assert_eq!(server.get(&format!("{path}/latest")).await.1["version"], 1);
    let (status, hidden) = server.get(&format!("{path}/2")).await;
    assert_eq!(
        (status, hidden["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40402))
    );
    assert_eq!(
        server.get(&format!("{path}/2?deleted=true")).await.1["id"],
        poison["id"]
    );
    // Events written with it still decode.
    let (status, _) = server.get(&format!("/schemas/ids/{}", poison["id"])).await;
    assert_eq!(status, StatusCode::OK);
    // Soft-deleted twice: say how to go further.
    let (status, again) = server.delete(&format!("{path}/2")).await;
    assert_eq!(
        (status, again["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40406))
    );

    let (status, fixed) = server.post(&path, body(&rival)).await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    assert_eq!(
        server.get(&format!("{path}/latest")).await.1["version"],
        3,
        "numbers are not reused"
    );

    // Permanent deletion only after a soft one.
    let (status, refused) = server.delete(&format!("{path}/1?permanent=true")).await;
    assert_eq!(
        (status, refused["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40407))
    );
    let (status, gone) = server.delete(&format!("{path}/2?permanent=true")).await;
    assert_eq!((status, gone), (StatusCode::OK, json!(2)));
    assert_eq!(
        server.get(&format!("{path}?deleted=true")).await.1,
        json!([1, 3])
    );
    let (status, _) = server.get(&format!("/schemas/ids/{}", poison["id"])).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing uses it any more");

    // The whole subject.
    let subject = format!("/subjects/{SUBJECT}");
    let (status, refused) = server.delete(&format!("{subject}?permanent=true")).await;
    assert_eq!(
        (status, refused["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40405))
    );
    let (status, deleted) = server.delete(&subject).await;
    assert_eq!((status, deleted), (StatusCode::OK, json!([1, 3])));
    assert_eq!(server.get("/subjects").await.1, json!([]));
    assert_eq!(
        server.get("/subjects?deleted=true").await.1,
        json!([SUBJECT])
    );
    let (status, again) = server.delete(&subject).await;
    assert_eq!(
        (status, again["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40404))
    );
    let (status, _) = server.get(&format!("/schemas/ids/{}", first["id"])).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "soft-deleted versions still resolve ids"
    );
    let (status, _) = server.delete(&format!("{subject}?permanent=true")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.get("/subjects?deleted=true").await.1, json!([]));
    let (status, missing) = server.delete(&subject).await;
    assert_eq!(
        (status, missing["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40401))
    );
}

/// With a token, changes need it (bearer, or Basic's password as clients send a URL's userinfo);
/// reads, lookups and compatibility tests do not.
#[tokio::test]
async fn changes_need_the_token_and_reads_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_token(&dir.path().join("registry.db"), Some("s3cret-token")).await;
    let path = format!("/subjects/{SUBJECT}/versions");
    let client = reqwest::Client::new();
    let register = |auth: Option<&str>| {
        let mut request = client
            .post(format!("{}{path}", server.base))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(body(&v1()).to_string());
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.send()
    };
    let anonymous = register(None).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    assert_eq!(
        register(Some("Bearer wrong-token")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.get("/subjects").await.1,
        json!([]),
        "nothing was registered"
    );

    let bearer = register(Some("Bearer s3cret-token")).await.unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    // What reqwest sends for http://codeflix:s3cret-token@host.
    let mut url = reqwest::Url::parse(&format!("{}/config", server.base)).unwrap();
    url.set_username("codeflix").unwrap();
    url.set_password(Some("s3cret-token")).unwrap();
    let basic = client
        .put(url)
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(json!({"compatibility": "FULL"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);

    let (status, _) = server.delete(&format!("{path}/1")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.put("/mode", json!({"mode": "READONLY"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Reads.
    assert_eq!(server.get(&path).await.1, json!([1]));
    let (status, _) = server
        .post(&format!("/subjects/{SUBJECT}"), body(&v1()))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .post(
            &format!("/compatibility/subjects/{SUBJECT}/versions"),
            body(&v2_optional()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// READONLY: a registration of a schema the subject holds is answered (writers that register on
/// first use keep working); anything new or any other change is refused.
#[tokio::test]
async fn a_read_only_registry_answers_known_schemas_and_refuses_changes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("registry.db")).await;
    let path = format!("/subjects/{SUBJECT}/versions");
    let (_, first) = server.post(&path, body(&v1())).await;
    let (status, mode) = server.put("/mode", json!({"mode": "READONLY"})).await;
    assert_eq!(
        (status, mode),
        (StatusCode::OK, json!({"mode": "READONLY"}))
    );
    assert_eq!(server.get("/mode").await.1, json!({"mode": "READONLY"}));

    let (status, known) = server.post(&path, body(&v1())).await;
    assert_eq!(
        (status, known["id"].clone()),
        (StatusCode::OK, first["id"].clone())
    );
    let (status, refused) = server.post(&path, body(&v2_optional())).await;
    assert_eq!(
        (status, refused["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(42205))
    );
    let (status, _) = server
        .put("/config", json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = server.delete(&format!("{path}/1")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(server.get(&path).await.1, json!([1]), "nothing changed");
    let (status, invalid) = server.put("/mode", json!({"mode": "IMPORT"})).await;
    assert_eq!(
        (status, invalid["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(42204))
    );

    let (status, _) = server.put("/mode", json!({"mode": "READWRITE"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.post(&path, body(&v2_optional())).await;
    assert_eq!(status, StatusCode::OK);
}

/// A registry written before soft deletion existed opens, keeps its schemas and can delete.
#[tokio::test]
async fn a_registry_from_before_soft_deletion_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.db");
    {
        let old = libsql::Builder::new_local(&db).build().await.unwrap();
        let conn = old.connect().unwrap();
        conn.execute_batch(
            "CREATE TABLE schemas (id INTEGER PRIMARY KEY AUTOINCREMENT,
                 canonical TEXT NOT NULL UNIQUE, schema TEXT NOT NULL);
             CREATE TABLE versions (subject TEXT NOT NULL, version INTEGER NOT NULL,
                 schema_id INTEGER NOT NULL REFERENCES schemas (id), PRIMARY KEY (subject, version));
             CREATE TABLE config (subject TEXT PRIMARY KEY, level TEXT NOT NULL);",
        )
        .await
        .unwrap();
        let canonical = serde_json::from_str::<Value>(&v1()).unwrap().to_string();
        conn.execute(
            "INSERT INTO schemas (canonical, schema) VALUES (?1, ?2)",
            libsql::params![canonical, v1()],
        )
        .await
        .unwrap();
        conn.execute(
            "INSERT INTO versions (subject, version, schema_id) VALUES (?1, 1, 1)",
            libsql::params![SUBJECT],
        )
        .await
        .unwrap();
    }
    let server = Server::start(&db).await;
    let path = format!("/subjects/{SUBJECT}/versions");
    assert_eq!(server.get(&path).await.1, json!([1]));
    let (status, _) = server.delete(&format!("{path}/1")).await;
    assert_eq!(status, StatusCode::OK);
    drop(server);
    // Opening again applies nothing twice.
    let server = Server::start(&db).await;
    assert_eq!(
        server.get(&format!("{path}?deleted=true")).await.1,
        json!([1])
    );
    assert_eq!(server.get(&path).await.1["error_code"], 40401);
}
