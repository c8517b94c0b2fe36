//! Read-your-writes: a request may carry the consistency tokens the command API returned
//! (`topic:partition:offset`, comma-separated, in the `Codeflix-Consistency-Token` header or the
//! `consistency_token` parameter). The query API answers once every projection the request reads
//! has applied those positions, or with 503 when it has not within the configured bound.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use codeflix_http::problem::{FieldError, Problem};
use codeflix_readmodel::Position;
use codeflix_readmodel::store::DocReads;

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

/// Waits until every projection has applied every token of a topic it consumes.
pub(crate) async fn wait(
    projections: &[Projection<'_>],
    tokens: &[Position],
    bound: Duration,
) -> Result<(), Problem> {
    if tokens.is_empty() {
        return Ok(());
    }
    let deadline = Instant::now() + bound;
    let mut pause = Duration::from_millis(2);
    loop {
        let mut behind = None;
        for projection in projections {
            let positions = projection
                .store
                .positions()
                .await
                .map_err(|e| Problem::fault("reading the projections' positions", &e))?;
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
                    "the {name} projection has applied {}:{} up to offset {reached} and your token \
                     needs offset {}; waited {} ms — retry shortly",
                    token.topic,
                    token.partition,
                    token.offset,
                    bound.as_millis()
                ),
            )
            .with_retry_after(1));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
