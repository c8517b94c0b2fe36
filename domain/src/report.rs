//! An error with every cause, on one line, for logs and answers.

use std::error::Error;
use std::fmt;

/// Formats an error and its chain of sources as `outer: cause: root cause`.
///
/// Errors keep their causes as sources (not in their own message), so a log line or a problem
/// detail that shows only `Display` would lose them; wrap the error in a `Report` instead.
#[derive(Clone, Copy)]
pub struct Report<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("opening the store")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("disk full")]
    struct Inner;

    #[test]
    fn a_report_names_every_cause_in_order() {
        assert_eq!(
            Report(&Outer(Inner)).to_string(),
            "opening the store: disk full"
        );
        assert_eq!(Report(&Inner).to_string(), "disk full");
    }
}
