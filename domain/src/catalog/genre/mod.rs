//! A genre ("Drama", "Comedy"): name, active flag and the categories it belongs to.

mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

pub use commands::*;
pub use error::GenreError;
pub use events::*;

use super::category::CategoryId;
use crate::macros::{bounded_text, uuid_id};
use crate::{Aggregate, AggregateType, InvariantViolation, Reference, ReferenceStatus};

uuid_id!(
    /// Identifies a genre.
    GenreId
);

bounded_text!(
    /// A genre's name: at most 255 characters.
    GenreName, field = "name", max = 255, multiline = false
);

/// The genre aggregate; [`Default`] is a genre that does not exist yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Genre {
    state: Option<GenreState>,
}

#[derive(Debug, Clone, PartialEq)]
struct GenreState {
    name: String,
    active: bool,
    categories: BTreeSet<CategoryId>,
    deleted: bool,
}

impl Genre {
    pub fn exists(&self) -> bool {
        self.state.as_ref().is_some_and(|s| !s.deleted)
    }

    pub fn is_active(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.active && !s.deleted)
    }

    pub fn categories(&self) -> impl Iterator<Item = CategoryId> + '_ {
        self.state.iter().flat_map(|s| s.categories.iter().copied())
    }

    pub fn reference_status(&self) -> ReferenceStatus {
        match &self.state {
            Some(s) if !s.deleted && s.active => ReferenceStatus::Active,
            Some(s) if !s.deleted => ReferenceStatus::Inactive,
            _ => ReferenceStatus::Missing,
        }
    }

    fn live(&self) -> Result<&GenreState, GenreError> {
        match &self.state {
            None => Err(GenreError::NotFound),
            Some(s) if s.deleted => Err(GenreError::Deleted),
            Some(s) => Ok(s),
        }
    }

    fn set(&mut self, change: impl FnOnce(&mut GenreState)) {
        if let Some(s) = &mut self.state {
            change(s);
        }
    }
}

/// The categories a genre will belong to. A category the genre does not belong to yet must be
/// active; one it already belongs to may stay even if it was deactivated or deleted since, so that
/// an admin can still rename the genre.
fn resolve_categories(
    requested: Vec<Reference<CategoryId>>,
    current: &BTreeSet<CategoryId>,
) -> Result<BTreeSet<CategoryId>, GenreError> {
    let mut categories = BTreeSet::new();
    for reference in requested {
        if !current.contains(&reference.id) {
            match reference.status {
                ReferenceStatus::Active => {}
                ReferenceStatus::Inactive => {
                    return Err(GenreError::InactiveCategory(reference.id));
                }
                ReferenceStatus::Missing => return Err(GenreError::UnknownCategory(reference.id)),
            }
        }
        categories.insert(reference.id);
    }
    Ok(categories)
}

impl Aggregate for Genre {
    const TYPE: AggregateType = AggregateType::Genre;
    type Id = GenreId;
    type Command = GenreCommand;
    type Event = GenreEvent;
    type Error = GenreError;

    fn handle(&self, command: GenreCommand) -> Result<Vec<GenreEvent>, GenreError> {
        if let GenreCommand::CreateGenre(create) = command {
            if self.state.is_some() {
                return Err(GenreError::AlreadyExists);
            }
            let categories = resolve_categories(create.categories, &BTreeSet::new())?;
            return Ok(vec![
                GenreCreated {
                    name: create.name.into_string(),
                    active: create.active,
                    categories: categories.into_iter().collect(),
                }
                .into(),
            ]);
        }
        if matches!(command, GenreCommand::DeleteGenre(_))
            && self.state.as_ref().is_some_and(|s| s.deleted)
        {
            return Ok(vec![]);
        }
        let state = self.live()?;
        let events = match command {
            GenreCommand::CreateGenre(_) => unreachable!("handled above"),
            GenreCommand::UpdateGenre(update) => {
                let categories = resolve_categories(update.categories, &state.categories)?;
                let name = update.name.into_string();
                if name == state.name && categories == state.categories {
                    vec![]
                } else {
                    vec![
                        GenreUpdated {
                            name,
                            categories: categories.into_iter().collect(),
                        }
                        .into(),
                    ]
                }
            }
            GenreCommand::ActivateGenre(_) if state.active => vec![],
            GenreCommand::ActivateGenre(_) => vec![GenreActivated.into()],
            GenreCommand::DeactivateGenre(_) if !state.active => vec![],
            GenreCommand::DeactivateGenre(_) => vec![GenreDeactivated.into()],
            GenreCommand::DeleteGenre(_) => vec![GenreDeleted.into()],
        };
        Ok(events)
    }

    fn apply(&mut self, event: &GenreEvent) {
        match event {
            GenreEvent::GenreCreated(e) => {
                self.state = Some(GenreState {
                    name: e.name.clone(),
                    active: e.active,
                    categories: e.categories.iter().copied().collect(),
                    deleted: false,
                });
            }
            GenreEvent::GenreUpdated(e) => self.set(|s| {
                s.name.clone_from(&e.name);
                s.categories = e.categories.iter().copied().collect();
            }),
            GenreEvent::GenreActivated(_) => self.set(|s| s.active = true),
            GenreEvent::GenreDeactivated(_) => self.set(|s| s.active = false),
            GenreEvent::GenreDeleted(_) => self.set(|s| s.deleted = true),
        }
    }

    fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let Some(s) = &self.state else { return Ok(()) };
        InvariantViolation::ensure(GenreName::parse(&s.name).is_ok(), || {
            format!("name {:?} is not a valid genre name", s.name)
        })
    }
}
