//! Unsubscribe links that work without signing in: the link carries the account and the
//! category, signed with a secret the notifier (which writes the links) and the command API
//! (which honours them) share. Whoever holds the link can opt that account out of that category,
//! and of nothing else; it does not expire (mail is read late, and RFC 8058 one-click
//! unsubscribe needs it to keep working).
//!
//! A token is `v1.<account, base64url>.<category>.<HMAC-SHA256, base64url>`, the MAC over
//! `unsubscribe\n<account, base64url>\n<category>`: checked before anything in it is decoded.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{AccountId, OptOutCategory};

/// Signs and checks unsubscribe tokens.
#[derive(Clone)]
pub struct UnsubscribeKey(Vec<u8>);

impl std::fmt::Debug for UnsubscribeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsubscribeKey(…)")
    }
}

/// Why a token is refused (the same answer for every forgery, so as to teach nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadToken {
    #[error("is not an unsubscribe link's token")]
    Malformed,
    #[error("is not signed by this Codeflix (the link was altered or its secret changed)")]
    Forged,
}

impl UnsubscribeKey {
    /// A key from `secret`; a secret shorter than 16 bytes is refused.
    pub fn new(secret: &[u8]) -> Option<UnsubscribeKey> {
        (secret.len() >= 16).then(|| UnsubscribeKey(secret.to_vec()))
    }

    /// The MAC of the encoded account and the category.
    fn mac(&self, account: &str, category: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(format!("unsubscribe\n{account}\n{category}").as_bytes());
        mac
    }

    /// The token that opts `account` out of `category`.
    pub fn token(&self, account: &AccountId, category: OptOutCategory) -> String {
        let account = URL_SAFE_NO_PAD.encode(account.as_str());
        let tag = self
            .mac(&account, category.as_str())
            .finalize()
            .into_bytes();
        format!(
            "v1.{account}.{}.{}",
            category.as_str(),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The account and category `token` names, if this key signed it. A token not shaped like
    /// one is [`BadToken::Malformed`]; one shaped right that this key did not sign,
    /// [`BadToken::Forged`].
    pub fn verify(&self, token: &str) -> Result<(AccountId, OptOutCategory), BadToken> {
        let mut parts = token.trim().split('.');
        let (Some("v1"), Some(account), Some(category), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(BadToken::Malformed);
        };
        let category = OptOutCategory::parse(category).map_err(|_| BadToken::Malformed)?;
        let base64url = |text: &str| {
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if account.is_empty() || !base64url(account) || tag.len() != 43 || !base64url(tag) {
            return Err(BadToken::Malformed);
        }
        // Compared as text, in constant time: any 43 characters are a signature that may or
        // may not be ours.
        let expected =
            URL_SAFE_NO_PAD.encode(self.mac(account, category.as_str()).finalize().into_bytes());
        let difference = expected
            .bytes()
            .zip(tag.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if difference != 0 {
            return Err(BadToken::Forged);
        }
        // Signed by us, so well formed unless the key signed garbage.
        let account = URL_SAFE_NO_PAD
            .decode(account)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|s| AccountId::parse(&s).ok())
            .ok_or(BadToken::Malformed)?;
        Ok((account, category))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> UnsubscribeKey {
        UnsubscribeKey::new(secret.as_bytes()).unwrap()
    }

    #[test]
    fn a_token_names_what_it_was_made_for_under_its_key_only() {
        let ana = AccountId::parse("f:1b2c|ana@example.com").unwrap();
        let token = key("0123456789abcdef").token(&ana, OptOutCategory::Marketing);
        assert_eq!(
            key("0123456789abcdef").verify(&token),
            Ok((ana.clone(), OptOutCategory::Marketing))
        );
        assert_eq!(
            key("0123456789abcdeX").verify(&token),
            Err(BadToken::Forged)
        );
        // Another category with the same signature is a forgery.
        let other = token.replace(".marketing.", ".account.");
        assert_eq!(
            key("0123456789abcdef").verify(&other),
            Err(BadToken::Forged)
        );
        for broken in [
            "",
            "v1",
            "v2.YW5h.account.AAAA",
            "v1.YW5h.critical.AAAA",
            "v1.!!.account.AAAA",
        ] {
            assert_eq!(
                key("0123456789abcdef").verify(broken),
                Err(BadToken::Malformed),
                "{broken}"
            );
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(UnsubscribeKey::new(b"short").is_none());
    }
}
