//! Fetch as Kafka answers it: at once when there is something to read, otherwise when a produce
//! brings something or the consumer's `max_wait_ms` runs out, whichever is first.
//!
//! tansu 0.6.0's own fetch reads every partition, then sleeps out the consumer's whole wait even
//! when it found records, and reads again. Consumers therefore either waited up to
//! `fetch.wait.max.ms` for each new event or polled the broker dozens of times a second to stay
//! fresh, which kept an idle platform busy (docs/adr/0014-embedded-broker-serving-and-storage.md).
//! This one reads each partition's watermark first and its records only when there are some, and
//! sleeps on the produce signal of the topics it was asked for.

use std::sync::Arc;
use std::time::Duration;

use rama::{Context, Service};
use tansu_sans_io::fetch_request::{FetchPartition, FetchTopic};
use tansu_sans_io::fetch_response::{FetchableTopicResponse, PartitionData};
use tansu_sans_io::metadata_response::MetadataResponseTopic;
use tansu_sans_io::record::deflated::{Batch, Frame};
use tansu_sans_io::{ErrorCode, FetchRequest, FetchResponse, IsolationLevel};
use tansu_storage::{Result, Storage, TopicId, Topition};
use tokio::time::Instant;

use super::storage::{BrokerStorage, Produced};

/// The most a response carries, whatever the consumer allows (tansu's own limit).
const MAX_RESPONSE_BYTES: u32 = 5 * 1024 * 1024;

/// The fetch service of the embedded broker.
#[derive(Clone, Debug)]
pub(crate) struct LongPollFetch {
    pub(crate) produced: Arc<Produced>,
}

/// A topic of the request, resolved to its name once per request.
enum Asked<'a> {
    Known {
        fetch: &'a FetchTopic,
        name: String,
        topic_id: Option<[u8; 16]>,
    },
    Unknown(&'a FetchTopic),
}

impl<S: Storage> Service<BrokerStorage<S>, FetchRequest> for LongPollFetch {
    type Response = FetchResponse;
    type Error = tansu_storage::Error;

    async fn serve(
        &self,
        ctx: Context<BrokerStorage<S>>,
        req: FetchRequest,
    ) -> Result<FetchResponse> {
        let storage = ctx.state();
        let topics = req.topics.unwrap_or_default();
        let isolation = req.isolation_level.map_or(
            Ok(IsolationLevel::ReadUncommitted),
            IsolationLevel::try_from,
        )?;
        let wait = Duration::from_millis(u64::try_from(req.max_wait_ms.max(0))?);
        let min_bytes = u64::try_from(req.min_bytes.max(0))?;
        let max_bytes = req
            .max_bytes
            .map_or(MAX_RESPONSE_BYTES, |max| {
                u32::try_from(max.max(0)).unwrap_or(0)
            })
            .min(MAX_RESPONSE_BYTES);
        let deadline = Instant::now() + wait;

        let mut asked = Vec::with_capacity(topics.len());
        for fetch in &topics {
            asked.push(resolve(storage, fetch).await?);
        }
        let names: Vec<String> = asked
            .iter()
            .filter_map(|topic| match topic {
                Asked::Known { name, .. } => Some(name.clone()),
                Asked::Unknown(_) => None,
            })
            .collect();

        let mut wake = self.produced.subscribe();
        loop {
            let marks = self.produced.marks(&names);
            let (responses, bytes) = read(storage, &asked, isolation, max_bytes).await?;
            if bytes >= min_bytes.max(1) || names.is_empty() || Instant::now() >= deadline {
                return Ok(response(responses));
            }
            // Sleep until a produce to one of these topics, or the deadline.
            loop {
                tokio::select! {
                    changed = wake.changed() => {
                        if changed.is_err() {
                            return Ok(response(responses));
                        }
                        if self.produced.marks(&names) != marks {
                            break;
                        }
                    }
                    () = tokio::time::sleep_until(deadline) => return Ok(response(responses)),
                }
            }
        }
    }
}

fn response(responses: Vec<FetchableTopicResponse>) -> FetchResponse {
    FetchResponse::default()
        .throttle_time_ms(Some(0))
        .error_code(Some(ErrorCode::None.into()))
        .session_id(Some(0))
        .node_endpoints(Some([].into()))
        .responses(Some(responses))
}

