//! Declarative macros for the repetitive shapes of the domain: UUID ids, bounded texts and event
//! enums. They generate boilerplate only; every rule stays in plain code.

/// A UUID-backed aggregate or entity id.
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub const fn new(id: uuid::Uuid) -> Self {
                Self(id)
            }

            pub const fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(id: uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl crate::AggregateId for $name {}
    };
}
pub(crate) use uuid_id;

/// A trimmed, non-blank text of at most `max` characters that parses rather than validates later.
macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, field = $field:literal, max = $max:expr, multiline = $multiline:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The most characters (Unicode scalar values) allowed.
            pub const MAX_CHARS: usize = $max;

            pub fn parse(input: &str) -> Result<Self, crate::TextError> {
                crate::text::bounded(input, $field, $max, $multiline).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use bounded_text;

/// The event enum of one aggregate: one variant per event struct of the same name.
macro_rules! event_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $($variant($variant)),*
        }

        impl crate::DomainEvent for $name {
            const EVENT_TYPES: &'static [&'static str] = &[$(stringify!($variant)),*];

            fn event_type(&self) -> &'static str {
                match self {
                    $($name::$variant(_) => stringify!($variant)),*
                }
            }
        }

        $(impl From<$variant> for $name {
            fn from(event: $variant) -> Self {
                $name::$variant(event)
            }
        })*
    };
}
pub(crate) use event_enum;

/// The command enum of one aggregate: one variant per command struct of the same name.
macro_rules! command_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $($variant($variant)),*
        }

        $(impl From<$variant> for $name {
            fn from(command: $variant) -> Self {
                $name::$variant(command)
            }
        })*
    };
}
pub(crate) use command_enum;
