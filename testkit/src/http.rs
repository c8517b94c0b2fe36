//! Requests to an API under test, and their answers.

use reqwest::{Method, StatusCode};
use serde_json::Value;

/// An HTTP client for one API's base URL.
#[derive(Debug, Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Answer::read(request.send().await.unwrap()).await
    }

    /// A GET, with `token` when given.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Method::GET, path, token, &[], None).await
    }
}

/// An answer, with its body parsed when it is JSON (`Null` otherwise).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub async fn read(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `id` of a created resource.
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .expect("an id in the body")
            .to_owned()
    }

    /// `(field, rule)` of every field error of a problem.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or("").to_owned(),
                            e["rule"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Checks that the docs page at `{base}/docs` works offline: it loads, every script, style and
/// image it names comes from the same origin and loads, and it reads the API's own document.
pub async fn assert_docs_offline(base: &str) {
    let http = reqwest::Client::new();
    let page = http.get(format!("{base}/docs/")).send().await.unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let html = page.text().await.unwrap();
    let mut assets = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            let reference = &rest[..rest.find('"').unwrap()];
            assert!(
                !reference.contains("//"),
                "the docs page loads {reference} from another origin"
            );
            assets.push(reference.trim_start_matches("./").to_owned());
        }
    }
    assert!(
        assets.iter().any(|asset| asset.ends_with(".js")),
        "the docs page loads no script: {html}"
    );
    let mut initializer = String::new();
    for asset in &assets {
        let answer = http
            .get(format!("{base}/docs/{asset}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), reqwest::StatusCode::OK, "{asset}");
        let body = answer.text().await.unwrap();
        if asset.contains("initializer") {
            initializer = body;
        }
    }
    assert!(
        initializer.contains("/openapi.json"),
        "the docs UI does not read the API's document: {initializer}"
    );
    assert!(
        !initializer.contains("https://"),
        "the docs UI calls another origin: {initializer}"
    );
}
