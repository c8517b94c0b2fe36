//! Operations: what each consumer set aside as a dead letter (an event it could not decode or
//! apply, an upload whose encoding failed every attempt), and sending them back to it — what
//! `codeflix dlq list|redrive` does, over HTTP for the admin console (ADR 0029). Needs the
//! `operations` role.
//!
//! The consumers are the ones the binary runs ([`KnownConsumer`]); the letters are read from
//! each consumer's dead-letter topic on every request (`consumer::dlq`), so they are never
//! stale. A redrive copies the letters not re-driven yet onto the consumer's redrive topic: it
//! appends no event.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use codeflix_auth::Role;
use codeflix_consumer::dlq::{self, Listed, PageRequest};
use codeflix_domain::Timestamp;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::problem::{FieldError, Problem};
use crate::write::Caller;

/// A consumer whose dead letters the operations API shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownConsumer {
    /// Its name: the one in its consumer group and topics (`catalog`, `encoder`, …).
    pub name: String,
    /// What it does and what it dead-letters, in a sentence.
    pub description: String,
}

/// Letters in a page unless `limit` says otherwise, and the most a page holds.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

/// A consumer and how many dead letters it holds.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConsumerSummary {
    /// The consumer's name, as in `/admin/dead-letters/{consumer}`.
    #[schema(example = "encoder")]
    name: String,
    description: String,
    /// Every dead letter it holds (each source event once).
    dead_letters: usize,
    /// Those not re-driven yet.
    waiting: usize,
}

/// Every consumer the platform runs, with its dead letters counted.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConsumerList {
    items: Vec<ConsumerSummary>,
}

/// An event a consumer set aside, and why.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeadLetterView {
    /// Its place among the letters (`millis-partition-offset`: when it was dead-lettered, then
    /// its place in the dead-letter topic); as `cursor`, the next page starts after it.
    #[schema(example = "1765012345678-0-17")]
    id: String,
    /// Where the event came from: an event topic, or the consumer's redrive topic when a
    /// re-driven letter failed again.
    topic: String,
    partition: i32,
    offset: i64,
    /// The record's key (the aggregate's id for events), as text.
    key: Option<String>,
    /// The event's type (`ce_type`), when the record carries it.
    event_type: Option<String>,
    /// The event's id (`ce_id`), when the record carries it.
    event_id: Option<String>,
    /// When the event happened (`ce_time`), when the record carries it.
    occurred_at: Option<String>,
    /// When it was dead-lettered (RFC 3339).
    dead_lettered_at: Option<String>,
    /// Why the consumer could not handle it.
    reason: String,
    /// Whether it has been sent back to the consumer.
    redriven: bool,
}

/// A page of a consumer's dead letters, oldest first (by when each was dead-lettered), with
/// counts over all of them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeadLetterPage {
    consumer: String,
    description: String,
    items: Vec<DeadLetterView>,
    /// Every dead letter it holds.
    total: usize,
    /// Those not re-driven yet.
    waiting: usize,
    /// Those the filters (`status`, `key`) let through.
    matching: usize,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

/// What a redrive sent back.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Redriven {
    consumer: String,
    /// How many dead letters were sent back (those not re-driven before).
    redriven: usize,
}

/// Filters and paging of a consumer's dead letters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the query; `page_request` reads it.
pub(crate) struct DeadLetterParams {
    /// `waiting` (not re-driven yet) or `all` (the default).
    #[param(pattern = "^(waiting|all)$")]
    status: Option<String>,
    /// Only letters whose record key is this (a video's id for the encoder).
    #[param(min_length = 1, max_length = 255)]
    key: Option<String>,
    /// Letters per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,19}-[0-9]{1,10}-[0-9]{1,19}$")]
    cursor: Option<String>,
}

/// The consumers and their dead letters
///
/// Every consumer the platform runs, with how many dead letters it holds and how many wait for
/// a redrive. Needs `operations`.
#[utoipa::path(get, path = "/admin/dead-letters", tag = "operations",
    responses((status = 200, description = "The consumers", body = ConsumerList)))]
