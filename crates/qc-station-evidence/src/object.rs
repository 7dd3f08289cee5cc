//! Evidence as objects, through the `object_store` crate; see [`ObjectEvidence`].

use std::future::Future;
use std::io;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt as _, PutPayload, RetryConfig,
};
use qc_blobs::{CHUNK, HEADER, Sealer, Sealing, TAG};
use serde::{Deserialize, Serialize};
use sha2::digest::common::hazmat::SerializableState as _;
use sha2::{Digest as _, Sha256};

use crate::local_parts::{ObjectParts, delete_all, delete_under};
use crate::{Evidence, EvidenceError};

/// The least a part but the last may hold (S3's minimum), in original bytes.
const PART_MIN: u64 = 5 * 1024 * 1024;

/// Where an S3-compatible store is and how to sign for it.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// The endpoint URL, e.g. `https://s3.eu-central-1.amazonaws.com` or a MinIO/SeaweedFS one
    /// (path-style addressing is used).
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The region to sign for.
    pub region: String,
    /// The access key id.
    pub access_key: String,
    /// The secret access key.
    pub secret_key: String,
    /// Whether a plain `http://` endpoint is allowed.
    pub allow_http: bool,
    /// How long a request is retried before it fails; `None` for object_store's default
    /// (3 minutes, which rides out a store's restart).
    pub retry_timeout: Option<Duration>,
}

/// Evidence as objects in an object store.
///
/// Keys:
/// - `blobs/<hex>`: a complete blob, sealed (the same bytes as a [`qc_blobs::BlobStore`]
///   file). Only these count for `contains` and `open`.
/// - `uploads/<hex>.json`: the manifest of the upload under way of a blob (one per blob): its
///   size, sealed header, multipart upload id (once one is started), the parts put so far, the
///   pieces waiting to make a part, and the SHA-256 state of everything received. Rewritten (a
///   PUT is atomic) after every piece, so any process reads where an upload stands and
///   continues it.
/// - `uploads/<hex>/<upload>/<offset>`: a sealed piece waiting to make a part (see below);
///   `<upload>` is drawn at each `begin`, so leftovers of a replaced upload never mix in.
/// - `multipart/<id>/<n>`: a part, for stores without multipart uploads (a local directory).
///
/// A blob that arrives whole, in one piece at offset 0 (what a device sends for a file under
/// its chunk size), is hashed in memory and, if it matches its name, sealed and put under
/// `blobs/<hex>` in one request (a PUT is atomic: the object appears whole or not at all) as
/// that piece is received; `finish` then finds it kept. Per file that saves the multipart
/// upload's requests and most of the manifest's, each a round trip to the store. One that does
/// not match goes the way of any other piece, and `finish` refuses it.
///
/// Otherwise a multipart upload, started when its first part is due and listed in the manifest
/// before that part is put, targets `blobs/<hex>` itself: S3 (and MinIO) refuse to copy an object
/// over 5 GiB in one request, and a body-camera video is up to 16 GiB, so a staging object
/// could not be copied into place; copying would also write every byte twice. Nothing is
/// visible before completion, and completion happens only once the SHA-256 of everything
/// received, kept in the manifest as the pieces arrive (whichever process received them),
/// equals the name; with `known_good` false the completed object is then also read back,
/// authenticated and hashed, and removed unless it matches.
///
/// S3 wants every part but the last to be at least 5 MiB, and a device's pieces may be as small
/// as 64 KiB: a piece that does not make 5 MiB with those waiting before it, and does not end
/// the blob, is put as an object of its own and listed as pending; the piece that does is put
/// as a part together with the pending ones (read back) and the pending objects are deleted.
/// A piece or part put by a process that died before rewriting the manifest is harmless: the
/// manifest does not list it, the device sends the piece again, and it is put again under the
/// same part number or key, replacing it.
///
/// One writer per upload at a time (a device sends its pieces in turn): the manifest is read,
/// changed and written back, and of two processes writing the same upload at once the last
/// manifest wins. A part is assembled in memory (the waiting pieces and the new one: up to
/// about twice the largest piece plus 5 MiB); reading streams in constant memory.
///
/// The crate is called from blocking threads, and object_store is async: each instance holds
/// a small multi-threaded tokio runtime of its own (two workers) and `block_on`s its calls. Its
/// own runtime rather than a `Handle` to the caller's: it works the same from
/// `spawn_blocking`, from plain threads and from tests, the HTTP connections' background tasks
/// keep running between calls, and the caller's runtime need not be passed down.
pub struct ObjectEvidence {
    runtime: Arc<Runtime>,
    store: Arc<dyn ObjectStore>,
    parts: Arc<dyn MultipartStore>,
    sealer: Sealer,
}

