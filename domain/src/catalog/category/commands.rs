use super::{CategoryDescription, CategoryName};
use crate::macros::command_enum;

/// Creates a category.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateCategory {
    pub name: CategoryName,
    pub description: Option<CategoryDescription>,
    pub active: bool,
}

/// Replaces a category's name and description.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateCategory {
    pub name: CategoryName,
    pub description: Option<CategoryDescription>,
}

/// Makes a category usable for new references again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivateCategory;

/// Keeps a category but forbids new references to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeactivateCategory;

/// Deletes a category softly: its history stays, commands other than delete are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteCategory;

command_enum! {
    /// Everything an admin can ask of a category.
    pub enum CategoryCommand {
        CreateCategory,
        UpdateCategory,
        ActivateCategory,
        DeactivateCategory,
        DeleteCategory,
    }
}
