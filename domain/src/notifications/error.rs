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
    #[error("attempt {attempt} is being made by {worker} until {until}")]
    AttemptInProgress {
        attempt: u32,
        worker: String,
        until: crate::Timestamp,
    },
}
