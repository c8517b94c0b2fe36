/// A category command breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryError {
    #[error("category already exists")]
    AlreadyExists,
    #[error("category does not exist")]
    NotFound,
    #[error("category was deleted")]
    Deleted,
}
