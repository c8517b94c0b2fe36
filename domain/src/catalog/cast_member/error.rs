/// A cast member command breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CastMemberError {
    #[error("cast member already exists")]
    AlreadyExists,
    #[error("cast member does not exist")]
    NotFound,
    #[error("cast member was deleted")]
    Deleted,
}
