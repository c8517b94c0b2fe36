//! The catalog store on ScyllaDB (or Cassandra), through the `scylla` driver.
//!
//! The schema is `schema/scylla/catalog.cql`, applied when the store opens. Documents are kept
//! whole as JSON in `docs`; every list a query can ask for is its own partition of `doc_lists`,
//! clustered in list order (query-first: a page is one slice of one partition). All statements are
//! prepared once.
//!
//! ScyllaDB has no multi-partition transaction, so a commit is made idempotent by version instead
//! of atomic: every write carries `USING TIMESTAMP <version>` (positions: `<next offset>`), so an
//! older write can never shadow a newer one, and a document is only rewritten when the stored
//! version is lower. A document's row and its list rows go in one logged batch (all or nothing);
//! positions are written after the documents, so a crash in between re-applies events the store
//! already holds, which changes nothing. Should two writers race on one document (a rebalance), a
//! list may keep a row of the version that lost: reads check every row against the document it
//! names, so such a row is never shown.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt, stream};
use scylla::client::session::Session;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlValue;

use super::{
    Audience, CatalogReads, Changes, Cursor, DocReads, DocStore, Link, ListQuery, Page, SortKey,
    StoreError, backend, links, listed_by_link, narrowest_link,
};
use crate::Position;
use crate::generations::{Generation, Lineage, Pointer, View, check_drop, check_switch, place_of};
use crate::views::{Doc, DocKey, DocKind};

/// The CQL schema, with `$keyspace` and `$replication` to fill in.
pub const SCHEMA: &str = include_str!("../../schema/scylla/catalog.cql");

/// How many documents are read or written at once.
const IN_FLIGHT: usize = 16;

pub use codeflix_scylla::ScyllaUrl;

/// One row of `doc_lists`: which list, and where in it.
type ListRow = (String, String);

fn audience_name(audience: Audience) -> &'static str {
    match audience {
        Audience::Viewers => "viewers",
        Audience::Admins => "admins",
    }
}

fn sort_name(sort: SortKey) -> &'static str {
    match sort {
        SortKey::Name => "name",
        SortKey::LaunchYear => "launch_year",
        SortKey::CreatedAt => "created_at",
        SortKey::Due => "due",
    }
}

/// The partition of `doc_lists` holding a list.
fn list_name(kind: DocKind, audience: Audience, sort: SortKey, link: Option<&Link>) -> String {
    let mut name = format!(
        "{}/{}/{}",
        kind.as_str(),
        audience_name(audience),
        sort_name(sort)
    );
    if let Some(link) = link {
        name.push_str(&format!("/{}={}", link.field, link.value));
    }
    name
}

/// Every list `doc` belongs in, with its sort value there.
fn list_rows(doc: &Doc) -> BTreeSet<ListRow> {
    let key = doc.key();
    let mut audiences = Vec::new();
    if doc.visible() {
        audiences.push(Audience::Viewers);
    }
    if !doc.deleted() {
        audiences.push(Audience::Admins);
    }
    let mut filters = vec![None];
    if listed_by_link(key.kind) {
        filters.extend(links(doc).into_iter().map(Some));
    }
    let mut rows = BTreeSet::new();
    for &audience in &audiences {
        for &sort in SortKey::of(key.kind) {
            for link in &filters {
                rows.insert((
                    list_name(key.kind, audience, sort, link.as_ref()),
                    sort.value(doc),
                ));
            }
        }
    }
    rows
}

/// The list a query reads: the narrowest one its filters name (the rest are checked per row).
fn list_for(query: &ListQuery) -> String {
    // A sort the kind has no list for reads the default one (as other stores sort by name).
    let sort = if SortKey::of(query.kind).contains(&query.sort) {
        query.sort
    } else {
        SortKey::Name
    };
    list_name(
        query.kind,
        query.audience,
        sort,
        narrowest_link(query).as_ref(),
    )
}

struct Statements {
    load: PreparedStatement,
    write_doc: PreparedStatement,
    add_row: PreparedStatement,
    remove_row: PreparedStatement,
    write_position: PreparedStatement,
    positions: PreparedStatement,
    export: PreparedStatement,
    /// List slices: [ascending, descending] × [from the start, after a cursor].
    slices: [[PreparedStatement; 2]; 2],
}

