//! The notifier's parts against real ones: templates rendered strictly, email to a real SMTP
//! server on loopback.

#![allow(clippy::unwrap_used)]

mod deliver;
mod email;
mod mirror;
mod templates;
