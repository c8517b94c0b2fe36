//! The pages people see: server-rendered HTML with its style inline (no external assets, works
//! offline), a Content-Security-Policy that allows that style and nothing else, labelled fields
//! with their errors beside them.

use std::sync::OnceLock;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::rules::{Broken, Field, NAME_MAX_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;background:#f4f4f6;color:#1b1b1f;margin:0}\
main{max-width:26rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:.5rem;\
box-shadow:0 1px 4px rgba(0,0,0,.15)}\
h1{font-size:1.5rem;margin-top:0}\
label{display:block;font-weight:600;margin-top:1rem}\
input{display:block;width:100%;box-sizing:border-box;padding:.6rem;margin-top:.3rem;\
font-size:1rem;border:1px solid #767680;border-radius:.3rem}\
input[aria-invalid=true]{border-color:#b3261e}\
.hint{color:#46464f;font-size:.9rem;margin:.2rem 0 0}\
.error{color:#b3261e;font-size:.9rem;margin:.3rem 0 0}\
.alert{color:#b3261e;background:#fdeceb;padding:.8rem;border-radius:.3rem}\
button{margin-top:1.5rem;width:100%;padding:.7rem;font-size:1rem;background:#b3261e;\
color:#fff;border:0;border-radius:.3rem;cursor:pointer}\
button:focus,input:focus,a:focus{outline:3px solid #1a73e8;outline-offset:2px}\
a{color:#1a5fb4}";

/// HTML-escapes `text` for element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn style_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let digest = Sha256::digest(STYLE.as_bytes());
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    })
}

/// A page and how it is answered.
#[derive(Debug)]
pub(crate) struct Page {
    status: StatusCode,
    title: String,
    body: String,
    /// Where the page's form may send the browser besides this origin (the redirect URI's
    /// origin: browsers apply `form-action` to the redirect that answers the form).
    form_target: Option<String>,
    retry_after: Option<u64>,
    cookie: Option<String>,
}

impl Page {
    fn new(status: StatusCode, title: &str, body: String) -> Page {
        Page {
            status,
            title: title.to_owned(),
            body,
            form_target: None,
            retry_after: None,
            cookie: None,
        }
    }

    pub(crate) fn with_form_target(mut self, origin: Option<String>) -> Page {
        self.form_target = origin;
        self
    }

    pub(crate) fn with_cookie(mut self, cookie: String) -> Page {
        self.cookie = Some(cookie);
        self
    }

    fn policy(&self) -> String {
        let form_action = match &self.form_target {
            Some(origin) => format!("'self' {origin}"),
            None => "'self'".to_owned(),
        };
        format!(
            "default-src 'none'; style-src {}; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'",
            style_hash()
        )
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let html = format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title} · Codeflix</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
             <h1>{title}</h1>\n{body}</main>\n</body>\n</html>\n",
            title = escape(&self.title),
            body = self.body,
        );
        let mut response = (self.status, html).into_response();
        let headers = response.headers_mut();
        let mut set = |name, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        set(header::CONTENT_TYPE, "text/html; charset=utf-8");
        set(header::CONTENT_SECURITY_POLICY, &self.policy());
        set(header::CACHE_CONTROL, "no-store");
        set(header::X_FRAME_OPTIONS, "DENY");
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        set(header::REFERRER_POLICY, "no-referrer");
        if let Some(seconds) = self.retry_after {
            set(header::RETRY_AFTER, &seconds.to_string());
        }
        if let Some(cookie) = &self.cookie {
            set(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// What every form of a pending sign-in carries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FormContext<'a> {
    /// The path the form is sent to.
    pub(crate) action: &'a str,
    pub(crate) request_id: &'a str,
    pub(crate) csrf_token: &'a str,
}

impl FormContext<'_> {
    fn open(&self) -> String {
        format!(
            "<form method=\"post\" action=\"{}\" novalidate>\n\
             <input type=\"hidden\" name=\"request_id\" value=\"{}\">\n\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\n",
            escape(self.action),
            escape(self.request_id),
            escape(self.csrf_token)
        )
    }
}

/// One labelled input, with its hint and error below it.
struct Input<'a> {
    field: Field,
    label: &'a str,
    kind: &'a str,
    autocomplete: &'a str,
    value: &'a str,
    hint: Option<String>,
    error: Option<String>,
}

impl Input<'_> {
    fn render(&self) -> String {
        let id = self.field.as_str();
        let mut described = Vec::new();
        let mut below = String::new();
        if let Some(hint) = &self.hint {
            described.push(format!("{id}-hint"));
            below.push_str(&format!(
                "<p class=\"hint\" id=\"{id}-hint\">{}</p>\n",
                escape(hint)
            ));
        }
        if let Some(error) = &self.error {
            described.push(format!("{id}-error"));
            below.push_str(&format!(
                "<p class=\"error\" id=\"{id}-error\">{}</p>\n",
                escape(error)
            ));
        }
        let mut attributes = format!(
            "id=\"{id}\" name=\"{id}\" type=\"{}\" autocomplete=\"{}\" required",
            self.kind, self.autocomplete
        );
        if !self.value.is_empty() {
            attributes.push_str(&format!(" value=\"{}\"", escape(self.value)));
        }
        if !described.is_empty() {
            attributes.push_str(&format!(" aria-describedby=\"{}\"", described.join(" ")));
        }
        if self.error.is_some() {
            attributes.push_str(" aria-invalid=\"true\"");
        }
        format!(
            "<label for=\"{id}\">{}</label>\n<input {attributes}>\n{below}",
            escape(self.label)
        )
    }
}

/// `text` with its first letter capitalised (rules are worded as error messages are).
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn alert(message: Option<&str>) -> String {
    message.map_or_else(String::new, |m| {
        format!("<p class=\"alert\" role=\"alert\">{}</p>\n", escape(m))
    })
}

/// The sign-in page.
pub(crate) fn sign_in(
    form: &FormContext<'_>,
    registration_href: &str,
    email: &str,
    error: Option<&str>,
) -> Page {
    let email = Input {
        field: Field::Email,
        label: "Email",
        kind: "email",
        autocomplete: "username",
        value: email,
        hint: None,
        error: None,
    };
    let password = Input {
        field: Field::Password,
        label: "Password",
        kind: "password",
        autocomplete: "current-password",
        value: "",
        hint: None,
        error: None,
    };
    let body = format!(
        "{}{}{}{}<button type=\"submit\">Sign in</button>\n</form>\n\
         <p>New to Codeflix? <a href=\"{}\">Create an account</a></p>\n",
        alert(error),
        form.open(),
        email.render(),
        password.render(),
        escape(registration_href)
    );
    Page::new(StatusCode::OK, "Sign in to Codeflix", body)
}

/// What the registration form was filled in with (never the passwords).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Typed<'a> {
    pub(crate) email: &'a str,
    pub(crate) name: &'a str,
}

/// The registration page, with the rules `broken` beside their fields.
pub(crate) fn register(
    form: &FormContext<'_>,
    sign_in_href: &str,
    typed: Typed<'_>,
    broken: &Broken,
) -> Page {
    let error = |field| broken.on(field).map(|rule| sentence(&rule.to_string()));
    let inputs = [
        Input {
            field: Field::Email,
            label: "Email",
            kind: "email",
            autocomplete: "email",
            value: typed.email,
            hint: None,
            error: error(Field::Email),
        },
        Input {
            field: Field::Name,
            label: "Name",
            kind: "text",
            autocomplete: "name",
            value: typed.name,
            hint: Some(format!(
                "As others see you; at most {NAME_MAX_CHARS} characters"
            )),
            error: error(Field::Name),
        },
        Input {
            field: Field::Password,
            label: "Password",
            kind: "password",
            autocomplete: "new-password",
            value: "",
            hint: Some(format!(
                "{PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters, not your email address"
            )),
            error: error(Field::Password),
        },
        Input {
            field: Field::PasswordConfirmation,
            label: "Password again",
            kind: "password",
            autocomplete: "new-password",
            value: "",
            hint: None,
            error: error(Field::PasswordConfirmation),
        },
    ];
    let summary = (!broken.is_empty()).then_some("Please correct the fields marked below.");
    let body = format!(
        "{}{}{}<button type=\"submit\">Create account</button>\n</form>\n\
         <p>Have an account? <a href=\"{}\">Sign in</a></p>\n",
        alert(summary),
        form.open(),
        inputs.iter().map(Input::render).collect::<String>(),
        escape(sign_in_href)
    );
    Page::new(StatusCode::OK, "Create your Codeflix account", body)
}

/// A request that cannot go on: said here, never by sending the browser elsewhere.
pub(crate) fn refused(reason: &str) -> Page {
    let body = format!(
        "<p class=\"alert\" role=\"alert\">{}</p>\n\
         <p>Go back to the application and start again. If this keeps happening, the \
         application is not set up for this sign-in service.</p>\n",
        escape(reason)
    );
    Page::new(
        StatusCode::BAD_REQUEST,
        "This sign-in link is not valid",
        body,
    )
}

/// The sign-in page expired, or was not sent from where this issuer showed it.
pub(crate) fn stale(reason: &str) -> Page {
    let body = format!(
        "<p class=\"alert\" role=\"alert\">{}</p>\n\
         <p>Go back to the application and sign in again.</p>\n",
        escape(reason)
    );
    Page::new(StatusCode::BAD_REQUEST, "Please start again", body)
}

/// Too many attempts: how long to wait, rounded up to the minute.
pub(crate) fn too_many(wait: Duration, what: &str) -> Page {
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let minutes = seconds.div_ceil(60);
    let plural = if minutes == 1 { "" } else { "s" };
    let body = format!(
        "<p class=\"alert\" role=\"alert\">There were too many {} from here or for this \
         account. Try again in {minutes} minute{plural}.</p>\n",
        escape(what)
    );
    let mut page = Page::new(StatusCode::TOO_MANY_REQUESTS, "Too many attempts", body);
    page.retry_after = Some(seconds);
    page
}

/// The issuer failed; its log says why.
pub(crate) fn fault() -> Page {
    Page::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "<p class=\"alert\" role=\"alert\">The sign-in service failed. Try again in a moment; \
         if it keeps failing, its log says why.</p>\n"
            .to_owned(),
    )
}

/// After logout without a way back to the application.
pub(crate) fn signed_out(ended: bool) -> Page {
    let text = if ended {
        "You are signed out. You can close this page."
    } else {
        "There was no session to end: applications sign out by sending the ID token they \
         received (id_token_hint)."
    };
    Page::new(
        StatusCode::OK,
        "Signed out",
        format!("<p>{}</p>\n", escape(text)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_style_is_allowed_by_its_hash_and_nothing_else_is() {
        let page = sign_in(
            &FormContext {
                action: "/realms/r/protocol/openid-connect/auth",
                request_id: "id",
                csrf_token: "t",
            },
            "/register",
            "<script>",
            Some("The email or password is wrong."),
        )
        .with_form_target(Some("http://127.0.0.1:5000".into()));
        let policy = page.policy();
        assert!(
            policy.starts_with("default-src 'none'; style-src 'sha256-"),
            "{policy}"
        );
        assert!(
            policy.contains("form-action 'self' http://127.0.0.1:5000"),
            "{policy}"
        );
        let response = page.into_response();
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn fields_carry_their_labels_and_errors() {
        let broken = Broken(vec![(Field::Name, super::super::rules::Rule::NameEmpty)]);
        let page = register(
            &FormContext {
                action: "/a",
                request_id: "id",
                csrf_token: "t",
            },
            "/s",
            Typed {
                email: "a@b.c",
                name: "",
            },
            &broken,
        );
        let body = &page.body;
        assert!(body.contains("<label for=\"name\">Name</label>"), "{body}");
        assert!(
            body.contains("aria-describedby=\"name-hint name-error\" aria-invalid=\"true\""),
            "{body}"
        );
        assert!(
            body.contains("id=\"name-error\">Enter the name to show"),
            "{body}"
        );
        assert!(body.contains("value=\"a@b.c\""), "{body}");
    }
}