/// The production [`DocStore`] and [`CatalogReads`].
#[derive(Clone)]
pub struct ScyllaCatalog {
    session: Arc<Session>,
    statements: Arc<Statements>,
    keyspace: String,
}

impl fmt::Debug for ScyllaCatalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScyllaCatalog")
            .field("keyspace", &self.keyspace)
            .finish_non_exhaustive()
    }
}

impl ScyllaCatalog {
    /// The keyspace of the catalog bounded context when the URL names none.
    pub const DEFAULT_KEYSPACE: &'static str = "codeflix_catalog";

    /// Parses a catalog store URL (keyspace [`ScyllaCatalog::DEFAULT_KEYSPACE`] when it names
    /// none).
    pub fn url(text: &str) -> Result<ScyllaUrl, StoreError> {
        ScyllaUrl::parse(text, Self::DEFAULT_KEYSPACE).map_err(backend)
    }

    /// Connects, creates the keyspace and tables if they are missing, and prepares every
    /// statement.
    pub async fn open(url: &ScyllaUrl) -> Result<ScyllaCatalog, StoreError> {
        let session = url.open(SCHEMA).await.map_err(backend)?;
        let ks = &url.keyspace;
        let prepare = |cql: String| {
            let session = &session;
            async move { session.prepare(cql).await.map_err(backend) }
        };
        let slice = |order: &str, compare: Option<&str>| {
            let after = compare
                .map(|c| format!(" AND (sort_value, id) {c} (?, ?)"))
                .unwrap_or_default();
            format!(
                "SELECT sort_value, id FROM {ks}.doc_lists WHERE list = ?{after} \
                 ORDER BY sort_value {order}, id {order} LIMIT ?"
            )
        };
        let statements = Statements {
            load: prepare(format!(
                "SELECT body FROM {ks}.docs WHERE kind = ? AND id = ?"
            ))
            .await?,
            write_doc: prepare(format!(
                "INSERT INTO {ks}.docs (kind, id, version, body) VALUES (?, ?, ?, ?) \
                 USING TIMESTAMP ?"
            ))
            .await?,
            add_row: prepare(format!(
                "INSERT INTO {ks}.doc_lists (list, sort_value, id) VALUES (?, ?, ?) \
                 USING TIMESTAMP ?"
            ))
            .await?,
            remove_row: prepare(format!(
                "DELETE FROM {ks}.doc_lists USING TIMESTAMP ? \
                 WHERE list = ? AND sort_value = ? AND id = ?"
            ))
            .await?,
            write_position: prepare(format!(
                "UPDATE {ks}.positions USING TIMESTAMP ? SET next_offset = ? \
                 WHERE topic = ? AND partition = ?"
            ))
            .await?,
            positions: prepare(format!(
                "SELECT topic, partition, next_offset FROM {ks}.positions"
            ))
            .await?,
            export: prepare(format!("SELECT body FROM {ks}.docs")).await?,
            slices: [
                [
                    prepare(slice("ASC", None)).await?,
                    prepare(slice("ASC", Some(">"))).await?,
                ],
                [
                    prepare(slice("DESC", None)).await?,
                    prepare(slice("DESC", Some("<"))).await?,
                ],
            ],
        };
        Ok(ScyllaCatalog {
            session: Arc::new(session),
            statements: Arc::new(statements),
            keyspace: url.keyspace.clone(),
        })
    }

    /// Drops the keyspace and everything in it (tests, and a rebuild from scratch).
    pub async fn drop_keyspace(self) -> Result<(), StoreError> {
        codeflix_scylla::drop_keyspace(&self.session, &self.keyspace)
            .await
            .map_err(backend)
    }

    async fn load_one(&self, key: DocKey) -> Result<Option<Doc>, StoreError> {
        let result = self
            .session
            .execute_unpaged(
                &self.statements.load,
                (key.kind.as_str(), key.id.to_string()),
            )
            .await
            .map_err(backend)?
            .into_rows_result()
            .map_err(backend)?;
        let row = result.maybe_first_row::<(String,)>().map_err(backend)?;
        row.map(|(body,)| parse(&body)).transpose()
    }

