//! Unsubscribe links: `GET /unsubscribe?token=…` shows what the link does and a button;
//! `POST` (the button, or a mail client's RFC 8058 one-click request) opts the account out of
//! the link's category. No sign-in: the token, signed by the notifier with the secret both share
//! ([`UnsubscribeKey`]), is the proof. A `GET` changes nothing, so that mail scanners following
//! links unsubscribe nobody.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use codeflix_domain::accounts::{
    Account, AccountId, BadToken, OptOut, OptOutCategory, UnsubscribeKey,
};
use codeflix_domain::{CommandContext, ExpectedVersion, Versioned};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::AppState;
use crate::problem::{FieldError, Problem};
use crate::write::{Accepted, CorrelationId, Write};

/// Namespace of the command ids of unsubscriptions (from the token and the version).
const UNSUBSCRIPTIONS: Uuid = Uuid::from_u128(0x9f41_2b7e_5c08_4a3d_b1e6_72d0_c5a9_3e14);

/// Who the command's events name as their actor.
const ACTOR: &str = "unsubscribe-link";

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TokenQuery {
    /// The signed token from the email's link: `v1.<account>.<category>.<signature>`. One
    /// shaped so that this server did not sign is refused with 403.
    #[param(
        required = true,
        max_length = 600,
        pattern = r"^v1\.[A-Za-z0-9_-]+\.(account|marketing)\.[A-Za-z0-9_-]{43}$"
    )]
    #[allow(dead_code)] // Documents the query; `token_of` reads it.
    token: String,
}

/// The query's `token`: exactly one (as the link has it), or the problem.
fn token_of(query: Option<&str>) -> Result<String, Problem> {
    let mut tokens = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned());
    match (tokens.next(), tokens.next()) {
        (Some(token), None) if !token.is_empty() => Ok(token),
        (Some(_), Some(_)) => Err(Problem::bad_parameters(vec![FieldError::new(
            "token",
            "must be given once: open the link from the email as it is",
        )])),
        _ => Err(Problem::bad_parameters(vec![FieldError::new(
            "token",
            "is required: open the link from the email as it is",
        )])),
    }
}

/// Show what an unsubscribe link does
///
/// An HTML page naming the kind of message and the address, with the button that confirms.
/// Changes nothing.
#[utoipa::path(get, path = "/unsubscribe", tag = "accounts", params(TokenQuery),
    responses((status = 200, description = "The confirmation page", content_type = "text/html",
        body = String)))]
pub(crate) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let html = wants_html(&headers);
    let found = match token_of(query.as_deref()) {
        Ok(token) => checked(&state, &token).await,
        Err(problem) => Err(problem),
    };
    let (_, account, category, token) = match found {
        Ok(found) => found,
        Err(problem) => return refuse(html, problem),
    };
    let words = Words::of(account.state().locale());
    let email = escape(&masked(account.state().email().unwrap_or_default()));
    let what = (words.describe)(category);
    let already = account.state().opted_out().any(|c| c == category.as_str());
    let body = if already {
        format!(
            "<h1>{}</h1><p>{}</p>",
            words.done_title,
            (words.done)(what, &email)
        )
    } else {
        format!(
            "<h1>{}</h1><p>{}</p>\
             <form method=\"post\" action=\"/unsubscribe?token={}\">\
             <button type=\"submit\">{}</button></form><p class=\"small\">{}</p>",
            words.ask_title,
            (words.ask)(&what.to_lowercase(), &email),
            escape(&token),
            words.button,
            words.critical_still_sent,
        )
    };
    page(StatusCode::OK, words.lang, words.ask_title, &body)
}

/// The page's words in the account's language: Portuguese for `pt…`, else English.
struct Words {
    lang: &'static str,
    ask_title: &'static str,
    ask: fn(&str, &str) -> String,
    button: &'static str,
    critical_still_sent: &'static str,
    done_title: &'static str,
    done: fn(&str, &str) -> String,
    settings: &'static str,
    describe: fn(OptOutCategory) -> &'static str,
}

impl Words {
    fn of(locale: Option<&str>) -> &'static Words {
        const ENGLISH: Words = Words {
            lang: "en",
            ask_title: "Unsubscribe?",
            ask: |what, email| format!("Stop sending {what} to {email}?"),
            button: "Unsubscribe",
            critical_still_sent: "Messages about billing and security are still sent: they are \
                                  part of the service.",
            done_title: "You are unsubscribed",
            done: |what, email| format!("{what} are not sent to {email} any more."),
            settings: "You can opt in again in your account's notification settings.",
            describe: |category| match category {
                OptOutCategory::Account => {
                    "Emails about your account and your work (such as \"your video is ready\")"
                }
                OptOutCategory::Marketing => "News and offers",
            },
        };
        const PORTUGUESE: Words = Words {
            lang: "pt-BR",
            ask_title: "Cancelar inscrição?",
            ask: |what, email| format!("Parar de enviar {what} para {email}?"),
            button: "Cancelar inscrição",
            critical_still_sent: "Mensagens sobre cobrança e segurança continuam sendo \
                                  enviadas: elas fazem parte do serviço.",
            done_title: "Inscrição cancelada",
            done: |what, email| {
                format!("Não enviaremos mais {} para {email}.", what.to_lowercase())
            },
            settings: "Você pode voltar a recebê-los nas configurações de notificação da sua \
                       conta.",
            describe: |category| match category {
                OptOutCategory::Account => {
                    "Emails sobre a sua conta e o seu trabalho (como \"seu vídeo está pronto\")"
                }
                OptOutCategory::Marketing => "Novidades e ofertas",
            },
        };
        match locale {
            Some(tag) if tag.split('-').next() == Some("pt") => &PORTUGUESE,
            _ => &ENGLISH,
        }
    }
}

