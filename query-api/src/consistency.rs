//! Read-your-writes: a request may carry the consistency tokens the command API returned
//! (`topic:partition:offset`, comma-separated, in the `Codeflix-Consistency-Token` header or the
//! `consistency_token` parameter). The query API answers once every projection the request reads
//! has applied those positions, or with 503 when it has not within the configured bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use codeflix_http::problem::{FieldError, Problem};
use codeflix_readmodel::Position;
use codeflix_readmodel::store::DocReads;
use tokio::sync::Semaphore;

/// The header (and, lowercase with underscores, the parameter) that carries tokens.
pub const HEADER: &str = "codeflix-consistency-token";
pub(crate) const PARAMETER: &str = "consistency_token";

const RULE: &str = "must be consistency tokens as the command API returns them: \
    topic:partition:offset, comma-separated";

/// What a token list looks like (`PATTERN` in the OpenAPI document; [`parse`] accepts exactly it).
pub const PATTERN: &str =
    "^[A-Za-z0-9._-]+:[0-9]{1,9}:[0-9]{1,18}(,[A-Za-z0-9._-]+:[0-9]{1,9}:[0-9]{1,18})*$";

/// Parses `a:0:12,b:1:3`: the positions of the events a request must see.
pub fn parse(text: &str, field: &str) -> Result<Vec<Position>, FieldError> {
    text.split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| FieldError::new(field, RULE))
}

/// A projection a request reads from: its store and the topics it consumes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Projection<'a> {
    pub(crate) name: &'a str,
    pub(crate) store: &'a dyn DocReads,
    pub(crate) topics: &'a [String],
}

/// Requests waiting for their tokens at once, at most; more are answered 503 at once.
pub const MAX_WAITERS: usize = 256;

/// Positions read from a store are shared by every waiter for this long.
const POSITIONS_FRESH: Duration = Duration::from_millis(25);

/// A projection's positions and when they were read.
type ReadAt = (Instant, Arc<Vec<Position>>);

/// The requests waiting for their tokens: at most [`MAX_WAITERS`] at once, and however many
/// there are, each projection's positions are read at most once per [`POSITIONS_FRESH`].
#[derive(Debug)]
pub struct Waiters {
    max: usize,
    slots: Semaphore,
    positions: Mutex<HashMap<String, ReadAt>>,
}

impl Default for Waiters {
    fn default() -> Self {
        Waiters::new(MAX_WAITERS)
    }
}

impl Waiters {
    pub fn new(max: usize) -> Waiters {
        Waiters {
            max: max.max(1),
            slots: Semaphore::new(max.max(1)),
            positions: Mutex::new(HashMap::new()),
        }
    }

