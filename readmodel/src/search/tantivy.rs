//! The embedded search index: tantivy, in a directory under the data directory.
//!
//! Each video is one tantivy document: its title and description as full text, a facet path per
//! category, genre, cast member, launch year and rating, and the whole [`VideoView`] as stored
//! JSON. The projection's positions travel in each commit's payload, so the index and its
//! positions change together. Words match exactly (BM25, titles weigh three times descriptions)
//! or within one or two typos (fuzzy, weighing less), so that exact matches rank first.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TEXT, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term,
};
use uuid::Uuid;

use super::{Facets, SearchHit, SearchQuery, SearchReads, SearchResults};
use crate::Position;
use crate::store::{Changes, DocReads, DocStore, StoreError, backend};
use crate::views::{Doc, DocKey, DocKind, VideoView};

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    description: Field,
    body: Field,
    visible: Field,
    facets: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        title: builder.add_text_field("title", TEXT | STORED),
        description: builder.add_text_field("description", TEXT | STORED),
        body: builder.add_text_field("body", STORED),
        visible: builder.add_u64_field("visible", INDEXED),
        facets: builder.add_facet_field("facets", FacetOptions::default()),
    };
    (builder.build(), fields)
}

/// The embedded [`SearchReads`].
#[derive(Clone)]
pub struct TantivySearch {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TantivySearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TantivySearch").finish_non_exhaustive()
    }
}

struct Inner {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Present in the one process that projects into the index.
    writer: Option<Mutex<Writer>>,
    /// In the writer's process, the positions of the commit its reader shows. The commit's
    /// payload is on disk before the reader reloads: read from there, positions could run ahead
    /// of what searches find, and a consistency token would be honoured too early.
    searchable: Mutex<BTreeMap<(String, i32), i64>>,
}

struct Writer {
    writer: IndexWriter,
    positions: BTreeMap<(String, i32), i64>,
}

/// A position as the index's commit payload keeps it (JSON).
#[derive(Serialize, Deserialize)]
struct Stored {
    topic: String,
    partition: i32,
    next_offset: i64,
}

fn positions_of(index: &Index) -> Result<BTreeMap<(String, i32), i64>, StoreError> {
    let payload = index.load_metas().map_err(backend)?.payload;
    let positions: Vec<Stored> = match payload {
        Some(json) => {
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?
        }
        None => Vec::new(),
    };
    Ok(positions
        .into_iter()
        .map(|p| ((p.topic, p.partition), p.next_offset))
        .collect())
}

fn facet_path(kind: &str, value: &str) -> tantivy::schema::Facet {
    tantivy::schema::Facet::from_path([kind, value])
}

impl TantivySearch {
    /// Opens (creating if needed) the index in `dir`; `writable` for the projector's process.
    /// Readers see the writer's commits within a second.
    pub async fn open(dir: &Path, writable: bool) -> Result<TantivySearch, StoreError> {
        let dir = dir.to_owned();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir).map_err(backend)?;
            let (schema, fields) = schema();
            let directory = MmapDirectory::open(&dir).map_err(backend)?;
            let index = Index::open_or_create(directory, schema).map_err(backend)?;
            let reader = index
                .reader_builder()
                .reload_policy(if writable {
                    ReloadPolicy::Manual
                } else {
                    ReloadPolicy::OnCommitWithDelay
                })
                .try_into()
                .map_err(backend)?;
            let positions = positions_of(&index)?;
            let writer = if writable {
                Some(Mutex::new(Writer {
                    writer: index
                        .writer_with_num_threads(1, 50_000_000)
                        .map_err(backend)?,
                    positions: positions.clone(),
                }))
            } else {
                None
            };
            Ok(TantivySearch {
                inner: Arc::new(Inner {
                    index,
                    reader,
                    fields,
                    writer,
                    searchable: Mutex::new(positions),
                }),
            })
        })
        .await
        .map_err(backend)?
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            if inner.writer.is_none() {
                // A reader in another process than the writer: see its latest commit.
                inner.reader.reload().map_err(backend)?;
            }
            work(&inner)
        })
        .await
        .map_err(backend)?
    }
}

