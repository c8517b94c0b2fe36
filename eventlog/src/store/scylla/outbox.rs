//! The outbox on ScyllaDB: sequence numbers taken in blocks, the intents written before the
//! gate, and what the relay reads back.

use super::*;

/// An outbox entry: which event a sequence number stands for.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) seq: i64,
    pub(super) aggregate_type: String,
    pub(super) aggregate_id: String,
    pub(super) version: i64,
    pub(super) event_id: Uuid,
    pub(super) topic: String,
    pub(super) partition: i32,
    pub(super) written_at_ms: i64,
}

pub(super) type EntryRow = (String, String, i64, Uuid, String, i32, i64);

impl Entry {
    pub(super) fn from_row(seq: i64, row: EntryRow) -> Entry {
        let (aggregate_type, aggregate_id, version, event_id, topic, partition, written_at_ms) =
            row;
        Entry {
            seq,
            aggregate_type,
            aggregate_id,
            version,
            event_id,
            topic,
            partition,
            written_at_ms,
        }
    }
}

/// An event row as the relay needs it.
pub(super) type TailRow = (
    i64,
    i64,
    Uuid,
    String,
    i32,
    Vec<u8>,
    Vec<u8>,
    Option<Vec<(String, String)>>,
    Option<i64>,
);

impl ScyllaStore {
    /// `count` fresh sequence numbers, ascending.
    pub(super) async fn take_seqs(&self, count: usize) -> Result<Vec<i64>, StoreError> {
        let count = count as i64;
        let mut block = self.block.lock().await;
        if block.end - block.start < count {
            *block = self.take_block(count.max(SEQ_BLOCK)).await?;
        }
        let seqs = (block.start..block.start + count).collect();
        block.start += count;
        Ok(seqs)
    }

    /// Reserves `size` sequence numbers for this process.
    pub(super) async fn take_block(&self, size: i64) -> Result<Range<i64>, StoreError> {
        loop {
            let current = self
                .first_row::<(i64,)>(&self.statements.sequencer, ())
                .await?;
            let (start, taken) = match current {
                None => {
                    let result = self
                        .session
                        .execute_unpaged(&self.statements.sequencer_start, (1 + size,))
                        .await
                        .map_err(backend)?;
                    (1, applied(result)?)
                }
                Some((next,)) => {
                    let result = self
                        .session
                        .execute_unpaged(&self.statements.sequencer_take, (next + size, next))
                        .await
                        .map_err(backend)?;
                    (next, applied(result)?)
                }
            };
            if taken {
                return Ok(start..start + size);
            }
        }
    }

    pub(super) async fn entry(&self, seq: i64) -> Result<Option<Entry>, StoreError> {
        let row = self
            .first_row::<EntryRow>(&self.statements.read_seq, (seq,))
            .await?;
        Ok(row.map(|row| Entry::from_row(seq, row)))
    }

    /// Writes the outbox intents of an append (before its gate): the entries first, then the
    /// index rows the relay scans, so an index row always has its entry.
    pub(super) async fn write_intents(
        &self,
        append: &NewEvents,
        seqs: &[i64],
        written_at_ms: i64,
    ) -> Result<(), StoreError> {
        let entries: Vec<_> = append
            .events
            .iter()
            .zip(seqs)
            .map(|(event, &seq)| {
                self.session.execute_unpaged(
                    &self.statements.write_seq,
                    (
                        seq,
                        append.aggregate_type.as_str(),
                        append.aggregate_id.as_str(),
                        int(event.version),
                        event.event_id,
                        event.topic.as_str(),
                        event.partition,
                        written_at_ms,
                    ),
                )
            })
            .collect();
        futures::future::try_join_all(entries)
            .await
            .map_err(backend)?;
        let index: Vec<_> = seqs
            .iter()
            .map(|&seq| {
                self.session
                    .execute_unpaged(&self.statements.write_outbox, (bucket(seq), seq))
            })
            .collect();
        futures::future::try_join_all(index)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Removes outbox intents (their gate refused them, or their event is published): the index
    /// rows, then (`with_entries`) the entries.
    pub(super) async fn drop_intents(
        &self,
        seqs: &[i64],
        with_entries: bool,
    ) -> Result<(), StoreError> {
        let index: Vec<_> = seqs
            .iter()
            .map(|&seq| {
                self.session
                    .execute_unpaged(&self.statements.delete_outbox, (bucket(seq), seq))
            })
            .collect();
        futures::future::try_join_all(index)
            .await
            .map_err(backend)?;
        if with_entries {
            let entries: Vec<_> = seqs
                .iter()
                .map(|&seq| {
                    self.session
                        .execute_unpaged(&self.statements.delete_seq, (seq,))
                })
                .collect();
            futures::future::try_join_all(entries)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    /// An aggregate's events that are not published yet, in version order.
    pub(super) async fn waiting_events(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Vec<TailRow>, StoreError> {
        let mut rows = self
            .session
            .execute_iter(
                self.statements.read_tail.clone(),
                (aggregate_type, aggregate_id),
            )
            .await
            .map_err(backend)?
            .rows_stream::<TailRow>()
            .map_err(backend)?;
        let mut waiting = Vec::new();
        while let Some(row) = rows.try_next().await.map_err(backend)? {
            // The relay publishes each aggregate in version order: below a published event
            // everything is published.
            if row.8.is_some() {
                break;
            }
            waiting.push(row);
        }
        waiting.reverse();
        Ok(waiting)
    }

    /// Whether the event an intent stands for is committed (a serial read, which also settles a
    /// gate still in flight).
    pub(super) async fn committed(&self, entry: &Entry) -> Result<bool, StoreError> {
        let row = self
            .first_row::<(Option<Uuid>,)>(
                &self.statements.read_event_serial,
                (
                    entry.aggregate_type.as_str(),
                    entry.aggregate_id.as_str(),
                    entry.version,
                ),
            )
            .await?;
        Ok(row.and_then(|(id,)| id) == Some(entry.event_id))
    }

    pub(super) async fn read_outbox(&self, limit: usize) -> Result<Vec<i64>, StoreError> {
        let per_bucket = i32::try_from(limit).unwrap_or(i32::MAX).max(1);
        let reads = (0..BUCKETS).map(|b| async move {
            let result = self
                .session
                .execute_unpaged(&self.statements.read_outbox, (b, per_bucket))
                .await
                .map_err(backend)?
                .into_rows_result()
                .map_err(backend)?;
            result
                .rows::<(i64,)>()
                .map_err(backend)?
                .map(|row| row.map(|(seq,)| seq).map_err(backend))
                .collect::<Result<Vec<_>, _>>()
        });
        let mut seqs: Vec<i64> = futures::future::try_join_all(reads)
            .await?
            .into_iter()
            .flatten()
            .collect();
        seqs.sort_unstable();
        seqs.truncate(limit);
        Ok(seqs)
    }
}