pub(crate) async fn list_consumers(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, Problem> {
    caller.require(Role::Operations)?;
    let config = state.log().config();
    let counts = futures::future::try_join_all(state.consumers().iter().map(|consumer| {
        let request = PageRequest {
            limit: 0,
            ..PageRequest::default()
        };
        async move {
            let page = dlq::page(config, &consumer.name, &request).await;
            page.map(|page| ConsumerSummary {
                name: consumer.name.clone(),
                description: consumer.description.clone(),
                dead_letters: page.total,
                waiting: page.waiting,
            })
            .map_err(|e| unreadable(&consumer.name, &e))
        }
    }))
    .await?;
    Ok(Json(ConsumerList { items: counts }).into_response())
}

/// A consumer's dead letters
///
/// Oldest first, a page at a time, with why each was set aside and whether it was sent back.
/// Needs `operations`.
#[utoipa::path(get, path = "/admin/dead-letters/{consumer}", tag = "operations",
    params(("consumer" = String, Path, description = "The consumer's name",
        max_length = 64, pattern = "^[a-z0-9][a-z0-9-]*$"), DeadLetterParams),
    responses((status = 200, description = "A page of dead letters", body = DeadLetterPage)))]
pub(crate) async fn list_letters(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    caller.require(Role::Operations)?;
    let consumer = known(&state, &name)?;
    let request = page_request(query.as_deref())?;
    let page = dlq::page(state.log().config(), &consumer.name, &request)
        .await
        .map_err(|e| unreadable(&consumer.name, &e))?;
    let next_cursor = page
        .more
        .then(|| page.letters.last().map(position))
        .flatten();
    Ok(Json(DeadLetterPage {
        consumer: consumer.name.clone(),
        description: consumer.description.clone(),
        items: page.letters.iter().map(view).collect(),
        total: page.total,
        waiting: page.waiting,
        matching: page.matching,
        next_cursor,
    })
    .into_response())
}

/// Send a consumer's dead letters back
///
/// Copies every dead letter not re-driven yet onto the consumer's redrive topic, in the order
/// they were set aside, and marks them re-driven; the consumer handles them again, and what
/// still fails is dead-lettered again. For the encoder, a failed encoding gets one more
/// attempt. Letters re-driven before are not sent again, so repeating the request is safe.
/// Needs `operations`.
#[utoipa::path(post, path = "/admin/dead-letters/{consumer}/redrive", tag = "operations",
    params(("consumer" = String, Path, description = "The consumer's name",
        max_length = 64, pattern = "^[a-z0-9][a-z0-9-]*$")),
    responses((status = 200, description = "Sent back", body = Redriven)))]
pub(crate) async fn redrive(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    caller.require(Role::Operations)?;
    let consumer = known(&state, &name)?;
    // One redrive at a time in this process: two at once would both copy the same letters. It
    // runs in a task of its own, so that a client giving up does not stop it between sending
    // letters and recording how far it got.
    let one_at_a_time = state.redrives().lock_owned().await;
    let config = state.log().config().clone();
    let name = consumer.name.clone();
    let count = tokio::spawn(async move {
        let _one_at_a_time = one_at_a_time;
        dlq::redrive(&config, &name).await
    })
    .await
    .map_err(|e| Problem::fault("re-driving dead letters", &e))?
    .map_err(|e| unreadable(&consumer.name, &e))?;
    tracing::info!(
        consumer = %consumer.name,
        count,
        by = %caller.principal.subject,
        "dead letters re-driven"
    );
    Ok(Json(Redriven {
        consumer: consumer.name.clone(),
        redriven: count,
    })
    .into_response())
}

fn known<'a>(state: &'a AppState, name: &str) -> Result<&'a KnownConsumer, Problem> {
    state
        .consumers()
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = state.consumers().iter().map(|c| c.name.as_str()).collect();
            Problem::not_found(format!(
                "no consumer {name:?}; the consumers are {}",
                names.join(", ")
            ))
        })
}

