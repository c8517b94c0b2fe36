//! The one rule set for free text typed by people.

/// A text field breaks its rule; `field` names the field as clients send it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} must not be blank")]
    Blank { field: &'static str },
    #[error("{field} is {len} characters, at most {max} allowed")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{field} must not contain control characters")]
    ControlCharacters { field: &'static str },
    #[error("{field} {rule}")]
    Format {
        field: &'static str,
        rule: &'static str,
    },
}

impl TextError {
    /// The field whose value broke the rule.
    pub fn field(&self) -> &'static str {
        match self {
            TextError::Blank { field }
            | TextError::TooLong { field, .. }
            | TextError::ControlCharacters { field }
            | TextError::Format { field, .. } => field,
        }
    }
}

/// Trims `input` and checks it is non-blank, at most `max` characters and free of control
/// characters (line breaks and tabs allowed when `multiline`).
pub(crate) fn bounded(
    input: &str,
    field: &'static str,
    max: usize,
    multiline: bool,
) -> Result<String, TextError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(TextError::Blank { field });
    }
    let len = text.chars().count();
    if len > max {
        return Err(TextError::TooLong { field, len, max });
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(TextError::ControlCharacters { field });
    }
    Ok(text.to_owned())
}

crate::macros::bounded_text!(
    /// Why something failed, as a person will read it: at most 1000 characters.
    Reason, field = "reason", max = 1000, multiline = true
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_accepts_text_at_the_limit() {
        assert_eq!(bounded("  abc ", "name", 3, false), Ok("abc".to_owned()));
        assert_eq!(bounded("ééé", "name", 3, false), Ok("ééé".to_owned()));
    }

    #[test]
    fn rejects_blank_too_long_and_control_characters() {
        assert_eq!(
            bounded(" \t ", "name", 3, false),
            Err(TextError::Blank { field: "name" })
        );
        assert_eq!(
            bounded("abcd", "name", 3, false),
            Err(TextError::TooLong {
                field: "name",
                len: 4,
                max: 3
            })
        );
        assert_eq!(
            bounded("a\nb", "name", 3, false),
            Err(TextError::ControlCharacters { field: "name" })
        );
        assert_eq!(bounded("a\nb", "name", 3, true), Ok("a\nb".to_owned()));
        assert_eq!(
            bounded("a\u{7}b", "name", 3, true),
            Err(TextError::ControlCharacters { field: "name" })
        );
    }

    #[test]
    fn messages_name_the_field_and_the_numbers() {
        let error = bounded(&"x".repeat(256), "title", 255, false).unwrap_err();
        assert_eq!(
            error.to_string(),
            "title is 256 characters, at most 255 allowed"
        );
        assert_eq!(error.field(), "title");
    }
}
