//! Every statement the ScyllaDB command store runs, prepared once when it opens.

use scylla::client::session::Session;
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::{Consistency, SerialConsistency};

use super::{EVENT_ROW, KIND_COMMAND, KIND_EVENT, backend};
use crate::store::StoreError;

/// The prepared statements, by what they do.
pub(super) struct Statements {
    pub(super) claim: PreparedStatement,
    pub(super) claimed: PreparedStatement,
    pub(super) write_seq: PreparedStatement,
    pub(super) read_seq: PreparedStatement,
    pub(super) delete_seq: PreparedStatement,
    pub(super) write_outbox: PreparedStatement,
    pub(super) read_outbox: PreparedStatement,
    pub(super) count_outbox: PreparedStatement,
    pub(super) delete_outbox: PreparedStatement,
    /// `IF current_version = ?` (base > 0) and `IF current_version = null` (base 0).
    pub(super) gate: PreparedStatement,
    pub(super) gate_new: PreparedStatement,
    pub(super) insert_event: PreparedStatement,
    pub(super) insert_command: PreparedStatement,
    pub(super) read_command: PreparedStatement,
    /// The same, with serial consistency: settles a gate that may be in flight.
    pub(super) read_command_serial: PreparedStatement,
    pub(super) read_version: PreparedStatement,
    pub(super) read_version_serial: PreparedStatement,
    pub(super) read_events: PreparedStatement,
    pub(super) read_event_serial: PreparedStatement,
    /// The aggregate's events newest first (the unpublished ones are the newest).
    pub(super) read_tail: PreparedStatement,
    pub(super) mark_event: PreparedStatement,
    pub(super) write_published: PreparedStatement,
    pub(super) last_published: PreparedStatement,
    pub(super) read_publication: PreparedStatement,
    pub(super) sequencer: PreparedStatement,
    pub(super) sequencer_start: PreparedStatement,
    pub(super) sequencer_take: PreparedStatement,
    pub(super) lease: PreparedStatement,
    pub(super) lease_insert: PreparedStatement,
    pub(super) lease_take: PreparedStatement,
    pub(super) lease_renew: PreparedStatement,
    pub(super) lease_release: PreparedStatement,
}

