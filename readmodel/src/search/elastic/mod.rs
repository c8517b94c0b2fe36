//! The search index on Elasticsearch, through the `elasticsearch` crate.
//!
//! Readers and the projector address an alias (`codeflix-videos` unless the URL names another);
//! the alias points at one concrete index, `<alias>-initial` at first, made from
//! `schema/elasticsearch/videos.json`. The alias is the search view's generation pointer
//! ([`ElasticPointer`]): a rebuild projects into a new index `<alias>-g<N>` while the old one keeps
//! serving, then the alias moves in one atomic `_aliases` call. The old index is kept, so moving
//! the alias back is a rollback; a failed rebuild is just an index to delete.
//!
//! Writes are bulk requests with external versioning: a video's document carries the video's
//! version and a position's document its next offset, so Elasticsearch itself refuses an older
//! write (409, counted as done: what is stored is newer). Documents are written before the
//! positions they bring the projection to, the positions' bulk with `refresh=wait_for`, so a
//! position is never searchable before the documents below it: the index has one primary shard (a
//! catalog's videos fit easily), so the refresh that shows a position shows every document written
//! before it.

use std::fmt;

use async_trait::async_trait;
use elasticsearch::auth::Credentials;
use elasticsearch::http::Url;
use elasticsearch::http::response::Response;
use elasticsearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use elasticsearch::indices::{
    IndicesCreateParts, IndicesDeleteParts, IndicesGetAliasParts, IndicesGetParts,
};
use elasticsearch::params::{Refresh, VersionType};
use elasticsearch::{
    BulkOperation, BulkOperations, BulkParts, Elasticsearch, MgetParts, SearchParts,
};
use serde_json::{Value, json};

mod query;

use super::{SearchQuery, SearchReads, SearchResults};
use crate::Position;
use crate::generations::{Generation, Lineage, Pointer, View, check_drop, check_switch, place_of};
use crate::store::{Changes, DocReads, DocStore, StoreError, backend};
use crate::views::{Doc, DocKey, DocKind};
use query::{
    bulk_failures, corrupt, position_id, search_request, search_results, video_of, video_source,
};

/// The index settings and mappings.
pub const MAPPING: &str = include_str!("../../../schema/elasticsearch/videos.json");

/// Documents per page of an export.
const EXPORT_PAGE: usize = 1000;

/// Where the index lives: `http(s)://[user:password@]host[:port][/alias]`.
#[derive(Clone, PartialEq, Eq)]
pub struct ElasticUrl {
    pub node: Url,
    pub alias: String,
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for ElasticUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ElasticUrl")
            .field("node", &self.node.as_str())
            .field("alias", &self.alias)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

/// A URL's user or password with its `%XX` escapes decoded.
fn decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

impl ElasticUrl {
    pub const DEFAULT_ALIAS: &'static str = "codeflix-videos";

    pub fn parse(text: &str) -> Result<ElasticUrl, StoreError> {
        let invalid = |why: &str| {
            let shown = codeflix_domain::redact::redact(text);
            backend(format!("invalid Elasticsearch URL {shown:?}: {why}"))
        };
        let mut url = Url::parse(text).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(invalid("it must be http(s)://host[:port][/alias]"));
        }
        let credentials = if url.username().is_empty() {
            None
        } else {
            Some((
                decoded(url.username()),
                decoded(url.password().unwrap_or_default()),
            ))
        };
        let alias = url.path().trim_matches('/').to_owned();
        let alias = if alias.is_empty() {
            Self::DEFAULT_ALIAS.to_owned()
        } else {
            alias
        };
        let valid = alias.len() <= 200
            && alias.starts_with(|c: char| c.is_ascii_lowercase())
            && alias
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            return Err(invalid(
                "the alias must be a lowercase letter then lowercase letters, digits, - or _",
            ));
        }
        url.set_path("/");
        url.set_query(None);
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Ok(ElasticUrl {
            node: url,
            alias,
            credentials,
        })
    }
}

/// The production [`DocStore`] and [`SearchReads`].
#[derive(Clone)]
pub struct ElasticSearch {
    client: Elasticsearch,
    alias: String,
    /// What reads and writes address: the alias, or the new index of a rebuild.
    target: String,
}

impl fmt::Debug for ElasticSearch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ElasticSearch")
            .field("alias", &self.alias)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// The body of a response, or the request's failure with what Elasticsearch said.
async fn body(
    response: Result<Response, elasticsearch::Error>,
    allowed: &[u16],
) -> Result<Value, StoreError> {
    let response = response.map_err(backend)?;
    let status = response.status_code().as_u16();
    let text = response.text().await.map_err(backend)?;
    if !(200..300).contains(&status) && !allowed.contains(&status) {
        return Err(backend(format!(
            "Elasticsearch answered {status}: {}",
            text.chars().take(2000).collect::<String>()
        )));
    }
    if text.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(backend)
}

