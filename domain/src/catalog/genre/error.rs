use crate::catalog::category::CategoryId;

/// A genre command breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenreError {
    #[error("genre already exists")]
    AlreadyExists,
    #[error("genre does not exist")]
    NotFound,
    #[error("genre was deleted")]
    Deleted,
    #[error("category {0} does not exist")]
    UnknownCategory(CategoryId),
    #[error("category {0} is inactive and cannot be added")]
    InactiveCategory(CategoryId),
}
