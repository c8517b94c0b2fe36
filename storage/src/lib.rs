//! Media files: streamed into object storage with their SHA-256, size and sniffed type.
//!
//! Files are never held whole in memory: bytes go through the hasher and into a multipart upload
//! as they arrive, and the object only becomes visible when the upload completes. The first bytes
//! are sniffed for the real file type, so a text file named `.mp4` is refused before it is stored.
//! Resumable uploads keep their description and chunks here too ([`uploads`]).

pub mod uploads;

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};

/// How many leading bytes are sniffed for the file type.
pub const SNIFF_BYTES: usize = 8192;
/// Size of the parts of multipart uploads (S3's minimum is 5 MiB).
const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts uploaded concurrently, at most: writers wait for capacity, so memory stays bounded.
pub const PARTS_IN_FLIGHT: usize = 4;

/// The media type the leading bytes of a file show, if it is of `kind` (`video` or `image`).
pub fn sniff(head: &[u8], kind: &'static str) -> Result<String, IngestError> {
    match infer::get(head).map(|t| t.mime_type().to_owned()) {
        Some(mime) if mime.split('/').next() == Some(kind) => Ok(mime),
        found => Err(IngestError::WrongKind {
            expected: kind,
            found: found.unwrap_or_else(|| "of no recognised type".to_owned()),
        }),
    }
}

/// Where an upload into a video's slot is kept: `videos/<video>/<slot>/<media>/original`.
pub fn original_key(video: &str, slot: &str, media: &str) -> String {
    format!("{}/original", media_root(video, slot, media))
}

/// Where the encodings of an upload are kept, one directory per attempt:
/// `videos/<video>/<slot>/<media>/encoded/`.
pub fn encoded_root(video: &str, slot: &str, media: &str) -> String {
    format!("{}/encoded/", media_root(video, slot, media))
}

fn media_root(video: &str, slot: &str, media: &str) -> String {
    format!("videos/{video}/{}/{media}", slot.to_ascii_lowercase())
}

/// Where media are kept: an object store and the URL that names its root.
#[derive(Clone)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    root: Path,
    url: String,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore")
            .field("url", &self.url)
            .finish()
    }
}

impl MediaStore {
    /// A store from a URL: `file:///dir`, `s3://bucket/prefix`, `gs://bucket/prefix`,
    /// `az://container/prefix` (credentials from the usual `AWS_*`, `GOOGLE_*`, `AZURE_*`
    /// variables), or `memory:///` for tests.
    pub fn from_url(url: &str) -> Result<MediaStore, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        if parsed.scheme() == "file" {
            let dir = parsed
                .to_file_path()
                .map_err(|()| format!("{url} is not a local directory"))?;
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let (store, root) = object_store::parse_url_opts(&parsed, std::env::vars())
            .map_err(|e| format!("{url}: {e}"))?;
        Ok(MediaStore {
            store: Arc::from(store),
            root,
            url: url.trim_end_matches('/').to_owned(),
        })
    }

    /// A local directory (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<MediaStore, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let dir = std::fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let url = url::Url::from_directory_path(&dir)
            .map_err(|()| format!("{} is not an absolute directory", dir.display()))?;
        MediaStore::from_url(url.as_str())
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The path of `key` (e.g. `videos/<id>/VIDEO/<media>/original`) in the store.
    pub fn path(&self, key: &str) -> Path {
        Path::from_iter(self.root.parts().chain(Path::from(key).parts()))
    }

    /// The URL recorded in events for `key`.
    pub fn location(&self, key: &str) -> String {
        format!("{}/{key}", self.url)
    }

    /// The key of an object named by `location` (a URL from [`MediaStore::location`]), when it
    /// lies in this store. Locations outside it, or with `.`/`..` segments, have none.
    pub fn key_of(&self, location: &str) -> Option<String> {
        let key = location.strip_prefix(&self.url)?.strip_prefix('/')?;
        let clean = !key.is_empty()
            && key
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..");
        clean.then(|| key.to_owned())
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Copies the object at `key` into the local file `to`, streaming; answers its size.
    pub async fn download(&self, key: &str, to: &std::path::Path) -> Result<u64, StorageError> {
        Ok(self.download_hashed(key, to).await?.0)
    }

    /// [`MediaStore::download`], also answering the SHA-256 (lowercase hex) of what it wrote.
    pub async fn download_hashed(
        &self,
        key: &str,
        to: &std::path::Path,
    ) -> Result<(u64, String), StorageError> {
        use tokio::io::AsyncWriteExt;
        let mut stream = self.store.get(&self.path(key)).await?.into_stream();
        let mut file = tokio::fs::File::create(to).await.map_err(|e| io(to, e))?;
        let mut size = 0;
        let mut hasher = Sha256::new();
        while let Some(bytes) = stream.next().await {
            let bytes = bytes?;
            size += bytes.len() as u64;
            hasher.update(&bytes);
            file.write_all(&bytes).await.map_err(|e| io(to, e))?;
        }
        file.flush().await.map_err(|e| io(to, e))?;
        Ok((size, hex(&hasher.finalize())))
    }

    /// Copies the local file `from` to `key`, streaming in parts; the object appears complete or
    /// not at all.
    pub async fn upload(&self, from: &std::path::Path, key: &str) -> Result<u64, StorageError> {
        use tokio::io::AsyncReadExt;
        let mut file = tokio::fs::File::open(from).await.map_err(|e| io(from, e))?;
        let upload = self.store.put_multipart(&self.path(key)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buffer = vec![0; 256 * 1024];
        let mut size = 0;
        loop {
            let read = match file.read(&mut buffer).await {
                Ok(0) => break,
                Ok(read) => read,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(io(from, e));
                }
            };
            size += read as u64;
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(e.into());
            }
            writer.write(&buffer[..read]);
        }
        writer.finish().await?;
        Ok(size)
    }

