//! The aggregate abstraction every bounded context implements, and the version bookkeeping that
//! turns an aggregate's history into optimistic concurrency.

use std::fmt;
use std::str::FromStr;

use crate::event::{AggregateType, DomainEvent};

/// Position of an aggregate in its own history: the number of events applied so far.
///
/// A new aggregate is at [`Version::INITIAL`] (0); its first event carries version 1 and every
/// later event the next integer, without gaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version(u64);

impl Version {
    /// The version of an aggregate that has no events yet.
    pub const INITIAL: Version = Version(0);

    pub const fn new(n: u64) -> Self {
        Version(n)
    }

    pub const fn get(self) -> u64 {
        self.0
    }

    /// The version the next event takes.
    pub const fn next(self) -> Version {
        Version(self.0 + 1)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An aggregate identifier: printable, parseable and ordered, so that it can be a Kafka key.
pub trait AggregateId:
    Clone + Eq + Ord + std::hash::Hash + fmt::Debug + fmt::Display + FromStr
{
}

/// A consistency boundary: the state one command is decided against.
///
/// `handle` holds every business rule and never changes the state; `apply` holds none and only
/// folds an already-accepted event into the state. Replaying an aggregate's events through `apply`
/// from [`Default`] therefore always rebuilds the state that decided them.
pub trait Aggregate: Default + Clone + fmt::Debug + PartialEq {
    /// Names the aggregate in envelopes, topics and logs.
    const TYPE: AggregateType;

    type Id: AggregateId;
    type Command: fmt::Debug + Clone;
    type Event: DomainEvent + Clone + fmt::Debug + PartialEq;
    type Error: std::error::Error + Clone + PartialEq;

    /// Decides a command: the events it causes (none when it changes nothing), or the rule it breaks.
    fn handle(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Folds one accepted event into the state.
    fn apply(&mut self, event: &Self::Event);

    /// States what must hold after every accepted event; property tests call it after each step.
    fn check_invariants(&self) -> Result<(), InvariantViolation>;
}

/// A broken invariant: a bug in `handle` or `apply`, never a user error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invariant violated: {0}")]
pub struct InvariantViolation(pub String);

impl InvariantViolation {
    /// Returns `Err` with `message` unless `holds`.
    pub fn ensure(holds: bool, message: impl FnOnce() -> String) -> Result<(), InvariantViolation> {
        if holds {
            Ok(())
        } else {
            Err(InvariantViolation(message()))
        }
    }
}

/// The version a command expects its aggregate to be at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Decide against whatever the current version is (last writer wins).
    Any,
    /// Decide only if the aggregate is at exactly this version; `Exactly(Version::INITIAL)` means
    /// "must not exist yet".
    Exactly(Version),
}

/// Why a command was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError<E> {
    /// The aggregate moved on since the client read it.
    #[error("expected version {expected} but the aggregate is at version {current}")]
    Conflict { expected: Version, current: Version },
    /// The command breaks a business rule.
    #[error(transparent)]
    Rejected(E),
}

/// An event does not continue the history it is applied to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event version {got} does not follow version {current}")]
pub struct VersionGap {
    pub current: Version,
    pub got: Version,
}

/// An aggregate's state together with the version it is at.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Versioned<A> {
    version: Version,
    state: A,
}

impl<A: Aggregate> Versioned<A> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds an aggregate from a snapshot: a state known to be at `version`.
    pub fn from_snapshot(version: Version, state: A) -> Self {
        Self { version, state }
    }

    /// Rebuilds an aggregate from its history; versions must run 1, 2, 3, … without gaps.
    pub fn rehydrate<'e>(
        events: impl IntoIterator<Item = (Version, &'e A::Event)>,
    ) -> Result<Self, VersionGap>
    where
        A::Event: 'e,
    {
        let mut aggregate = Self::new();
        for (version, event) in events {
            aggregate.apply(version, event)?;
        }
        Ok(aggregate)
    }

    pub fn version(&self) -> Version {
        self.version
    }

    pub fn state(&self) -> &A {
        &self.state
    }

    /// Folds the event that carries `version`, which must be the next one.
    pub fn apply(&mut self, version: Version, event: &A::Event) -> Result<(), VersionGap> {
        if version != self.version.next() {
            return Err(VersionGap {
                current: self.version,
                got: version,
            });
        }
        self.state.apply(event);
        self.version = version;
        Ok(())
    }

    /// Decides `command` against the current state if the version is the expected one.
    pub fn decide(
        &self,
        expected: ExpectedVersion,
        command: A::Command,
    ) -> Result<Decision<A::Event>, CommandError<A::Error>> {
        if let ExpectedVersion::Exactly(expected) = expected
            && expected != self.version
        {
            return Err(CommandError::Conflict {
                expected,
                current: self.version,
            });
        }
        let events = self.state.handle(command).map_err(CommandError::Rejected)?;
        Ok(Decision {
            base: self.version,
            events,
        })
    }

    /// Applies what a decision taken on this very version produced.
    pub fn commit(&mut self, decision: &Decision<A::Event>) -> Result<(), VersionGap> {
        for (version, event) in decision.numbered() {
            self.apply(version, event)?;
        }
        Ok(())
    }
}

/// The events one command produced, numbered from the version it was decided on.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<E> {
    base: Version,
    events: Vec<E>,
}

impl<E> Decision<E> {
    /// The version the command was decided against.
    pub fn base(&self) -> Version {
        self.base
    }

    /// The version the aggregate is at once these events are appended.
    pub fn new_version(&self) -> Version {
        Version(self.base.0 + self.events.len() as u64)
    }

    pub fn events(&self) -> &[E] {
        &self.events
    }

    pub fn into_events(self) -> Vec<E> {
        self.events
    }

    /// `true` when the command changed nothing.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Each event with the version it carries: `base + 1`, `base + 2`, …
    pub fn numbered(&self) -> impl Iterator<Item = (Version, &E)> {
        (self.base.0 + 1..).map(Version).zip(self.events.iter())
    }
}