impl ElasticSearch {
    fn client(url: &ElasticUrl) -> Result<Elasticsearch, StoreError> {
        let mut transport = TransportBuilder::new(SingleNodeConnectionPool::new(url.node.clone()));
        if let Some((user, password)) = &url.credentials {
            transport = transport.auth(Credentials::Basic(user.clone(), password.clone()));
        }
        Ok(Elasticsearch::new(transport.build().map_err(backend)?))
    }

    /// Opens the index behind the URL's alias, creating both if there is none yet.
    pub async fn open(url: &ElasticUrl) -> Result<ElasticSearch, StoreError> {
        let client = Self::client(url)?;
        let search = ElasticSearch {
            client,
            alias: url.alias.clone(),
            target: url.alias.clone(),
        };
        if search.aliased_indexes().await?.is_empty() {
            // A fixed name: of two processes opening a new alias at once, one creates the index
            // and the other is refused and finds the alias.
            let index = format!("{}-initial", search.alias);
            // Another process may have created it first: then the alias exists now.
            if let Err(error) = search.create_index(&index, true).await
                && search.aliased_indexes().await?.is_empty()
            {
                return Err(error);
            }
        }
        Ok(search)
    }

    /// The index `index` itself, not the alias: a generation being rebuilt, or the one a
    /// process serves until it sees the alias move ([`crate::generations`]).
    pub fn open_index(url: &ElasticUrl, index: &str) -> Result<ElasticSearch, StoreError> {
        Ok(ElasticSearch {
            client: Self::client(url)?,
            alias: url.alias.clone(),
            target: index.to_owned(),
        })
    }

    /// Creates index `name` from the mapping, carrying the alias if `aliased`.
    async fn create_index(&self, name: &str, aliased: bool) -> Result<(), StoreError> {
        let mut settings: Value = serde_json::from_str(MAPPING).map_err(backend)?;
        if aliased {
            settings["aliases"] = json!({ &self.alias: {} });
        }
        let created = self
            .client
            .indices()
            .create(IndicesCreateParts::Index(name))
            .body(settings)
            .send()
            .await;
        body(created, &[]).await.map(drop)
    }

    /// Deletes the indexes named (those already gone are no error).
    async fn delete_indexes(&self, names: &[String]) -> Result<(), StoreError> {
        if names.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let deleted = self
            .client
            .indices()
            .delete(IndicesDeleteParts::Index(&names))
            .send()
            .await;
        body(deleted, &[404]).await.map(drop)
    }

    /// Points the alias at index `index` in one atomic step, away from those it pointed at
    /// before (they are kept: a switch back is a rollback).
    async fn point_alias_at(&self, index: &str) -> Result<(), StoreError> {
        let mut actions: Vec<Value> = self
            .aliased_indexes()
            .await?
            .into_iter()
            .filter(|aliased| aliased != index)
            .map(|aliased| json!({ "remove": { "index": aliased, "alias": self.alias } }))
            .collect();
        actions.push(json!({ "add": { "index": index, "alias": self.alias } }));
        body(
            self.client
                .indices()
                .update_aliases()
                .body(json!({ "actions": actions }))
                .send()
                .await,
            &[],
        )
        .await
        .map(drop)
    }

    /// Every index named `<alias>-…`, with whether the alias points at it and when it was
    /// created (RFC 3339).
    async fn generation_indexes(&self) -> Result<Vec<(String, bool, Option<String>)>, StoreError> {
        let pattern = format!("{}-*", self.alias);
        let found = body(
            self.client
                .indices()
                .get(IndicesGetParts::Index(&[&pattern]))
                .send()
                .await,
            &[404],
        )
        .await?;
        let mut indexes: Vec<(String, bool, Option<String>)> = found
            .as_object()
            .map(|indexes| {
                indexes
                    .iter()
                    .filter(|(_, v)| v.get("settings").is_some())
                    .map(|(name, v)| {
                        let aliased = v["aliases"].get(&self.alias).is_some();
                        let created = v["settings"]["index"]["creation_date"]
                            .as_str()
                            .and_then(|ms| ms.parse::<u64>().ok())
                            .map(|ms| {
                                let at =
                                    std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
                                humantime::format_rfc3339_seconds(at).to_string()
                            });
                        (name.clone(), aliased, created)
                    })
                    .collect()
            })
            .unwrap_or_default();
        indexes.sort();
        Ok(indexes)
    }

    /// Deletes every index behind the alias and this store's own index (tests, teardown).
    pub async fn delete(self) -> Result<(), StoreError> {
        let mut indexes = self.aliased_indexes().await?;
        if self.target != self.alias {
            indexes.push(self.target.clone());
        }
        self.delete_indexes(&indexes).await
    }