    /// Deletes every object under `prefix` (a key ending at a `/` boundary); answers how many.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, StorageError> {
        let listed: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&self.path(prefix)))
            .try_collect()
            .await?;
        for meta in &listed {
            match self.store.delete(&meta.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(listed.len())
    }

    /// Starts writing `key`; nothing is visible until [`Ingest::finish`].
    pub async fn ingest(
        &self,
        key: &str,
        limit: u64,
        kind: &'static str,
    ) -> Result<Ingest, IngestError> {
        let upload = self
            .store
            .put_multipart(&self.path(key))
            .await
            .map_err(|e| IngestError::Storage(e.to_string()))?;
        Ok(Ingest {
            writer: WriteMultipart::new_with_chunk_size(upload, PART_BYTES),
            hasher: Sha256::new(),
            size: 0,
            head: Vec::with_capacity(SNIFF_BYTES),
            sniffed: None,
            limit,
            kind,
        })
    }

    /// Streams the objects at `keys`, in order, into `ingest`.
    pub async fn copy_into(&self, keys: &[Path], ingest: &mut Ingest) -> Result<(), IngestError> {
        for key in keys {
            let mut stream = self
                .store
                .get(key)
                .await
                .map_err(|e| IngestError::Storage(e.to_string()))?
                .into_stream();
            while let Some(bytes) = stream.next().await {
                let bytes = bytes.map_err(|e| IngestError::Storage(e.to_string()))?;
                ingest.write(&bytes).await?;
            }
        }
        Ok(())
    }

    pub async fn delete(&self, path: &Path) {
        if let Err(e) = self.store.delete(path).await {
            tracing::warn!(path = %path, error = %e, "could not delete a stored object");
        }
    }
}

/// An object store or local file operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object storage: {0}")]
    Store(#[from] object_store::Error),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &std::path::Path, source: std::io::Error) -> StorageError {
    StorageError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Why a file was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the file is {found}, not a {expected} file")]
    WrongKind {
        expected: &'static str,
        found: String,
    },
    #[error("storage: {0}")]
    Storage(String),
}

/// A file being stored.
pub struct Ingest {
    writer: WriteMultipart,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
    sniffed: Option<String>,
    limit: u64,
    kind: &'static str,
}

impl std::fmt::Debug for Ingest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingest")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    /// SHA-256, lowercase hex.
    pub sha256: String,
    pub size: u64,
    /// The media type its content shows, e.g. `video/mp4`.
    pub content_type: String,
}

impl Ingest {
    /// Adds bytes; refuses them once the file passes its limit or shows the wrong type.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), IngestError> {
        self.size += bytes.len() as u64;
        if self.size > self.limit {
            return Err(IngestError::TooLarge { limit: self.limit });
        }
        if self.sniffed.is_none() {
            let wanted = SNIFF_BYTES - self.head.len();
            self.head
                .extend_from_slice(&bytes[..wanted.min(bytes.len())]);
            if self.head.len() >= SNIFF_BYTES {
                self.sniff()?;
            }
        }
        self.hasher.update(bytes);
        self.writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(|e| IngestError::Storage(e.to_string()))?;
        self.writer.write(bytes);
        Ok(())
    }

    fn sniff(&mut self) -> Result<(), IngestError> {
        self.sniffed = Some(sniff(&self.head, self.kind)?);
        Ok(())
    }

    /// Completes the upload: the object becomes visible.
    pub async fn finish(mut self) -> Result<Ingested, IngestError> {
        if self.sniffed.is_none()
            && self.size > 0
            && let Err(e) = self.sniff()
        {
            let _ = self.writer.abort().await;
            return Err(e);
        }
        self.writer
            .finish()
            .await
            .map_err(|e| IngestError::Storage(e.to_string()))?;
        Ok(Ingested {
            sha256: hex(&self.hasher.finalize()),
            size: self.size,
            content_type: self
                .sniffed
                .unwrap_or_else(|| format!("{}/unknown", self.kind)),
        })
    }

    /// Abandons the upload: nothing becomes visible.
    pub async fn abort(self) {
        if let Err(e) = self.writer.abort().await {
            tracing::warn!(error = %e, "aborting an upload");
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
