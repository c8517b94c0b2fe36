//! Email: over SMTP (plain, STARTTLS or implicit TLS, with authentication and timeouts) or, on
//! embedded defaults, into an outbox directory of `.eml` files a newcomer can open.

use std::path::Path;
use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::templates::RenderedEmail;

/// One email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The recipient's address and display name.
    pub to: String,
    pub to_name: String,
    /// Derived from the notification: a retry of the same message carries the same id.
    pub message_id: String,
    pub content: RenderedEmail,
    /// The link that opts the recipient out of this kind of message: sent as `List-Unsubscribe`
    /// with RFC 8058's one-click `List-Unsubscribe-Post`, so that mail clients show their own
    /// unsubscribe button.
    pub unsubscribe: Option<String>,
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the link unsubscribes on a
/// POST, without a page to click through.
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// Why an email was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Another attempt cannot succeed (the address is refused or malformed).
    #[error("{0}")]
    Permanent(String),
    /// Another attempt may (the server is down, busy or slow).
    #[error("{0}")]
    Transient(String),
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("notifier.email: {0}")]
    Url(String),
    #[error("notifier.from: {0}")]
    From(String),
}

/// Where email goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
        url: String,
    },
    Outbox {
        transport: AsyncFileTransport<Tokio1Executor>,
        from: Mailbox,
        dir: std::path::PathBuf,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Mailer {
    /// `smtp://[user:password@]host[:port][?tls=required|opportunistic]` (STARTTLS),
    /// `smtps://…` (implicit TLS), or `file:DIR` (an outbox; relative to `base`).
    pub fn from_url(
        url: &str,
        from: &str,
        timeout: Duration,
        base: &Path,
    ) -> Result<Mailer, MailerError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| MailerError::From(format!("{from:?} is not an address: {e}")))?;
        if let Some(dir) = url
            .strip_prefix("file://")
            .or_else(|| url.strip_prefix("file:"))
        {
            let dir = base.join(dir);
            std::fs::create_dir_all(&dir)
                .map_err(|e| MailerError::Url(format!("creating {}: {e}", dir.display())))?;
            return Ok(Mailer::Outbox {
                transport: AsyncFileTransport::new(&dir),
                from,
                dir,
            });
        }
        if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
            return Err(MailerError::Url(format!(
                "{url:?}: use smtp://host:port, smtps://host:port or file:DIR"
            )));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailerError::Url(e.to_string()))?
            .timeout(Some(timeout))
            .build();
        Ok(Mailer::Smtp {
            transport,
            from,
            url: redact(url),
        })
    }

    /// Where it sends, credentials left out.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp { url, .. } => url.clone(),
            Mailer::Outbox { dir, .. } => format!("the outbox {}", dir.display()),
        }
    }

    /// Sends `email`; the provider's id of the message (the server's queue answer, or the
    /// outbox file's name).
    pub async fn send(&self, email: &Email) -> Result<String, SendError> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Outbox { from, .. } => from.clone(),
        };
        let to = Mailbox::new(
            Some(email.to_name.clone()),
            email
                .to
                .parse()
                .map_err(|e| SendError::Permanent(format!("the address {:?}: {e}", email.to)))?,
        );
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(email.content.subject.clone())
            .message_id(Some(email.message_id.clone()));
        if let Some(url) = &email.unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                email.content.text.clone(),
                email.content.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("building the message: {e}")))?;
        match self {
            Mailer::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(|response| {
                    let said = response.message().collect::<Vec<_>>().join(" ");
                    if said.is_empty() {
                        email.message_id.clone()
                    } else {
                        format!("{} {said}", response.code())
                    }
                })
                .map_err(classify),
            Mailer::Outbox { transport, .. } => transport
                .send(message)
                .await
                .map(|id| format!("{id}.eml"))
                .map_err(|e| SendError::Transient(format!("writing to the outbox: {e}"))),
        }
    }
}

/// A 5xx answer is permanent (the address or the message is refused); everything else
/// (4xx, connection, TLS, timeouts) may pass.
fn classify(error: SmtpError) -> SendError {
    let text = error.to_string();
    if error.is_permanent() {
        SendError::Permanent(text)
    } else {
        SendError::Transient(text)
    }
}

/// `url` without its password.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("<redacted>"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
