//! A category ("Movies", "Documentaries"): name, description, active flag; deleted softly.

mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use commands::*;
pub use error::CategoryError;
pub use events::*;

use crate::macros::{bounded_text, uuid_id};
use crate::{Aggregate, AggregateType, InvariantViolation};

uuid_id!(
    /// Identifies a category.
    CategoryId
);

bounded_text!(
    /// A category's name: at most 255 characters.
    CategoryName, field = "name", max = 255, multiline = false
);

bounded_text!(
    /// A category's description: at most 4000 characters, line breaks allowed.
    CategoryDescription, field = "description", max = 4000, multiline = true
);

/// The category aggregate; [`Default`] is a category that does not exist yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Category {
    state: Option<CategoryState>,
}

#[derive(Debug, Clone, PartialEq)]
struct CategoryState {
    name: String,
    description: Option<String>,
    active: bool,
    deleted: bool,
}

impl Category {
    pub fn exists(&self) -> bool {
        self.state.as_ref().is_some_and(|s| !s.deleted)
    }

    pub fn is_active(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.active && !s.deleted)
    }

    pub fn name(&self) -> Option<&str> {
        self.state.as_ref().map(|s| s.name.as_str())
    }

    /// Whether referring to this category is allowed (see [`crate::ReferenceStatus`]).
    pub fn reference_status(&self) -> crate::ReferenceStatus {
        match &self.state {
            Some(s) if !s.deleted && s.active => crate::ReferenceStatus::Active,
            Some(s) if !s.deleted => crate::ReferenceStatus::Inactive,
            _ => crate::ReferenceStatus::Missing,
        }
    }

    /// The live state, or why commands other than create cannot run.
    fn live(&self) -> Result<&CategoryState, CategoryError> {
        match &self.state {
            None => Err(CategoryError::NotFound),
            Some(s) if s.deleted => Err(CategoryError::Deleted),
            Some(s) => Ok(s),
        }
    }
}

impl Aggregate for Category {
    const TYPE: AggregateType = AggregateType::Category;
    type Id = CategoryId;
    type Command = CategoryCommand;
    type Event = CategoryEvent;
    type Error = CategoryError;

    fn handle(&self, command: CategoryCommand) -> Result<Vec<CategoryEvent>, CategoryError> {
        if let CategoryCommand::CreateCategory(create) = command {
            if self.state.is_some() {
                return Err(CategoryError::AlreadyExists);
            }
            return Ok(vec![
                CategoryCreated {
                    name: create.name.into_string(),
                    description: create.description.map(CategoryDescription::into_string),
                    active: create.active,
                }
                .into(),
            ]);
        }
        if matches!(command, CategoryCommand::DeleteCategory(_))
            && self.state.as_ref().is_some_and(|s| s.deleted)
        {
            return Ok(vec![]);
        }
        let state = self.live()?;
        let events = match command {
            CategoryCommand::CreateCategory(_) => unreachable!("handled above"),
            CategoryCommand::UpdateCategory(update) => {
                let name = update.name.into_string();
                let description = update.description.map(CategoryDescription::into_string);
                if name == state.name && description == state.description {
                    vec![]
                } else {
                    vec![CategoryUpdated { name, description }.into()]
                }
            }
            CategoryCommand::ActivateCategory(_) if state.active => vec![],
            CategoryCommand::ActivateCategory(_) => vec![CategoryActivated.into()],
            CategoryCommand::DeactivateCategory(_) if !state.active => vec![],
            CategoryCommand::DeactivateCategory(_) => vec![CategoryDeactivated.into()],
            CategoryCommand::DeleteCategory(_) => vec![CategoryDeleted.into()],
        };
        Ok(events)
    }

    fn apply(&mut self, event: &CategoryEvent) {
        match event {
            CategoryEvent::CategoryCreated(e) => {
                self.state = Some(CategoryState {
                    name: e.name.clone(),
                    description: e.description.clone(),
                    active: e.active,
                    deleted: false,
                });
            }
            CategoryEvent::CategoryUpdated(e) => {
                if let Some(s) = &mut self.state {
                    s.name.clone_from(&e.name);
                    s.description.clone_from(&e.description);
                }
            }
            CategoryEvent::CategoryActivated(_) => self.set(|s| s.active = true),
            CategoryEvent::CategoryDeactivated(_) => self.set(|s| s.active = false),
            CategoryEvent::CategoryDeleted(_) => self.set(|s| s.deleted = true),
        }
    }

    fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let Some(s) = &self.state else { return Ok(()) };
        InvariantViolation::ensure(CategoryName::parse(&s.name).is_ok(), || {
            format!("name {:?} is not a valid category name", s.name)
        })?;
        InvariantViolation::ensure(
            s.description
                .as_deref()
                .is_none_or(|d| CategoryDescription::parse(d).is_ok()),
            || "description is not a valid category description".to_owned(),
        )
    }
}

impl Category {
    fn set(&mut self, change: impl FnOnce(&mut CategoryState)) {
        if let Some(s) = &mut self.state {
            change(s);
        }
    }
}