async fn resolve<'a, G: Storage>(storage: &G, fetch: &'a FetchTopic) -> Result<Asked<'a>> {
    if fetch.topic.is_none() && fetch.topic_id.is_none() {
        return Ok(Asked::Unknown(fetch));
    }
    let metadata = storage.metadata(Some(&[TopicId::from(fetch)])).await?;
    Ok(match metadata.topics().first() {
        Some(MetadataResponseTopic {
            name: Some(name),
            topic_id,
            error_code,
            ..
        }) if *error_code == i16::from(ErrorCode::None) => Asked::Known {
            fetch,
            name: name.clone(),
            topic_id: *topic_id,
        },
        _ => Asked::Unknown(fetch),
    })
}

/// Reads every asked partition once: its watermarks, then its records if it has any past the
/// fetch offset, within `max_bytes` for the whole response.
async fn read<S: Storage>(
    storage: &BrokerStorage<S>,
    asked: &[Asked<'_>],
    isolation: IsolationLevel,
    max_bytes: u32,
) -> Result<(Vec<FetchableTopicResponse>, u64)> {
    let mut budget = max_bytes;
    let mut total = 0u64;
    let mut responses = Vec::with_capacity(asked.len());
    for topic in asked {
        match topic {
            Asked::Unknown(fetch) => responses.push(unknown_topic(fetch)),
            Asked::Known {
                fetch,
                name,
                topic_id,
            } => {
                let mut partitions = Vec::new();
                for partition in fetch.partitions.as_deref().unwrap_or_default() {
                    let (data, bytes) =
                        read_partition(storage, name, partition, isolation, &mut budget).await?;
                    total += bytes;
                    partitions.push(data);
                }
                responses.push(
                    FetchableTopicResponse::default()
                        .topic(fetch.topic.clone())
                        .topic_id(*topic_id)
                        .partitions(Some(partitions)),
                );
            }
        }
    }
    Ok((responses, total))
}

async fn read_partition<S: Storage>(
    storage: &BrokerStorage<S>,
    topic: &str,
    partition: &FetchPartition,
    isolation: IsolationLevel,
    budget: &mut u32,
) -> Result<(PartitionData, u64)> {
    let topition = Topition::new(topic, partition.partition);
    let stage = storage.offset_stage(&topition).await?;
    let end = match isolation {
        IsolationLevel::ReadCommitted => stage.last_stable(),
        IsolationLevel::ReadUncommitted => stage.high_watermark(),
    };
    let mut offset = partition.fetch_offset;
    let mut allowed = (*budget).min(u32::try_from(partition.partition_max_bytes.max(0))?);
    let mut batches: Vec<Batch> = Vec::new();
    let mut bytes = 0u64;
    while offset < end && allowed > 0 {
        let fetched = storage
            .records(&topition, offset, end, allowed, isolation)
            .await?;
        let records: i64 = fetched.iter().map(|b| i64::from(b.record_count)).sum();
        if records == 0 {
            break;
        }
        let size: u64 = fetched.iter().map(|b| b.record_data.len() as u64).sum();
        let size32 = u32::try_from(size).unwrap_or(u32::MAX);
        allowed = allowed.saturating_sub(size32);
        *budget = budget.saturating_sub(size32);
        bytes += size;
        offset += records;
        batches.extend(fetched);
    }
    let data = PartitionData::default()
        .partition_index(partition.partition)
        .error_code(ErrorCode::None.into())
        .high_watermark(stage.high_watermark().max(offset))
        .last_stable_offset(Some(stage.last_stable().max(offset)))
        .log_start_offset(Some(stage.log_start()))
        .diverging_epoch(None)
        .current_leader(None)
        .snapshot_id(None)
        .aborted_transactions(Some([].into()))
        .preferred_read_replica(Some(-1))
        .records((!batches.is_empty()).then_some(Frame { batches }));
    Ok((data, bytes))
}

fn unknown_topic(fetch: &FetchTopic) -> FetchableTopicResponse {
    let partitions = fetch
        .partitions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|partition| {
            PartitionData::default()
                .partition_index(partition.partition)
                .error_code(ErrorCode::UnknownTopicOrPartition.into())
                .high_watermark(-1)
                .last_stable_offset(Some(-1))
                .log_start_offset(Some(-1))
                .diverging_epoch(None)
                .current_leader(None)
                .snapshot_id(None)
                .aborted_transactions(Some([].into()))
                .preferred_read_replica(Some(-1))
                .records(None)
        })
        .collect();
    FetchableTopicResponse::default()
        .topic(fetch.topic.clone())
        .topic_id(fetch.topic_id)
        .partitions(Some(partitions))
}
