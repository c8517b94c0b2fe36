//! The gate: one conditional batch on the aggregate's partition, and the reads that settle
//! whether a command was applied.

use super::*;

impl ScyllaStore {
    pub(super) async fn claimed(
        &self,
        command_id: Uuid,
    ) -> Result<Option<(String, String)>, StoreError> {
        self.first_row::<(String, String)>(&self.statements.claimed, (command_id,))
            .await
    }

    pub(super) async fn command_row(
        &self,
        command_id: Uuid,
        aggregate_type: &str,
        aggregate_id: &str,
        serial: bool,
    ) -> Result<Option<CommandRecord>, StoreError> {
        let statement = if serial {
            &self.statements.read_command_serial
        } else {
            &self.statements.read_command
        };
        let row = self
            .first_row::<(i64, i64, Option<Vec<i64>>, Option<String>)>(
                statement,
                (aggregate_type, aggregate_id, command_id),
            )
            .await?;
        let Some((base, new_version, seqs, request_digest)) = row else {
            return Ok(None);
        };
        Ok(Some(CommandRecord {
            command_id,
            aggregate_type: aggregate_type
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
            aggregate_id: aggregate_id.to_owned(),
            base: version(base)?,
            new_version: version(new_version)?,
            seqs: seqs.unwrap_or_default(),
            request_digest,
        }))
    }

    pub(super) async fn current_version(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        serial: bool,
    ) -> Result<Version, StoreError> {
        let statement = if serial {
            &self.statements.read_version_serial
        } else {
            &self.statements.read_version
        };
        let row = self
            .first_row::<(Option<i64>,)>(statement, (aggregate_type, aggregate_id))
            .await?;
        version(row.and_then(|(v,)| v).unwrap_or(0))
    }

    /// The conditional batch: the gate, the command's row and the events, on one partition.
    pub(super) async fn gate(&self, append: &NewEvents, seqs: &[i64]) -> Result<bool, StoreError> {
        let kind = append.aggregate_type.as_str();
        let id = append.aggregate_id.as_str();
        let new_version = append.base.get() + append.events.len() as u64;
        let mut batch = Batch::new(BatchType::Logged);
        batch.set_serial_consistency(Some(SerialConsistency::Serial));
        batch.set_request_timeout(Some(GATE_TIMEOUT));
        let mut values: Vec<Vec<Option<CqlValue>>> = Vec::new();
        let text = |s: &str| Some(CqlValue::Text(s.to_owned()));
        let big = |n: i64| Some(CqlValue::BigInt(n));
        if append.base == Version::INITIAL {
            batch.append_statement(self.statements.gate_new.clone());
            // A command that changes nothing leaves a new aggregate without a version.
            let set = (new_version > 0).then_some(CqlValue::BigInt(new_version as i64));
            values.push(vec![set, text(kind), text(id)]);
        } else {
            batch.append_statement(self.statements.gate.clone());
            values.push(vec![
                big(new_version as i64),
                text(kind),
                text(id),
                big(int(append.base)),
            ]);
        }
        batch.append_statement(self.statements.insert_command.clone());
        values.push(vec![
            text(kind),
            text(id),
            Some(CqlValue::Uuid(append.command_id)),
            big(int(append.base)),
            big(new_version as i64),
            Some(CqlValue::List(
                seqs.iter().map(|&s| CqlValue::BigInt(s)).collect(),
            )),
            append.request_digest.as_deref().and_then(text),
        ]);
        for (event, &seq) in append.events.iter().zip(seqs) {
            batch.append_statement(self.statements.insert_event.clone());
            values.push(vec![
                text(kind),
                text(id),
                big(int(event.version)),
                big(seq),
                Some(CqlValue::Uuid(event.event_id)),
                text(&event.topic),
                Some(CqlValue::Int(event.partition)),
                Some(CqlValue::Blob(event.key.clone())),
                Some(CqlValue::Blob(event.value.clone())),
                Some(CqlValue::List(
                    event
                        .headers
                        .iter()
                        .map(|(name, value)| {
                            CqlValue::Tuple(vec![
                                Some(CqlValue::Text(name.clone())),
                                Some(CqlValue::Text(value.clone())),
                            ])
                        })
                        .collect(),
                )),
            ]);
        }
        let result = self.session.batch(&batch, values).await.map_err(backend)?;
        applied(result)
    }
}