fn unreadable(consumer: &str, error: &(dyn std::error::Error + 'static)) -> Problem {
    Problem::fault(&format!("reading the dead letters of {consumer}"), error)
}

/// The query's filters and page, every broken rule at once.
fn page_request(query: Option<&str>) -> Result<PageRequest, Problem> {
    let mut request = PageRequest {
        limit: DEFAULT_LIMIT,
        ..PageRequest::default()
    };
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let count = seen.entry(name.to_string()).or_default();
        *count += 1;
        if *count == 2 {
            errors.push(FieldError::new(name.as_ref(), "must be given at most once"));
            continue;
        }
        match name.as_ref() {
            "status" => match value.as_ref() {
                "waiting" => request.waiting_only = true,
                "all" => {}
                _ => errors.push(FieldError::new("status", "must be waiting or all")),
            },
            "key" if value.is_empty() || value.chars().count() > 255 => {
                errors.push(FieldError::new("key", "must be 1 to 255 characters"));
            }
            "key" => request.key = Some(value.as_bytes().to_vec()),
            "limit" => match value.parse::<usize>() {
                Ok(limit @ 1..=MAX_LIMIT) => request.limit = limit,
                _ => errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                )),
            },
            "cursor" => match parse_position(&value) {
                Some(position) => request.after = Some(position),
                None => errors.push(FieldError::new(
                    "cursor",
                    "must be a next_cursor from an earlier page",
                )),
            },
            other => errors.push(FieldError::new(
                other,
                "is not a parameter here (status, key, limit, cursor)",
            )),
        }
    }
    if errors.is_empty() {
        Ok(request)
    } else {
        Err(Problem::bad_parameters(errors))
    }
}

fn parse_position(cursor: &str) -> Option<(i64, i32, i64)> {
    let mut parts = cursor.split('-');
    let mut number = || {
        let part = parts.next()?;
        (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())).then_some(part)
    };
    let (millis, partition, offset) = (number()?, number()?, number()?);
    if parts.next().is_some() {
        return None;
    }
    Some((
        millis.parse().ok()?,
        partition.parse().ok()?,
        offset.parse().ok()?,
    ))
}

fn position(listed: &Listed) -> String {
    let (millis, partition, offset) = listed.order();
    format!("{millis}-{partition}-{offset}")
}

fn view(listed: &Listed) -> DeadLetterView {
    let record = &listed.letter.record;
    let header = |name: &str| codeflix_eventlog::headers::header(&record.headers, name);
    DeadLetterView {
        id: position(listed),
        topic: record.topic.clone(),
        partition: record.partition,
        offset: record.offset,
        key: record
            .key
            .as_deref()
            .map(|k| String::from_utf8_lossy(k).into_owned()),
        event_type: header("ce_type").map(str::to_owned),
        event_id: header("ce_id").map(str::to_owned),
        occurred_at: header("ce_time").map(str::to_owned),
        dead_lettered_at: record
            .timestamp_ms
            .and_then(|ms| Timestamp::from_unix_micros(ms.checked_mul(1000)?).ok())
            .map(Timestamp::to_rfc3339_micros),
        reason: listed.letter.reason.clone(),
        redriven: listed.redriven,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(query: &str) -> Vec<String> {
        let problem = page_request(Some(query)).unwrap_err();
        assert_eq!(problem.status(), axum::http::StatusCode::BAD_REQUEST);
        problem
            .0
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.rule))
            .collect()
    }

    #[test]
    fn the_query_reads_filters_and_the_cursor() {
        let request =
            page_request(Some("status=waiting&key=v%201&limit=10&cursor=1765-2-41")).unwrap();
        assert!(request.waiting_only);
        assert_eq!(request.key.as_deref(), Some(&b"v 1"[..]));
        assert_eq!(request.limit, 10);
        assert_eq!(request.after, Some((1765, 2, 41)));
        let defaults = page_request(None).unwrap();
        assert!(!defaults.waiting_only);
        assert_eq!((defaults.limit, defaults.after), (DEFAULT_LIMIT, None));
    }

    #[test]
    fn every_broken_rule_is_named() {
        assert_eq!(
            refused("status=done&limit=0&cursor=x-1&sort=new&limit=5&key="),
            [
                "status: must be waiting or all",
                "limit: must be a whole number from 1 to 500",
                "cursor: must be a next_cursor from an earlier page",
                "sort: is not a parameter here (status, key, limit, cursor)",
                "limit: must be given at most once",
                "key: must be 1 to 255 characters",
            ]
        );
        for cursor in ["-1-2", "1-2", "1-2-3-4", "1-2-x"] {
            assert_eq!(
                refused(&format!("cursor={cursor}")),
                ["cursor: must be a next_cursor from an earlier page"],
                "{cursor}"
            );
        }
        assert_eq!(
            refused("limit=501"),
            ["limit: must be a whole number from 1 to 500"]
        );
    }
}
