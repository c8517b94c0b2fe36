//! SMS through an HTTP provider port. The adapter here posts each message as JSON to a
//! configurable webhook (`notifier.sms`): `{"to": "+5511…", "text": "…", "message_id": "…"}`,
//! the shape SMS gateways' HTTP APIs take with a small adapter in front. A 2xx answer is
//! delivery (the provider's id from its JSON `id`, else the message id); 4xx is permanent; 5xx,
//! timeouts and refused connections are transient.

use std::time::Duration;

use serde_json::json;

use crate::email::SendError;

/// One SMS to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    /// E.164, e.g. `+5511912345678`.
    pub to: String,
    pub text: String,
    /// The same for every attempt at one message.
    pub message_id: String,
}

/// Where SMS go.
#[derive(Debug, Clone)]
pub struct SmsWebhook {
    http: reqwest::Client,
    url: String,
}

impl SmsWebhook {
    pub fn new(url: &str, timeout: Duration) -> Result<SmsWebhook, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("notifier.sms: {url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("notifier.sms: {url:?} is not an http(s) URL"));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| format!("notifier.sms: {e}"))?;
        Ok(SmsWebhook {
            http,
            url: url.to_owned(),
        })
    }

    /// Posts `sms`; the provider's id of the message.
    pub async fn send(&self, sms: &Sms) -> Result<String, SendError> {
        let answer = self
            .http
            .post(&self.url)
            .header("idempotency-key", &sms.message_id)
            .json(&json!({"to": sms.to, "text": sms.text, "message_id": sms.message_id}))
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("the SMS provider: {e}")))?;
        let status = answer.status();
        let body = answer.text().await.unwrap_or_default();
        if status.is_success() {
            let id = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_owned))
                .unwrap_or_else(|| sms.message_id.clone());
            return Ok(id);
        }
        let said = format!("the SMS provider answered {status}: {}", body.trim());
        if status.is_client_error() && status != reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(SendError::Permanent(said))
        } else {
            Err(SendError::Transient(said))
        }
    }
}