    /// The concrete index a reader of the alias sees right now (what a rebuild replaces).
    pub async fn aliased_indexes(&self) -> Result<Vec<String>, StoreError> {
        // 404 (no such alias) answers `{"error": …, "status": 404}`: no index entries.
        let found = body(
            self.client
                .indices()
                .get_alias(IndicesGetAliasParts::Name(&[&self.alias]))
                .send()
                .await,
            &[404],
        )
        .await?;
        let mut names: Vec<String> = found
            .as_object()
            .map(|indexes| {
                indexes
                    .iter()
                    .filter(|(_, v)| v.get("aliases").is_some())
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        Ok(names)
    }

    /// Writes `operations`; with `visible`, returns only once a search sees them (and everything
    /// written before them: the index has one shard).
    async fn bulk(&self, operations: BulkOperations, visible: bool) -> Result<(), StoreError> {
        let answer = body(
            self.client
                .bulk(BulkParts::Index(&self.target))
                .refresh(if visible {
                    Refresh::WaitFor
                } else {
                    Refresh::False
                })
                .body(vec![operations])
                .send()
                .await,
            &[],
        )
        .await?;
        bulk_failures(&answer)
    }

    async fn search_body(&self, request: Value) -> Result<Value, StoreError> {
        body(
            self.client
                .search(SearchParts::Index(&[&self.target]))
                .body(request)
                .send()
                .await,
            &[],
        )
        .await
    }
}

#[async_trait]
impl DocReads for ElasticSearch {
    async fn load(&self, keys: &[DocKey]) -> Result<Vec<Doc>, StoreError> {
        let ids: Vec<String> = keys
            .iter()
            .filter(|k| k.kind == DocKind::Video)
            .map(|k| k.id.to_string())
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let answer = body(
            self.client
                .mget(MgetParts::Index(&self.target))
                .body(json!({ "ids": ids }))
                .send()
                .await,
            &[],
        )
        .await?;
        let mut docs = Vec::new();
        for found in answer["docs"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            if found["found"] == Value::Bool(true) {
                docs.push(Doc::Video(video_of(found)?));
            }
        }
        Ok(docs)
    }

    async fn positions(&self) -> Result<Vec<Position>, StoreError> {
        let answer = self
            .search_body(json!({
                "size": 10_000,
                "query": { "term": { "type": "position" } },
            }))
            .await?;
        let mut positions = Vec::new();
        for hit in answer["hits"]["hits"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            let source = &hit["_source"];
            positions.push(Position {
                topic: source["topic"]
                    .as_str()
                    .ok_or_else(|| corrupt("a position's topic"))?
                    .to_owned(),
                partition: source["partition"]
                    .as_i64()
                    .and_then(|p| i32::try_from(p).ok())
                    .ok_or_else(|| corrupt("a position's partition"))?,
                offset: source["next_offset"]
                    .as_i64()
                    .ok_or_else(|| corrupt("a position's offset"))?,
            });
        }
        positions.sort();
        Ok(positions)
    }

    async fn export(&self) -> Result<Vec<Doc>, StoreError> {
        let mut docs = Vec::new();
        let mut after: Option<Value> = None;
        loop {
            let mut request = json!({
                "size": EXPORT_PAGE,
                "query": { "term": { "type": "video" } },
                "sort": [{ "id": "asc" }],
                "_source": ["doc"],
            });
            if let Some(after) = after.take() {
                request["search_after"] = after;
            }
            let answer = self.search_body(request).await?;
            let hits = answer["hits"]["hits"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for hit in &hits {
                docs.push(Doc::Video(video_of(hit)?));
            }
            match hits.last() {
                Some(last) if hits.len() == EXPORT_PAGE => after = Some(last["sort"].clone()),
                _ => break,
            }
        }
        docs.sort_by_key(Doc::key);
        Ok(docs)
    }
}

#[async_trait]
impl DocStore for ElasticSearch {
    async fn commit(&self, changes: Changes) -> Result<(), StoreError> {
        let mut videos = BulkOperations::new();
        let mut any = false;
        for doc in &changes.docs {
            let Doc::Video(video) = doc else { continue };
            let version = i64::try_from(video.version).map_err(backend)?;
            videos
                .push(
                    BulkOperation::index(video_source(video))
                        .id(video.id.to_string())
                        .version(version)
                        .version_type(VersionType::External),
                )
                .map_err(backend)?;
            any = true;
        }
        if any {
            // The positions' refresh below makes these visible too.
            self.bulk(videos, changes.positions.is_empty()).await?;
        }
        if !changes.positions.is_empty() {
            let mut positions = BulkOperations::new();
            for position in &changes.positions {
                positions
                    .push(
                        BulkOperation::index(json!({
                            "type": "position",
                            "topic": position.topic,
                            "partition": position.partition,
                            "next_offset": position.offset,
                        }))
                        .id(position_id(position))
                        .version(position.offset)
                        .version_type(VersionType::External),
                    )
                    .map_err(backend)?;
            }
            self.bulk(positions, true).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl SearchReads for ElasticSearch {
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, StoreError> {
        search_results(&self.search_body(search_request(query)).await?)
    }
}

/// Elasticsearch's [`Pointer`]: the search view's generations are the indexes named
/// `<alias>-…` (`<alias>-g<N>` is generation N; an index of another name, such as
/// `<alias>-initial`, is generation 1), and the one the alias points at serves.
#[derive(Debug, Clone)]
pub struct ElasticPointer {
    search: ElasticSearch,
}

impl ElasticPointer {
    /// The pointer of the alias `url` names, creating the alias and its first index if there
    /// are none yet.
    pub async fn open(url: &ElasticUrl) -> Result<ElasticPointer, StoreError> {
        Ok(ElasticPointer {
            search: ElasticSearch::open(url).await?,
        })
    }

    /// Deletes index `index` (a generation no longer kept).
    pub async fn delete_index(&self, index: &str) -> Result<(), StoreError> {
        self.search.delete_indexes(&[index.to_owned()]).await
    }

    fn number(&self, index: &str) -> u32 {
        index
            .strip_prefix(&format!("{}-g", self.search.alias))
            .and_then(|n| n.parse().ok())
            .filter(|&n| n > 1)
            .unwrap_or(1)
    }
}

#[async_trait]
impl Pointer for ElasticPointer {
    async fn lineage(&self) -> Result<Lineage, StoreError> {
        let indexes = self.search.generation_indexes().await?;
        let Some((serving, _, _)) = indexes.iter().find(|(_, aliased, _)| *aliased) else {
            return Ok(Lineage::first(format!("{}-initial", self.search.alias)));
        };
        let current = self.number(serving);
        let mut generations: Vec<Generation> = Vec::new();
        for (index, aliased, created_at) in &indexes {
            let number = self.number(index);
            // Of two indexes that would both be generation 1, the serving one is.
            if generations.iter().any(|g| g.number == number) && !aliased {
                continue;
            }
            generations.retain(|g| g.number != number);
            generations.push(Generation {
                number,
                place: index.clone(),
                created_at: created_at.clone(),
            });
        }
        generations.sort_by_key(|g| g.number);
        Ok(Lineage {
            current,
            generations,
        })
    }

    async fn add(&self) -> Result<Generation, StoreError> {
        let number = self.lineage().await?.next_number();
        let place = place_of(&self.search.alias, number, '-');
        self.search.create_index(&place, false).await?;
        Ok(Generation {
            number,
            place,
            created_at: Some(crate::generations::now()),
        })
    }

    async fn switch(&self, number: u32) -> Result<(), StoreError> {
        let lineage = self.lineage().await?;
        check_switch(View::Search, &lineage, number).map_err(backend)?;
        let index = &lineage.get(number).expect("checked").place;
        self.search.point_alias_at(index).await
    }

    async fn forget(&self, number: u32) -> Result<(), StoreError> {
        let lineage = self.lineage().await?;
        check_drop(View::Search, &lineage, number).map_err(backend)?;
        // The index is the record: forgetting it is deleting it.
        let index = &lineage.get(number).expect("checked").place;
        self.delete_index(index).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_node_the_alias_and_credentials() {
        let url = ElasticUrl::parse("https://elastic:p%40ss@es.internal:9243/videos-v").unwrap();
        assert_eq!(url.node.as_str(), "https://es.internal:9243/");
        assert_eq!(url.alias, "videos-v");
        assert_eq!(url.credentials, Some(("elastic".into(), "p@ss".into())));
        assert!(!format!("{url:?}").contains("p@ss"));
        let plain = ElasticUrl::parse("http://127.0.0.1:9200").unwrap();
        assert_eq!(plain.alias, ElasticUrl::DEFAULT_ALIAS);
        assert_eq!(plain.credentials, None);
        for bad in ["es:9200", "ftp://es/x", "http://es/Upper", "http://es/a/b"] {
            assert!(ElasticUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_urls_are_named_without_their_password() {
        for bad in [
            "http://elastic:hunter2@es/Upper",
            "https://elastic:hunter2@es/a/b",
        ] {
            // The whole chain, as a log line shows it.
            let error = ElasticUrl::parse(bad).unwrap_err();
            let mut shown = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                shown.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            assert!(shown.contains("elastic:<redacted>@es"), "{shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }
}
