use crate::catalog::category::CategoryId;
use crate::macros::event_enum;

/// A genre was created; `categories` is sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenreCreated {
    pub name: String,
    pub active: bool,
    pub categories: Vec<CategoryId>,
}

/// A genre's name or categories changed; `categories` is the whole new set, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenreUpdated {
    pub name: String,
    pub categories: Vec<CategoryId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenreActivated;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenreDeactivated;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenreDeleted;

event_enum! {
    /// Everything that can happen to a genre.
    pub enum GenreEvent {
        GenreCreated,
        GenreUpdated,
        GenreActivated,
        GenreDeactivated,
        GenreDeleted,
    }
}
