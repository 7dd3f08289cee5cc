//! Multipart uploads for stores without them (object_store's `LocalFileSystem` implements only
//! the streaming `put_multipart`, which lives in one process): each part is an object of its
//! own under `multipart/<id>/`, so any process can add parts, and completing streams them in
//! order into the target through the store's `put_multipart` (for files: a temporary file
//! renamed into place, so the target appears whole or not at all).

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{MultipartId, ObjectStore, ObjectStoreExt as _, PutPayload, PutResult};

/// Multipart uploads emulated with one object per part; see the module's docs.
#[derive(Debug)]
pub(crate) struct ObjectParts {
    store: Arc<dyn ObjectStore>,
}

impl ObjectParts {
    pub(crate) fn new(store: Arc<dyn ObjectStore>) -> ObjectParts {
        ObjectParts { store }
    }

    fn dir(id: &MultipartId) -> Path {
        Path::from(format!("multipart/{id}"))
    }

    fn part(id: &MultipartId, index: &str) -> Path {
        Path::from(format!("multipart/{id}/{index}"))
    }
}

fn random_id() -> object_store::Result<String> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|e| object_store::Error::Generic {
        store: "multipart parts",
        source: Box::new(std::io::Error::other(e)),
    })?;
    Ok(hex::encode(id))
}

#[async_trait]
impl MultipartStore for ObjectParts {
    async fn create_multipart(&self, _path: &Path) -> object_store::Result<MultipartId> {
        random_id()
    }

    async fn put_part(
        &self,
        _path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> object_store::Result<PartId> {
        // Zero-padded so a listing sorts in part order (for people looking at the store).
        let index = format!("{part_idx:05}");
        self.store.put(&Self::part(id, &index), data).await?;
        Ok(PartId { content_id: index })
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> object_store::Result<PutResult> {
        let mut upload = self.store.put_multipart(path).await?;
        for part in &parts {
            // One part in memory at a time (a few MiB to tens of MiB).
            let got = self.store.get(&Self::part(id, &part.content_id)).await;
            let bytes = match got {
                Ok(g) => g.bytes().await,
                Err(e) => Err(e),
            };
            let bytes = match bytes {
                Ok(b) => b,
                Err(e) => {
                    let _ = upload.abort().await;
                    return Err(e);
                }
            };
            if let Err(e) = upload.put_part(bytes.into()).await {
                let _ = upload.abort().await;
                return Err(e);
            }
        }
        let done = upload.complete().await?;
        self.abort_multipart(path, id).await?;
        Ok(done)
    }

    async fn abort_multipart(&self, _path: &Path, id: &MultipartId) -> object_store::Result<()> {
        delete_under(self.store.as_ref(), &Self::dir(id)).await
    }
}

/// Deletes every object under `prefix` (none is fine).
pub(crate) async fn delete_under(
    store: &dyn ObjectStore,
    prefix: &Path,
) -> object_store::Result<()> {
    let items: Vec<Path> = store
        .list(Some(prefix))
        .map_ok(|item| item.location)
        .try_collect()
        .await?;
    delete_all(store, items).await
}

/// Deletes the objects at `keys` (missing ones are fine), in one request where the store
/// deletes in bulk (S3's `DeleteObjects`).
pub(crate) async fn delete_all(
    store: &dyn ObjectStore,
    keys: Vec<Path>,
) -> object_store::Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut deleted =
        store.delete_stream(futures_util::stream::iter(keys.into_iter().map(Ok)).boxed());
    while let Some(done) = deleted.next().await {
        match done {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
