//! A given/when/then kit for aggregate specifications and the generic property every aggregate
//! must satisfy. Compiled for this crate's tests and, with the `testing` feature, for other crates.
//!
//! ```
//! # use codeflix_domain::testing::AggregateSpec;
//! # use codeflix_domain::catalog::cast_member::*;
//! AggregateSpec::<CastMember>::given(vec![])
//!     .when(CreateCastMember {
//!         name: CastMemberName::parse("Ana").unwrap(),
//!         kind: CastMemberType::Actor,
//!     })
//!     .then_expect(vec![CastMemberCreated { name: "Ana".into(), kind: CastMemberType::Actor }.into()]);
//! ```

use std::fmt::Debug;

use crate::aggregate::{Aggregate, ExpectedVersion, Version, Versioned};

/// An aggregate specification: a history, then a command, then the expected outcome.
#[derive(Debug)]
pub struct AggregateSpec<A: Aggregate> {
    aggregate: Versioned<A>,
}

impl<A: Aggregate> AggregateSpec<A> {
    /// The aggregate after `history`, numbered 1, 2, 3, …
    #[track_caller]
    pub fn given(history: Vec<A::Event>) -> Self {
        let numbered = (1..).map(Version::new).zip(history.iter());
        let aggregate = Versioned::<A>::rehydrate(numbered).expect("history numbered contiguously");
        if let Err(violation) = aggregate.state().check_invariants() {
            panic!("the given history already breaks an invariant: {violation}");
        }
        Self { aggregate }
    }

    pub fn when(self, command: impl Into<A::Command>) -> Outcome<A> {
        let result = self.aggregate.state().handle(command.into());
        Outcome {
            aggregate: self.aggregate,
            result,
        }
    }
}

/// What a command did to a given history.
#[derive(Debug)]
pub struct Outcome<A: Aggregate> {
    aggregate: Versioned<A>,
    result: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> Outcome<A> {
    /// The command was accepted with exactly these events, and applying them keeps every invariant.
    #[track_caller]
    pub fn then_expect(self, expected: Vec<A::Event>) -> A {
        match self.result {
            Ok(events) => {
                assert_eq!(events, expected, "the command produced other events");
                let mut state = self.aggregate.state().clone();
                for event in &events {
                    state.apply(event);
                }
                if let Err(violation) = state.check_invariants() {
                    panic!("accepted events break an invariant: {violation}");
                }
                state
            }
            Err(error) => panic!("expected {expected:?}, the command was rejected: {error}"),
        }
    }

    /// The command was accepted, and applying its events keeps every invariant: the events, for
    /// a test that checks only some of their fields.
    #[track_caller]
    pub fn then_events(self) -> Vec<A::Event> {
        match self.result {
            Ok(events) => {
                let mut state = self.aggregate.state().clone();
                for event in &events {
                    state.apply(event);
                }
                if let Err(violation) = state.check_invariants() {
                    panic!("accepted events break an invariant: {violation}");
                }
                events
            }
            Err(error) => panic!("expected events, the command was rejected: {error}"),
        }
    }

    /// The command was accepted and changed nothing.
    #[track_caller]
    pub fn then_expect_nothing(self) {
        self.then_expect(Vec::new());
    }

    /// The command was rejected with exactly this error.
    #[track_caller]
    pub fn then_reject(self, expected: A::Error) {
        match self.result {
            Ok(events) => {
                panic!("expected rejection {expected:?}, the command produced {events:?}")
            }
            Err(error) => assert_eq!(
                error, expected,
                "the command was rejected for another reason"
            ),
        }
    }
}

/// What one run of [`check_history`] saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HistoryStats {
    pub accepted: usize,
    pub rejected: usize,
    pub events: usize,
}

/// Decides `commands` one after the other against the version each expects, and checks the
/// properties every aggregate must have:
///
/// - no accepted command breaks an invariant;
/// - versions of the accepted events are 1..n, contiguous;
/// - replaying the accepted events from nothing rebuilds exactly the final state.
pub fn check_history<A: Aggregate>(commands: Vec<A::Command>) -> Result<HistoryStats, String>
where
    A::Command: Debug,
{
    let mut aggregate = Versioned::<A>::new();
    let mut history: Vec<(Version, A::Event)> = Vec::new();
    let mut stats = HistoryStats::default();
    for command in commands {
        let described = format!("{command:?}");
        match aggregate.decide(ExpectedVersion::Exactly(aggregate.version()), command) {
            Ok(decision) => {
                stats.accepted += 1;
                stats.events += decision.events().len();
                history.extend(decision.numbered().map(|(v, e)| (v, e.clone())));
                aggregate
                    .commit(&decision)
                    .map_err(|gap| format!("after {described}: {gap}"))?;
                aggregate
                    .state()
                    .check_invariants()
                    .map_err(|violation| format!("after {described}: {violation}"))?;
            }
            Err(_) => stats.rejected += 1,
        }
    }
    let versions: Vec<u64> = history.iter().map(|(v, _)| v.get()).collect();
    let expected: Vec<u64> = (1..=history.len() as u64).collect();
    if versions != expected {
        return Err(format!("versions are not contiguous: {versions:?}"));
    }
    let replayed = Versioned::<A>::rehydrate(history.iter().map(|(v, e)| (*v, e)))
        .map_err(|gap| format!("replay: {gap}"))?;
    if replayed != aggregate {
        return Err(format!(
            "replay rebuilt {replayed:?}, the decided state was {aggregate:?}"
        ));
    }
    Ok(stats)
}
