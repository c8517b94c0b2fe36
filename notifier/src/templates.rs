//! Message templates, per kind, locale and part: `<kind>/<locale>/subject.txt`, `body.txt` and
//! `body.html` for email, `sms.txt` for SMS. Rendered by minijinja with undefined variables an
//! error (never a blank in someone's inbox); HTML parts escape what they insert. Loaded at run
//! time from `notifier.templates` when it is set (an operator's wording, no rebuild), else from
//! the copy built into the binary.

use std::collections::BTreeMap;
use std::path::PathBuf;

use codeflix_domain::notifications::Channel;
use minijinja::{Environment, ErrorKind, UndefinedBehavior};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The locale used when a message has no template in the recipient's.
pub const FALLBACK_LOCALE: &str = "en";

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no template {0}, nor in the fallback locale")]
    Missing(String),
    #[error("rendering {name}: {detail}")]
    Render { name: String, detail: String },
}

/// The templates, built in or from a directory.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    /// The directory they are read from, if not built in.
    dir: Option<PathBuf>,
}

impl Templates {
    /// The templates under `dir` when given, else the built-in ones.
    pub fn new(dir: Option<PathBuf>) -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        match &dir {
            Some(dir) => env.set_loader(minijinja::path_loader(dir)),
            None => env.set_loader(|name: &str| {
                Ok(builtin::BUILTIN
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, text)| (*text).to_owned()))
            }),
        }
        Templates { env, dir }
    }

    /// The (kind, locale) pairs of the built-in templates.
    pub fn builtin_locales() -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = builtin::BUILTIN
            .iter()
            .filter_map(|(name, _)| {
                let mut parts = name.split('/');
                Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
            })
            .collect();
        pairs.dedup();
        pairs
    }

    /// The names of the built-in templates, `<kind>/<locale>/<part>`.
    pub fn builtin_files() -> Vec<&'static str> {
        builtin::BUILTIN.iter().map(|(name, _)| *name).collect()
    }

    /// The email of `kind` in `locale` (or the fallback locale).
    pub fn email(
        &self,
        kind: &str,
        locale: &str,
        vars: &BTreeMap<String, String>,
    ) -> Result<RenderedEmail, TemplateError> {
        let locale = self.locale_of(kind, locale, "subject.txt")?;
        let part = |file: &str| self.render(&format!("{kind}/{locale}/{file}"), vars);
        Ok(RenderedEmail {
            subject: part("subject.txt")?.trim().replace(['\r', '\n'], " "),
            text: part("body.txt")?,
            html: part("body.html")?,
        })
    }

    /// The SMS text of `kind` in `locale` (or the fallback locale).
    pub fn sms(
        &self,
        kind: &str,
        locale: &str,
        vars: &BTreeMap<String, String>,
    ) -> Result<String, TemplateError> {
        let locale = self.locale_of(kind, locale, "sms.txt")?;
        Ok(self
            .render(&format!("{kind}/{locale}/sms.txt"), vars)?
            .trim()
            .to_owned())
    }

    /// The locale a message of `kind` on `channel` to someone who reads `wanted` is written
    /// in: `wanted` when the kind has it, else another of the same language (`pt-PT` →
    /// `pt-BR`), else the fallback locale.
    pub fn resolve(&self, kind: &str, wanted: &str, channel: Channel) -> String {
        let file = match channel {
            Channel::Email => "subject.txt",
            Channel::Sms => "sms.txt",
        };
        self.locale_of(kind, wanted, file)
            .unwrap_or_else(|_| FALLBACK_LOCALE.to_owned())
    }

    /// `locale` when `kind` has `file` in it, else a locale of the same language that has it,
    /// else the fallback locale when it has.
    fn locale_of(&self, kind: &str, locale: &str, file: &str) -> Result<String, TemplateError> {
        let exists =
            |candidate: &str| match self.env.get_template(&format!("{kind}/{candidate}/{file}")) {
                Ok(_) => Ok(true),
                Err(e) if e.kind() == ErrorKind::TemplateNotFound => Ok(false),
                Err(e) => Err(TemplateError::Render {
                    name: format!("{kind}/{candidate}/{file}"),
                    detail: detail(&e),
                }),
            };
        // A tag, never a path: anything else is read as no locale at all.
        let tag = !locale.is_empty()
            && locale
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let locale = if tag { locale } else { FALLBACK_LOCALE };
        if exists(locale)? {
            return Ok(locale.to_owned());
        }
        let language = locale.split('-').next().unwrap_or(locale);
        for candidate in self.locales(kind) {
            let theirs = candidate.split('-').next().unwrap_or(&candidate);
            if theirs.eq_ignore_ascii_case(language) && exists(&candidate)? {
                return Ok(candidate);
            }
        }
        if exists(FALLBACK_LOCALE)? {
            return Ok(FALLBACK_LOCALE.to_owned());
        }
        Err(TemplateError::Missing(format!("{kind}/{locale}/{file}")))
    }

    /// The locales `kind` has templates in: the directory's, or the built-in ones.
    fn locales(&self, kind: &str) -> Vec<String> {
        match &self.dir {
            Some(dir) => std::fs::read_dir(dir.join(kind))
                .into_iter()
                .flatten()
                .flatten()
                .filter(|entry| entry.path().is_dir())
                .filter_map(|entry| entry.file_name().into_string().ok())
                .collect(),
            None => Self::builtin_locales()
                .into_iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, locale)| locale)
                .collect(),
        }
    }

    fn render(&self, name: &str, vars: &BTreeMap<String, String>) -> Result<String, TemplateError> {
        let failed = |e: minijinja::Error| TemplateError::Render {
            name: name.to_owned(),
            detail: detail(&e),
        };
        let template = self.env.get_template(name).map_err(|e| {
            if e.kind() == ErrorKind::TemplateNotFound {
                TemplateError::Missing(name.to_owned())
            } else {
                failed(e)
            }
        })?;
        template.render(vars).map_err(failed)
    }
}

/// The error with its causes and the line it is about.
fn detail(error: &minijinja::Error) -> String {
    let mut text = error.to_string();
    if let Some(line) = error.line() {
        text.push_str(&format!(" (line {line})"));
    }
    text
}
