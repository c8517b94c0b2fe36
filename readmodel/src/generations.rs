//! Generations of a read model: a projection can be rebuilt from the beginning of the log into a
//! new store (a SQLite file, a tantivy directory, a ScyllaDB keyspace, an Elasticsearch index)
//! beside the one that serves, and switched to once it has caught up. The old one stays, so a
//! switch back is a rollback.
//!
//! Which generation serves is a pointer each engine keeps for itself ([`Pointer`]): a small
//! JSON file per view in the embedded `views.dir`, a row in a `<keyspace>_generations` keyspace
//! on ScyllaDB, the alias on Elasticsearch. Every process that holds the read models
//! ([`crate::Stores`]) reads the pointer every second and moves to the generation it names;
//! the projections start again from the positions the new generation holds (ADR 0027).
//!
//! Generation 1 is the store as it has always been named (`catalog.db`, `search/`, the
//! configured keyspace, the alias's first index), so a deployment from before generations is
//! generation 1 of each view.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::store::{StoreError, backend};

/// The read models a projection builds: what can be rebuilt and switched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum View {
    /// Categories, genres, cast members and videos.
    Catalog,
    /// The videos' search index.
    Search,
    /// Plans, subscriptions and accounts.
    Billing,
    /// The notifications' delivery log.
    Notifications,
}

impl View {
    pub const ALL: [View; 4] = [
        View::Catalog,
        View::Search,
        View::Billing,
        View::Notifications,
    ];

    /// The projection's name (what `views status` and the metrics call it).
    pub fn name(self) -> &'static str {
        match self {
            View::Catalog => "catalog",
            View::Search => "search",
            View::Billing => "billing",
            View::Notifications => "notifications",
        }
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One generation of a view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generation {
    pub number: u32,
    /// Where it lives: a file or directory name in `views.dir`, a keyspace, an index.
    pub place: String,
    /// When it was started (RFC 3339); unknown for a generation 1 from before generations.
    pub created_at: Option<String>,
}

/// A view's generations and which of them serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    pub current: u32,
    /// Oldest first; always holds the current one.
    pub generations: Vec<Generation>,
}

impl Lineage {
    /// A view that has never been rebuilt: its one generation, at `place`.
    pub fn first(place: String) -> Lineage {
        Lineage {
            current: 1,
            generations: vec![Generation {
                number: 1,
                place,
                created_at: None,
            }],
        }
    }

    pub fn get(&self, number: u32) -> Option<&Generation> {
        self.generations.iter().find(|g| g.number == number)
    }

    pub fn current(&self) -> &Generation {
        self.get(self.current)
            .expect("a lineage holds its current generation")
    }

    /// The number a new generation gets: after every one there has been.
    pub fn next_number(&self) -> u32 {
        self.generations
            .iter()
            .map(|g| g.number)
            .max()
            .unwrap_or(0)
            .max(self.current)
            + 1
    }

    /// The newest generation older than the current one: what a rollback returns to.
    pub fn previous(&self) -> Option<&Generation> {
        self.generations
            .iter()
            .filter(|g| g.number < self.current)
            .max_by_key(|g| g.number)
    }
}

/// Why a generation cannot be switched to or dropped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GenerationError {
    #[error("the {view} view has no generation {number} (it has {have})")]
    Unknown {
        view: View,
        number: u32,
        have: String,
    },
    #[error("generation {number} of the {view} view serves now; switch to another one first")]
    Current { view: View, number: u32 },
}