impl ObjectEvidence {
    /// Evidence in an S3-compatible bucket, sealed under `key`.
    pub fn s3(config: &S3Config, key: [u8; 32]) -> Result<ObjectEvidence, EvidenceError> {
        // object_store's client is reqwest on rustls without a built-in provider (so the
        // workspace keeps ring alone): the process needs one installed; another may be already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut retry = RetryConfig::default();
        if let Some(timeout) = config.retry_timeout {
            retry.retry_timeout = timeout;
        }
        let s3 = AmazonS3Builder::new()
            .with_endpoint(&config.endpoint)
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key)
            .with_secret_access_key(&config.secret_key)
            .with_allow_http(config.allow_http)
            .with_virtual_hosted_style_request(false)
            // The SigV4 signature still covers each request, not each body's SHA-256 (one more
            // hash of every evidence byte): what is put is sealed (AES-256-GCM) and read
            // back authenticated, so a body changed on the way is found when it is read.
            .with_unsigned_payload(true)
            .with_retry(retry)
            .build()
            .map_err(|source| EvidenceError::Store {
                what: format!(
                    "configure S3 bucket {} at {}",
                    config.bucket, config.endpoint
                ),
                source,
            })?;
        let s3 = Arc::new(s3);
        Self::with_store(s3.clone(), s3, key)
    }

    /// Evidence in a local directory (created if missing) through object_store's
    /// `LocalFileSystem`, files synced on every write; multipart uploads are emulated with
    /// an object per part.
    pub fn local(
        dir: impl AsRef<std::path::Path>,
        key: [u8; 32],
    ) -> Result<ObjectEvidence, EvidenceError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(crate::io_err(format!("create {}", dir.display())))?;
        let fs = LocalFileSystem::new_with_prefix(dir)
            .map_err(|source| EvidenceError::Store {
                what: format!("open {}", dir.display()),
                source,
            })?
            .with_automatic_cleanup(true)
            .with_fsync(true);
        let fs: Arc<dyn ObjectStore> = Arc::new(fs);
        Self::with_store(fs.clone(), Arc::new(ObjectParts::new(fs)), key)
    }

    /// Evidence in any object store, with `parts` doing its multipart uploads (the store
    /// itself where it has them).
    pub fn with_store(
        store: Arc<dyn ObjectStore>,
        parts: Arc<dyn MultipartStore>,
        key: [u8; 32],
    ) -> Result<ObjectEvidence, EvidenceError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("qc-evidence-io")
            .enable_all()
            .build()
            .map_err(crate::io_err("start the object store's runtime"))?;
        Ok(ObjectEvidence {
            runtime: Arc::new(Runtime(Some(runtime))),
            store,
            parts,
            sealer: Sealer::new(key),
        })
    }

    /// The underlying store (for tools and tests).
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    fn run<F: Future>(
        &self,
        what: impl FnOnce() -> String,
        f: F,
    ) -> Result<F::Output, EvidenceError>
    where
        F::Output: Sized,
    {
        self.runtime.block_on(f).ok_or_else(|| EvidenceError::Io {
            what: what(),
            source: io::Error::other("the object store's runtime is shut down"),
        })
    }

    /// Runs a store call, its error given `what` as context.
    fn call<T>(
        &self,
        what: impl FnOnce() -> String,
        f: impl Future<Output = object_store::Result<T>>,
    ) -> Result<T, EvidenceError> {
        let what_now = what();
        let what_later = what_now.clone();
        self.run(move || what_later, f)?
            .map_err(|source| EvidenceError::Store {
                what: what_now,
                source,
            })
    }

    fn manifest(&self, hash: &[u8; 32]) -> Result<Option<Manifest>, EvidenceError> {
        let key = manifest_key(hash);
        let got = self.run(|| format!("read {key}"), async {
            self.store.get(&key).await?.bytes().await
        })?;
        let bytes = match got {
            Ok(b) => b,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(source) => {
                return Err(EvidenceError::Store {
                    what: format!("read {key}"),
                    source,
                });
            }
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| EvidenceError::upload(hash, format!("unreadable manifest {key}: {e}")))
    }

    fn put_manifest(&self, hash: &[u8; 32], m: &Manifest) -> Result<(), EvidenceError> {
        let key = manifest_key(hash);
        let json = serde_json::to_vec(m)
            .map_err(|e| EvidenceError::upload(hash, format!("encode manifest: {e}")))?;
        self.call(
            || format!("write {key}"),
            self.store.put(&key, PutPayload::from(json)),
        )?;
        Ok(())
    }

    /// Removes everything of an upload: its multipart upload, pending pieces and manifest.
    fn drop_upload(&self, hash: &[u8; 32], m: &Manifest) -> Result<(), EvidenceError> {
        self.abort(hash, m)?;
        self.drop_remains(hash, m)
    }

    /// Removes an upload's pending pieces, then its manifest (last, so that a process that
    /// dies in between leaves what tells the next one what to remove).
    fn drop_remains(&self, hash: &[u8; 32], m: &Manifest) -> Result<(), EvidenceError> {
        let pending = pending_dir(hash, &m.upload);
        self.call(
            || format!("delete {pending}"),
            delete_under(self.store.as_ref(), &pending),
        )?;
        let key = manifest_key(hash);
        self.call(
            || format!("delete {key}"),
            delete_all(self.store.as_ref(), vec![key.clone()]),
        )
    }

    /// Aborts an upload's multipart upload, if it was started.
    fn abort(&self, hash: &[u8; 32], m: &Manifest) -> Result<(), EvidenceError> {
        let Some(multipart) = &m.multipart else {
            return Ok(());
        };
        let blob = blob_key(hash);
        self.call(|| format!("abort the multipart upload of {blob}"), async {
            match self.parts.abort_multipart(&blob, multipart).await {
                // Already completed or aborted (by a process that died before the manifest
                // went).
                Err(object_store::Error::NotFound { .. }) => Ok(()),
                other => other,
            }
        })
    }

    /// The upload's multipart upload, started when its first part is due.
    fn multipart(&self, hash: &[u8; 32], m: &mut Manifest) -> Result<String, EvidenceError> {
        if let Some(multipart) = &m.multipart {
            return Ok(multipart.clone());
        }
        let blob = blob_key(hash);
        let multipart = self.call(
            || format!("start a multipart upload of {blob}"),
            self.parts.create_multipart(&blob),
        )?;
        m.multipart = Some(multipart.clone());
        // Listed before a part goes into it: whoever drops the upload aborts it then, even if
        // this process dies before the part is in the manifest.
        self.put_manifest(hash, m)?;
        Ok(multipart)
    }

    /// Keeps a blob that arrived whole and matches its name (see [`ObjectEvidence`]), then
    /// drops what there is of its upload.
    fn keep_whole(&self, hash: &[u8; 32], m: &Manifest, bytes: &[u8]) -> Result<(), EvidenceError> {
        self.put_sealed(hash, bytes)?;
        self.abort(hash, m)?;
        // With nothing received, the only piece there can be is one put at offset 0 by a
        // process that died before listing it: named here, it goes in the manifest's request
        // (one bulk delete on S3) instead of a listing.
        let (key, piece) = (manifest_key(hash), piece_key(hash, &m.upload, 0));
        self.call(
            || format!("delete {key}"),
            delete_all(self.store.as_ref(), vec![key.clone(), piece]),
        )
    }

    /// Seals a whole blob and puts it under its name in one request (atomic: whole or not at
    /// all).
    fn put_sealed(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<(), EvidenceError> {
        // Not the manifest's: a process that died may have sealed other bytes under it.
        let sealing = Sealing::fresh().map_err(crate::io_err("draw a seed"))?;
        let size = bytes.len() as u64;
        let mut whole = Vec::with_capacity(HEADER + sealed_len(size, size) as usize);
        whole.extend_from_slice(&sealing.header());
        self.sealer
            .seal_piece_into(&sealing, size, 0, bytes, &mut whole)
            .map_err(crate::io_err(format!(
                "seal {size} bytes of {}",
                hex::encode(hash)
            )))?;
        let blob = blob_key(hash);
        // Not looked up first: the caller did, so only uploads of the same bytes at once race
        // here, and the loser replaces the blob with the same content, sealed anew.
        self.call(
            || format!("put {blob}"),
            self.store.put(&blob, PutPayload::from(whole)),
        )
        .map(drop)
    }

    /// The sealed size of the complete blob kept under `hash`, if one is.
    fn kept(&self, hash: &[u8; 32]) -> Result<Option<u64>, EvidenceError> {
        let key = blob_key(hash);
        match self.run(|| format!("look up {key}"), self.store.head(&key))? {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(EvidenceError::Store {
                what: format!("look up {key}"),
                source,
            }),
        }
    }

    /// Reads the pending pieces back, in order, for a part.
    fn read_pending(
        &self,
        hash: &[u8; 32],
        m: &Manifest,
        into: &mut Vec<u8>,
    ) -> Result<(), EvidenceError> {
        for piece in &m.pending {
            let key = piece_key(hash, &m.upload, piece.offset);
            let bytes = self.call(|| format!("read {key}"), async {
                self.store.get(&key).await?.bytes().await
            })?;
            if bytes.len() as u64 != sealed_len(piece.len, m.size) {
                return Err(EvidenceError::upload(
                    hash,
                    format!("pending piece {key} has {} bytes", bytes.len()),
                ));
            }
            into.extend_from_slice(&bytes);
        }
        Ok(())
    }

    /// Reads a completed blob back: false if it fails authentication or its hash (an error
    /// of the store itself is an error, not a mismatch).
    fn verify(&self, hash: &[u8; 32]) -> Result<bool, EvidenceError> {
        let mut reader = match self.open(hash) {
            Ok(r) => r,
            Err(EvidenceError::Io { source, .. })
                if source.kind() == io::ErrorKind::InvalidData =>
            {
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        match io::copy(&mut reader, &mut io::sink()) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => Ok(false),
            Err(e) => Err(EvidenceError::Io {
                what: format!("read back blob {}", hex::encode(hash)),
                source: e,
            }),
        }
    }
}

impl Evidence for ObjectEvidence {
    fn contains(&self, hash: &[u8; 32]) -> Result<bool, EvidenceError> {
        Ok(self.kept(hash)?.is_some())
    }

    fn received(&self, hash: &[u8; 32], size: u64) -> Result<u64, EvidenceError> {
        Ok(self
            .manifest(hash)?
            .filter(|m| m.size == size)
            .map_or(0, |m| m.received()))
    }

    fn begin(&self, hash: &[u8; 32], size: u64) -> Result<(), EvidenceError> {
        let old = self.manifest(hash)?;
        let sealing = Sealing::fresh().map_err(crate::io_err("draw a seed"))?;
        let mut upload = [0u8; 8];
        getrandom::fill(&mut upload)
            .map_err(|e| crate::io_err("draw an upload id")(io::Error::other(e)))?;
        let m = Manifest {
            size,
            upload: hex::encode(upload),
            header: hex::encode(sealing.header()),
            multipart: None,
            sha256: hex::encode(Sha256::new().serialize()),
            parts: Vec::new(),
            pending: Vec::new(),
        };
        // The new manifest replaces the old one in the same request; what the old upload left
        // is removed after, so a process dying in between leaves only garbage, never a manifest
        // naming parts or pieces already gone.
        self.put_manifest(hash, &m)?;
        if let Some(old) = old {
            self.abort(hash, &old)?;
            let pending = pending_dir(hash, &old.upload);
            self.call(
                || format!("delete {pending}"),
                delete_under(self.store.as_ref(), &pending),
            )?;
        }
        Ok(())
    }

    fn receive(
        &self,
        hash: &[u8; 32],
        size: u64,
        offset: u64,
        bytes: &[u8],
    ) -> Result<(), EvidenceError> {
        let mut m = self
            .manifest(hash)?
            .ok_or_else(|| EvidenceError::upload(hash, "no upload started"))?;
        if m.size != size {
            return Err(EvidenceError::upload(
                hash,
                format!("the upload is of {} bytes, not {size}", m.size),
            ));
        }
        let held = m.received();
        if offset != held {
            return Err(EvidenceError::upload(
                hash,
                format!("offset {offset} does not continue the upload at {held}"),
            ));
        }
        let len = bytes.len() as u64;
        let end = offset + len;
        let mut hasher = m.hasher(hash)?;
        hasher.update(bytes);
        if offset == 0 && end == size && <[u8; 32]>::from(hasher.clone().finalize()) == *hash {
            return self.keep_whole(hash, &m, bytes);
        }
        // Set only with the piece or part that holds these bytes: the manifest may be written
        // before (a multipart upload started).
        let sha256 = hex::encode(hasher.serialize());
        let sealing = m.sealing(hash)?;
        let sealed = self
            .sealer
            .seal_piece(&sealing, size, offset, bytes)
            .map_err(crate::io_err(format!(
                "seal {len} bytes at {offset} of {}",
                hex::encode(hash)
            )))?;
        let pending: u64 = m.pending.iter().map(|p| p.len).sum();
        if end < size && pending + len < PART_MIN {
            let key = piece_key(hash, &m.upload, offset);
            self.call(
                || format!("write {key}"),
                self.store.put(&key, PutPayload::from(sealed)),
            )?;
            m.sha256 = sha256;
            m.pending.push(Piece { offset, len });
            return self.put_manifest(hash, &m);
        }
        let multipart = self.multipart(hash, &mut m)?;
        let start = m.pending.first().map_or(offset, |p| p.offset);
        let mut data = Vec::with_capacity((pending + len) as usize + 64 * TAG);
        if start == 0 {
            data.extend_from_slice(&sealing.header());
        }
        self.read_pending(hash, &m, &mut data)?;
        data.extend_from_slice(&sealed);
        drop(sealed);
        let blob = blob_key(hash);
        let index = m.parts.len();
        let part = self.call(
            || format!("put part {index} of {blob}"),
            self.parts
                .put_part(&blob, &multipart, index, PutPayload::from(data)),
        )?;
        let done = std::mem::take(&mut m.pending);
        m.sha256 = sha256;
        m.parts.push(Part {
            offset: start,
            len: end - start,
            content_id: part.content_id,
        });
        self.put_manifest(hash, &m)?;
        for piece in done {
            let key = piece_key(hash, &m.upload, piece.offset);
            // Only after the manifest that no longer lists them: until then a retry of this
            // piece reads them again. A leftover is only untidy: `finish` and `discard` sweep
            // the upload's prefix.
            let _ = self.run(String::new, self.store.delete(&key));
        }
        Ok(())
    }

    fn finish(&self, hash: &[u8; 32], size: u64, known_good: bool) -> Result<bool, EvidenceError> {
        let Some(m) = self.manifest(hash)? else {
            // Kept as its one piece arrived, or there was no upload.
            return match self.kept(hash)? {
                Some(sealed) if sealed == HEADER as u64 + sealed_len(size, size) => Ok(true),
                _ => Err(EvidenceError::upload(hash, "no upload started")),
            };
        };
        if m.size != size || m.received() != size {
            return Err(EvidenceError::upload(
                hash,
                format!("{} of {size} bytes received", m.received()),
            ));
        }
        if m.parts.is_empty() {
            // An empty blob whose one (empty) piece was never sent.
            self.receive(hash, size, 0, &[])?;
            return self.finish(hash, size, known_good);
        }
        let summed: [u8; 32] = m.hasher(hash)?.finalize().into();
        if &summed != hash {
            self.drop_upload(hash, &m)?;
            return Ok(false);
        }
        if self.contains(hash)? {
            // Kept already (another process finished the same bytes): blobs are never
            // overwritten.
            self.drop_upload(hash, &m)?;
            return Ok(true);
        }
        let multipart = m.multipart.as_ref().ok_or_else(|| {
            EvidenceError::upload(hash, "the manifest lists parts but no multipart upload")
        })?;
        let blob = blob_key(hash);
        let parts: Vec<PartId> = m
            .parts
            .iter()
            .map(|p| PartId {
                content_id: p.content_id.clone(),
            })
            .collect();
        self.call(
            || format!("complete the multipart upload of {blob}"),
            self.parts.complete_multipart(&blob, multipart, parts),
        )?;
        // Completed: nothing is left to abort.
        if !known_good && !self.verify(hash)? {
            self.call(|| format!("delete {blob}"), self.store.delete(&blob))?;
            self.drop_remains(hash, &m)?;
            return Ok(false);
        }
        self.drop_remains(hash, &m)?;
        Ok(true)
    }

    fn put_whole(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<(), EvidenceError> {
        // No manifest: one PUT is all a file sent in one request needs.
        self.put_sealed(hash, bytes)
    }

    fn discard(&self, hash: &[u8; 32]) -> Result<(), EvidenceError> {
        match self.manifest(hash)? {
            Some(m) => self.drop_upload(hash, &m),
            None => Ok(()),
        }
    }

    fn remove(&self, hash: &[u8; 32]) -> Result<(), EvidenceError> {
        let blob = blob_key(hash);
        match self.run(|| format!("delete {blob}"), self.store.delete(&blob))? {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(source) => Err(EvidenceError::Store {
                what: format!("delete {blob}"),
                source,
            }),
        }
    }

    fn open(&self, hash: &[u8; 32]) -> Result<Box<dyn io::Read + Send>, EvidenceError> {
        let key = blob_key(hash);
        // One GET streamed: a consistent copy of the object however long the reading takes.
        let source = self.get(hash, GetOptions::default())?;
        let reader = self
            .sealer
            .reader(source, Some(*hash))
            .map_err(crate::io_err(format!("open {key}")))?;
        Ok(Box::new(reader))
    }

    fn open_range(
        &self,
        hash: &[u8; 32],
        size: u64,
        range: Range<u64>,
    ) -> Result<Box<dyn io::Read + Send>, EvidenceError> {
        let key = blob_key(hash);
        let what = || format!("open bytes {}..{} of {key}", range.start, range.end);
        let span = qc_blobs::sealed_span(size, &range).map_err(crate::io_err(what()))?;
        let ranged = |r: Range<u64>| GetOptions {
            range: Some(GetRange::Bounded(r)),
            ..GetOptions::default()
        };
        let mut head = [0u8; HEADER];
        io::Read::read_exact(&mut self.get(hash, ranged(0..HEADER as u64))?, &mut head)
            .map_err(crate::io_err(what()))?;
        let sealing = Sealing::of(&head).map_err(crate::io_err(what()))?;
        // Objects are written once under their hash: the header and the span read apart are
        // of one object.
        let source = self.get(hash, ranged(span))?;
        let reader = self
            .sealer
            .range_reader(&sealing, size, range.clone(), source)
            .map_err(crate::io_err(what()))?;
        Ok(Box::new(reader))
    }
}

impl ObjectEvidence {
    /// The bytes of a kept blob's object (`options` say which), streamed.
    fn get(
        &self,
        hash: &[u8; 32],
        options: GetOptions,
    ) -> Result<StreamReader<impl AsRef<[u8]> + Send + 'static>, EvidenceError> {
        let key = blob_key(hash);
        let got = match self.run(|| format!("read {key}"), self.store.get_opts(&key, options))? {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(EvidenceError::NotFound(hex::encode(hash)));
            }
            Err(source) => {
                return Err(EvidenceError::Store {
                    what: format!("read {key}"),
                    source,
                });
            }
        };
        Ok(StreamReader {
            runtime: self.runtime.clone(),
            stream: got.into_stream(),
            current: None,
            pos: 0,
        })
    }
}