impl Inner {
    fn video_at(&self, searcher: &Searcher, at: DocAddress) -> Result<VideoView, StoreError> {
        let doc: TantivyDocument = searcher.doc(at).map_err(backend)?;
        let body = doc
            .get_first(self.fields.body)
            .and_then(|v| v.as_str())
            .ok_or_else(|| StoreError::Corrupt("a search document without its body".into()))?;
        serde_json::from_str(body).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    fn find(&self, searcher: &Searcher, id: Uuid) -> Result<Option<VideoView>, StoreError> {
        let term = Term::from_field_text(self.fields.id, &id.to_string());
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let found = searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())
            .map_err(backend)?;
        found
            .first()
            .map(|&(_, at)| self.video_at(searcher, at))
            .transpose()
    }

    fn document(&self, video: &VideoView) -> Result<TantivyDocument, StoreError> {
        let f = self.fields;
        let mut doc = TantivyDocument::new();
        doc.add_text(f.id, video.id.to_string());
        doc.add_text(f.title, &video.title);
        doc.add_text(f.description, &video.description);
        doc.add_text(f.body, serde_json::to_string(video).map_err(backend)?);
        doc.add_u64(f.visible, u64::from(video.visible()));
        for (kind, ids) in [
            ("category", &video.categories),
            ("genre", &video.genres),
            ("cast", &video.cast_members),
        ] {
            for id in ids {
                doc.add_facet(f.facets, facet_path(kind, &id.to_string()));
            }
        }
        doc.add_facet(f.facets, facet_path("year", &video.launch_year.to_string()));
        doc.add_facet(f.facets, facet_path("rating", &video.rating));
        Ok(doc)
    }

    /// The words of `text` as the title field indexes them.
    fn words(&self, text: &str) -> Result<Vec<String>, StoreError> {
        let mut analyzer = self
            .index
            .tokenizer_for_field(self.fields.title)
            .map_err(backend)?;
        let mut stream = analyzer.token_stream(text);
        let mut words: Vec<String> = Vec::new();
        while stream.advance() && words.len() < super::MAX_WORDS {
            let word = &stream.token().text;
            if !words.contains(word) {
                words.push(word.clone());
            }
        }
        Ok(words)
    }

    fn query(&self, search: &SearchQuery) -> Result<Box<dyn Query>, StoreError> {
        let f = self.fields;
        let words = self.words(&search.text)?;
        let mut must: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_u64(f.visible, 1),
                IndexRecordOption::Basic,
            )),
        )];
        if !words.is_empty() {
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (n, word) in words.iter().enumerate() {
                let fuzzy =
                    n < super::MAX_FUZZY_WORDS && word.chars().count() <= super::MAX_FUZZY_CHARS;
                for (field, weight) in [(f.title, 3.0), (f.description, 1.0)] {
                    let term = Term::from_field_text(field, word);
                    any.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                            weight,
                        )),
                    ));
                    let distance = match word.chars().count() {
                        0..=3 => 0,
                        4..=7 => 1,
                        _ => 2,
                    };
                    if fuzzy && distance > 0 {
                        any.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(
                                Box::new(FuzzyTermQuery::new(term, distance, true)),
                                weight * 0.3,
                            )),
                        ));
                    }
                }
            }
            must.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        let filter = &search.filter;
        let facets = [
            filter
                .category
                .map(|id| facet_path("category", &id.to_string())),
            filter.genre.map(|id| facet_path("genre", &id.to_string())),
            filter
                .cast_member
                .map(|id| facet_path("cast", &id.to_string())),
            filter
                .launch_year
                .map(|y| facet_path("year", &y.to_string())),
            filter.rating.as_ref().map(|r| facet_path("rating", r)),
        ];
        for facet in facets.into_iter().flatten() {
            must.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_facet(f.facets, &facet),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        Ok(Box::new(BooleanQuery::new(must)))
    }
}

