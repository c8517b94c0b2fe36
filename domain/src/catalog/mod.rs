//! The catalog bounded context: what admins curate and viewers browse.
//!
//! Categories and genres classify videos, cast members appear in them; a video owns its media
//! slots and can be published once its main video media is encoded.

pub mod cast_member;
pub mod category;
pub mod genre;
pub mod video;
