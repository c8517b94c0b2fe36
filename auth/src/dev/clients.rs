//! The clients the development issuer knows: the public web client (browser apps, PKCE) and
//! the confidential admin client (scripts and services), and where each may be sent back.

use std::net::IpAddr;

use url::Url;

/// The public client of the browser apps (admin console, viewer app).
pub const WEB_CLIENT_ID: &str = "codeflix-web";

/// What a client may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No secret; the authorization-code flow with PKCE S256 only.
    Public { redirect_uris: Vec<RedirectPattern> },
    /// A secret; `client_credentials` only.
    Confidential,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Client {
    pub(crate) id: String,
    pub(crate) kind: Kind,
}

impl Client {
    /// Whether `uri` is one of the client's registered redirect URIs.
    pub(crate) fn accepts_redirect(&self, uri: &str) -> bool {
        let Kind::Public { redirect_uris } = &self.kind else {
            return false;
        };
        let Ok(candidate) = Url::parse(uri) else {
            return false;
        };
        // RFC 6749 §3.1.2: no fragment; and only web URLs (no javascript:, data:, …).
        if candidate.fragment().is_some() || !matches!(candidate.scheme(), "http" | "https") {
            return false;
        }
        redirect_uris.iter().any(|p| p.matches(&candidate))
    }

    /// Whether a browser page at `origin` (`scheme://host[:port]`) may call the token, userinfo
    /// and logout endpoints: it is the origin of a registered redirect URI.
    pub(crate) fn accepts_origin(&self, origin: &str) -> bool {
        let Kind::Public { redirect_uris } = &self.kind else {
            return false;
        };
        let Ok(candidate) = Url::parse(origin) else {
            return false;
        };
        candidate.path() == "/"
            && candidate.query().is_none()
            && redirect_uris.iter().any(|p| p.same_origin(&candidate))
    }
}

/// A registered redirect URI: exact, or ending in `/*` for any path below (as Keycloak writes
/// them). A loopback IP literal (`127.0.0.1`, `[::1]`) matches any port (RFC 8252 §7.3: native
/// apps listen on a port the system gives them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RedirectPattern {
    url: Url,
    /// `Some(prefix)` for `…/*`: any path starting with the prefix.
    prefix: Option<String>,
}

/// A redirect URI pattern that is not an absolute `http(s)` URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{pattern} is not a redirect URI (an absolute http(s) URL without fragment, `/*` at the end for any path)"
)]
pub struct PatternError {
    pub pattern: String,
}

impl RedirectPattern {
    pub(crate) fn parse(pattern: &str) -> Result<RedirectPattern, PatternError> {
        let error = || PatternError {
            pattern: pattern.to_owned(),
        };
        let (text, wildcard) = match pattern.strip_suffix('*') {
            Some(rest) if rest.ends_with('/') => (rest, true),
            Some(_) => return Err(error()),
            None => (pattern, false),
        };
        let url = Url::parse(text).map_err(|_| error())?;
        if !matches!(url.scheme(), "http" | "https")
            || url.fragment().is_some()
            || url.host().is_none()
            || text.contains('*')
        {
            return Err(error());
        }
        let prefix = wildcard.then(|| url.path().to_owned());
        Ok(RedirectPattern { url, prefix })
    }

    fn matches(&self, candidate: &Url) -> bool {
        if !self.same_origin(candidate) || !candidate.username().is_empty() {
            return false;
        }
        match &self.prefix {
            Some(prefix) => candidate.path().starts_with(prefix.as_str()),
            None => candidate.path() == self.url.path() && candidate.query() == self.url.query(),
        }
    }

    fn same_origin(&self, candidate: &Url) -> bool {
        candidate.scheme() == self.url.scheme()
            && candidate.host() == self.url.host()
            && (is_loopback_ip(&self.url)
                || candidate.port_or_known_default() == self.url.port_or_known_default())
    }
}

fn is_loopback_ip(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        _ => false,
    }
}

