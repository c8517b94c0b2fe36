//! The web apps `npm run build` writes to `web/dist`: embedded in release builds, read from disk
//! in debug builds (so `npm run build` is live without recompiling). Two single-page apps share
//! the folder: the viewer at `/` (`index.html`) and the console at `/admin/`
//! (`admin/index.html`); any other path under an app that is not a file is one of its pages.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "../web/dist"]
#[allow_missing = true]
struct Dist;

/// Vite names every file under `assets/` by its content's hash: a name never changes content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Pages and `config.json` name the current assets and settings: revalidate every time.
const REVALIDATE: &str = "no-cache";

/// Whether the apps were built into this binary (or, in a debug build, are on disk).
pub fn built() -> bool {
    Dist::get("index.html").is_some() && Dist::get("admin/index.html").is_some()
}

/// What the apps' pages may load and who may frame them (nobody): scripts, styles and media
/// from this origin only (media also from the player's `blob:` sources), requests to this origin
/// and the identity provider's (`issuer_origin`, e.g. `http://127.0.0.1:8080`).
pub fn content_security_policy(issuer_origin: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         media-src 'self' blob:; connect-src 'self' {issuer_origin}; object-src 'none'; \
         base-uri 'self'; frame-ancestors 'none'"
    )
}

/// Answers a GET or HEAD for `uri` from the apps; pages carry `policy` as their
/// Content-Security-Policy.
pub async fn serve(uri: Uri, headers: HeaderMap, policy: HeaderValue) -> Response {
    let path = uri.path().trim_start_matches('/');
    // An API path that no prefix matched is a mistake, not a page of the viewer app.
    if path == "api" || path.starts_with("api/") {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    if let Some(file) = (!path.is_empty() && !path.ends_with('/'))
        .then(|| Dist::get(path))
        .flatten()
    {
        let cache = if path.starts_with("assets/") {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        return file_response(file, cache, &headers);
    }
    if looks_like_file(path) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let page = if path == "admin" || path.starts_with("admin/") {
        "admin/index.html"
    } else {
        "index.html"
    };
    let mut response = match Dist::get(page) {
        Some(file) => file_response(file, REVALIDATE, &headers),
        None => not_built(),
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_SECURITY_POLICY, policy);
    out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// A request for a missing script, style or image gets a 404, not an app page that the browser
/// would then fail to run as a script.
fn looks_like_file(path: &str) -> bool {
    path.starts_with("assets/")
        || path
            .rsplit('/')
            .next()
            .and_then(|last| last.rsplit_once('.'))
            .is_some_and(|(_, extension)| {
                matches!(
                    extension,
                    "js" | "mjs" | "css" | "map" | "svg" | "png" | "jpg" | "ico" | "woff2" | "json"
                )
            })
}

fn file_response(
    file: rust_embed::EmbeddedFile,
    cache: &'static str,
    headers: &HeaderMap,
) -> Response {
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Response::new(Body::from(file.data.into_owned()))
    };
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(file.metadata.mimetype()) {
        out.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    out.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

fn not_built() -> Response {
    let page = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Codeflix</title>\
        <h1>The web apps are not built into this binary</h1>\
        <p>Build them, then start <code>codeflix</code> again (a debug build reads them from disk \
        and needs no restart):</p><pre>cd web &amp;&amp; npm ci &amp;&amp; npm run build</pre>\
        <p>The APIs work without them, under <code>/api/command</code> and \
        <code>/api/query</code>.</p></html>";
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_told_from_pages() {
        assert!(looks_like_file("assets/index-abc.js"));
        assert!(looks_like_file("admin/missing.css"));
        assert!(looks_like_file("favicon.svg"));
        assert!(!looks_like_file("videos/4f1c"));
        assert!(!looks_like_file("admin/videos/new"));
        assert!(!looks_like_file(""));
    }
}