    async fn load_many(&self, keys: &[DocKey]) -> Result<Vec<Option<Doc>>, StoreError> {
        let mut docs = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(IN_FLIGHT) {
            let loads: Vec<_> = chunk.iter().map(|key| self.load_one(*key)).collect();
            docs.extend(futures::future::try_join_all(loads).await?);
        }
        Ok(docs)
    }

    /// Writes `doc` unless the store holds its version or a newer one.
    async fn write(&self, doc: Doc) -> Result<(), StoreError> {
        let key = doc.key();
        let current = self.load_one(key).await?;
        if current
            .as_ref()
            .is_some_and(|c| c.version() >= doc.version())
        {
            return Ok(());
        }
        let timestamp = timestamp(doc.version())?;
        let new_rows = list_rows(&doc);
        let old_rows = current.as_ref().map(list_rows).unwrap_or_default();
        let id = key.id.to_string();
        let body = serde_json::to_string(&doc).map_err(backend)?;

        let mut batch = Batch::new(BatchType::Logged);
        let mut values: Vec<Vec<CqlValue>> = Vec::new();
        batch.append_statement(self.statements.write_doc.clone());
        values.push(vec![
            CqlValue::Text(key.kind.as_str().to_owned()),
            CqlValue::Text(id.clone()),
            CqlValue::BigInt(timestamp),
            CqlValue::Text(body),
            CqlValue::BigInt(timestamp),
        ]);
        for (list, sort_value) in old_rows.difference(&new_rows) {
            batch.append_statement(self.statements.remove_row.clone());
            values.push(vec![
                CqlValue::BigInt(timestamp),
                CqlValue::Text(list.clone()),
                CqlValue::Text(sort_value.clone()),
                CqlValue::Text(id.clone()),
            ]);
        }
        for (list, sort_value) in new_rows {
            batch.append_statement(self.statements.add_row.clone());
            values.push(vec![
                CqlValue::Text(list),
                CqlValue::Text(sort_value),
                CqlValue::Text(id.clone()),
                CqlValue::BigInt(timestamp),
            ]);
        }
        self.session.batch(&batch, values).await.map_err(backend)?;
        Ok(())
    }
}

fn timestamp(n: impl TryInto<i64>) -> Result<i64, StoreError> {
    n.try_into()
        .map_err(|_| backend("a version or offset does not fit a timestamp"))
}

fn parse(body: &str) -> Result<Doc, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The latest version of each document in `docs`.
fn latest(docs: Vec<Doc>) -> Vec<Doc> {
    let mut by_key: BTreeMap<DocKey, Doc> = BTreeMap::new();
    for doc in docs {
        match by_key.get(&doc.key()) {
            Some(kept) if kept.version() >= doc.version() => {}
            _ => {
                by_key.insert(doc.key(), doc);
            }
        }
    }
    by_key.into_values().collect()
}

#[async_trait]
impl DocReads for ScyllaCatalog {
    async fn load(&self, keys: &[DocKey]) -> Result<Vec<Doc>, StoreError> {
        Ok(self.load_many(keys).await?.into_iter().flatten().collect())
    }

    async fn positions(&self) -> Result<Vec<Position>, StoreError> {
        let mut positions: Vec<Position> = self
            .session
            .execute_iter(self.statements.positions.clone(), ())
            .await
            .map_err(backend)?
            .rows_stream::<(String, i32, i64)>()
            .map_err(backend)?
            .map_ok(|(topic, partition, next_offset)| Position {
                topic,
                partition,
                offset: next_offset,
            })
            .map_err(backend)
            .try_collect()
            .await?;
        positions.sort();
        Ok(positions)
    }

    async fn export(&self) -> Result<Vec<Doc>, StoreError> {
        let bodies: Vec<(String,)> = self
            .session
            .execute_iter(self.statements.export.clone(), ())
            .await
            .map_err(backend)?
            .rows_stream::<(String,)>()
            .map_err(backend)?
            .map_err(backend)
            .try_collect()
            .await?;
        let mut docs = bodies
            .iter()
            .map(|(body,)| parse(body))
            .collect::<Result<Vec<_>, _>>()?;
        docs.sort_by_key(Doc::key);
        Ok(docs)
    }
}

