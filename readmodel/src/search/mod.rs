//! The viewers' search: full text over titles and descriptions with relevance ranking, typo
//! tolerance and highlighting, filters and facet counts by category, genre, cast member, launch
//! year and rating.
//!
//! A search store is a [`crate::store::DocStore`] that keeps video documents only (other documents are ignored):
//! the search projection reads the video topic alone.

#[cfg(any(test, feature = "testsuite"))]
pub mod conformance;
pub mod elastic;
pub mod tantivy;

use async_trait::async_trait;
use uuid::Uuid;

use crate::store::{DocReads, DocStore, StoreError, VideoFilter};
use crate::views::VideoView;

/// Distinct words of a search that are looked for; the rest are ignored (a query of hundreds of
/// words would expand into hundreds of term queries per field).
pub const MAX_WORDS: usize = 16;

/// Of those, the words that also match within typos: fuzzy matching is the expensive part.
pub const MAX_FUZZY_WORDS: usize = 6;

/// Longer words match exactly only (a fuzzy automaton grows with the word).
pub const MAX_FUZZY_CHARS: usize = 24;

/// The first [`MAX_WORDS`] distinct whitespace-separated words of `text`, space-joined.
pub fn bounded_text(text: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    text.split_whitespace()
        .filter(|word| seen.insert(word.to_lowercase()))
        .take(MAX_WORDS)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words to look for; empty matches every visible video.
    pub text: String,
    pub filter: VideoFilter,
    pub limit: usize,
    pub offset: usize,
}

/// One video found, with its fields' matching words marked `<b>…</b>` (HTML-escaped otherwise).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub video: VideoView,
    pub score: f32,
    pub title_html: String,
    pub description_html: String,
}

/// How many matching videos have each value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub categories: Vec<(Uuid, u64)>,
    pub genres: Vec<(Uuid, u64)>,
    pub cast_members: Vec<(Uuid, u64)>,
    pub launch_years: Vec<(u16, u64)>,
    pub ratings: Vec<(String, u64)>,
}

/// What a search finds: the total, one page of hits (best first) and the facets of all matches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<SearchHit>,
    pub facets: Facets,
}

/// The search side's reads.
#[async_trait]
pub trait SearchReads: DocReads {
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, StoreError>;
}

/// A search index as the process that projects into it holds it: the reads and the writing port
/// (the query API is handed only the [`SearchReads`] of it).
pub trait SearchIndex: SearchReads + DocStore {}

impl<T: SearchReads + DocStore + ?Sized> SearchIndex for T {}

/// `text` with HTML's special characters escaped: what a highlight is made of.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