    /// A projection's positions, fresh to within [`POSITIONS_FRESH`].
    async fn positions(&self, projection: &Projection<'_>) -> Result<Arc<Vec<Position>>, Problem> {
        let cached = self
            .positions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(projection.name)
            .filter(|(read, _)| read.elapsed() < POSITIONS_FRESH)
            .map(|(_, positions)| Arc::clone(positions));
        if let Some(positions) = cached {
            return Ok(positions);
        }
        let positions = Arc::new(
            projection
                .store
                .positions()
                .await
                .map_err(|e| Problem::fault("reading the projections' positions", &e))?,
        );
        self.positions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                projection.name.to_owned(),
                (Instant::now(), Arc::clone(&positions)),
            );
        Ok(positions)
    }

    /// Waits until every projection has applied every token of a topic it consumes.
    pub(crate) async fn wait(
        &self,
        projections: &[Projection<'_>],
        tokens: &[Position],
        bound: Duration,
    ) -> Result<(), Problem> {
        if tokens.is_empty() {
            return Ok(());
        }
        let deadline = Instant::now() + bound;
        let mut pause = Duration::from_millis(2);
        let mut slot = None;
        loop {
            let mut behind = None;
            for projection in projections {
                let positions = self.positions(projection).await?;
                for token in tokens
                    .iter()
                    .filter(|t| projection.topics.contains(&t.topic))
                {
                    if !positions.iter().any(|p| p.covers(token)) {
                        let reached = positions
                            .iter()
                            .find(|p| p.topic == token.topic && p.partition == token.partition)
                            .map_or(0, |p| p.offset);
                        behind = Some((projection.name, token, reached));
                        break;
                    }
                }
                if behind.is_some() {
                    break;
                }
            }
            let Some((name, token, reached)) = behind else {
                return Ok(());
            };
            if Instant::now() >= deadline {
                return Err(Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not-yet-consistent",
                    "The read model has not caught up with your write yet",
                    format!(
                        "the {name} projection has applied {}:{} up to offset {reached} and your \
                         token needs offset {}; waited {} ms — retry shortly",
                        token.topic,
                        token.partition,
                        token.offset,
                        bound.as_millis()
                    ),
                )
                .with_retry_after(1));
            }
            // Only a request that has to wait takes a slot.
            if slot.is_none() {
                slot = Some(self.slots.try_acquire().map_err(|_| {
                    Problem::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "not-yet-consistent",
                        "Too many reads are waiting for their writes",
                        format!(
                            "{} reads are already waiting for the projections; retry shortly",
                            self.max
                        ),
                    )
                    .with_retry_after(1)
                })?);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codeflix_readmodel::store::StoreError;
    use codeflix_readmodel::views::{Doc, DocKey};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A store that never catches up, counting how often its positions are read.
    #[derive(Debug, Default)]
    struct Behind(AtomicUsize);

    #[async_trait::async_trait]
    impl DocReads for Behind {
        async fn load(&self, _: &[DocKey]) -> Result<Vec<Doc>, StoreError> {
            Ok(Vec::new())
        }
        async fn positions(&self) -> Result<Vec<Position>, StoreError> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Ok(Vec::new())
        }
        async fn export(&self) -> Result<Vec<Doc>, StoreError> {
            Ok(Vec::new())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_reads_are_capped_and_share_their_position_reads() {
        let store = Behind::default();
        let topics = vec!["t".to_owned()];
        let waiters = Waiters::new(10);
        let token = vec![Position {
            topic: "t".into(),
            partition: 0,
            offset: 5,
        }];
        let projection = Projection {
            name: "catalog",
            store: &store,
            topics: &topics,
        };
        let started = Instant::now();
        let answers = futures::future::join_all((0..100).map(|_| async {
            let answer = waiters
                .wait(&[projection], &token, Duration::from_millis(500))
                .await;
            (answer.unwrap_err().0.title, started.elapsed())
        }))
        .await;
        let turned_away: Vec<_> = answers
            .iter()
            .filter(|(title, _)| title.starts_with("Too many"))
            .collect();
        assert_eq!(turned_away.len(), 90);
        assert!(
            turned_away
                .iter()
                .all(|(_, at)| *at < Duration::from_millis(200)),
            "turned away at once"
        );
        // 100 waiters polling on their own would read the positions well over 1000 times.
        let reads = store.0.load(Ordering::Relaxed);
        assert!(reads < 60, "{reads} position reads");
    }

    #[test]
    fn tokens_parse_with_dotted_topics_and_lists() {
        assert_eq!(
            parse(
                "codeflix.catalog.video.events:2:41,codeflix.catalog.category.events:0:0",
                "t"
            )
            .unwrap(),
            vec![
                Position {
                    topic: "codeflix.catalog.video.events".into(),
                    partition: 2,
                    offset: 41
                },
                Position {
                    topic: "codeflix.catalog.category.events".into(),
                    partition: 0,
                    offset: 0
                },
            ]
        );
        for bad in [
            "",
            "topic:1",
            ":1:2",
            "t:-1:2",
            "t:1:x",
            "t:1:2,,t:1:2",
            " t:1:2",
            "t/x:1:2",
        ] {
            assert!(parse(bad, "t").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_documented_pattern_is_a_list_of_positions() {
        let one = Position::PATTERN;
        assert_eq!(PATTERN, format!("^{one}(,{one})*$"));
    }
}
