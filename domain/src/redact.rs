//! Secrets out of what is shown: URLs with credentials in logs, probes, errors and `codeflix
//! config`. One function, used wherever a URL or a message that may hold one is shown.

/// Query parameters whose values are secrets (matched as substrings, case-insensitively).
const SECRET_NAMES: [&str; 8] = [
    "password",
    "passwd",
    "secret",
    "token",
    "key",
    "signature",
    "sig",
    "credential",
];

const REDACTED: &str = "<redacted>";

/// Whether a setting or parameter name names a secret.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_NAMES.iter().any(|secret| name.contains(secret))
}

/// `text` with the credentials of every URL in it replaced by `<redacted>`: the password of
/// `user:password@`, a token alone as `token@`, and the values of secret-looking query
/// parameters (`?access_token=…`, `&X-Amz-Signature=…`).
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The URL runs to the first character no URL holds unescaped.
        let end = after
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | ')' | ',')
            })
            .unwrap_or(after.len());
        let (url, tail) = after.split_at(end);
        out.push_str(&redact_url_body(url));
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// A URL after its `scheme://`.
fn redact_url_body(url: &str) -> String {
    let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
    let (authority, path) = url.split_at(authority_end);
    let mut out = match authority.rfind('@') {
        // `user:password@`: the user is kept, to tell accounts apart.
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _)) => format!("{user}:{REDACTED}{}", &authority[at..]),
            None => format!("{REDACTED}{}", &authority[at..]),
        },
        None => authority.to_owned(),
    };
    let Some(query_start) = path.find('?') else {
        out.push_str(path);
        return out;
    };
    let (before_query, query) = path.split_at(query_start + 1);
    out.push_str(before_query);
    let (query, fragment) = match query.find('#') {
        Some(hash) => query.split_at(hash),
        None => (query, ""),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(name) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect();
    out.push_str(&pairs.join("&"));
    out.push_str(fragment);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_redacted_wherever_they_are() {
        for (text, shown) in [
            (
                "http://user:pw@registry:8081",
                "http://user:<redacted>@registry:8081",
            ),
            (
                "https://tok3n@es:9200/videos",
                "https://<redacted>@es:9200/videos",
            ),
            (
                "s3://bucket/media?access_key=AK&secret_key=SK&region=eu",
                "s3://bucket/media?access_key=<redacted>&secret_key=<redacted>&region=eu",
            ),
            (
                "GET http://u:p@h/subjects?token=t#x: connection refused",
                "GET http://u:<redacted>@h/subjects?token=<redacted>#x: connection refused",
            ),
            (
                "error sending request for url (https://a:b@c/d)",
                "error sending request for url (https://a:<redacted>@c/d)",
            ),
            ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
            ("no url here", "no url here"),
        ] {
            assert_eq!(redact(text), shown, "{text}");
        }
        assert!(is_secret_name("sasl.password"));
        assert!(is_secret_name("ssl.key.password"));
        assert!(!is_secret_name("security.protocol"));
    }
}
