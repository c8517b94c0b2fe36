//! Request parameters of `application/x-www-form-urlencoded` bodies and query strings, where
//! a parameter given twice is an error (RFC 6749 §3.1, §3.2).

use std::collections::HashMap;

/// The parameters of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params {
    values: HashMap<String, String>,
    repeated: Vec<String>,
}

impl Params {
    pub(crate) fn parse(bytes: &[u8]) -> Params {
        let mut params = Params::default();
        for (name, value) in url::form_urlencoded::parse(bytes) {
            match params.values.entry(name.into_owned()) {
                std::collections::hash_map::Entry::Occupied(taken) => {
                    if !params.repeated.contains(taken.key()) {
                        params.repeated.push(taken.key().clone());
                    }
                }
                std::collections::hash_map::Entry::Vacant(free) => {
                    free.insert(value.into_owned());
                }
            }
        }
        params
    }

    /// The parameter `name`, absent if empty (RFC 6749 §3.1: sent without a value is omitted).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The first parameter given more than once, if any.
    pub(crate) fn repeated(&self) -> Option<&str> {
        self.repeated.first().map(String::as_str)
    }
}

/// Percent-decodes one component of HTTP Basic credentials (RFC 6749 §2.3.1 form-encodes the
/// client id and secret before Basic encoding them).
pub(crate) fn form_decode(text: &str) -> Option<String> {
    if text.contains('&') || text.contains('=') {
        return None;
    }
    url::form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_empty_parameters() {
        let params = Params::parse(b"a=1&b=&c=x%20y&a=2");
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), None);
        assert_eq!(params.get("c"), Some("x y"));
        assert_eq!(params.repeated(), Some("a"));
        assert_eq!(Params::parse(b"a=1").repeated(), None);
        assert_eq!(form_decode("a%3Ab+c").as_deref(), Some("a:b c"));
        assert_eq!(form_decode("a&b"), None);
    }
}