#[async_trait]
impl DocStore for ScyllaCatalog {
    async fn commit(&self, changes: Changes) -> Result<(), StoreError> {
        stream::iter(latest(changes.docs).into_iter().map(|doc| self.write(doc)))
            .buffer_unordered(IN_FLIGHT)
            .try_collect::<Vec<()>>()
            .await?;
        // Only once every document is written: a position never runs ahead of its documents.
        for position in changes.positions {
            self.session
                .execute_unpaged(
                    &self.statements.write_position,
                    (
                        timestamp(position.offset)?,
                        position.offset,
                        position.topic,
                        position.partition,
                    ),
                )
                .await
                .map_err(backend)?;
        }
        Ok(())
    }
}

#[async_trait]
impl CatalogReads for ScyllaCatalog {
    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let list = list_for(query);
        let want = query.limit + 1;
        // Rows whose document filters out (launch year, rating, a second link filter, or a row
        // left by a lost race) are skipped, so a slice may need several reads.
        let fetch = i32::try_from(want.clamp(32, 1000)).unwrap_or(1000);
        let direction = usize::from(query.descending);
        let mut after = query.after.clone();
        let mut docs: Vec<Doc> = Vec::with_capacity(want.min(1000));
        loop {
            let result = match &after {
                None => self
                    .session
                    .execute_unpaged(&self.statements.slices[direction][0], (&list, fetch))
                    .await
                    .map_err(backend)?,
                Some(cursor) => self
                    .session
                    .execute_unpaged(
                        &self.statements.slices[direction][1],
                        (&list, &cursor.value, cursor.id.to_string(), fetch),
                    )
                    .await
                    .map_err(backend)?,
            };
            let rows: Vec<(String, String)> = result
                .into_rows_result()
                .map_err(backend)?
                .rows::<(String, String)>()
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?;
            let exhausted = rows.len() < fetch as usize;
            // Documents are read a few rows at a time, so a short page reads few of them.
            let mut rest = rows.as_slice();
            while !rest.is_empty() && docs.len() < want {
                let (chunk, tail) = rest.split_at((want - docs.len()).max(8).min(rest.len()));
                rest = tail;
                let mut keys = Vec::with_capacity(chunk.len());
                for (_, id) in chunk {
                    let id = uuid::Uuid::parse_str(id)
                        .map_err(|e| StoreError::Corrupt(format!("a list row's id: {e}")))?;
                    keys.push(DocKey {
                        kind: query.kind,
                        id,
                    });
                }
                let bodies = self.load_many(&keys).await?;
                for ((sort_value, _), doc) in chunk.iter().zip(bodies) {
                    let Some(doc) = doc else { continue };
                    if query.admits(&doc) && query.sort.value(&doc) == *sort_value {
                        docs.push(doc);
                        if docs.len() == want {
                            break;
                        }
                    }
                }
            }
            match rows.last() {
                Some((value, id)) if docs.len() < want && !exhausted => {
                    after = Some(Cursor {
                        value: value.clone(),
                        id: uuid::Uuid::parse_str(id)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    });
                }
                _ => break,
            }
        }
        let next = if docs.len() > query.limit {
            docs.truncate(query.limit);
            docs.last().map(|doc| Cursor::after(query.sort, doc))
        } else {
            None
        };
        Ok(Page { docs, next })
    }
}

/// The keyspace ScyllaDB keeps every view's generations in, beside the catalog's keyspaces.
const GENERATIONS_SCHEMA: &str = "
CREATE KEYSPACE IF NOT EXISTS $keyspace
    WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': $replication};
CREATE TABLE IF NOT EXISTS $keyspace.lineages (view text PRIMARY KEY, body text);
";

