//! Codeflix's event contracts.
//!
//! `schemas/avro/` holds one Avro schema per event type (namespace `codeflix.<aggregate type>`,
//! e.g. `codeflix.catalog.video.VideoUploaded`) plus the named types they share, such as
//! `codeflix.common.EventMetadata`. Files refer to shared types by full name; [`SchemaSet`]
//! inlines them so each event schema is self-contained, as a schema registry subject needs.
//!
//! This crate is the one place where domain events become Avro values and back ([`codec`]), and
//! where a change to the contract is checked for backward compatibility against every version
//! already committed ([`compatibility`]).

pub mod codec;
pub mod compatibility;
mod mapping;
mod set;
mod wire;

pub use codec::{CodecError, decode_datum, decode_value, encode_datum, encode_value};
pub use set::{NamedSchema, SchemaError, SchemaSet, event_fullname, split_event_fullname};
pub use wire::WireError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}
