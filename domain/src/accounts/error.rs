/// An account command breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("account is already registered")]
    AlreadyRegistered,
    #[error("account does not exist")]
    NotFound,
}
