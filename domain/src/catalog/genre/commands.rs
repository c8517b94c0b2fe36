use super::GenreName;
use crate::Reference;
use crate::catalog::category::CategoryId;
use crate::macros::command_enum;

/// Creates a genre in the given categories (each must be active).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateGenre {
    pub name: GenreName,
    pub active: bool,
    pub categories: Vec<Reference<CategoryId>>,
}

/// Replaces a genre's name and its set of categories.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateGenre {
    pub name: GenreName,
    pub categories: Vec<Reference<CategoryId>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivateGenre;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeactivateGenre;

/// Deletes a genre softly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteGenre;

command_enum! {
    /// Everything an admin can ask of a genre.
    pub enum GenreCommand {
        CreateGenre,
        UpdateGenre,
        ActivateGenre,
        DeactivateGenre,
        DeleteGenre,
    }
}