/// Unsubscribe, from a link
///
/// Opts the token's account out of the token's category; following it again changes nothing.
/// Answers RFC 8058 one-click requests (`List-Unsubscribe=One-Click` in a form body) too.
#[utoipa::path(post, path = "/unsubscribe", tag = "accounts", params(TokenQuery),
    responses((status = 200, description = "Unsubscribed (or already)", content_type = "text/html",
        body = String)))]
pub(crate) async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    correlation: Option<axum::Extension<CorrelationId>>,
    RawQuery(query): RawQuery,
) -> Response {
    let html = wants_html(&headers);
    let found = match token_of(query.as_deref()) {
        Ok(token) => checked(&state, &token).await,
        Err(problem) => Err(problem),
    };
    let (id, account, category, token) = match found {
        Ok(found) => found,
        Err(problem) => return refuse(html, problem),
    };
    let write = Write {
        ctx: CommandContext {
            // The same link at the same version is the same command: a retry replays it.
            command_id: Uuid::new_v5(
                &UNSUBSCRIPTIONS,
                format!("{token}\n{}", account.version()).as_bytes(),
            ),
            correlation_id: correlation.map_or_else(Uuid::new_v4, |c| c.0.0),
            actor: ACTOR.to_owned(),
            now: codeflix_eventlog::now(),
        },
        expected: ExpectedVersion::Exactly(account.version()),
        keyed: false,
        digest: None,
    };
    let decided = state
        .decide::<Account>(&write, &id, write.expected, OptOut { category }.into())
        .await;
    match decided {
        Ok(Accepted::Appended(_) | Accepted::Unconfirmed(_)) => {}
        // Changed meanwhile (another link, the settings page): the customer tries again.
        Err(problem) => return refuse(html, problem),
    }
    tracing::info!(account = %id, %category, "unsubscribed by link");
    let words = Words::of(account.state().locale());
    let email = escape(&masked(account.state().email().unwrap_or_default()));
    page(
        StatusCode::OK,
        words.lang,
        words.done_title,
        &format!(
            "<h1>{}</h1><p>{} {}</p>",
            words.done_title,
            (words.done)((words.describe)(category), &email),
            words.settings
        ),
    )
}

/// The account and category of `token`, checked, with the account loaded.
async fn checked(
    state: &AppState,
    token: &str,
) -> Result<(AccountId, Versioned<Account>, OptOutCategory, String), Problem> {
    let key: &UnsubscribeKey = state.unsubscribe_key().ok_or_else(|| {
        Problem::unavailable(
            "unsubscribe links are not configured here: set notifier.unsubscribe_secret for the \
             command API and the notifier alike",
        )
    })?;
    let (id, category) = key.verify(token).map_err(|e| {
        let rule = FieldError::new(
            "token",
            format!("{e}: open the link from the email as it is"),
        );
        match e {
            BadToken::Malformed => Problem::bad_parameters(vec![rule]),
            BadToken::Forged => {
                let mut problem = Problem::new(
                    StatusCode::FORBIDDEN,
                    "forged-link",
                    "The link is not signed by this Codeflix",
                    format!("token: {}", rule.rule),
                );
                problem.0.errors = vec![rule];
                problem
            }
        }
    })?;
    let account = state
        .log()
        .load::<Account>(&id)
        .await
        .map_err(|e| Problem::fault("loading the account", &e))?;
    if account.state().email().is_none() {
        return Err(Problem::not_found("the link's account does not exist"));
    }
    Ok((id, account, category, token.to_owned()))
}

/// `ana@example.com` → `a••@example.com`: enough to recognise, not to harvest.
fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}••@{domain}")
        }
        None => "your address".to_owned(),
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The problem, as a page for a browser.
fn refuse(html: bool, problem: Problem) -> Response {
    if !html {
        return problem.into_response();
    }
    let detail = problem.0.errors.first().map_or_else(
        || problem.0.detail.clone(),
        |e| format!("The link {}", e.rule),
    );
    page(
        problem.status(),
        "en",
        "Unsubscribe",
        &format!("<h1>This link does not work</h1><p>{}</p>", escape(&detail)),
    )
}

fn page(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Codeflix</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;\
         line-height:1.5;color:#1b1b1f}}h1{{font-size:1.5rem}}.small{{font-size:.875rem;\
         color:#55555c}}button{{font:inherit;padding:.5rem 1.25rem;border-radius:.375rem;\
         border:0;background:#b3261e;color:#fff;cursor:pointer}}button:focus-visible{{outline:\
         3px solid #1b1b1f;outline-offset:2px}}</style></head><body>{body}</body></html>"
    );
    (status, Html(html)).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