/// Where an upload stands; see [`ObjectEvidence`].
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    /// The blob's size in original bytes.
    size: u64,
    /// Drawn at `begin`: names this upload's pending pieces.
    upload: String,
    /// The header of the blob's sealed object (hex): its format and random bytes. An upload
    /// begun before format 2 has its ChaCha20 nonce prefix here, under that name.
    #[serde(alias = "nonce_prefix")]
    header: String,
    /// The store's multipart upload id, once the first part was due.
    #[serde(default)]
    multipart: Option<String>,
    /// SHA-256 state after every byte received (hex of the serialized state).
    sha256: String,
    /// The parts put, in order.
    parts: Vec<Part>,
    /// The pieces put as objects of their own, waiting to make a part, in order.
    pending: Vec<Piece>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Part {
    offset: u64,
    len: u64,
    content_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Piece {
    offset: u64,
    len: u64,
}

impl Manifest {
    fn received(&self) -> u64 {
        self.parts.iter().map(|p| p.len).sum::<u64>()
            + self.pending.iter().map(|p| p.len).sum::<u64>()
    }

    /// How the upload's pieces are sealed.
    fn sealing(&self, hash: &[u8; 32]) -> Result<Sealing, EvidenceError> {
        let bytes = hex::decode(&self.header).unwrap_or_default();
        let sealing = match <[u8; HEADER]>::try_from(bytes.as_slice()) {
            Ok(head) => Sealing::of(&head).ok(),
            // Format 1's nonce prefix alone.
            Err(_) => bytes.try_into().ok().map(Sealing::ChaCha),
        };
        sealing.ok_or_else(|| EvidenceError::upload(hash, "the manifest's header is unreadable"))
    }

    fn hasher(&self, hash: &[u8; 32]) -> Result<Sha256, EvidenceError> {
        let bad = || EvidenceError::upload(hash, "the manifest's SHA-256 state is unreadable");
        let bytes = hex::decode(&self.sha256).map_err(|_| bad())?;
        let state = bytes.as_slice().try_into().map_err(|_| bad())?;
        Sha256::deserialize(state).map_err(|_| bad())
    }
}

fn blob_key(hash: &[u8; 32]) -> Path {
    Path::from(format!("blobs/{}", hex::encode(hash)))
}

fn manifest_key(hash: &[u8; 32]) -> Path {
    Path::from(format!("uploads/{}.json", hex::encode(hash)))
}

fn pending_dir(hash: &[u8; 32], upload: &str) -> Path {
    Path::from(format!("uploads/{}/{upload}", hex::encode(hash)))
}

fn piece_key(hash: &[u8; 32], upload: &str, offset: u64) -> Path {
    // Zero-padded so a listing sorts in offset order.
    Path::from(format!(
        "uploads/{}/{upload}/{offset:020}",
        hex::encode(hash)
    ))
}

/// The sealed length of a piece of `len` original bytes (not the header).
fn sealed_len(len: u64, size: u64) -> u64 {
    let chunks = if size == 0 {
        1
    } else {
        len.div_ceil(CHUNK as u64)
    };
    len + chunks * TAG as u64
}

/// The instance's runtime; shut down in the background when dropped, so that dropping the
/// last handle inside an async context (where a blocking shutdown panics) is fine.
struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    fn block_on<F: Future>(&self, f: F) -> Option<F::Output> {
        self.0.as_ref().map(|rt| rt.block_on(f))
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// A blocking `Read` over an object's byte stream: one frame of the response held at a time.
struct StreamReader<B> {
    runtime: Arc<Runtime>,
    stream: BoxStream<'static, object_store::Result<B>>,
    current: Option<B>,
    pos: usize,
}

impl<B: AsRef<[u8]>> io::Read for StreamReader<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(cur) = &self.current {
                let cur = cur.as_ref();
                if self.pos < cur.len() {
                    let n = buf.len().min(cur.len() - self.pos);
                    buf[..n].copy_from_slice(&cur[self.pos..self.pos + n]);
                    self.pos += n;
                    return Ok(n);
                }
            }
            let next = self
                .runtime
                .block_on(self.stream.next())
                .ok_or_else(|| io::Error::other("the object store's runtime is shut down"))?;
            match next {
                None => return Ok(0),
                Some(Ok(bytes)) => {
                    self.current = Some(bytes);
                    self.pos = 0;
                }
                Some(Err(e)) => return Err(io::Error::other(e)),
            }
        }
    }
}
