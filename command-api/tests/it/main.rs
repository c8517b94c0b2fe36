//! The command API over real HTTP against the real embedded broker and schema registry.

#![allow(clippy::unwrap_used)]

mod accounts;
mod auth;
mod catalog;
mod contract;
mod media;
mod operations;
mod plans;
mod rejections;
mod subscriptions;