impl GenerationError {
    fn unknown(view: View, lineage: &Lineage, number: u32) -> GenerationError {
        GenerationError::Unknown {
            view,
            number,
            have: lineage
                .generations
                .iter()
                .map(|g| g.number.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// Checks that `number` exists and may be switched to.
pub fn check_switch(view: View, lineage: &Lineage, number: u32) -> Result<(), GenerationError> {
    match lineage.get(number) {
        Some(_) => Ok(()),
        None => Err(GenerationError::unknown(view, lineage, number)),
    }
}

/// Checks that `number` exists and does not serve.
pub fn check_drop(view: View, lineage: &Lineage, number: u32) -> Result<(), GenerationError> {
    check_switch(view, lineage, number)?;
    if lineage.current == number {
        return Err(GenerationError::Current { view, number });
    }
    Ok(())
}

/// Where a view's generations are recorded and which one serves.
#[async_trait]
pub trait Pointer: Send + Sync + fmt::Debug {
    async fn lineage(&self) -> Result<Lineage, StoreError>;

    /// Records a new generation, not serving yet, numbered after every one there has been and
    /// named after generation 1 ([`place_of`]); returns it.
    async fn add(&self) -> Result<Generation, StoreError>;

    /// Makes `number` the generation that serves (it must exist).
    async fn switch(&self, number: u32) -> Result<(), StoreError>;

    /// Forgets `number` (it must not serve); its data is the caller's to delete.
    async fn forget(&self, number: u32) -> Result<(), StoreError>;
}

/// What every [`Pointer`] does, from a view that has never been rebuilt (for the engines'
/// suites; the file pointer's runs always).
#[cfg(any(test, feature = "testsuite"))]
#[allow(clippy::unwrap_used)]
pub async fn conformance(pointer: &dyn Pointer) {
    let first = pointer.lineage().await.unwrap();
    assert_eq!(
        (first.current, first.generations.len()),
        (1, 1),
        "{first:?}"
    );
    let second = pointer.add().await.unwrap();
    assert_eq!(second.number, 2);
    assert_ne!(second.place, first.current().place);
    assert!(second.created_at.is_some());
    let lineage = pointer.lineage().await.unwrap();
    assert_eq!(lineage.current, 1, "a new generation does not serve yet");
    assert_eq!(lineage.get(2).map(|g| &g.place), Some(&second.place));
    pointer.switch(2).await.unwrap();
    assert_eq!(pointer.lineage().await.unwrap().current, 2);
    assert!(pointer.switch(9).await.is_err(), "no generation 9");
    assert!(
        pointer.forget(2).await.is_err(),
        "the serving generation stays"
    );
    assert_eq!(
        pointer
            .lineage()
            .await
            .unwrap()
            .previous()
            .map(|g| g.number),
        Some(1)
    );
    // A rollback, then the rebuilt generation is dropped.
    pointer.switch(1).await.unwrap();
    pointer.forget(2).await.unwrap();
    let lineage = pointer.lineage().await.unwrap();
    assert_eq!(lineage.current, 1);
    assert_eq!(lineage.generations.len(), 1, "{lineage:?}");
    assert_eq!(pointer.add().await.unwrap().number, lineage.next_number());
}

/// Now, as RFC 3339 to the second.
pub(crate) fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// The embedded engines' pointer: `<views.dir>/generations/<view>.json`, replaced whole (written
/// to a temporary file, synced, renamed) under a lock file, so a reader sees the old or the new
/// record and two writers take turns.
#[derive(Debug, Clone)]
pub struct FilePointer {
    dir: PathBuf,
    view: View,
    /// Generation 1's place.
    first: String,
}

impl FilePointer {
    pub fn new(views_dir: &Path, view: View, first: String) -> FilePointer {
        FilePointer {
            dir: views_dir.join("generations"),
            view,
            first,
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.join(format!("{}.json", self.view))
    }

    /// Locks `<dir>/<view>.<what>.lock` exclusively until the file is dropped; `None` when
    /// another holds it and `wait` is false.
    fn lock_file(&self, what: &str, wait: bool) -> Result<Option<File>, StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(backend)?;
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(format!("{}.{what}.lock", self.view)))
            .map_err(backend)?;
        if wait {
            file.lock().map_err(backend)?;
            return Ok(Some(file));
        }
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(backend(e)),
        }
    }

    /// The view's rebuild lock, held until the file is dropped, or `None` when another
    /// process holds it: two rebuilds of one view cannot run at once.
    pub fn rebuild_lock(&self) -> Result<Option<File>, StoreError> {
        self.lock_file("rebuild", false)
    }

    fn read(&self) -> Result<Lineage, StoreError> {
        match std::fs::read(self.path()) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::Corrupt(format!("{}: {e}", self.path().display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Lineage::first(self.first.clone()))
            }
            Err(e) => Err(backend(e)),
        }
    }

    fn write(&self, lineage: &Lineage) -> Result<(), StoreError> {
        use std::io::Write;
        let path = self.path();
        let temporary = self.dir.join(format!(".{}.json.tmp", self.view));
        let mut file = File::create(&temporary).map_err(backend)?;
        file.write_all(&serde_json::to_vec_pretty(lineage).map_err(backend)?)
            .map_err(backend)?;
        file.sync_all().map_err(backend)?;
        std::fs::rename(&temporary, &path).map_err(backend)?;
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Reads, changes and writes the record under the lock.
    fn update(
        &self,
        change: impl FnOnce(&mut Lineage) -> Result<(), StoreError>,
    ) -> Result<Lineage, StoreError> {
        let _lock = self.lock_file("record", true)?;
        let mut lineage = self.read()?;
        change(&mut lineage)?;
        self.write(&lineage)?;
        Ok(lineage)
    }
}

#[async_trait]
impl Pointer for FilePointer {
    async fn lineage(&self) -> Result<Lineage, StoreError> {
        let this = self.clone();
        blocking(move || this.read()).await
    }

    async fn add(&self) -> Result<Generation, StoreError> {
        let this = self.clone();
        blocking(move || {
            let mut added = None;
            this.update(|lineage| {
                let number = lineage.next_number();
                let generation = Generation {
                    number,
                    place: place_of(&this.first, number, '.'),
                    created_at: Some(now()),
                };
                lineage.generations.push(generation.clone());
                added = Some(generation);
                Ok(())
            })?;
            Ok(added.expect("update ran the change"))
        })
        .await
    }

    async fn switch(&self, number: u32) -> Result<(), StoreError> {
        let this = self.clone();
        blocking(move || {
            this.update(|lineage| {
                check_switch(this.view, lineage, number).map_err(backend)?;
                lineage.current = number;
                Ok(())
            })
            .map(drop)
        })
        .await
    }

    async fn forget(&self, number: u32) -> Result<(), StoreError> {
        let this = self.clone();
        blocking(move || {
            this.update(|lineage| {
                check_drop(this.view, lineage, number).map_err(backend)?;
                lineage.generations.retain(|g| g.number != number);
                Ok(())
            })
            .map(drop)
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.map_err(backend)?
}

/// Generation `number`'s name for a store whose generation 1 is `first`: `catalog.db` →
/// `catalog.g2.db`, `search` → `search.g2`, `codeflix_catalog` (a keyspace) →
/// `codeflix_catalog_g2`.
pub fn place_of(first: &str, number: u32, separator: char) -> String {
    if number == 1 {
        return first.to_owned();
    }
    match first.rsplit_once('.') {
        Some((stem, extension)) if separator == '.' => format!("{stem}.g{number}.{extension}"),
        _ => format!("{first}{separator}g{number}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_are_named_beside_the_first() {
        assert_eq!(place_of("catalog.db", 1, '.'), "catalog.db");
        assert_eq!(place_of("catalog.db", 2, '.'), "catalog.g2.db");
        assert_eq!(place_of("search", 12, '.'), "search.g12");
        assert_eq!(
            place_of("codeflix_catalog_billing", 3, '_'),
            "codeflix_catalog_billing_g3"
        );
        assert_eq!(place_of("codeflix-videos", 2, '-'), "codeflix-videos-g2");
    }

    #[test]
    fn a_rollback_returns_to_the_newest_older_generation() {
        let mut lineage = Lineage::first("catalog.db".into());
        assert_eq!(lineage.next_number(), 2);
        assert_eq!(lineage.previous(), None);
        for n in [2, 3] {
            lineage.generations.push(Generation {
                number: n,
                place: place_of("catalog.db", n, '.'),
                created_at: None,
            });
        }
        lineage.current = 3;
        assert_eq!(lineage.previous().map(|g| g.number), Some(2));
        lineage.generations.retain(|g| g.number != 2);
        assert_eq!(lineage.previous().map(|g| g.number), Some(1));
        // A dropped generation's number is not given again.
        lineage.generations.retain(|g| g.number != 1);
        assert_eq!(lineage.next_number(), 4);
    }

    #[test]
    fn only_a_generation_that_exists_and_does_not_serve_can_be_dropped() {
        let lineage = Lineage::first("catalog.db".into());
        assert_eq!(
            check_drop(View::Catalog, &lineage, 1),
            Err(GenerationError::Current {
                view: View::Catalog,
                number: 1
            })
        );
        assert_eq!(
            check_switch(View::Catalog, &lineage, 7)
                .unwrap_err()
                .to_string(),
            "the catalog view has no generation 7 (it has 1)"
        );
    }

    #[tokio::test]
    async fn the_file_pointer_keeps_the_pointer_contract() {
        let dir = tempfile::tempdir().unwrap();
        conformance(&FilePointer::new(
            dir.path(),
            View::Catalog,
            "catalog.db".into(),
        ))
        .await;
    }

    #[tokio::test]
    async fn the_file_pointer_records_additions_switches_and_drops() {
        let dir = tempfile::tempdir().unwrap();
        let pointer = FilePointer::new(dir.path(), View::Search, "search".into());
        assert_eq!(
            pointer.lineage().await.unwrap(),
            Lineage::first("search".into())
        );
        let second = pointer.add().await.unwrap();
        assert_eq!((second.number, second.place.as_str()), (2, "search.g2"));
        assert_eq!(pointer.lineage().await.unwrap().current, 1);
        pointer.switch(2).await.unwrap();
        let again = FilePointer::new(dir.path(), View::Search, "search".into());
        assert_eq!(again.lineage().await.unwrap().current, 2);
        assert!(pointer.switch(9).await.is_err());
        assert!(
            pointer.forget(2).await.is_err(),
            "the serving generation stays"
        );
        pointer.forget(1).await.unwrap();
        let lineage = again.lineage().await.unwrap();
        assert_eq!(lineage.generations.len(), 1);
        assert_eq!(lineage.next_number(), 3);
        // Another view's record is its own.
        let catalog = FilePointer::new(dir.path(), View::Catalog, "catalog.db".into());
        assert_eq!(catalog.lineage().await.unwrap().current, 1);
    }

    #[tokio::test]
    async fn a_second_rebuild_of_a_view_finds_it_locked() {
        let dir = tempfile::tempdir().unwrap();
        let pointer = FilePointer::new(dir.path(), View::Catalog, "catalog.db".into());
        let held = pointer.rebuild_lock().unwrap();
        assert!(held.is_some());
        assert!(pointer.rebuild_lock().unwrap().is_none());
        // The rebuild's own changes to the record are not locked out by it.
        assert_eq!(pointer.add().await.unwrap().number, 2);
        drop(held);
        assert!(pointer.rebuild_lock().unwrap().is_some());
    }
}
