//! One module per resource.

pub(crate) mod accounts;
pub(crate) mod cast_members;
pub(crate) mod categories;
pub(crate) mod dead_letters;
pub(crate) mod genres;
pub(crate) mod media;
pub(crate) mod plans;
pub(crate) mod subscriptions;
pub(crate) mod unsubscribe;
pub(crate) mod videos;
