use crate::macros::event_enum;

/// A category was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCreated {
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
}

/// A category's name or description changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryUpdated {
    pub name: String,
    pub description: Option<String>,
}

/// A category became active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryActivated;

/// A category became inactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryDeactivated;

/// A category was deleted (softly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryDeleted;

event_enum! {
    /// Everything that can happen to a category.
    pub enum CategoryEvent {
        CategoryCreated,
        CategoryUpdated,
        CategoryActivated,
        CategoryDeactivated,
        CategoryDeleted,
    }
}
