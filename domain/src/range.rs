//! The one rule shape for numbers people type: a closed range.

/// A number outside its allowed range; `field` names the field as clients send it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} is {value}, it must be between {min} and {max}")]
pub struct RangeError {
    pub field: &'static str,
    pub value: i64,
    pub min: i64,
    pub max: i64,
}

/// `value` if it lies in `min..=max`.
pub fn in_range(field: &'static str, value: i64, min: i64, max: i64) -> Result<i64, RangeError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(RangeError {
            field,
            value,
            min,
            max,
        })
    }
}
