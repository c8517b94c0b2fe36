//! Message templates, per kind, locale and part: `<kind>/<locale>/subject.txt`, `body.txt` and
//! `body.html` for email, `sms.txt` for SMS. Rendered by minijinja with undefined variables an
//! error (never a blank in someone's inbox); HTML parts escape what they insert. Loaded at run
//! time from `notifier.templates` when it is set (an operator's wording, no rebuild), else from
//! the copy built into the binary.

use std::collections::BTreeMap;
use std::path::PathBuf;

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
}

impl Templates {
    /// The templates under `dir` when given, else the built-in ones.
    pub fn new(dir: Option<PathBuf>) -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        match dir {
            Some(dir) => env.set_loader(minijinja::path_loader(dir)),
            None => env.set_loader(|name: &str| {
                Ok(builtin::BUILTIN
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, text)| (*text).to_owned()))
            }),
        }
        Templates { env }
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

    /// `locale` when `kind` has `file` in it, else the fallback locale when it has.
    fn locale_of<'a>(
        &self,
        kind: &str,
        locale: &'a str,
        file: &str,
    ) -> Result<&'a str, TemplateError> {
        for candidate in [locale, FALLBACK_LOCALE] {
            match self.env.get_template(&format!("{kind}/{candidate}/{file}")) {
                Ok(_) => {
                    return Ok(if candidate == locale {
                        locale
                    } else {
                        FALLBACK_LOCALE
                    });
                }
                Err(e) if e.kind() == ErrorKind::TemplateNotFound => {}
                Err(e) => {
                    return Err(TemplateError::Render {
                        name: format!("{kind}/{candidate}/{file}"),
                        detail: detail(&e),
                    });
                }
            }
        }
        Err(TemplateError::Missing(format!("{kind}/{locale}/{file}")))
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