/// ScyllaDB's [`Pointer`]: one row per view in `<catalog keyspace>_generations.lineages`, its
/// [`Lineage`] as JSON, changed by lightweight transactions (compare and set), so two operators'
/// commands never lose one another's change.
#[derive(Clone)]
pub struct ScyllaPointer {
    session: Arc<Session>,
    keyspace: String,
    view: View,
    /// Generation 1's keyspace.
    first: String,
}

impl fmt::Debug for ScyllaPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScyllaPointer")
            .field("keyspace", &self.keyspace)
            .field("view", &self.view)
            .finish_non_exhaustive()
    }
}

impl ScyllaPointer {
    /// `catalog` is the catalog's store URL; `first` the view's generation 1 keyspace.
    pub async fn open(
        catalog: &ScyllaUrl,
        view: View,
        first: String,
    ) -> Result<ScyllaPointer, StoreError> {
        let mut url = catalog.clone();
        url.keyspace.push_str("_generations");
        let session = url.open(GENERATIONS_SCHEMA).await.map_err(backend)?;
        Ok(ScyllaPointer {
            session: Arc::new(session),
            keyspace: url.keyspace,
            view,
            first,
        })
    }

    async fn read(&self) -> Result<(Option<String>, Lineage), StoreError> {
        let row = self
            .session
            .query_unpaged(
                format!("SELECT body FROM {}.lineages WHERE view = ?", self.keyspace),
                (self.view.name(),),
            )
            .await
            .map_err(backend)?
            .into_rows_result()
            .map_err(backend)?
            .maybe_first_row::<(String,)>()
            .map_err(backend)?;
        match row {
            None => Ok((None, Lineage::first(self.first.clone()))),
            Some((body,)) => {
                let lineage = serde_json::from_str(&body)
                    .map_err(|e| StoreError::Corrupt(format!("{} lineage: {e}", self.view)))?;
                Ok((Some(body), lineage))
            }
        }
    }

    /// Reads, changes and writes the row if nobody changed it in between; else again.
    async fn update<T>(
        &self,
        change: impl Fn(&mut Lineage) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        loop {
            let (was, mut lineage) = self.read().await?;
            let outcome = change(&mut lineage)?;
            let body = serde_json::to_string(&lineage).map_err(backend)?;
            let ks = &self.keyspace;
            let result = match &was {
                None => {
                    self.session
                        .query_unpaged(
                            format!(
                                "INSERT INTO {ks}.lineages (view, body) VALUES (?, ?) IF NOT EXISTS"
                            ),
                            (self.view.name(), body),
                        )
                        .await
                }
                Some(was) => {
                    self.session
                        .query_unpaged(
                            format!("UPDATE {ks}.lineages SET body = ? WHERE view = ? IF body = ?"),
                            (body, self.view.name(), was),
                        )
                        .await
                }
            }
            .map_err(backend)?;
            if codeflix_scylla::applied(result).map_err(backend)? {
                return Ok(outcome);
            }
        }
    }
}

#[async_trait]
impl Pointer for ScyllaPointer {
    async fn lineage(&self) -> Result<Lineage, StoreError> {
        Ok(self.read().await?.1)
    }

    async fn add(&self) -> Result<Generation, StoreError> {
        self.update(|lineage| {
            let number = lineage.next_number();
            let generation = Generation {
                number,
                place: place_of(&self.first, number, '_'),
                created_at: Some(crate::generations::now()),
            };
            lineage.generations.push(generation.clone());
            Ok(generation)
        })
        .await
    }

    async fn switch(&self, number: u32) -> Result<(), StoreError> {
        self.update(|lineage| {
            check_switch(self.view, lineage, number).map_err(backend)?;
            lineage.current = number;
            Ok(())
        })
        .await
    }

    async fn forget(&self, number: u32) -> Result<(), StoreError> {
        self.update(|lineage| {
            check_drop(self.view, lineage, number).map_err(backend)?;
            lineage.generations.retain(|g| g.number != number);
            Ok(())
        })
        .await
    }
}

