//! Query parameters parsed one by one, every broken rule reported at once (400 with the list).

use codeflix_http::problem::{FieldError, Problem};
use uuid::Uuid;

/// The query string's pairs and the errors found so far.
#[derive(Debug)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

impl Params {
    pub(crate) fn new(pairs: Vec<(String, String)>) -> Params {
        Params {
            pairs,
            errors: Vec::new(),
        }
    }

    /// The value of `name` if given once; an error if given more than once.
    fn one(&mut self, name: &str) -> Option<String> {
        let mut values = self.pairs.iter().filter(|(n, _)| n == name);
        let first = values.next()?.1.clone();
        if values.next().is_some() {
            self.errors
                .push(FieldError::new(name, "must be given at most once"));
            return None;
        }
        Some(first)
    }

    pub(crate) fn uuid(&mut self, name: &str) -> Option<Uuid> {
        let value = self.one(name)?;
        match Uuid::parse_str(&value) {
            Ok(id) => Some(id),
            Err(_) => {
                self.errors.push(FieldError::new(name, "must be a UUID"));
                None
            }
        }
    }

    pub(crate) fn integer(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        let value = self.one(name)?;
        match value.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.errors.push(FieldError::new(
                    name,
                    format!("must be a whole number from {min} to {max}"),
                ));
                None
            }
        }
    }

    pub(crate) fn one_of(&mut self, name: &str, allowed: &[&'static str]) -> Option<&'static str> {
        let value = self.one(name)?;
        match allowed.iter().find(|a| **a == value) {
            Some(found) => Some(found),
            None => {
                self.errors.push(FieldError::new(
                    name,
                    format!("must be one of {}", allowed.join(", ")),
                ));
                None
            }
        }
    }

    /// Text of at most `max` characters.
    pub(crate) fn text(&mut self, name: &str, max: usize) -> Option<String> {
        let value = self.one(name)?;
        if value.chars().count() > max {
            self.errors.push(FieldError::new(
                name,
                format!("must be at most {max} characters"),
            ));
            return None;
        }
        Some(value)
    }

    pub(crate) fn error(&mut self, name: &str, rule: &str) {
        self.errors.push(FieldError::new(name, rule));
    }

    /// 400 listing every broken rule, if any.
    pub(crate) fn finish(self) -> Result<(), Problem> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::bad_parameters(self.errors))
        }
    }
}