/// The web client's redirect URIs unless configured otherwise: the gateway's and the APIs'
/// origins on this host, the issuer's own origin, and any loopback port (native and development
/// apps).
pub(crate) fn default_web_redirect_uris(issuer: &str) -> Vec<String> {
    let mut uris = vec![
        "http://127.0.0.1:8080/*".to_owned(),
        "http://127.0.0.1:8082/*".to_owned(),
        "http://localhost:8080/*".to_owned(),
        "http://localhost:8082/*".to_owned(),
        "http://localhost:8000/*".to_owned(),
        "http://127.0.0.1/*".to_owned(),
        "http://[::1]/*".to_owned(),
    ];
    if let Ok(url) = Url::parse(issuer) {
        let origin = format!("{}/*", url.origin().ascii_serialization());
        if !uris.contains(&origin) {
            uris.push(origin);
        }
    }
    uris
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(patterns: &[&str]) -> Client {
        Client {
            id: WEB_CLIENT_ID.into(),
            kind: Kind::Public {
                redirect_uris: patterns
                    .iter()
                    .map(|p| RedirectPattern::parse(p).unwrap())
                    .collect(),
            },
        }
    }

    #[test]
    fn exact_uris_match_exactly() {
        let client = web(&["https://app.example.com/callback"]);
        assert!(client.accepts_redirect("https://app.example.com/callback"));
        for other in [
            "https://app.example.com/callback/x",
            "https://app.example.com/callback?x=1",
            "https://app.example.com:8443/callback",
            "http://app.example.com/callback",
            "https://evil.example.com/callback",
            "https://app.example.com/callback#frag",
            "https://user@app.example.com/callback",
            "not a url",
        ] {
            assert!(!client.accepts_redirect(other), "{other}");
        }
    }

    #[test]
    fn wildcards_match_paths_below() {
        let client = web(&["http://localhost:8080/admin/*"]);
        assert!(client.accepts_redirect("http://localhost:8080/admin/callback?x=1"));
        assert!(!client.accepts_redirect("http://localhost:8080/other"));
        assert!(!client.accepts_redirect("http://localhost:9090/admin/callback"));
    }

    #[test]
    fn loopback_ips_match_any_port() {
        let client = web(&["http://127.0.0.1/callback", "http://[::1]/*"]);
        assert!(client.accepts_redirect("http://127.0.0.1:49152/callback"));
        assert!(client.accepts_redirect("http://127.0.0.1/callback"));
        assert!(client.accepts_redirect("http://[::1]:5000/anything"));
        assert!(!client.accepts_redirect("http://127.0.0.1:49152/other"));
        assert!(!client.accepts_redirect("http://localhost:49152/callback"));
        assert!(!client.accepts_redirect("http://127.0.0.2.evil.example/callback"));
    }

    #[test]
    fn origins_of_registered_uris_may_call_from_browsers() {
        let client = web(&["http://127.0.0.1:8082/*", "https://app.example.com/cb"]);
        assert!(client.accepts_origin("http://127.0.0.1:8082"));
        assert!(client.accepts_origin("https://app.example.com"));
        assert!(!client.accepts_origin("https://evil.example.com"));
        assert!(!client.accepts_origin("null"));
    }

    #[test]
    fn patterns_are_absolute_web_urls() {
        for bad in [
            "/relative",
            "javascript:alert(1)",
            "http://a/*/b",
            "http://a/b*",
            "http://a/#f",
        ] {
            assert!(RedirectPattern::parse(bad).is_err(), "{bad}");
        }
        assert!(RedirectPattern::parse("http://127.0.0.1/*").is_ok());
    }

    #[test]
    fn defaults_cover_the_issuers_origin() {
        let uris = default_web_redirect_uris("http://localhost:9000/realms/codeflix");
        assert!(
            uris.contains(&"http://localhost:9000/*".to_owned()),
            "{uris:?}"
        );
        let client = web(&uris.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(client.accepts_redirect("http://127.0.0.1:8082/app/callback"));
        assert!(client.accepts_redirect("http://127.0.0.1:51234/callback"));
        assert!(client.accepts_redirect("http://localhost:8000/admin/callback"));
        assert!(!client.accepts_redirect("https://evil.example/callback"));
    }
}