fn highlight(
    generator: &SnippetGenerator,
    doc: &TantivyDocument,
    text: &str,
    max: usize,
) -> String {
    let snippet = generator.snippet_from_doc(doc);
    if snippet.highlighted().is_empty() {
        super::escape(&text.chars().take(max).collect::<String>())
    } else {
        snippet.to_html()
    }
}

fn counts<T>(facets: &FacetCounts, kind: &str, parse: impl Fn(&str) -> Option<T>) -> Vec<(T, u64)> {
    let mut counts: Vec<(T, u64)> = facets
        .get(format!("/{kind}").as_str())
        .filter_map(|(facet, count)| {
            let path = facet.to_path();
            path.last()
                .and_then(|value| parse(value))
                .map(|v| (v, count))
        })
        .collect();
    counts.sort_by_key(|&(_, count)| std::cmp::Reverse(count));
    counts
}

#[async_trait]
impl DocReads for TantivySearch {
    async fn load(&self, keys: &[DocKey]) -> Result<Vec<Doc>, StoreError> {
        let ids: Vec<Uuid> = keys
            .iter()
            .filter(|k| k.kind == DocKind::Video)
            .map(|k| k.id)
            .collect();
        self.blocking(move |inner| {
            let searcher = inner.reader.searcher();
            let mut docs = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(video) = inner.find(&searcher, id)? {
                    docs.push(Doc::Video(video));
                }
            }
            Ok(docs)
        })
        .await
    }

    async fn positions(&self) -> Result<Vec<Position>, StoreError> {
        self.blocking(|inner| {
            let positions = match inner.writer {
                Some(_) => inner
                    .searchable
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone(),
                // Another process writes: every search reloads the reader first, so it finds
                // at least what these say.
                None => positions_of(&inner.index)?,
            };
            Ok(positions
                .into_iter()
                .map(|((topic, partition), next_offset)| Position {
                    topic,
                    partition,
                    offset: next_offset,
                })
                .collect())
        })
        .await
    }

    async fn export(&self) -> Result<Vec<Doc>, StoreError> {
        let mut docs = self
            .blocking(|inner| {
                let searcher = inner.reader.searcher();
                let all = searcher.num_docs().max(1) as usize;
                let found = searcher
                    .search(&AllQuery, &TopDocs::with_limit(all).order_by_score())
                    .map_err(backend)?;
                found
                    .into_iter()
                    .map(|(_, at)| inner.video_at(&searcher, at).map(Doc::Video))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        docs.sort_by_key(Doc::key);
        Ok(docs)
    }
}

#[async_trait]
impl DocStore for TantivySearch {
    async fn commit(&self, changes: Changes) -> Result<(), StoreError> {
        self.blocking(move |inner| {
            let writer = inner
                .writer
                .as_ref()
                .ok_or_else(|| backend("this search index was opened read-only"))?;
            let mut writer = writer.lock().unwrap_or_else(|e| e.into_inner());
            let searcher = inner.reader.searcher();
            for doc in changes.docs {
                let Doc::Video(video) = doc else { continue };
                if inner
                    .find(&searcher, video.id)?
                    .is_some_and(|current| current.version >= video.version)
                {
                    continue;
                }
                let document = inner.document(&video)?;
                writer.writer.delete_term(Term::from_field_text(
                    inner.fields.id,
                    &video.id.to_string(),
                ));
                writer.writer.add_document(document).map_err(backend)?;
            }
            for p in changes.positions {
                let next = writer.positions.entry((p.topic, p.partition)).or_insert(0);
                *next = (*next).max(p.offset);
            }
            let payload: Vec<Stored> = writer
                .positions
                .iter()
                .map(|((topic, partition), &next_offset)| Stored {
                    topic: topic.clone(),
                    partition: *partition,
                    next_offset,
                })
                .collect();
            let payload = serde_json::to_string(&payload).map_err(backend)?;
            let mut prepared = writer.writer.prepare_commit().map_err(backend)?;
            prepared.set_payload(&payload);
            prepared.commit().map_err(backend)?;
            inner.reader.reload().map_err(backend)?;
            inner
                .searchable
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone_from(&writer.positions);
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl SearchReads for TantivySearch {
    async fn search(&self, search: &SearchQuery) -> Result<SearchResults, StoreError> {
        let search = search.clone();
        self.blocking(move |inner| {
            let f = inner.fields;
            let searcher = inner.reader.searcher();
            let query = inner.query(&search)?;
            let mut facets = FacetCollector::for_field("facets");
            for kind in ["category", "genre", "cast", "year", "rating"] {
                facets.add_facet(format!("/{kind}").as_str());
            }
            let top = TopDocs::with_limit(search.limit.max(1))
                .and_offset(search.offset)
                .order_by_score();
            let (total, found, facet_counts) = searcher
                .search(&query, &(Count, top, facets))
                .map_err(backend)?;
            let mut titles =
                SnippetGenerator::create(&searcher, &*query, f.title).map_err(backend)?;
            titles.set_max_num_chars(300);
            let mut descriptions =
                SnippetGenerator::create(&searcher, &*query, f.description).map_err(backend)?;
            descriptions.set_max_num_chars(200);
            let mut hits = Vec::with_capacity(found.len());
            for (score, at) in found.into_iter().take(search.limit) {
                let doc: TantivyDocument = searcher.doc(at).map_err(backend)?;
                let video = inner.video_at(&searcher, at)?;
                hits.push(SearchHit {
                    title_html: highlight(&titles, &doc, &video.title, 300),
                    description_html: highlight(&descriptions, &doc, &video.description, 200),
                    video,
                    score,
                });
            }
            let uuid = |s: &str| Uuid::parse_str(s).ok();
            Ok(SearchResults {
                total,
                hits,
                facets: Facets {
                    categories: counts(&facet_counts, "category", uuid),
                    genres: counts(&facet_counts, "genre", uuid),
                    cast_members: counts(&facet_counts, "cast", uuid),
                    launch_years: counts(&facet_counts, "year", |s| s.parse().ok()),
                    ratings: counts(&facet_counts, "rating", |s| Some(s.to_owned())),
                },
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::VideoFilter;

    /// Clauses of the part of the query that matches words.
    fn word_clauses(query: &dyn Query) -> usize {
        let all = query.downcast_ref::<BooleanQuery>().unwrap();
        all.clauses()
            .iter()
            .filter_map(|(_, clause)| clause.downcast_ref::<BooleanQuery>())
            .map(|words| words.clauses().len())
            .sum()
    }

    #[tokio::test]
    async fn a_long_search_expands_into_a_bounded_number_of_term_queries() {
        let dir = tempfile::tempdir().unwrap();
        let search = TantivySearch::open(dir.path(), false).await.unwrap();
        let text = (0..300)
            .map(|n| format!("word{n:04}"))
            .collect::<Vec<_>>()
            .join(" ");
        let query = search
            .inner
            .query(&SearchQuery {
                text,
                filter: VideoFilter::default(),
                limit: 10,
                offset: 0,
            })
            .unwrap();
        // Two fields: every kept word exactly, the first few also within typos.
        assert_eq!(
            word_clauses(query.as_ref()),
            2 * crate::search::MAX_WORDS + 2 * crate::search::MAX_FUZZY_WORDS
        );
        // Repeated words count once.
        let repeated = search
            .inner
            .query(&SearchQuery {
                text: "lighthouse keeper lighthouse keeper lighthouse".into(),
                filter: VideoFilter::default(),
                limit: 10,
                offset: 0,
            })
            .unwrap();
        assert_eq!(word_clauses(repeated.as_ref()), 2 * 2 + 2 * 2);
    }
}
