//! What a resumable upload (tus, ADR 0009) keeps in the media store: a folder `uploads/<id>/`
//! with its description (`info.json`, written once) and its chunks, each named by the offset it
//! starts at (`chunks/<offset, 20 digits>`). The protocol is the command API's; this is the
//! bookkeeping under it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt, PutMode, PutPayload};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::MediaStore;

/// An upload's description, kept next to its chunks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadInfo {
    pub video: Uuid,
    pub slot: String,
    pub length: u64,
    /// Who created it; nobody else sees it.
    pub subject: String,
    /// The video version the upload expects, if any.
    pub expected: Option<u64>,
}

/// An upload as stored: its description and the contiguous run of chunks from offset 0.
#[derive(Debug, Clone)]
pub struct Upload {
    pub info: UploadInfo,
    pub chunks: Vec<(Path, u64)>,
}

impl Upload {
    /// The bytes stored so far.
    pub fn offset(&self) -> u64 {
        self.chunks.iter().map(|(_, size)| size).sum()
    }

    /// The chunks' paths, in order.
    pub fn paths(&self) -> Vec<Path> {
        self.chunks.iter().map(|(path, _)| path.clone()).collect()
    }
}

/// What keeping an upload can fail on.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("no upload {0}")]
    NotFound(Uuid),
    #[error("upload {id} is unreadable: {reason}")]
    Unreadable { id: Uuid, reason: String },
    #[error("object storage: {0}")]
    Storage(#[from] object_store::Error),
}

/// Whether [`MediaStore::create_upload`] made the upload or found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    New,
    /// An upload of that id was there already, with this description.
    Existing(UploadInfo),
}

fn root(id: Uuid) -> String {
    format!("uploads/{id}")
}

impl MediaStore {
    /// Writes the description of upload `id` unless one is there: a retry finds its upload (and
    /// its chunks) instead of resetting it.
    pub async fn create_upload(&self, id: Uuid, info: &UploadInfo) -> Result<Created, UploadError> {
        let bytes = serde_json::to_vec(info).map_err(|e| UploadError::Unreadable {
            id,
            reason: e.to_string(),
        })?;
        let path = self.path(&format!("{}/info.json", root(id)));
        match self
            .store()
            .put_opts(&path, PutPayload::from(bytes), PutMode::Create.into())
            .await
        {
            Ok(_) => Ok(Created::New),
            Err(object_store::Error::AlreadyExists { .. }) => {
                Ok(Created::Existing(self.load_upload(id).await?.info))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Upload `id`: its description and the chunks received so far, in order.
    pub async fn load_upload(&self, id: Uuid) -> Result<Upload, UploadError> {
        let root = root(id);
        let info = match self
            .store()
            .get(&self.path(&format!("{root}/info.json")))
            .await
        {
            Ok(found) => found.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => return Err(UploadError::NotFound(id)),
            Err(e) => return Err(e.into()),
        };
        let info: UploadInfo =
            serde_json::from_slice(&info).map_err(|e| UploadError::Unreadable {
                id,
                reason: e.to_string(),
            })?;
        let mut chunks: Vec<(Path, u64)> = self
            .store()
            .list(Some(&self.path(&format!("{root}/chunks"))))
            .map(|meta| meta.map(|m| (m.location, m.size)))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        chunks.sort();
        // Chunks are named by their offset: keep the contiguous run from 0.
        let mut offset = 0;
        let mut contiguous = Vec::with_capacity(chunks.len());
        for (path, size) in chunks {
            if path.filename() != Some(&format!("{offset:020}")) {
                break;
            }
            offset += size;
            contiguous.push((path, size));
        }
        Ok(Upload {
            info,
            chunks: contiguous,
        })
    }

    /// Where the chunk of upload `id` starting at `offset` is stored.
    pub fn chunk_path(&self, id: Uuid, offset: u64) -> Path {
        self.path(&format!("{}/chunks/{offset:020}", root(id)))
    }

    /// Removes upload `id`: its chunks, then its description.
    pub async fn remove_upload(&self, id: Uuid, chunks: &[Path]) {
        for path in chunks {
            self.delete(path).await;
        }
        self.delete(&self.path(&format!("{}/info.json", root(id))))
            .await;
    }

    /// Deletes uploads untouched for longer than `max_age` (neither created nor extended since);
    /// returns how many.
    pub async fn sweep_uploads(&self, max_age: Duration) -> Result<usize, UploadError> {
        let prefix = self.path("uploads");
        let objects: Vec<ObjectMeta> = self
            .store()
            .list(Some(&prefix))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        // The newest write of each upload, and its objects.
        let mut uploads: HashMap<String, (i64, Vec<Path>)> = HashMap::new();
        let depth = prefix.parts().count();
        for object in objects {
            let Some(id) = object
                .location
                .parts()
                .nth(depth)
                .map(|p| p.as_ref().to_owned())
            else {
                continue;
            };
            let modified = object.last_modified.timestamp_millis();
            let entry = uploads.entry(id).or_insert_with(|| (modified, Vec::new()));
            entry.0 = entry.0.max(modified);
            entry.1.push(object.location);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let max_age = i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
        let mut swept = 0;
        for (id, (newest, paths)) in uploads {
            if now.saturating_sub(newest) >= max_age {
                for path in &paths {
                    self.delete(path).await;
                }
                tracing::info!(upload = %id, "removed an abandoned upload");
                swept += 1;
            }
        }
        Ok(swept)
    }
}