/// Drops generation keyspace `keyspace` (a generation no longer kept).
pub async fn drop_generation(catalog: &ScyllaUrl, keyspace: &str) -> Result<(), StoreError> {
    let mut url = catalog.clone();
    url.keyspace = keyspace.to_owned();
    ScyllaCatalog::open(&url).await?.drop_keyspace().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::VideoFilter;
    use crate::store::conformance::catalog;

    #[test]
    fn the_schema_creates_the_keyspace_then_its_tables() {
        let url = ScyllaUrl::parse("scylla://db/ks_test?replication_factor=2", "ks").unwrap();
        let statements = url.schema(SCHEMA);
        assert_eq!(statements.len(), 4, "{statements:#?}");
        assert!(statements[0].starts_with("CREATE KEYSPACE IF NOT EXISTS ks_test"));
        assert!(statements[0].contains("'replication_factor': 2"));
        for (statement, table) in statements[1..]
            .iter()
            .zip(["docs", "doc_lists", "positions"])
        {
            assert!(
                statement.starts_with(&format!("CREATE TABLE IF NOT EXISTS ks_test.{table} (")),
                "{statement}"
            );
        }
        assert!(statements.iter().all(|s| !s.contains('$')));
    }

    /// The list rows are what the reference answer needs: every list a query reads holds
    /// exactly the documents the query admits (before the per-row checks), at their sort values.
    #[test]
    fn every_admitted_document_is_in_the_list_its_query_reads() {
        let docs = catalog(3);
        let rows: BTreeSet<(String, String, uuid::Uuid)> = docs
            .iter()
            .flat_map(|doc| {
                list_rows(doc)
                    .into_iter()
                    .map(|(list, value)| (list, value, doc.key().id))
            })
            .collect();
        let mut checked = 0;
        for kind in DocKind::ALL {
            for audience in [Audience::Viewers, Audience::Admins] {
                let id = |n| uuid::Uuid::from_u64_pair(0x00c0_ffee, n);
                let queries = [
                    (VideoFilter::default(), None),
                    (
                        VideoFilter {
                            category: Some(id(2)),
                            ..VideoFilter::default()
                        },
                        None,
                    ),
                    (
                        VideoFilter {
                            cast_member: Some(id(11)),
                            ..VideoFilter::default()
                        },
                        None,
                    ),
                    (VideoFilter::default(), Some(Link::new("plan", id(201)))),
                    (VideoFilter::default(), Some(Link::new("status", "ACTIVE"))),
                    (
                        VideoFilter::default(),
                        Some(Link::new(
                            "account",
                            crate::views::account_doc_id("account-1"),
                        )),
                    ),
                ];
                // Kinds without lists per link check links per row instead.
                let queries = queries
                    .into_iter()
                    .filter(|(_, link)| link.is_none() || listed_by_link(kind));
                for (filter, link) in queries {
                    for &sort in SortKey::of(kind) {
                        let query = ListQuery {
                            kind,
                            audience,
                            filter: filter.clone(),
                            links: link.iter().cloned().collect(),
                            sort,
                            ..ListQuery::new(kind)
                        };
                        let list = list_for(&query);
                        let in_list: BTreeSet<(String, uuid::Uuid)> = rows
                            .iter()
                            .filter(|(l, _, _)| *l == list)
                            .map(|(_, value, id)| (value.clone(), *id))
                            .collect();
                        let admitted: BTreeSet<(String, uuid::Uuid)> = docs
                            .iter()
                            .filter(|doc| query.admits(doc))
                            .map(|doc| (sort.value(doc), doc.key().id))
                            .collect();
                        assert_eq!(in_list, admitted, "{list}");
                        checked += admitted.len();
                    }
                }
            }
        }
        assert!(checked > 100, "the catalog exercised too little: {checked}");
    }

    #[test]
    fn a_commit_keeps_only_the_latest_version_of_each_document() {
        let docs = catalog(5);
        let Doc::Category(first) = docs[0].clone() else {
            unreachable!()
        };
        let newer = crate::views::CategoryView {
            name: "newer".into(),
            version: first.version + 1,
            ..first.clone()
        };
        let kept = latest(vec![
            Doc::Category(newer.clone()),
            Doc::Category(first),
            docs[1].clone(),
        ]);
        assert_eq!(kept, vec![Doc::Category(newer), docs[1].clone()]);
    }
}
