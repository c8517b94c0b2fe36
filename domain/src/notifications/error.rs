/// A notification command breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    #[error("notification was already requested")]
    AlreadyRequested,
    #[error("notification does not exist")]
    NotFound,
    #[error("notification was already sent")]
    AlreadySent,
    #[error("notification failed for a reason another attempt cannot fix")]
    GaveUp,
}