impl Statements {
    /// Prepares every statement on `session` for keyspace `ks`.
    pub(super) async fn prepare(session: &Session, ks: &str) -> Result<Statements, StoreError> {
        let prepare = |cql: String, serial: bool| async move {
            let mut statement = session.prepare(cql).await.map_err(backend)?;
            if serial {
                statement.set_consistency(Consistency::Serial);
            }
            statement.set_serial_consistency(Some(SerialConsistency::Serial));
            Ok::<_, StoreError>(statement)
        };
        let agg = format!("{ks}.aggregates");
        let partition = "aggregate_type = ? AND aggregate_id = ?";
        let command_row =
            format!("{partition} AND kind = {KIND_COMMAND} AND version = 0 AND command_id = ?");
        let event_row = format!(
            "{partition} AND kind = {KIND_EVENT} AND version = ? AND command_id = {EVENT_ROW}"
        );
        Ok(Statements {
            claim: prepare(
                format!("INSERT INTO {ks}.command_ids (command_id, aggregate_type, aggregate_id) VALUES (?, ?, ?)"),
                false,
            )
            .await?,
            claimed: prepare(
                format!("SELECT aggregate_type, aggregate_id FROM {ks}.command_ids WHERE command_id = ?"),
                false,
            )
            .await?,
            write_seq: prepare(
                format!(
                    "INSERT INTO {ks}.seqs (seq, aggregate_type, aggregate_id, version, event_id, topic, partition, written_at_ms) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                false,
            )
            .await?,
            read_seq: prepare(
                format!(
                    "SELECT aggregate_type, aggregate_id, version, event_id, topic, partition, written_at_ms \
                     FROM {ks}.seqs WHERE seq = ?"
                ),
                false,
            )
            .await?,
            delete_seq: prepare(format!("DELETE FROM {ks}.seqs WHERE seq = ?"), false).await?,
            write_outbox: prepare(
                format!("INSERT INTO {ks}.outbox (bucket, seq) VALUES (?, ?)"),
                false,
            )
            .await?,
            read_outbox: prepare(
                format!("SELECT seq FROM {ks}.outbox WHERE bucket = ? LIMIT ?"),
                false,
            )
            .await?,
            count_outbox: prepare(
                format!("SELECT COUNT(*) FROM {ks}.outbox WHERE bucket = ?"),
                false,
            )
            .await?,
            delete_outbox: prepare(
                format!("DELETE FROM {ks}.outbox WHERE bucket = ? AND seq = ?"),
                false,
            )
            .await?,
            gate: prepare(
                format!("UPDATE {agg} SET current_version = ? WHERE {partition} IF current_version = ?"),
                false,
            )
            .await?,
            gate_new: prepare(
                format!("UPDATE {agg} SET current_version = ? WHERE {partition} IF current_version = null"),
                false,
            )
            .await?,
            insert_event: prepare(
                format!(
                    "INSERT INTO {agg} (aggregate_type, aggregate_id, kind, version, command_id, seq, event_id, topic, \
                     partition, key, value, headers) VALUES (?, ?, {KIND_EVENT}, ?, {EVENT_ROW}, ?, ?, ?, ?, ?, ?, ?)"
                ),
                false,
            )
            .await?,
            insert_command: prepare(
                format!(
                    "INSERT INTO {agg} (aggregate_type, aggregate_id, kind, version, command_id, base_version, \
                     new_version, seqs, request_digest) VALUES (?, ?, {KIND_COMMAND}, 0, ?, ?, ?, ?, ?) IF NOT EXISTS"
                ),
                false,
            )
            .await?,
            read_command: prepare(
                format!("SELECT base_version, new_version, seqs, request_digest FROM {agg} WHERE {command_row}"),
                false,
            )
            .await?,
            read_command_serial: prepare(
                format!("SELECT base_version, new_version, seqs, request_digest FROM {agg} WHERE {command_row}"),
                true,
            )
            .await?,
            read_version: prepare(
                format!("SELECT current_version FROM {agg} WHERE {partition} LIMIT 1"),
                false,
            )
            .await?,
            read_version_serial: prepare(
                format!("SELECT current_version FROM {agg} WHERE {partition} LIMIT 1"),
                true,
            )
            .await?,
            read_events: prepare(
                format!(
                    "SELECT version, value FROM {agg} WHERE {partition} AND kind = {KIND_EVENT} AND version > ?"
                ),
                false,
            )
            .await?,
            read_event_serial: prepare(
                format!("SELECT event_id FROM {agg} WHERE {event_row}"),
                true,
            )
            .await?,
            read_tail: prepare(
                format!(
                    "SELECT version, seq, event_id, topic, partition, key, value, headers, published_offset \
                     FROM {agg} WHERE {partition} AND kind = {KIND_EVENT} ORDER BY kind DESC, version DESC"
                ),
                false,
            )
            .await?,
            mark_event: prepare(
                format!("UPDATE {agg} SET published_offset = ? WHERE {event_row}"),
                false,
            )
            .await?,
            write_published: prepare(
                format!("INSERT INTO {ks}.published (topic, partition, offset, seq) VALUES (?, ?, ?, ?)"),
                false,
            )
            .await?,
            last_published: prepare(
                format!("SELECT seq, offset FROM {ks}.published WHERE topic = ? AND partition = ? LIMIT 1"),
                false,
            )
            .await?,
            read_publication: prepare(
                format!("SELECT event_id, published_offset FROM {agg} WHERE {event_row}"),
                false,
            )
            .await?,
            sequencer: prepare(
                format!("SELECT next FROM {ks}.sequencer WHERE name = 'outbox'"),
                true,
            )
            .await?,
            sequencer_start: prepare(
                format!("INSERT INTO {ks}.sequencer (name, next) VALUES ('outbox', ?) IF NOT EXISTS"),
                false,
            )
            .await?,
            sequencer_take: prepare(
                format!("UPDATE {ks}.sequencer SET next = ? WHERE name = 'outbox' IF next = ?"),
                false,
            )
            .await?,
            lease: prepare(
                format!("SELECT holder, expires_at_ms FROM {ks}.relay_lease WHERE id = 1"),
                true,
            )
            .await?,
            lease_insert: prepare(
                format!("INSERT INTO {ks}.relay_lease (id, holder, expires_at_ms) VALUES (1, ?, ?) IF NOT EXISTS"),
                false,
            )
            .await?,
            lease_take: prepare(
                format!(
                    "UPDATE {ks}.relay_lease SET holder = ?, expires_at_ms = ? WHERE id = 1 \
                     IF holder = ? AND expires_at_ms = ?"
                ),
                false,
            )
            .await?,
            lease_renew: prepare(
                format!(
                    "UPDATE {ks}.relay_lease SET expires_at_ms = ? WHERE id = 1 \
                     IF holder = ? AND expires_at_ms >= ?"
                ),
                false,
            )
            .await?,
            lease_release: prepare(
                format!("DELETE FROM {ks}.relay_lease WHERE id = 1 IF holder = ?"),
                false,
            )
            .await?,
        })
    }
}
